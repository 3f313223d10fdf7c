"""Secrets in a paste are redacted before anything stores, logs or echoes them."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from urllib.parse import quote

import pytest

from adapters.redact import redact, redact_header, redact_json

# (kind, text holding a secret, the secret part that must vanish, a part that must stay)
CASES = [
    (
        "aws-access-key",
        "The AWS Access Key Id AKIAIOSFODNN7EXAMPLE does not exist",
        "IOSFODNN7EXAMPLE",
        "AKIA",
    ),
    ("aws-temporary-key", "key ASIAY34FZKBOKMUTVV7A expired", "Y34FZKBOKMUTVV7A", "ASIA"),
    (
        "aws-secret",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "wJalrXUtnFEMI",
        "aws_secret_access_key",
    ),
    (
        "session-token",
        '"SessionToken": "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJH"',
        "IQoJb3JpZ2lu",
        "SessionToken",
    ),
    (
        "jwt",
        "token eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "eyJzdWIiOiIxMjM0NTY3ODkwIn0",
        "token",
    ),
    (
        "bearer",
        "Authorization: Bearer 8f3a9c1d2e4b5a6f7c8d9e0f1a2b3c4d",
        "8f3a9c1d2e4b5a6f",
        "Authorization: Bearer",
    ),
    ("basic", "Authorization: Basic dXNlcjpodW50ZXIy", "dXNlcjpodW50ZXIy", "Authorization: Basic"),
    (
        "azure-client-secret",
        "AADSTS7000215: Invalid client secret provided. secret: Abc8Q~dEfGhIjKlMnOpQrStUvWxYz0123456789",
        "dEfGhIjKlMnOpQrStUvWxYz",
        "AADSTS7000215",
    ),
    (
        "azure-storage-key",
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsu==",
        "Eby8vdM02xNOcqFl",
        "AccountName=acct",
    ),
    (
        "azure-sas",
        "GET https://acct.blob.core.windows.net/c/b?sv=2022-11-02&sr=b&sig=abcDEF%2Bxyz0123%3D 403",
        "abcDEF%2Bxyz0123",
        "sv=2022-11-02",
    ),
    (
        "url-password",
        "could not connect to postgres://admin:s3cr3tP4ss@db.example.com:5432/app",
        "s3cr3tP4ss",
        "admin",
    ),
    ("whydenied-key", "Authorization: wdk_Q2hhbmdlTWVQbGVhc2UxMjM0NTY3ODkw", "Q2hhbmdlTWVQbGVhc2Ux", "Authorization"),
    ("github-token", "remote: ghp_16C7e42F292c6912E7710c838347Ae178B4a denied", "16C7e42F292c", "remote:"),
    ("gitlab-token", "PRIVATE-TOKEN: glpat-xXxXxXxXxXxXxXxXxXxX", "xXxXxXxXxXxX", "PRIVATE-TOKEN"),
    ("slack-token", "token=xoxb-1234567890-abcdefghijkl", "1234567890-abcdef", "token"),
    (
        "google-api-key",
        "key AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW blocked",
        "SyA1b2C3d4E5f6G7h8",
        "blocked",
    ),
    (
        "stripe-key",
        "Invalid API Key provided: sk_live_4eC39HqLyjWDarjtT1zdp7dc",
        "4eC39HqLyjWDarjtT1zdp7dc",
        "Invalid",
    ),
    (
        "presigned-url",
        "GET https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIDX%2F20260101&X-Amz-Signature=abc123def456 403",
        "abc123def456",
        "X-Amz-Signature=",
    ),
    ("password-field", '{"username": "jane", "password": "hunter2hunter2"}', "hunter2hunter2", "jane"),
    (
        "private-key",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq98\n-----END RSA PRIVATE KEY-----",
        "MIIEowIBAAKCAQEA7bq98",
        "PRIVATE KEY",
    ),
    (
        "google-oauth",
        "Authorization failed for ya29.a0AfH6SMBx7LsT0k3nV4lu3XyZ0123456789",
        "a0AfH6SMBx7LsT0k3nV4lu3XyZ",
        "ya29.",
    ),
    ("google-client-secret", "secret GOCSPX-AbCdEfGhIjKlMnOpQrStUvWx rejected", "AbCdEfGhIjKlMnOpQrStUvWx", "rejected"),
    (
        "client-secret-field",
        '{"client_id": "123.apps.googleusercontent.com", "client_secret": "v3ryS3cr3tCl13nt"}',
        "v3ryS3cr3tCl13nt",
        "123.apps.googleusercontent.com",
    ),
    (
        "gcs-signed-url",
        "GET https://storage.googleapis.com/b/o?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Signature=5c6a4c2b1e9f0d8a 403",
        "5c6a4c2b1e9f0d8a",
        "X-Goog-Algorithm=GOOG4-RSA-SHA256",
    ),
    # Passwords: with spaces, with an escaped quote early on, in an escaped JSON log line, in a query
    (
        "password-with-spaces",
        '{"user": "jane", "password": "correct horse battery staple"}',
        "horse battery staple",
        '"user": "jane"',
    ),
    ("password-escaped-quote", '{"password": "a\\"b7Xq9Zr2Lm", "user": "jane"}', "b7Xq9Zr2Lm", '"user": "jane"'),
    (
        "password-escaped-json-log",
        'level=error msg="login failed" body="{\\"username\\": \\"jane\\", \\"password\\": \\"hunter2 and more\\"}"',
        "hunter2 and more",
        "login failed",
    ),
    ("password-query", "POST /login?user=jane&password=Tr0ub4dor3 401", "Tr0ub4dor3", "user=jane"),
    ("password-env", "DB_PASSWORD=pr0d-Pa55w0rd-d0nt-l34k ./migrate", "pr0d-Pa55w0rd-d0nt-l34k", "./migrate"),
    ("password-xml", "<Credentials><Password>Xy7pL0ngS3cret</Password></Credentials>", "Xy7pL0ngS3cret", "<Password>"),
    # URL passwords (F4): empty user, "@" or "/" in the password
    (
        "url-password-empty-user",
        "401 Client Error: Unauthorized for url: https://:s3cr3tPassw0rd@api.example.com/v1/x",
        "s3cr3tPassw0rd",
        "@api.example.com/v1/x",
    ),
    (
        "url-password-at-sign",
        "redis://admin:pa@ssW0rd9@cache.example.com:6379/0 refused",
        "ssW0rd9",
        "@cache.example.com:6379/0",
    ),
    ("url-password-slash", "https://admin:ab/cd3f@host.example.com/x 401", "ab/cd3f", "@host.example.com/x"),
    # Private keys: truncated (no END line), PGP blocks, the key id of a service-account file
    (
        "private-key-truncated",
        '{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEF\\nAASCBKcwggSjAgEAAoIBAQC7',
        "AASCBKcwggSjAgEAAoIBAQC7",
        "service_account",
    ),
    (
        "private-key-truncated-pem",
        "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,3F1A\n\nMIIEowIBAAKCAQEA7bq98",
        "MIIEowIBAAKCAQEA7bq98",
        "BEGIN RSA PRIVATE KEY",
    ),
    (
        "pgp-private-key",
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\nComment: backup\n\nlQOYBGXkZ2IBCAC7p3Lr\n=tC2v\n-----END PGP PRIVATE KEY BLOCK-----",
        "lQOYBGXkZ2IBCAC7p3Lr",
        "PGP PRIVATE KEY BLOCK",
    ),
    (
        "gcp-private-key-id",
        '{"type": "service_account", "private_key_id": "8c1f2e3d4b5a69788c1f2e3d4b5a697812345678"}',
        "8c1f2e3d4b5a6978",
        "service_account",
    ),
    # Headers: cookies, X-Auth-Token, any Authorization scheme, SigV4's Signature
    ("cookie", "> Cookie: sessionid=k3xQ9vLm2Pz8; csrftoken=Hj7Gf6Ds5Aa4", "k3xQ9vLm2Pz8", "> Cookie:"),
    ("set-cookie", "< Set-Cookie: session=Zt8Yw7Xv6Uu5; Path=/; HttpOnly", "Zt8Yw7Xv6Uu5", "< Set-Cookie:"),
    ("x-auth-token", "X-Auth-Token: gAAAAABk9Xq2Lm8Np3Rs", "gAAAAABk9Xq2Lm8Np3Rs", "X-Auth-Token:"),
    (
        "authorization-token",
        "Authorization: Token 9944b09199c62bcf9418ad846dd0e4bb",
        "9944b09199c62bcf",
        "Authorization: Token",
    ),
    ("authorization-other-scheme", "Authorization: SSWS 00QCjAl4MlV-WPXM7Ko0d9q", "00QCjAl4MlV-WPXM7Ko0d9q", "SSWS"),
    (
        "sigv4-signature",
        "Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261127/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024",
        "fe5f80f77d5fa3be",
        "20261127/us-east-1/s3/aws4_request",
    ),
    # JSON fields named secret, token, access_token, refresh_token, id_token, api_key
    ("json-secret", '{"name": "deploy", "secret": "Qm9vb3Rz1234"}', "Qm9vb3Rz1234", '"name": "deploy"'),
    ("json-token", '{"token": "s.8Fd7Gh6Jk5", "ttl": 3600}', "8Fd7Gh6Jk5", '"ttl": 3600'),
    ("json-access-token", '{"access_token": "at-1a2b3c4d5e", "expires_in": 3599}', "1a2b3c4d5e", "expires_in"),
    ("json-refresh-token", '{"refresh_token": "1//0gLx7Zq9Rr"}', "0gLx7Zq9Rr", "refresh_token"),
    ("json-id-token", '{"id_token": "opaque-id-9Ty8"}', "opaque-id-9Ty8", "id_token"),
    ("json-api-key", '{"api_key": "k-Abc123Xyz"}', "Abc123Xyz", "api_key"),
    # Webhooks and other prefixed keys
    (
        "slack-webhook",
        "POST https://hooks.slack.com/services/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 403 invalid_token",
        "q8Wd7Ef6Rg5Th4Yj3Uk2Il1O",
        "hooks.slack.com/services/",
    ),
    ("stripe-webhook-secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw rejected", "MfKQ9r8GKYqrTwjUPD8I", "rejected"),
    (
        "gitlab-private-token",
        "GET https://gitlab.example.com/api/v4/projects?private_token=9koXpg98eAheJpvBs5tK 401",
        "9koXpg98eAheJpvBs5tK",
        "/api/v4/projects",
    ),
    # A key wrapped in base64: a docker config's auth, a credentials file stored as base64
    (
        "docker-config-auth",
        '{"auths": {"registry.example.com": {"auth": "ZGVwbG95OnMzY3IzdFJlZ2lzdHJ5UGFzcw=="}}}',
        "ZGVwbG95OnMzY3IzdFJlZ2lzdHJ5UGFzcw",
        "registry.example.com",
    ),
    (
        "base64-credentials-file",
        "AWS_CREDENTIALS_B64=W2RlZmF1bHRdCmF3c19zZWNyZXRfYWNjZXNzX2tleSA9IHdKYWxyWFV0bkZFTUkvSzdNREVORy9iUHhSZmlDWUVYQU1QTEVLRVkK",
        "W2RlZmF1bHRdCmF3c19zZWNyZXRfYWNjZXNzX2tleSA9",
        "AWS_CREDENTIALS_B64",
    ),
]


@pytest.mark.parametrize(("kind", "text", "secret", "kept"), CASES, ids=[c[0] for c in CASES])
def test_redact_removes_the_secret_and_keeps_the_context(kind: str, text: str, secret: str, kept: str) -> None:
    redacted = redact(text)
    assert secret not in redacted
    assert kept in redacted
    assert "REDACTED" in redacted


@pytest.mark.parametrize(
    "text",
    [
        'WWW-Authenticate: Bearer realm="api", error="invalid_token"',
        'WWW-Authenticate: Basic realm="GitHub"',
        "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: s3:GetObject",
        "Permission 'storage.objects.get' denied on resource",
    ],
)
def test_redact_leaves_diagnostic_text_alone(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "changed"),
    [
        pytest.param("-----BEGIN RSA PRIVATE KEY-----" + "A" * 60_000, True, id="key-without-end"),
        pytest.param("eyJ" + "a" * 60_000 + ".", False, id="jwt-without-payload"),
        pytest.param("Bearer " + "x" * 60_000, True, id="long-bearer"),
    ],
)
def test_redact_handles_long_near_misses(text: str, changed: bool) -> None:
    # Near misses are left as they are and true hits redacted, however long (a key whose END line
    # was lost is still a key); the patterns are bounded (linear), so these finish at once (speed
    # itself is measured in bench/, not here).
    assert (redact(text) != text) is changed


def _core(secret: str) -> str:
    """The longest run of letters and digits in the secret: what no encoding of it leaves intact."""
    runs: list[str] = re.findall(r"[A-Za-z0-9]+", secret)
    return max(runs, key=len)


def _escape_before(text: str, secret: str, escape: Callable[[str], str]) -> str:
    """Escape the character just before each occurrence of the secret's core (its label or prefix)."""
    core = _core(secret)
    out, start = [], 0
    while (found := text.find(core, start)) > 0:
        out += [text[start : found - 1], escape(text[found - 1]), core]
        start = found + len(core)
    return "".join(out) + text[start:]


def _as_json_string(text: str, secret: str) -> str:
    # What JSON encoders do to a paste (Go escapes &, < and >; PHP escapes /), plus one \u escape
    escaped = _escape_before(text, secret, lambda ch: f"\\u{ord(ch):04x}")
    encoded = json.dumps(escaped)[1:-1].replace("\\\\u", "\\u").replace("/", "\\/")
    return encoded.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


FORMS: dict[str, Callable[[str, str], str]] = {
    "json-escapes": _as_json_string,
    "url-encoded": lambda text, secret: quote(_escape_before(text, secret, lambda ch: f"%{ord(ch):02X}"), safe="%"),
    "html-entities": lambda text, secret: (
        html.escape(_escape_before(text, secret, lambda ch: f"\x00{ord(ch)}\x01"))
        .replace("\x00", "&#")
        .replace("\x01", ";")
    ),
}


@pytest.mark.parametrize("form", list(FORMS))
@pytest.mark.parametrize(("kind", "text", "secret", "kept"), CASES, ids=[c[0] for c in CASES])
def test_redact_finds_the_secret_in_its_escaped_forms(kind: str, text: str, secret: str, kept: str, form: str) -> None:
    # A paste is often an encoded copy: a JSON log line, a URL parameter, an HTML page's source.
    encoded = FORMS[form](text, secret)
    assert _core(secret) in encoded and encoded != text
    redacted = redact(encoded)
    assert _core(secret) not in redacted, redacted
    assert "REDACTED" in redacted


@pytest.mark.parametrize("form", list(FORMS))
@pytest.mark.parametrize(("kind", "text", "secret", "kept"), CASES[:6], ids=[c[0] for c in CASES[:6]])
def test_an_escaped_secret_after_thousands_of_escapes_is_cut_in_place(
    kind: str, text: str, secret: str, kept: str, form: str
) -> None:
    # The secret is seen only in the decoded view; its place in the paste is mapped back across
    # 5,000 escapes of every kind before it: the cut must land on the secret, not on its neighbours.
    before = "\\n" * 2000 + "%41" * 2000 + "&amp;" * 1000
    after = "\\t%42&lt;" * 500
    pasted = before + FORMS[form](text, secret) + after
    redacted = redact(pasted)
    assert _core(secret) not in redacted
    assert "REDACTED" in redacted
    assert redacted.startswith(before), redacted[:80]
    assert redacted.endswith(after), redacted[-80:]


@pytest.mark.parametrize(("kind", "text", "secret", "kept"), CASES, ids=[c[0] for c in CASES])
def test_redact_is_stable(kind: str, text: str, secret: str, kept: str) -> None:
    # normalize redacts again after every decoding step: a second pass must change nothing.
    once = redact(text)
    assert redact(once) == once


@pytest.mark.parametrize(
    "text",
    [
        "GET https://api.example.com:8443/users/jane@example.com 403",
        "POST https://iam.googleapis.com:443/v1/projects/p/serviceAccounts/sa@p.iam.gserviceaccount.com:getIamPolicy",
        "https://storage.googleapis.com/b/o?alt=json&pageToken=&prefix=a%2Fb 403",
        '{"NextToken": "abc", "Key": "reports/2026-11.csv", "Bucket": "my-bucket"}',
        'WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="The access token expired"',
        "Encoded authorization failure message: 4GIOHlTkIaWHQD0Q0m19FKVmWhvsGZoBQGN1ZJ2ofv1OplvAnlJ2ofv1OplvA",
        '{"error": {"code": 403, "message": "The caller does not have permission", "status": "PERMISSION_DENIED"}}',
        "x-amz-request-id: 4442587FB7D0A2F9\nx-amz-id-2: vlR7PnpV2Ce81l0PRw6jlUpck7Jo5ZsQjryTjKlc5aLWGVHPZLj5NeC6qMa0emYBDXOo6QBU0Wo=",
    ],
)
def test_redact_keeps_facts_the_adapters_need(text: str) -> None:
    assert redact(text) == text


def test_sigv4_authorization_keeps_the_credential_scope() -> None:
    header = (
        "Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261127/us-east-1/s3/aws4_request, "
        "SignedHeaders=host, Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"
    )
    assert redact(header) == (
        "Authorization: AWS4-HMAC-SHA256 Credential=AKIA[REDACTED]/20261127/us-east-1/s3/aws4_request, "
        "SignedHeaders=host, Signature=[REDACTED]"
    )


def test_url_password_stops_at_the_last_at_sign_before_the_host() -> None:
    assert (
        redact("https://admin:p@ss/w0rd@db.example.com:5432/app") == "https://admin:[REDACTED]@db.example.com:5432/app"
    )
    assert redact("redis://:hunter2@cache:6379") == "redis://:[REDACTED]@cache:6379"


def test_secret_header_values_are_redacted_whole() -> None:
    assert redact_header("Cookie", "a=1; b=2") == "[REDACTED]"
    assert redact_header("X-Auth-Token", "abc") == "[REDACTED]"
    assert redact_header("Authorization", "Token 9944b09199c62bcf") == "Token [REDACTED]"
    assert redact_header("WWW-Authenticate", 'Bearer realm="api"') == 'Bearer realm="api"'


def test_decoded_json_is_walked_with_its_keys() -> None:
    data = {
        "user": "jane",
        "password": "correct horse",
        "nested": [{"token": 12345}, "ghp_16C7e42F292c6912E7710c838347Ae178B4a"],
        "note ghp_26C7e42F292c6912E7710c838347Ae178B4b": None,
        "last": "x",
    }
    original = json.dumps(data)
    assert redact_json(data) == {
        "user": "jane",
        "password": "[REDACTED]",
        "nested": [{"token": "[REDACTED]"}, "ghp_[REDACTED]"],
        "note ghp_[REDACTED]": None,
        "last": "x",
    }
    assert json.dumps(data) == original  # a copy: the caller's document is left as it was
    assert list(redact_json(data)) == ["user", "password", "nested", "note ghp_[REDACTED]", "last"]
