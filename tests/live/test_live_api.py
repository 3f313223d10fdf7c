"""`"live": true` on /v1/diagnose: refused unless the operator enabled it and the caller has a key.

The server never spends its own credentials on an anonymous caller's question. With both, the
checks run (here against a dead endpoint, so they are `unavailable`) and the offline diagnosis
is unchanged.
"""

from __future__ import annotations

import pytest

from api.services.api_keys import create_key
from tests.conftest import ClientFactory
from tests.live.test_aws_checks import SCP


def test_live_checks_are_off_by_default(make_client: ClientFactory) -> None:
    answer = make_client().post("/v1/diagnose", json={"error": SCP, "live": True})
    assert answer.status_code == 403
    assert answer.json()["type"].endswith("/live-checks-disabled")
    assert "whydenied explain --live" in answer.json()["detail"]


def test_enabled_live_checks_still_need_a_key(make_client: ClientFactory) -> None:
    answer = make_client(live_checks_enabled=True).post("/v1/diagnose", json={"error": SCP, "live": True})
    assert answer.status_code == 401 and answer.headers["www-authenticate"].startswith("Bearer")


def test_with_a_key_the_checks_run_and_the_offline_diagnosis_stands(
    make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens: no call leaves the machine
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    client = make_client(live_checks_enabled=True, live_timeout_seconds=1)
    _, key = create_key(client.app.state.engine, "ide-plugin")  # type: ignore[attr-defined]
    answer = client.post("/v1/diagnose", json={"error": SCP, "live": True}, headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["reason"] == "aws.authz.explicit_deny.scp" and body["guidance"]["fix"]
    assert [check["outcome"] for check in body["live"]] == ["unavailable"] * 3
    assert client.post("/v1/diagnose", json={"error": SCP}).json()["live"] is None  # only when asked
