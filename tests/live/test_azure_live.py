"""The Azure live checks, against a local ARM endpoint whose JSON azure-mgmt-authorization parses itself."""

from __future__ import annotations

import builtins
import time
from collections.abc import Iterator
from typing import Any

import pytest

from adapters.registry import diagnose
from api.live.apply import live_checks
from api.live.azure import run_azure_checks
from tests.conftest import ClientFactory
from tests.live.fake_azure import FakeArm, deny_assignment, role_assignment, role_definition

pytest.importorskip("azure.mgmt.authorization")

SUBSCRIPTION = "0b1f6471-1bf0-4dda-aec3-111122223333"
OID = "5f0b2c1e-7a4d-4c3b-9e2f-1a2b3c4d5e6f"
GROUP = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-app"
ACCOUNT = f"{GROUP}/providers/Microsoft.Storage/storageAccounts/stapp"
# source: synthetic (the AuthorizationFailed wording ARM returns, with made-up ids)
PASTE = (
    f"(AuthorizationFailed) The client 'app@contoso.com' with object id '{OID}' does not have authorization to "
    f"perform action 'Microsoft.Storage/storageAccounts/listKeys/action' over scope '{ACCOUNT}' or the scope is "
    "invalid. If access was recently granted, please refresh your credentials."
)
# Built-in roles as ARM returns them (ids and permissions of Reader and Storage Account Contributor).
READER = role_definition(SUBSCRIPTION, "acdd72a7-3385-48ef-bd42-f606fba81ae7", "Reader", ["*/read"], [])
STORAGE_CONTRIBUTOR = role_definition(
    SUBSCRIPTION,
    "17d1049b-9a84-46fb-8f53-869881c3d3ab",
    "Storage Account Contributor",
    ["Microsoft.Storage/storageAccounts/*", "Microsoft.Resources/deployments/*"],
    [],
)


class StaticToken:
    """A TokenCredential (azure.core's protocol): a fixed bearer token, so no sign-in is needed."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken("test-token", int(time.time()) + 3600)


@pytest.fixture
def fake() -> Iterator[FakeArm]:
    server = FakeArm()
    server.role_definitions = [READER, STORAGE_CONTRIBUTOR]
    server.start()
    yield server
    server.stop()


def _client(fake: FakeArm) -> Any:
    from azure.mgmt.authorization import AuthorizationManagementClient

    return AuthorizationManagementClient(StaticToken(), SUBSCRIPTION, base_url=fake.url, retry_total=0)


def _run(fake: FakeArm, facts: dict[str, Any], reason: str, **kwargs: Any) -> dict[str, Any]:
    results = run_azure_checks(facts, reason, client=_client(fake), request_options={"enforce_https": False}, **kwargs)
    return {result.check: result for result in results}


def _denial() -> tuple[dict[str, Any], str]:
    diagnosis = diagnose(PASTE)
    assert diagnosis.reason is not None
    return dict(diagnosis.facts), diagnosis.reason


def test_no_role_that_grants_the_action_verifies_the_missing_grant(fake: FakeArm) -> None:
    fake.role_assignments = [
        role_assignment(GROUP, OID, READER, "a1"),
        # Below the denied scope: it cannot grant anything on the account.
        role_assignment(f"{ACCOUNT}/blobServices/default/containers/c", OID, STORAGE_CONTRIBUTOR, "a2"),
    ]
    facts, reason = _denial()
    by_check = _run(fake, facts, reason, on_server=False)
    roles = by_check["azure role assignments"]
    assert roles.outcome == "verified"
    assert [a["role"] for a in roles.details["assignments"]] == ["Reader"]
    assert by_check["azure deny assignments"].outcome == "verified"
    asked = dict(fake.requests)
    assert asked[f"{ACCOUNT}/providers/Microsoft.Authorization/roleAssignments"] == f"atScope() and assignedTo('{OID}')"
    assert asked[f"{ACCOUNT}/providers/Microsoft.Authorization/denyAssignments"] == "atScope()"
    assert all(header == "Bearer test-token" for header in fake.authorization)


def test_a_deny_assignment_that_covers_the_action_verifies_the_deny(fake: FakeArm) -> None:
    fake.role_assignments = [role_assignment(GROUP, OID, STORAGE_CONTRIBUTOR, "a1")]
    fake.deny_assignments = [deny_assignment(GROUP, "mapp", ["*"], excluded=["11111111-2222-3333-4444-555555555555"])]
    facts, _ = _denial()
    by_check = _run(fake, facts, "azure.authz.deny_assignment", on_server=False)
    deny = by_check["azure deny assignments"]
    assert deny.outcome == "verified"
    assert deny.details["deny_assignments"][0]["scope"] == GROUP
    assert deny.details["deny_assignments"][0]["applies_to"] == "everyone"
    # The grant exists, and the deny overrides it: that is the diagnosis, not a contradiction.
    assert by_check["azure role assignments"].outcome == "verified"


def test_a_deny_assignment_that_excludes_the_principal_does_not_count(fake: FakeArm) -> None:
    fake.deny_assignments = [deny_assignment(GROUP, "mapp", ["*"], excluded=[OID])]
    facts, _ = _denial()
    by_check = _run(fake, facts, "azure.authz.deny_assignment", on_server=False)
    assert by_check["azure deny assignments"].outcome == "contradicted"


def test_a_role_that_grants_the_action_contradicts_and_says_why(fake: FakeArm) -> None:
    fake.role_assignments = [role_assignment(GROUP, OID, STORAGE_CONTRIBUTOR, "a1")]
    facts, reason = _denial()
    roles = _run(fake, facts, reason, on_server=False)["azure role assignments"]
    assert roles.outcome == "contradicted"
    assert "Storage Account Contributor" in roles.summary and "token" in roles.summary


def test_a_contradiction_lowers_the_confidence_through_live_checks(
    fake: FakeArm, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.role_assignments = [role_assignment(GROUP, OID, STORAGE_CONTRIBUTOR, "a1")]
    import api.live.azure as live

    real = live.run_azure_checks
    client = _client(fake)
    monkeypatch.setattr(
        live,
        "run_azure_checks",
        lambda *a, **k: real(*a, **{**k, "client": client, "request_options": {"enforce_https": False}}),
    )
    facts, reason = _denial()
    results, confidence = live_checks("azure", reason, facts, 0.95, on_server=False)
    assert {r["check"]: r["outcome"] for r in results}["azure role assignments"] == "contradicted"
    assert confidence == 0.5


def test_each_role_definition_is_read_once(fake: FakeArm) -> None:
    fake.role_assignments = [
        role_assignment(GROUP, OID, READER, "a1"),
        role_assignment(f"/subscriptions/{SUBSCRIPTION}", OID, READER, "a2"),
    ]
    facts, reason = _denial()
    roles = _run(fake, facts, reason, on_server=False)["azure role assignments"]
    assert [a["scope"] for a in roles.details["assignments"]] == [GROUP, f"/subscriptions/{SUBSCRIPTION}"]
    assert [path for path, _ in fake.requests].count(READER["id"]) == 1


def test_a_check_that_is_itself_denied_says_what_it_needs(fake: FakeArm) -> None:
    # The body ARM returns when the caller may not read role assignments (its documented error shape).
    fake.forbidden = {
        "error": {
            "code": "AuthorizationFailed",
            "message": (
                f"The client 'checker@contoso.com' with object id '{OID}' does not have authorization to perform "
                "action 'Microsoft.Authorization/roleAssignments/read' over scope "
                f"'{ACCOUNT}/providers/Microsoft.Authorization' or the scope is invalid. If access was recently "
                "granted, please refresh your credentials."
            ),
        }
    }
    facts, reason = _denial()
    [result] = _run(fake, facts, reason, on_server=False).values()
    assert result.outcome == "not permitted"
    assert result.needs is not None and "roleAssignments/read" in result.needs
    assert result.denial_reason == "azure.authz.rbac_denied"


def test_a_server_refuses_a_scope_outside_its_own_subscription(fake: FakeArm, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", "99999999-8888-7777-6666-555555555555")
    facts, reason = _denial()
    by_check = _run(fake, facts, reason, on_server=True)
    assert {r.outcome for r in by_check.values()} == {"refused"}
    assert fake.requests == []  # nothing was asked
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", SUBSCRIPTION)
    assert _run(fake, facts, reason, on_server=True)["azure role assignments"].outcome == "verified"


def test_a_server_without_a_configured_subscription_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AZURE_SUBSCRIPTION_ID", raising=False)
    facts, reason = _denial()
    results = run_azure_checks(facts, reason, on_server=True)
    assert [r.outcome for r in results] == ["refused", "refused"]


def test_without_the_sdk_the_check_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_azure(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("azure"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_azure)
    facts, reason = _denial()
    results = run_azure_checks(facts, reason, on_server=False)
    assert [(r.outcome, "not installed" in r.summary) for r in results] == [("unavailable", True)]


def test_a_denial_without_an_object_id_is_not_checked() -> None:
    facts, reason = _denial()
    facts.pop("object_id")  # 'principal' is then the sign-in name, not an object id
    results = run_azure_checks(facts, reason, on_server=False)
    assert results[0].outcome == "unavailable"


def test_the_api_refuses_a_paste_naming_another_subscription(
    make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from api.services.api_keys import create_key

    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", "99999999-8888-7777-6666-555555555555")
    client = make_client(live_checks_enabled=True, live_timeout_seconds=1)
    _, key = create_key(client.app.state.engine, "ide-plugin")  # type: ignore[attr-defined]
    answer = client.post(
        "/v1/diagnose", json={"error": PASTE, "live": True}, headers={"Authorization": f"Bearer {key}"}
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["reason"] == "azure.authz.rbac_denied"
    assert [(check["check"], check["outcome"]) for check in body["live"]] == [
        ("azure role assignments", "refused"),
        ("azure deny assignments", "refused"),
    ]
    assert SUBSCRIPTION in body["live"][0]["summary"] and "your own credentials" in body["live"][0]["summary"]
