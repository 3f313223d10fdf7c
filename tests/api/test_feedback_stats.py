"""Feedback, opt-in history and stats, and Prometheus metrics, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from tests.conftest import ClientFactory

SCP = (
    "An error occurred (AccessDenied) when calling the ListRoles operation: User: arn:aws:iam::123456789012:user/Matt "
    "is not authorized to perform: iam:ListRoles on resource: arn:aws:iam::123456789012:role/* with an explicit deny "
    "in a service control policy: arn:aws:organizations::987654321098:policy/o-qv5af4abcd/service_control_policy/p-2kgnabcd"
)  # the example of AWS's policy-ARN announcement


def _key(client: TestClient) -> dict[str, str]:
    """Return the header of a fresh API key (stats are not public)."""
    from api.services.api_keys import create_key

    _, key = create_key(client.app.state.engine, "test")  # type: ignore[attr-defined]
    return {"Authorization": f"Bearer {key}"}


def test_feedback_is_stored_and_its_comment_redacted(client: TestClient) -> None:
    response = client.post(
        "/v1/feedback",
        json={
            "reason": "aws.authz.explicit_deny.scp",
            "helpful": True,
            "comment": "token ghp_16C7e42F292c6912E7710c838347Ae178B4a",
        },
    )
    assert response.status_code == 201
    from sqlmodel import Session, select

    from api.models import FeedbackRecord

    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        stored = session.exec(select(FeedbackRecord)).one()
    assert stored.helpful is True and stored.reason == "aws.authz.explicit_deny.scp"
    assert stored.comment is not None and "16C7e42F292c" not in stored.comment


def test_feedback_needs_a_known_target(client: TestClient) -> None:
    assert client.post("/v1/feedback", json={"helpful": False}).status_code == 422
    assert client.post("/v1/feedback", json={"reason": "no.such.reason", "helpful": False}).status_code == 422
    assert client.post("/v1/feedback", json={"reason": "http.authz.forbidden", "helpful": 3}).status_code == 422


def test_history_is_off_by_default_and_stores_nothing(client: TestClient) -> None:
    body = client.post("/v1/diagnose", json={"error": SCP}).json()
    assert body["id"] is None
    assert client.get("/v1/stats", headers=_key(client)).json()["total"] == 0


def test_history_on_counts_reasons_actions_and_hashes_principals(make_client: ClientFactory) -> None:
    client = make_client(history_enabled=True, history_key="test-key-0123456789")
    first = client.post("/v1/diagnose", json={"error": SCP}).json()
    client.post("/v1/diagnose", json={"error": SCP})
    client.post("/v1/diagnose", json={"error": "HTTP/1.1 403 Forbidden"})
    assert first["id"] is not None
    assert client.post("/v1/feedback", json={"diagnosis_id": first["id"], "helpful": True}).status_code == 201
    stats = client.get("/v1/stats", params={"since": dt.date.today().isoformat()}, headers=_key(client)).json()
    assert stats["total"] == 3
    assert stats["reasons"][0] == {"value": "aws.authz.explicit_deny.scp", "count": 2}
    assert {"value": "iam:ListRoles", "count": 2} in stats["actions"]
    hashed = stats["principals"][0]["value"]
    assert stats["principals"][0]["count"] == 2 and "Matt" not in hashed and len(hashed) == 32
    assert stats["per_day"] == [{"day": dt.datetime.now(dt.UTC).date().isoformat(), "count": 3}]
    from sqlmodel import Session, select

    from api.models import DiagnosisRecord

    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        rows = session.exec(select(DiagnosisRecord)).all()
    assert all("arn:aws" not in (row.principal_hash or "") for row in rows)  # never the principal itself


def test_metrics_count_diagnoses_and_problems(client: TestClient) -> None:
    client.post("/v1/diagnose", json={"error": SCP})
    client.post("/v1/diagnose", content=b"not json", headers={"content-type": "application/json"})
    text = client.get("/metrics").text
    assert 'whydenied_diagnoses_total{provider="aws",reason="aws.authz.explicit_deny.scp"} 1.0' in text
    assert "whydenied_diagnose_seconds_count 1.0" in text
    assert 'whydenied_errors_total{status="415"} 1.0' in text
