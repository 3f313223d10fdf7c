"""Secrets pasted with an error never come back out: not in the response, the web page, the logs,
the database (feedback, history), the stats or the metrics.

Each case is a real payload from the adapter corpus (its source URL is recorded there, under the
same id) with realistic secrets placed where people's pastes carry them: a curl transcript's
Authorization header, an exported credential, a presigned or SAS URL, a key file, a connection
string. The secret values themselves are made up in each provider's documented format.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, SQLModel

from api.services.api_keys import create_key
from tests.conftest import ClientFactory

CORPUS = Path(__file__).resolve().parents[1] / "adapters"

AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
AWS_KEY_BODY = "Z6MKV3WQ2EXAMPLE"  # after the AKIA prefix, which is kept on purpose
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDtest"
AMZ_SIGNATURE = "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"
GITHUB_TOKEN = "ghp_R4nd0mT0k3nV4lu3F0rT3st1ngXyZ12345"
JWT = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsImV4cCI6MTcwMDAwMDAwMH0.c2lnbmF0dXJlLXRlc3Q"
GOOGLE_API_KEY = "AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW"
PRIVATE_KEY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7test"
GOOG_SIGNATURE = "5c6a4c2b1e9f0d8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a"
REFRESH_TOKEN = "1//0gLx7Zq9RrTkCgYIARAAGBASNwF-L9IrAbCdEfGh"
CLIENT_SECRET = "GOCSPX-AbCdEfGhIjKlMnOpQrStUvWx"
SLACK_TOKEN = "xoxb-2417-1234567890-AbCdEfGhIjKlMnOp"
DB_PASSWORD = "pr0d-Pa55w0rd-d0nt-l34k"

SECRETS = [
    AWS_SECRET, AWS_KEY_BODY, SESSION_TOKEN, AMZ_SIGNATURE, GITHUB_TOKEN, JWT, GOOGLE_API_KEY,
    PRIVATE_KEY, GOOG_SIGNATURE, REFRESH_TOKEN, CLIENT_SECRET, SLACK_TOKEN, DB_PASSWORD,
]  # fmt: skip


def _real(provider: str, payload_id: str) -> str:
    for path in sorted((CORPUS / provider).glob("payloads*.yaml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")):
            if item["id"] == payload_id:
                error = item["input"]["error"]
                return error if isinstance(error, str) else json.dumps(error)  # a JSON body as pasted
    raise LookupError(payload_id)


def _cases() -> list[tuple[str, dict[str, Any]]]:
    return [
        (
            "aws-exported-credentials",
            {
                "error": f"$ export AWS_ACCESS_KEY_ID=AKIA{AWS_KEY_BODY}\n"
                f"$ export aws_secret_access_key={AWS_SECRET}\n$ export AWS_SESSION_TOKEN={SESSION_TOKEN}\n"
                + _real("aws", "query-xml-sts-errorresponse-invalidclienttokenid")
            },
        ),
        (
            "aws-presigned-url",
            {
                "error": "PUT https://my-bucket.s3.amazonaws.com/report.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                f"&X-Amz-Credential=AKIA{AWS_KEY_BODY}%2F20261127%2Fus-east-1%2Fs3%2Faws4_request"
                f"&X-Amz-Security-Token={SESSION_TOKEN}&X-Amz-Signature={AMZ_SIGNATURE}\n"
                + _real("aws", "jsv2-s3-signaturedoesnotmatch-one-liner")
            },
        ),
        (
            "github-curl-transcript",
            {
                "error": f"> GET /user HTTP/1.1\n> Authorization: token {GITHUB_TOKEN}\n< HTTP/1.1 401 Unauthorized\n"
                + _real("http", "github-rest-bad-credentials-script-output"),
                "headers": {"Authorization": f"Bearer {GITHUB_TOKEN}"},
            },
        ),
        (
            "jwt-bearer",
            {
                "error": f"Authorization: Bearer {JWT}\n"
                + _real("http", "apisix-authz-keycloak-invalid-bearer-token-object"),
                "status_code": 401,
                "headers": {"WWW-Authenticate": 'Bearer error="invalid_token"', "X-Debug-Token": JWT},
            },
        ),
        (
            "google-api-key-in-url",
            {
                "error": f"POST https://language.googleapis.com/v1/documents:analyzeSentiment?key={GOOGLE_API_KEY}\n"
                + _real("gcp", "natural-language-api-key-invalid-json")
            },
        ),
        (
            "service-account-key-file",
            {
                "error": '{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\n'
                + PRIVATE_KEY
                + '\\n-----END PRIVATE KEY-----\\n"}\n'
                + _real("gcp", "gcloud-activate-service-account-invalid-jwt-signature")
            },
        ),
        (
            "gcs-signed-url",
            {
                "error": "GET https://storage.googleapis.com/my-bucket/o.txt?X-Goog-Algorithm=GOOG4-RSA-SHA256"
                f"&X-Goog-Signature={GOOG_SIGNATURE}\n" + _real("gcp", "gcs-xml-anonymous-caller-objects-get")
            },
        ),
        (
            "oauth-refresh",
            {
                "error": f"POST /token refresh_token={REFRESH_TOKEN}&client_secret={CLIENT_SECRET}\n"
                + _real("gcp", "oauth-token-endpoint-json-expired-or-revoked")
            },
        ),
        (
            "slack-token",
            {"error": f"token={SLACK_TOKEN}\n" + _real("http", "slack-sdk-python-missing-scope-needed")},
        ),
        (
            "database-url",
            {
                "error": f"DATABASE_URL=postgres://app:{DB_PASSWORD}@db.internal:5432/app\n"
                + _real("http", "go-github-401-bad-credentials-line")
            },
        ),
    ]


CASES = _cases()


def _leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


def _database_dump(client: TestClient) -> str:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    rows: list[str] = []
    with Session(engine) as session:
        for table in SQLModel.metadata.sorted_tables:
            rows += [repr(tuple(row)) for row in session.execute(select(table)).all()]
    return "\n".join(rows)


@pytest.mark.parametrize(("name", "body"), CASES, ids=[name for name, _ in CASES])
def test_no_secret_reaches_any_output(
    name: str, body: dict[str, Any], make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    assert _leaks(str(body)), "the case must carry at least one secret"
    caplog.set_level(logging.DEBUG)  # everything any library logs, SQLAlchemy's statements included
    client = make_client(history_enabled=True, history_key="k" * 32)
    answer = client.post("/v1/diagnose", json=body)
    assert answer.status_code == 200 and answer.json()["reason"] is not None, name
    page = client.post("/", data={"error": body["error"], "status_code": str(body.get("status_code") or "")})
    feedback = client.post(
        "/v1/feedback",
        json={"diagnosis_id": answer.json()["id"], "helpful": False, "comment": body["error"][:2000]},
    )
    assert feedback.status_code == 201
    _, key = create_key(client.app.state.engine, "secrets-test")  # type: ignore[attr-defined]
    stats = client.get("/v1/stats", headers={"Authorization": f"Bearer {key}"})
    surfaces = {
        "response": answer.text,
        "web page": page.text,
        "logs": caplog.text,
        "database": _database_dump(client),
        "stats": stats.text,
        "metrics": client.get("/metrics").text,
    }
    assert {where: _leaks(text) for where, text in surfaces.items() if _leaks(text)} == {}
