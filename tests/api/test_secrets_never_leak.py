"""Secrets pasted with an error never come back out, on any channel.

The corpus: 32 kinds of secret (the 21 the README lists and 11 more that pastes carry), each
placed where people's pastes carry it (an exported credential, a curl transcript's header, a
presigned URL, a key file, a connection string) next to a real payload of the adapter corpus
(`carrier`, whose source URL is recorded in the case). The secrets themselves are invented in each
provider's documented format (`source: synthetic`), as are the few pastes that are the secret's own
error message (`carrier: None`).

Each is sent plain and escaped the ways pastes arrive: the whole paste as a JSON string (with
`\\uXXXX` before the secret, `\\/`, Go's `\\u0026`), inside a Go-style JSON log line, URL-encoded
and as HTML entities; keys that come wrapped in base64 (a Basic header, a docker config's `auth`,
a credentials file, a service-account key) are cases of their own.

Channels: the API (text, object `error`, `headers`), the MCP tool (text, and the arguments it
refuses), `whydenied explain` (text, JSON, Markdown), the web page (whole and fragment, with the
form refilled), the feedback row, the history table, the stats, the metrics and the logs.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio
import pytest
import yaml
from fastapi.testclient import TestClient
from mcp import Client
from mcp.types import CallToolResult, TextContent
from sqlalchemy import delete, select
from sqlmodel import Session, SQLModel

from api.catalog import Catalog
from api.main import create_app
from api.mcp_server import create_mcp_server
from api.models import DiagnosisRecord, FeedbackRecord
from api.services.api_keys import create_key
from api.settings import Settings
from tests.conftest import database_url, reset_database

CORPUS = Path(__file__).resolve().parents[1] / "adapters"

DOCUMENTED = (
    "aws-access-key-id", "aws-secret-key", "aws-session-token", "authorization-bearer", "authorization-basic",
    "jwt", "google-api-key", "google-oauth-token", "azure-client-secret", "azure-storage-key", "azure-sas",
    "url-password", "github-token", "gitlab-token", "slack-token", "stripe-key", "whydenied-key", "password",
    "client-secret", "signed-url-signature", "private-key",
)  # fmt: skip
UNDOCUMENTED = (
    "cookie", "x-auth-token", "authorization-any-scheme", "json-secret", "json-token", "slack-webhook",
    "stripe-webhook-secret", "pgp-private-key", "gcp-private-key-id", "gitlab-private-token", "sigv4-signature",
)  # fmt: skip


@dataclass(frozen=True)
class Secret:
    """One secret as pasted: the lines holding it, and the parts of it that must never come out."""

    name: str
    kind: str
    snippet: str
    needles: tuple[str, ...]  # letters and digits only: no escape of the paste's other characters splits them
    carrier: str | None  # the id of the real payload pasted with it; None: the snippet is the whole paste
    wrapped: bool = False  # the snippet is already the base64-wrapped form: not escaped further


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _runs(blob: str) -> tuple[str, ...]:
    """The runs of letters and digits in a base64 blob: what a leak of the blob would show."""
    return tuple(run for run in re.findall(r"[A-Za-z0-9]{12,}", blob))


AWS_KEY_BODY = "Z6MKV3WQ2EXAMPLE"  # after AKIA, which is kept on purpose (long-term vs temporary)
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDtest"
JWT = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsImV4cCI6MTcwMDAwMDAwMH0.c2lnbmF0dXJlLXRlc3Q"
PRIVATE_KEY_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7LEAKpem"
BASIC = _b64("deploy:B4s1cP4ssw0rdLEAK")
DOCKER_AUTH = _b64("deploy:D0ck3rRegistryLEAKpw")
CREDENTIALS_FILE = _b64(f"[default]\naws_access_key_id = AKIA{AWS_KEY_BODY}\naws_secret_access_key = {AWS_SECRET}\n")
K8S_TOKEN = _b64("ghp_K8sS3cr3tT0k3nLEAKgh1234567890ab")
SERVICE_ACCOUNT = _b64(
    json.dumps(
        {
            "type": "service_account",
            "project_id": "my-project",
            "private_key_id": "8c1f2e3d4b5a6978LEAKb64keyid",
            "private_key": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BB64LEAKpem\n-----END PRIVATE KEY-----\n",
            "client_email": "ci@my-project.iam.gserviceaccount.com",
        }
    )
)

SECRETS = [
    # The 21 kinds the README lists
    Secret("aws-key-id-exported", "aws-access-key-id", f"$ export AWS_ACCESS_KEY_ID=AKIA{AWS_KEY_BODY}",
           (AWS_KEY_BODY,), "query-xml-sts-errorresponse-invalidclienttokenid"),
    Secret("aws-key-id-in-a-resource", "aws-access-key-id",
           "An error occurred (AccessDenied) when calling the GetObject operation: User: "
           "arn:aws:iam::123456789012:user/ci is not authorized to perform: s3:GetObject on resource: "
           f"arn:aws:s3:::my-bucket/AKIA{AWS_KEY_BODY}", (AWS_KEY_BODY,), None),
    Secret("aws-secret-credentials-file", "aws-secret-key", f"[default]\naws_secret_access_key = {AWS_SECRET}",
           ("wJalrXUtnFEMI", "bPxRfiCYzEXAMPLEKEY"), "query-xml-sts-errorresponse-invalidclienttokenid"),
    Secret("aws-secret-json", "aws-secret-key", f'{{"AccessKeyId": "ASIA{AWS_KEY_BODY}", "SecretAccessKey": "{AWS_SECRET}"}}',
           ("wJalrXUtnFEMI", "bPxRfiCYzEXAMPLEKEY", AWS_KEY_BODY), "jsv2-s3-signaturedoesnotmatch-one-liner"),
    Secret("aws-session-token-exported", "aws-session-token", f"$ export AWS_SESSION_TOKEN={SESSION_TOKEN}",
           ("IQoJb3JpZ2luX2VjEJr", "wEaCXVzLWVhc3QtMSJHMEUCIQDtest"), "query-xml-sts-errorresponse-invalidclienttokenid"),
    Secret("aws-presigned-url", "aws-session-token",
           "PUT https://my-bucket.s3.amazonaws.com/report.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256"
           f"&X-Amz-Credential=AKIA{AWS_KEY_BODY}%2F20261127%2Fus-east-1%2Fs3%2Faws4_request"
           f"&X-Amz-Security-Token={SESSION_TOKEN}&X-Amz-Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855",
           ("IQoJb3JpZ2luX2VjEJr", "wEaCXVzLWVhc3QtMSJHMEUCIQDtest", "fe5f80f77d5fa3beca038a248ff027d0445342fe2855",
            AWS_KEY_BODY), "jsv2-s3-signaturedoesnotmatch-one-liner"),
    Secret("bearer-header", "authorization-bearer", "> Authorization: Bearer 8f3a9c1d2e4b5a6f7c8d9e0fLEAKbearer",
           ("8f3a9c1d2e4b5a6f7c8d9e0fLEAKbearer",), "apisix-authz-keycloak-invalid-bearer-token-object"),
    Secret("basic-header", "authorization-basic", f"> Authorization: Basic {BASIC}",
           (*_runs(BASIC), "B4s1cP4ssw0rdLEAK"), "twilio-rest-basic-realm-sid-or-token-incorrect", wrapped=True),
    Secret("jwt-in-a-url", "jwt", f"401 Client Error: Unauthorized for url: https://api.example.com/cb?t={JWT}",
           tuple(JWT.split(".")), "github-rest-bad-credentials-script-output"),
    Secret("google-api-key", "google-api-key", "using AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW for the request",
           ("SyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW",), "natural-language-api-key-invalid-json"),
    Secret("google-oauth-token", "google-oauth-token", "access token ya29.a0AfH6SMBx7LsT0k3nV4lu3LEAKoauth0123456789",
           ("a0AfH6SMBx7LsT0k3nV4lu3LEAKoauth0123456789",), "oauth-token-endpoint-json-expired-or-revoked"),
    Secret("azure-client-secret", "azure-client-secret", "AZURE_CLIENT_SECRET Abc8Q~dEfGhIjKlMnOpQrStUvWxYz0123456789",
           ("dEfGhIjKlMnOpQrStUvWxYz0123456789",), "go-github-401-bad-credentials-line"),
    Secret("azure-storage-key", "azure-storage-key",
           "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IF"
           "suFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;EndpointSuffix=core.windows.net",
           ("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq", "KBHBeksoGMGw"),
           "go-github-401-bad-credentials-line"),
    Secret("azure-sas", "azure-sas",
           "GET https://acct.blob.core.windows.net/c/b.txt?sv=2022-11-02&sr=b&sp=r&sig=abcDEF0123456789LEAKsasSig%3D 403",
           ("abcDEF0123456789LEAKsasSig",), "go-github-401-bad-credentials-line"),
    Secret("url-password", "url-password", "DATABASE_URL=postgres://app:pr0dPa55w0rdLEAKdb@db.internal:5432/app",
           ("pr0dPa55w0rdLEAKdb",), "go-github-401-bad-credentials-line"),
    Secret("url-password-empty-user", "url-password",
           "401 Client Error: Unauthorized for url: https://:s3cr3tPassw0rdLEAKempty@api.example.com/v1/x",
           ("s3cr3tPassw0rdLEAKempty",), "github-rest-bad-credentials-script-output"),
    Secret("url-password-with-at", "url-password", "redis://admin:pa55@w0rdLEAKatsign@cache.example.com:6379/0",
           ("w0rdLEAKatsign",), "go-github-401-bad-credentials-line"),
    Secret("url-password-with-slash", "url-password", "https://admin:ab/cdLEAKslash99@git.example.com/repo.git",
           ("cdLEAKslash99",), "go-github-401-bad-credentials-line"),
    Secret("github-token", "github-token", "GITHUB_TOKEN=ghp_R4nd0mT0k3nV4lu3F0rT3st1ngXyZ12345",
           ("R4nd0mT0k3nV4lu3F0rT3st1ngXyZ12345",), "github-rest-bad-credentials-script-output"),
    Secret("github-token-in-an-aws-code", "github-token",
           '{"__type": "com.amazon.coral.service#ghp_C0d3T0k3nLEAKinAwsType1234", "message": "User: '
           "arn:aws:iam::123456789012:user/ci is not authorized to perform: s3:GetObject on resource: "
           'arn:aws:s3:::my-bucket/report.csv"}', ("C0d3T0k3nLEAKinAwsType1234",), None),
    Secret("gitlab-token", "gitlab-token", "GITLAB_TOKEN=glpat-xR7kLEAKgitlab9Qz2Wm",
           ("xR7kLEAKgitlab9Qz2Wm",), "go-github-401-bad-credentials-line"),
    Secret("slack-token", "slack-token", "SLACK_BOT_TOKEN=xoxb-2417-9876543210-AbCdEfGhLEAKslack",
           ("AbCdEfGhLEAKslack", "9876543210"), "slack-sdk-python-missing-scope-needed"),
    Secret("stripe-key", "stripe-key", "Invalid API Key provided: sk_live_4eC39HqLyjWDarjtT1zdp7dcLEAK",
           ("4eC39HqLyjWDarjtT1zdp7dcLEAK",), "go-github-401-bad-credentials-line"),
    Secret("whydenied-key", "whydenied-key", "WHYDENIED_KEY wdk_Q2hhbmdlTWVQbGVhc2UxMjM0NTY3ODkwLEAK",
           ("Q2hhbmdlTWVQbGVhc2UxMjM0NTY3ODkwLEAK",), "go-github-401-bad-credentials-line"),
    Secret("password-json", "password", '{"username": "jane", "password": "hunter2LEAKjsonpw"}',
           ("hunter2LEAKjsonpw",), "drf-authentication-credentials-not-provided"),
    Secret("password-with-spaces", "password", '{"username": "jane", "password": "correct horse batterystapleLEAK1"}',
           ("batterystapleLEAK1",), "drf-authentication-credentials-not-provided"),
    Secret("password-escaped-quote", "password", '{"password": "a\\"bLEAKpw98765 x", "username": "jane"}',
           ("bLEAKpw98765",), "drf-authentication-credentials-not-provided"),
    Secret("password-escaped-json-log", "password",
           'level=error msg="login failed" body="{\\"username\\": \\"jane\\", \\"password\\": \\"two wordsLEAKlogpw\\"}"',
           ("wordsLEAKlogpw",), "drf-authentication-credentials-not-provided"),
    Secret("password-query", "password", "POST https://api.example.com/login?user=jane&password=Tr0ub4dorLEAK3 401",
           ("Tr0ub4dorLEAK3",), "go-github-401-bad-credentials-line"),
    Secret("password-docker-config", "password",
           f'{{"auths": {{"registry.example.com": {{"auth": "{DOCKER_AUTH}"}}}}}}',
           (*_runs(DOCKER_AUTH), "D0ck3rRegistryLEAKpw"), "go-github-401-bad-credentials-line", wrapped=True),
    Secret("client-secret", "client-secret",
           "POST /token refresh_token=1//0gLx7Zq9RrTkCgYIARAAGBASNwFLEAKrefresh&client_secret=GOCSPX-AbCdEfGhIjKlMnOpLEAK",
           ("0gLx7Zq9RrTkCgYIARAAGBASNwFLEAKrefresh", "AbCdEfGhIjKlMnOpLEAK"), "oauth-token-endpoint-json-expired-or-revoked"),
    Secret("gcs-signed-url", "signed-url-signature",
           "GET https://storage.googleapis.com/my-bucket/o.txt?X-Goog-Algorithm=GOOG4-RSA-SHA256"
           "&X-Goog-Signature=5c6a4c2b1e9f0d8a7b6c5d4e3f2a1b0c9d8eLEAK",
           ("5c6a4c2b1e9f0d8a7b6c5d4e3f2a1b0c9d8eLEAK",), "gcs-xml-anonymous-caller-objects-get"),
    Secret("service-account-key", "private-key",
           '{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\n' + PRIVATE_KEY_BODY
           + '\\n-----END PRIVATE KEY-----\\n", "client_email": "ci@my-project.iam.gserviceaccount.com"}',
           (PRIVATE_KEY_BODY,), "gcloud-activate-service-account-invalid-jwt-signature"),
    Secret("private-key-without-end", "private-key",
           "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq98LEAKtruncated\nAoGBAMxQ2w8LEAKsecondline",
           ("MIIEowIBAAKCAQEA7bq98LEAKtruncated", "AoGBAMxQ2w8LEAKsecondline"),
           "gcloud-activate-service-account-invalid-jwt-signature"),
    Secret("service-account-key-base64", "private-key", f"GOOGLE_CREDENTIALS={SERVICE_ACCOUNT}",
           (*_runs(SERVICE_ACCOUNT), "MIIEvQIBADANBgkqhkiG9w0BB64LEAKpem", "8c1f2e3d4b5a6978LEAKb64keyid"),
           "gcloud-activate-service-account-invalid-jwt-signature", wrapped=True),
    Secret("credentials-file-base64", "aws-secret-key", f"AWS_SHARED_CREDENTIALS_B64={CREDENTIALS_FILE}",
           (*_runs(CREDENTIALS_FILE), "wJalrXUtnFEMI", "bPxRfiCYzEXAMPLEKEY"),
           "query-xml-sts-errorresponse-invalidclienttokenid", wrapped=True),
    Secret("github-token-k8s-secret-base64", "github-token", f"data:\n  token: {K8S_TOKEN}",
           (*_runs(K8S_TOKEN), "K8sS3cr3tT0k3nLEAKgh1234567890ab"), "github-rest-bad-credentials-script-output",
           wrapped=True),
    # The 11 kinds pastes carry besides
    Secret("cookie", "cookie", "> Cookie: sessionid=k3xQ9vLm2Pz8LEAKck; csrftoken=Hj7Gf6Ds5Aa4LEAKcsrf",
           ("k3xQ9vLm2Pz8LEAKck", "Hj7Gf6Ds5Aa4LEAKcsrf"), "github-rest-bad-credentials-script-output"),
    Secret("set-cookie", "cookie", "< Set-Cookie: session=Zt8Yw7Xv6Uu5LEAKsc; Path=/; HttpOnly",
           ("Zt8Yw7Xv6Uu5LEAKsc",), "twilio-rest-basic-realm-sid-or-token-incorrect"),
    Secret("x-auth-token", "x-auth-token", "> X-Auth-Token: gAAAAABk9Xq2Lm8Np3RsLEAKxauth",
           ("gAAAAABk9Xq2Lm8Np3RsLEAKxauth",), "go-github-401-bad-credentials-line"),
    Secret("authorization-token", "authorization-any-scheme", "> Authorization: Token 9944b09199c62bcf9418LEAKdrf",
           ("9944b09199c62bcf9418LEAKdrf",), "drf-authentication-credentials-not-provided"),
    Secret("authorization-other-scheme", "authorization-any-scheme", "> Authorization: SSWS 00QCjAl4MlVWPXM7LEAKokta",
           ("00QCjAl4MlVWPXM7LEAKokta",), "go-github-401-bad-credentials-line"),
    Secret("json-secret", "json-secret", '{"name": "deploy", "secret": "Qm9vb3RzLEAKjsonsecret"}',
           ("Qm9vb3RzLEAKjsonsecret",), "drf-authentication-credentials-not-provided"),
    Secret("json-api-key", "json-secret", '{"api_key": "k-Abc123XyzLEAKapikey"}',
           ("Abc123XyzLEAKapikey",), "drf-authentication-credentials-not-provided"),
    Secret("json-token", "json-token", '{"token": "s.8Fd7Gh6Jk5LEAKjsontoken", "ttl": 3600}',
           ("8Fd7Gh6Jk5LEAKjsontoken",), "drf-authentication-credentials-not-provided"),
    Secret("json-oauth-tokens", "json-token",
           '{"access_token": "at-1a2b3c4dLEAKaccess", "refresh_token": "rt-5e6f7g8hLEAKrefresh", '
           '"id_token": "opaque-9i0jLEAKidtoken", "expires_in": 3599}',
           ("1a2b3c4dLEAKaccess", "5e6f7g8hLEAKrefresh", "9i0jLEAKidtoken"), "oauth-token-endpoint-json-expired-or-revoked"),
    Secret("slack-webhook", "slack-webhook",
           "POST https://hooks.slack.com/services/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 403 invalid_token",
           ("q8Wd7Ef6Rg5Th4YjLEAKhook",), "slack-sdk-python-missing-scope-needed"),
    Secret("stripe-webhook-secret", "stripe-webhook-secret", "STRIPE_WEBHOOK_SECRET whsec_MfKQ9r8GKYqrTwjULEAKwhsec",
           ("MfKQ9r8GKYqrTwjULEAKwhsec",), "go-github-401-bad-credentials-line"),
    Secret("pgp-private-key", "pgp-private-key",
           "-----BEGIN PGP PRIVATE KEY BLOCK-----\nComment: backup\n\nlQOYBGXkZ2IBCAC7p3LrLEAKpgp0123\n=tC2v\n"
           "-----END PGP PRIVATE KEY BLOCK-----", ("lQOYBGXkZ2IBCAC7p3LrLEAKpgp0123",), "go-github-401-bad-credentials-line"),
    Secret("gcp-private-key-id", "gcp-private-key-id",
           '{"type": "service_account", "private_key_id": "8c1f2e3d4b5a6978LEAKkeyid2e3d4b5a6978"}',
           ("8c1f2e3d4b5a6978LEAKkeyid2e3d4b5a6978",), "gcloud-activate-service-account-invalid-jwt-signature"),
    Secret("gitlab-private-token", "gitlab-private-token",
           "GET https://gitlab.example.com/api/v4/projects?private_token=9koXpg98eAheJpLEAKgl 401",
           ("9koXpg98eAheJpLEAKgl",), "go-github-401-bad-credentials-line"),
    Secret("sigv4-signature", "sigv4-signature",
           f"> Authorization: AWS4-HMAC-SHA256 Credential=AKIA{AWS_KEY_BODY}/20261127/us-east-1/s3/aws4_request, "
           "SignedHeaders=host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c4LEAKsigv4",
           ("5d672d79c15b13162d9279b0855cfba6789a8edb4c82c4LEAKsigv4", AWS_KEY_BODY),
           "jsv2-s3-signaturedoesnotmatch-one-liner"),
]  # fmt: skip


# The real payloads the secrets are pasted with, and where each was seen (as in the adapter corpus).
CARRIERS = {
    "apisix-authz-keycloak-invalid-bearer-token-object": "https://github.com/apache/apisix/issues/11033",
    "drf-authentication-credentials-not-provided": "https://github.com/overshard/timestrap-django/pull/195",
    "gcloud-activate-service-account-invalid-jwt-signature": "https://github.com/google-github-actions/setup-gcloud/issues/76",
    "gcs-xml-anonymous-caller-objects-get": "https://github.com/openai/glow/issues/60",
    "github-rest-bad-credentials-script-output": "https://github.com/hisxo/gitGraber/issues/32",
    "go-github-401-bad-credentials-line": "https://github.com/caarlos0/org-stats/issues/71",
    "jsv2-s3-signaturedoesnotmatch-one-liner": "https://github.com/ryanmurakami/pizza-luvrs/issues/14",
    "natural-language-api-key-invalid-json": "https://github.com/brunnurs/valuenet/issues/12",
    "oauth-token-endpoint-json-expired-or-revoked": "https://github.com/hardwario/gupload/issues/5",
    "query-xml-sts-errorresponse-invalidclienttokenid": "https://github.com/jrl84/amazon-sp-api/issues/218",
    "slack-sdk-python-missing-scope-needed": "https://github.com/DataDog/slapr/pull/47",
    "twilio-rest-basic-realm-sid-or-token-incorrect": "https://github.com/Huachao/vscode-restclient/issues/26",
}  # fmt: skip


def _payloads() -> dict[str, dict[str, Any]]:
    items: dict[str, dict[str, Any]] = {}
    for path in sorted(CORPUS.glob("*/payloads*.yaml")):
        items.update((item["id"], item) for item in yaml.safe_load(path.read_text(encoding="utf-8")))
    return items


PAYLOADS = _payloads()


def _carrier(secret: Secret) -> str:
    if secret.carrier is None:
        return ""
    error = PAYLOADS[secret.carrier]["input"]["error"]
    return error if isinstance(error, str) else json.dumps(error)  # a JSON body as pasted


def _escape_before(text: str, needles: tuple[str, ...], escape: Callable[[str], str]) -> str:
    """Escape the character just before each needle (the secret's label, prefix or separator)."""
    marks = sorted({found - 1 for needle in needles for found in _find_all(text, needle) if found > 0})
    out, start = [], 0
    for mark in marks:
        out += [text[start:mark], escape(text[mark])]
        start = mark + 1
    return "".join(out) + text[start:]


def _find_all(text: str, needle: str) -> Iterator[int]:
    start = text.find(needle)
    while start >= 0:
        yield start
        start = text.find(needle, start + 1)


def _json_string(text: str, needles: tuple[str, ...]) -> str:
    """The text as a JSON string the way encoders write it (Go: \\u0026, \\u003c, \\u003e; PHP: \\/)."""
    escaped = json.dumps(_escape_before(text, needles, lambda ch: f"\0{ord(ch):04x}"))
    escaped = escaped.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e").replace("/", "\\/")
    return escaped.replace("\\u0000", "\\u")


def _joined(secret: Secret, snippet: str) -> str:
    carrier = _carrier(secret)
    return f"{carrier}\n{snippet}" if carrier else snippet


FORMS: dict[str, Callable[[Secret], str]] = {
    "plain": lambda s: _joined(s, s.snippet),
    "json-string": lambda s: _json_string(_joined(s, s.snippet), s.needles),
    "json-log": lambda s: '{"level":"error","ts":1764237600.5,"msg":' + _json_string(_joined(s, s.snippet), s.needles) + "}",
    "url-encoded": lambda s: _joined(s, quote(_escape_before(s.snippet, s.needles, lambda ch: f"%{ord(ch):02X}"), safe="%")),
    "html-entities": lambda s: _joined(
        s, html.escape(_escape_before(s.snippet, s.needles, lambda ch: f"\0{ord(ch)}\1")).replace("\0", "&#").replace("\1", ";")
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Case:
    """One secret in one form, with where its carrier was seen."""

    id: str
    secret: Secret
    form: str
    paste: str
    source: str  # the carrier's source URL; `synthetic` for a paste made up whole

    @property
    def comment(self) -> str:
        """What a user would put in a feedback comment: the paste, or the secret's lines of it."""
        if len(self.paste) <= 2000:
            return self.paste
        return FORMS[self.form](replace(self.secret, carrier=None))[:2000]


def _cases() -> list[Case]:
    cases = []
    for secret in SECRETS:
        source = CARRIERS[secret.carrier] if secret.carrier else "synthetic"
        for form in ("plain",) if secret.wrapped else FORMS:
            cases.append(Case(f"{secret.name}-{form}", secret, form, FORMS[form](secret), source))
    return cases


CASES = _cases()


def test_the_corpus_covers_every_kind_in_every_form() -> None:
    assert len(DOCUMENTED) == 21 and len(UNDOCUMENTED) == 11
    assert {secret.kind for secret in SECRETS} == set(DOCUMENTED) | set(UNDOCUMENTED)
    assert {case.form for case in CASES} == set(FORMS)
    assert all(PAYLOADS[carrier]["source"] == source for carrier, source in CARRIERS.items())
    assert all(case.source.startswith("https://") or case.source == "synthetic" for case in CASES)
    for case in CASES:
        assert all(re.fullmatch(r"[A-Za-z0-9]{8,}", needle) for needle in case.secret.needles), case.id
        # the needles are in the paste as sent: escaping touches only the characters around them (a
        # wrapped key's needles are its base64 and what that decodes to)
        present = [needle in case.paste for needle in case.secret.needles]
        assert any(present) if case.secret.wrapped else all(present), case.id


def _leaks(case: Case, outputs: dict[str, str]) -> dict[str, list[str]]:
    found = {}
    for channel, text in outputs.items():
        seen = f"{text}\n{html.unescape(text)}"
        if leaked := [needle for needle in case.secret.needles if needle in seen]:
            found[channel] = leaked
    return found


@pytest.fixture(scope="module")
def service(catalog: Catalog, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One app with history on, for the whole corpus (each case clears the rows it may write)."""
    url = database_url()
    reset_database(url)
    settings = Settings(
        database_url=url, data_dir=tmp_path_factory.mktemp("data"), history_enabled=True, history_key="k" * 32
    )
    with TestClient(create_app(settings, catalog=catalog)) as client:
        yield client


@pytest.fixture(scope="module")
def stats_key(service: TestClient) -> str:
    _, key = create_key(service.app.state.engine, "secrets-test")  # type: ignore[attr-defined]
    return key


def _stored(client: TestClient) -> str:
    """Every row of every table, as text (the catalogue's own tables included)."""
    engine = client.app.state.engine  # type: ignore[attr-defined]
    rows: list[str] = []
    with Session(engine) as session:
        for table in SQLModel.metadata.sorted_tables:
            rows += [repr(tuple(row)) for row in session.execute(select(table)).all()]
    return "\n".join(rows)


def _clear(client: TestClient) -> None:
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        session.execute(delete(FeedbackRecord))
        session.execute(delete(DiagnosisRecord))
        session.commit()


def _as_object(paste: str) -> Any:
    try:
        value = json.loads(paste)
    except ValueError:
        value = None
    return value if isinstance(value, dict) else {"message": paste}


def _headers(case: Case) -> dict[str, str]:
    """The case's header-shaped lines as request headers, and the whole paste in one more."""
    headers = {"X-Paste": case.paste[:8000]}
    for line in case.paste.splitlines():
        if match := re.match(r"^[<> ]*([A-Za-z][A-Za-z0-9-]{1,63}): (.{1,8000})$", line):
            headers[match.group(1)] = match.group(2)
    return headers


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_no_secret_reaches_the_api_the_page_the_database_or_the_logs(
    case: Case, service: TestClient, stats_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # everything any library logs, SQLAlchemy's statements included
    _clear(service)
    headers = _headers(case)
    text = service.post("/v1/diagnose", json={"error": case.paste})
    assert text.status_code == 200
    # The secret's carrier is diagnosed (so the facts were read), except where the paste is
    # encoded whole in a way whydenied does not decode (a log line's message, a URL-encoded error).
    if case.form in ("plain", "json-string") or (case.secret.carrier and case.form != "json-log"):
        assert text.json()["reason"] is not None, case.id
    as_object = service.post("/v1/diagnose", json={"error": _as_object(case.paste)})
    in_headers = service.post("/v1/diagnose", json={"error": "HTTP/1.1 401 Unauthorized", "headers": headers})
    form = {"error": case.paste, "status_code": "", "headers": "\n".join(f"{k}: {v}" for k, v in headers.items())}
    page = service.post("/", data=form)
    fragment = service.post("/", data=form, headers={"X-Fragment": "1"})
    feedback = service.post(
        "/v1/feedback", json={"diagnosis_id": text.json()["id"], "helpful": False, "comment": case.comment}
    )
    assert (as_object.status_code, in_headers.status_code, page.status_code, feedback.status_code) == (
        200,
        200,
        200,
        201,
    )
    outputs = {
        "api text": text.text,
        "api object": as_object.text,
        "api headers": in_headers.text,
        "web page": page.text,
        "web fragment": fragment.text,
        "database": _stored(service),
        "stats": service.get("/v1/stats", headers={"Authorization": f"Bearer {stats_key}"}).text,
        "metrics": service.get("/metrics").text,
        "logs": caplog.text,
    }
    assert _leaks(case, outputs) == {}
    # the page refilled the form and the comment was stored: redacted, not dropped
    assert "REDACTED" in page.text and "REDACTED" in outputs["database"]


def _tool_text(result: CallToolResult) -> str:
    parts = [block.text for block in result.content if isinstance(block, TextContent)]
    return "\n".join([*parts, json.dumps(result.structured_content)])


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_no_secret_reaches_the_mcp_tool(case: Case, service: TestClient) -> None:
    server = create_mcp_server(lambda: service.app.state)  # type: ignore[attr-defined]
    headers = _headers(case)

    async def call() -> dict[str, str]:
        async with Client(server) as client:
            text = await client.call_tool("diagnose", {"error": case.paste})
            in_headers = await client.call_tool("diagnose", {"error": "HTTP/1.1 401", "headers": headers})
            # arguments the tool refuses: an object `error`, header values that are lists (F14)
            as_object = await client.call_tool("diagnose", {"error": _as_object(case.paste)})
            listed = await client.call_tool("diagnose", {"error": "x", "headers": {k: [v] for k, v in headers.items()}})
        assert not text.is_error and not in_headers.is_error
        assert as_object.is_error and listed.is_error
        return {
            "mcp text": _tool_text(text),
            "mcp headers": _tool_text(in_headers),
            "mcp object refused": _tool_text(as_object),
            "mcp list headers refused": _tool_text(listed),
        }

    assert _leaks(case, anyio.run(call)) == {}


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_no_secret_reaches_whydenied_explain(
    case: Case, catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from api import catalog as catalog_module
    from api.cli import main

    monkeypatch.setattr(catalog_module, "load_catalog", lambda *args, **kwargs: catalog)  # already loaded
    monkeypatch.setenv("NO_COLOR", "1")
    paste = tmp_path / "paste.txt"
    paste.write_text(case.paste, encoding="utf-8")
    outputs = {}
    for name, flags in (("cli text", []), ("cli json", ["--json"]), ("cli markdown", ["--markdown"])):
        status = main(["explain", str(paste), *flags])
        captured = capsys.readouterr()
        assert status in (0, 1), captured.err
        outputs[name] = captured.out + captured.err
    assert _leaks(case, outputs) == {}
