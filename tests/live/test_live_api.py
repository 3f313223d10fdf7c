"""`"live": true` on /v1/diagnose: refused unless the operator enabled it and the caller has a key.

The server never spends its own credentials on an anonymous caller's question. With both, the
checks run (here against a dead endpoint, so they are `unavailable`) and the offline diagnosis
is unchanged. Against a recording stand-in (tests/live/fake_aws.py), a paste naming another
account's role costs the server one GetCallerIdentity and nothing else.
"""

from __future__ import annotations

from typing import Any

import pytest

from api.services.api_keys import create_key
from tests.conftest import ClientFactory
from tests.live.fake_aws import ACCOUNT, EXTERNAL_ID, fake_aws
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


# The security review's reproduction (F6): an AssumeRole denial naming another account's role.
CROSS_ACCOUNT = (
    "An error occurred (AccessDenied) when calling the AssumeRole operation: User: arn:aws:iam::999999999999:user/x "
    "is not authorized to perform: sts:AssumeRole on resource: "
    "arn:aws:iam::999999999999:role/OrganizationAccountAccessRole"
)


def _live_client(make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch, endpoint: str) -> tuple[Any, str]:
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    client = make_client(live_checks_enabled=True, live_timeout_seconds=2)
    _, key = create_key(client.app.state.engine, "ide-plugin")  # type: ignore[attr-defined]
    return client, key


def test_another_accounts_role_is_not_read_with_the_servers_credentials(
    make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fake_aws() as (endpoint, received):
        client, key = _live_client(make_client, monkeypatch, endpoint)
        answer = client.post(
            "/v1/diagnose", json={"error": CROSS_ACCOUNT, "live": True}, headers={"Authorization": f"Bearer {key}"}
        )
    assert answer.status_code == 200
    assert [request["Action"] for request in received] == ["GetCallerIdentity"]  # no GetRole
    trust = next(check for check in answer.json()["live"] if check["check"] == "iam get-role (trust policy)")
    assert trust["outcome"] == "refused"
    assert trust["summary"].startswith("The role is in account 999999999999, not in these credentials' account")
    assert EXTERNAL_ID not in answer.text and "trust_policy" not in answer.text


def test_the_servers_own_role_gets_a_verdict_without_its_external_id(
    make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    own_role = CROSS_ACCOUNT.replace("999999999999:role/", f"{ACCOUNT}:role/")
    with fake_aws() as (endpoint, received):
        client, key = _live_client(make_client, monkeypatch, endpoint)
        answer = client.post(
            "/v1/diagnose", json={"error": own_role, "live": True}, headers={"Authorization": f"Bearer {key}"}
        )
    assert [request["Action"] for request in received] == ["GetCallerIdentity", "GetRole"]
    trust = next(check for check in answer.json()["live"] if check["check"] == "iam get-role (trust policy)")
    assert trust["outcome"] == "verified" and trust["details"]["trusts_caller"] == "conditional"
    assert trust["details"]["condition_keys"] == ["sts:ExternalId"]
    assert EXTERNAL_ID not in answer.text and "trust_policy" not in answer.text
