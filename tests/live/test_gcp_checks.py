"""GCP live checks against a local gRPC stand-in of Google's APIs (tests/live/fake_google.py).

The payload is a real BigQuery denial (source below); the scenarios decide what Google would say:
which roles hold the permission, which deny policies sit on the project, its folder and its
organization, and what Policy Troubleshooter concludes. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.cloud import policytroubleshooter_iam_v3 as pt

from api.live.apply import live_checks
from api.live.gcp import DENY_CHECK, ROLES_CHECK, TROUBLESHOOTER_CHECK
from api.live.gcp_clients import EMULATOR_ENV
from tests.live.fake_google import FakeGoogle, deny_policy, role

# source: https://github.com/r-dbi/bigrquery/issues/237
BIGQUERY_DENIAL = (
    "Error: Access Denied: Project proj-x: The user mymail@domain.name does not have bigquery.jobs.create "
    "permission in project proj-x."
)
FACTS = {"permission": "bigquery.jobs.create", "principal": "mymail@domain.name", "project": "proj-x"}
REASON = "gcp.authz.iam_permission_denied"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def google(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGoogle]:
    fake = FakeGoogle(
        roles=[
            role("roles/owner", ["bigquery.jobs.create", "bigquery.datasets.get"]),  # basic: never suggested
            role("roles/bigquery.admin", ["bigquery.jobs.create", "bigquery.datasets.get", "bigquery.tables.get"]),
            role("roles/bigquery.serviceAgent", ["bigquery.jobs.create"]),  # a service agent's: never suggested
            role("roles/bigquery.jobUser", ["bigquery.jobs.create", "resourcemanager.projects.get"]),
            role("roles/bigquery.user", ["bigquery.jobs.create", "bigquery.datasets.create", "bigquery.jobs.list"]),
            role("roles/storage.objectViewer", ["storage.objects.get", "storage.objects.list"]),
        ],
        parents={"projects/proj-x": "folders/111", "folders/111": "organizations/222"},
    )
    monkeypatch.setenv(EMULATOR_ENV, fake.start())
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "proj-x")  # the credentials' own project, as google.auth finds it
    yield fake
    fake.stop()


def _run(
    reason: str = REASON, facts: dict[str, Any] | None = None, *, on_server: bool = True
) -> tuple[dict[str, dict[str, Any]], float]:
    checks, confidence = live_checks(
        "gcp",
        reason,
        facts or FACTS,
        0.9,
        timeout=5,
        guidance={"role_suggestion": {"roles": ["roles/bigquery.jobUser"]}},
        on_server=on_server,
    )
    return {check["check"]: check for check in checks}, confidence


def test_roles_are_the_smallest_predefined_ones_holding_the_permission(google: FakeGoogle) -> None:
    checks, _ = _run()
    roles = checks[ROLES_CHECK]
    assert roles["outcome"] == "verified"
    assert [r["role"] for r in roles["details"]["roles"]] == [
        "roles/bigquery.jobUser", "roles/bigquery.admin", "roles/bigquery.user",
    ]  # fmt: skip
    assert "roles/owner" not in roles["summary"] and "serviceAgent" not in roles["summary"]
    assert "suggests roles/bigquery.jobUser too" in roles["summary"]
    request = google.called("QueryGrantableRoles")[0]
    assert request.full_resource_name == "//cloudresourcemanager.googleapis.com/projects/proj-x"
    assert len(google.called("QueryGrantableRoles")) == 3  # six roles, two a page: the pager followed the tokens


def test_a_deny_rule_on_the_organization_is_found_and_names_the_layer(google: FakeGoogle) -> None:
    google.deny_policies["organizations/222"] = [
        deny_policy("organizations/222", "no-bq-jobs", {
            "denied_principals": ["principal://goog/subject/mymail@domain.name"],
            "denied_permissions": ["bigquery.googleapis.com/jobs.create"],
        }),
    ]  # fmt: skip
    checks, confidence = _run()
    deny = checks[DENY_CHECK]
    assert deny["outcome"] == "verified" and deny["details"]["layer"] == "gcp.authz.deny_policy"
    assert deny["details"]["checked"] == ["projects/proj-x", "folders/111", "organizations/222"]
    assert "no-bq-jobs" in deny["summary"] and "no role grant fixes this" in deny["summary"]
    assert confidence == 0.99
    # Rules are read from each policy (the list holds metadata only).
    assert [r.name for r in google.called("GetPolicy")] == [google.deny_policies["organizations/222"][0].name]


def test_rules_that_do_not_apply_leave_the_missing_grant_as_the_cause(google: FakeGoogle) -> None:
    google.deny_policies["projects/proj-x"] = [
        deny_policy("projects/proj-x", "others", {
            "denied_principals": ["principal://goog/subject/someone-else@domain.name"],
            "denied_permissions": ["bigquery.googleapis.com/jobs.create"],
        }, {
            "denied_principals": ["principalSet://goog/public:all"],
            "denied_permissions": ["bigquery.googleapis.com/tables.delete"],
        }, {
            "denied_principals": ["principalSet://goog/public:all"],
            "denied_permissions": ["bigquery.googleapis.com/jobs.*"],
            "exception_principals": ["principal://goog/subject/mymail@domain.name"],
        }),
    ]  # fmt: skip
    checks, _ = _run()
    deny = checks[DENY_CHECK]
    assert deny["outcome"] == "verified" and deny["details"]["matches"] == []
    assert "a role grant (below) is the fix" in deny["summary"]


def test_a_group_rule_may_apply_and_says_so(google: FakeGoogle) -> None:
    google.deny_policies["folders/111"] = [
        deny_policy("folders/111", "contractors", {
            "denied_principals": ["principalSet://goog/group/contractors@domain.name"],
            "denied_permissions": ["bigquery.googleapis.com/*"],
        }),
    ]  # fmt: skip
    deny = _run()[0][DENY_CHECK]
    assert deny["outcome"] == "simulated" and deny["details"]["matches"][0]["match"] == "possible"
    assert "confirm with Policy Troubleshooter" in deny["summary"]


def test_a_deny_policy_diagnosis_without_a_deny_rule_is_contradicted(google: FakeGoogle) -> None:
    checks, confidence = _run("gcp.authz.deny_policy")
    assert checks[DENY_CHECK]["outcome"] == "contradicted" and confidence == 0.5


def test_a_denied_check_says_what_it_needed_and_reads_its_own_denial(google: FakeGoogle) -> None:
    google.denied["ListPolicies"] = "iam.denypolicies.list"
    deny = _run()[0][DENY_CHECK]
    assert deny["outcome"] == "not permitted"
    assert "iam.denypolicies.list" in deny["needs"] and deny["denial_reason"] == "gcp.authz.iam_permission_denied"


def test_an_unreadable_hierarchy_checks_the_project_and_says_what_was_left(google: FakeGoogle) -> None:
    google.denied["GetProject"] = "resourcemanager.projects.get"
    deny = _run()[0][DENY_CHECK]
    assert deny["details"]["checked"] == ["projects/proj-x"]
    assert deny["outcome"] == "unavailable" and "folders and organization were not read" in deny["summary"]


def test_troubleshooter_verdicts(google: FakeGoogle) -> None:
    google.troubleshooter = pt.TroubleshootIamPolicyResponse(
        overall_access_state="CANNOT_ACCESS",
        allow_policy_explanation=pt.AllowPolicyExplanation(allow_access_state="ALLOW_ACCESS_STATE_NOT_GRANTED"),
        deny_policy_explanation=pt.DenyPolicyExplanation(deny_access_state="DENY_ACCESS_STATE_NOT_DENIED"),
    )
    checks, confidence = _run()
    verdict = checks[TROUBLESHOOTER_CHECK]
    assert verdict["outcome"] == "simulated" and verdict["details"]["allow"] == "NOT_GRANTED"
    tuple_sent = google.called("TroubleshootIamPolicy")[0].access_tuple
    assert (tuple_sent.principal, tuple_sent.permission) == ("mymail@domain.name", "bigquery.jobs.create")
    assert tuple_sent.full_resource_name == "//cloudresourcemanager.googleapis.com/projects/proj-x"

    google.troubleshooter = pt.TroubleshootIamPolicyResponse(overall_access_state="CAN_ACCESS")
    checks, confidence = _run()
    assert checks[TROUBLESHOOTER_CHECK]["outcome"] == "contradicted" and confidence == 0.5
    assert "another identity" in checks[TROUBLESHOOTER_CHECK]["summary"]


def test_reasons_without_a_permission_get_no_calls(google: FakeGoogle) -> None:
    checks, confidence = _run("gcp.authz.insufficient_scopes", {"project": "proj-x"})
    assert [c["outcome"] for c in checks.values()] == ["unavailable"] and confidence == 0.9
    assert google.calls == []


def test_a_server_refuses_a_project_other_than_its_own(google: FakeGoogle) -> None:
    checks, confidence = _run(facts={**FACTS, "project": "someone-elses"})
    assert {name: check["outcome"] for name, check in checks.items()} == {
        ROLES_CHECK: "refused", DENY_CHECK: "refused", TROUBLESHOOTER_CHECK: "refused",
    }  # fmt: skip
    assert google.calls == [] and confidence == 0.9
    assert checks[DENY_CHECK]["summary"].startswith(
        "The project someone-elses is not in the server's project proj-x: not checked"
    )
    assert checks[DENY_CHECK]["details"] == {"target": "someone-elses", "credentials_project": "proj-x"}


@pytest.mark.parametrize(
    "resource",
    [
        "//storage.googleapis.com/projects/_/buckets/their-bucket",  # the name does not say its project
        "//bigquery.googleapis.com/projects/someone-elses/datasets/d",
        "//bigquery.googleapis.com/projects/proj-x/../someone-elses/datasets/d",
        "projects/someone-elses/topics/t",
    ],
)
def test_a_server_troubleshoots_no_resource_outside_its_project(google: FakeGoogle, resource: str) -> None:
    checks, _ = _run(facts={**FACTS, "resource": resource})
    assert checks[TROUBLESHOOTER_CHECK]["outcome"] == "refused"
    assert google.called("TroubleshootIamPolicy") == []
    assert checks[ROLES_CHECK]["outcome"] == "verified"  # the project itself is the server's own


def test_a_server_troubleshoots_a_resource_inside_its_project(google: FakeGoogle) -> None:
    resource = "//bigquery.googleapis.com/projects/proj-x/datasets/d"
    checks, _ = _run(facts={**FACTS, "resource": resource})
    assert checks[TROUBLESHOOTER_CHECK]["outcome"] != "refused"
    assert google.called("TroubleshootIamPolicy")[0].access_tuple.full_resource_name == resource


def test_a_server_whose_credentials_name_no_project_checks_nothing(
    google: FakeGoogle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT")
    monkeypatch.delenv("GCLOUD_PROJECT", raising=False)
    checks, _ = _run()
    assert {check["outcome"] for check in checks.values()} == {"refused"} and google.calls == []
    assert "they name none" in checks[ROLES_CHECK]["summary"]


def test_the_users_own_credentials_may_check_any_project(google: FakeGoogle) -> None:
    checks, _ = _run(facts={**FACTS, "project": "another-of-mine"}, on_server=False)
    assert "refused" not in {check["outcome"] for check in checks.values()}
    assert google.called("QueryGrantableRoles")[0].full_resource_name.endswith("/projects/another-of-mine")


def _explain_live(env: dict[str, str]) -> tuple[dict[str, Any], int]:
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "explain", "--json", "--live", "--live-timeout", "2"],
        input=BIGQUERY_DENIAL, capture_output=True, text=True, cwd=ROOT, env=env, timeout=120, check=False,
    )  # fmt: skip
    return json.loads(done.stdout), done.returncode


def test_cli_with_an_unreachable_endpoint_keeps_the_whole_offline_diagnosis() -> None:
    env = {**os.environ, EMULATOR_ENV: "127.0.0.1:9"}  # nothing listens on the discard port
    answer, code = _explain_live(env)
    assert code == 0 and answer["reason"] == REASON and answer["confidence"] >= 0.9
    assert answer["guidance"]["role_suggestion"]["roles"][0] == "roles/bigquery.jobUser"
    outcomes = {check["check"]: check["outcome"] for check in answer["live"]}
    assert outcomes[ROLES_CHECK] == outcomes[TROUBLESHOOTER_CHECK] == "unavailable"
    assert outcomes[DENY_CHECK] == "unavailable"


def test_cli_without_google_credentials_says_so() -> None:
    env = {k: v for k, v in os.environ.items() if k != EMULATOR_ENV}
    env |= {"GOOGLE_APPLICATION_CREDENTIALS": "/nonexistent/key.json", "HOME": "/nonexistent"}
    answer, code = _explain_live(env)
    assert code == 0 and answer["guidance"]["fix"]
    assert [c["check"] for c in answer["live"]] == ["google credentials"]
    assert answer["live"][0]["outcome"] == "unavailable"


def test_cli_says_when_a_live_check_found_another_layer(google: FakeGoogle) -> None:
    google.deny_policies["projects/proj-x"] = [
        deny_policy("projects/proj-x", "no-bq-jobs", {
            "denied_principals": ["principalSet://goog/public:all"],
            "denied_permissions": ["bigquery.googleapis.com/jobs.create"],
        }),
    ]  # fmt: skip
    env = {**os.environ, "NO_COLOR": "1"}  # the fixture put the stand-in's address in the environment
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "explain", "--live"],
        input=BIGQUERY_DENIAL, capture_output=True, text=True, cwd=ROOT, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0
    assert "live  iam deny policies: verified" in done.stdout
    assert "the layer that denied is gcp.authz.deny_policy: the grant suggested above will not help" in done.stdout
