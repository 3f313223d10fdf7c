"""How the GCP live checks read deny rules, member strings and resource names.

Identifier and permission formats are Google's (deny rules: `SERVICE_FQDN/RESOURCE.ACTION` and
`principal://...` identifiers, https://cloud.google.com/iam/docs/deny-overview and
https://cloud.google.com/iam/docs/principal-identifiers).
"""

from __future__ import annotations

from typing import Any

import pytest

from api.live.gcp_match import deny_rule_applies, full_resource_name, in_project, principal_email, suggestible_role

SA = "deployer@proj-x.iam.gserviceaccount.com"


@pytest.mark.parametrize(
    ("member", "email"),
    [
        ("user:alex@example.com", "alex@example.com"),
        (f"serviceAccount:{SA}", SA),
        (f"projects/-/serviceAccounts/{SA}", SA),
        ("principal://goog/subject/alex@example.com", "alex@example.com"),
        ("alex@example.com", "alex@example.com"),
        ("deleted:user:alex@example.com?uid=123", None),
        ("allUsers", None),
        ("", None),
    ],
)
def test_member_strings_give_their_email(member: str, email: str | None) -> None:
    assert principal_email(member) == email


def _rule(**fields: Any) -> dict[str, Any]:
    return {"denied_principals": ["principalSet://goog/public:all"], **fields}


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (_rule(denied_permissions=["storage.googleapis.com/buckets.delete"]), "certain"),
        (_rule(denied_permissions=["storage.googleapis.com/buckets.*"]), "certain"),
        (_rule(denied_permissions=["storage.googleapis.com/*.delete"]), "certain"),
        (_rule(denied_permissions=["storage.googleapis.com/objects.delete"]), None),
        (_rule(denied_permissions=["compute.googleapis.com/buckets.delete"]), None),
        (
            _rule(
                denied_permissions=["storage.googleapis.com/*"],
                exception_permissions=["storage.googleapis.com/buckets.delete"],
            ),
            None,
        ),
        (
            _rule(
                denied_permissions=["storage.googleapis.com/buckets.delete"],
                exception_principals=[f"principal://iam.googleapis.com/projects/-/serviceAccounts/{SA}"],
            ),
            None,
        ),
        (
            {
                "denied_principals": [f"principal://iam.googleapis.com/projects/-/serviceAccounts/{SA}"],
                "denied_permissions": ["storage.googleapis.com/buckets.delete"],
            },
            "certain",
        ),
        (
            {
                "denied_principals": ["principal://goog/subject/someone@example.com"],
                "denied_permissions": ["storage.googleapis.com/buckets.delete"],
            },
            None,
        ),
        (
            {
                "denied_principals": ["principalSet://goog/group/admins@example.com"],
                "denied_permissions": ["storage.googleapis.com/buckets.delete"],
            },
            "possible",
        ),
        (
            _rule(
                denied_permissions=["storage.googleapis.com/buckets.delete"],
                denial_condition="resource.matchTag('1/env', 'prod')",
            ),
            "possible",
        ),
    ],
)
def test_deny_rules(rule: dict[str, Any], expected: str | None) -> None:
    assert deny_rule_applies(rule, "storage.buckets.delete", SA) == expected


def test_resource_manager_permissions_match_their_api_host() -> None:
    rule = _rule(denied_permissions=["cloudresourcemanager.googleapis.com/projects.delete"])
    assert deny_rule_applies(rule, "resourcemanager.projects.delete", SA) == "certain"


def test_an_unknown_principal_is_only_ever_possibly_denied() -> None:
    rule = _rule(denied_permissions=["storage.googleapis.com/buckets.delete"])
    assert deny_rule_applies(rule, "storage.buckets.delete", None) == "possible"


@pytest.mark.parametrize(
    ("facts", "name"),
    [
        (
            {"resource": "//storage.googleapis.com/projects/_/buckets/b"},
            "//storage.googleapis.com/projects/_/buckets/b",
        ),
        (
            {"resource": "projects/_/buckets/b", "permission": "storage.objects.get"},
            "//storage.googleapis.com/projects/_/buckets/b",
        ),
        (
            {"resource": "projects/p", "permission": "resourcemanager.projects.get"},
            "//cloudresourcemanager.googleapis.com/projects/p",
        ),
        (
            {"resource": "my-bucket", "permission": "storage.objects.get", "project": "p"},
            "//cloudresourcemanager.googleapis.com/projects/p",
        ),
        ({"permission": "storage.objects.get"}, None),
    ],
)
def test_full_resource_names(facts: dict[str, str], name: str | None) -> None:
    assert full_resource_name(facts) == name


@pytest.mark.parametrize(
    ("role", "stage", "ok"),
    [
        ("roles/storage.objectViewer", "GA", True),
        ("roles/owner", "GA", False),
        ("roles/bigquery.serviceAgent", "GA", False),
        ("roles/storage.legacyBucketReader", "GA", False),
        ("roles/x.old", "DEPRECATED", False),
        ("roles/x.preview", "ALPHA", False),
        ("roles/x.beta", "BETA", True),
        ("projects/p/roles/custom", "GA", False),
    ],
)
def test_which_roles_are_suggested(role: str, stage: str, ok: bool) -> None:
    assert suggestible_role(role, stage) is ok


@pytest.mark.parametrize(
    ("name", "inside"),
    [
        ("//cloudresourcemanager.googleapis.com/projects/proj-x", True),
        ("//bigquery.googleapis.com/projects/proj-x/datasets/d/tables/t", True),
        ("//cloudresourcemanager.googleapis.com/projects/proj-xy", False),
        ("//storage.googleapis.com/projects/_/buckets/b", False),  # a bucket's name does not say its project
        ("//bigquery.googleapis.com/projects/proj-x/../other/datasets/d", False),
        ("//bigquery.googleapis.com/projects/proj-x//datasets/d", False),
        ("//cloudresourcemanager.googleapis.com/folders/1/projects/proj-x", False),
        ("projects/proj-x", False),  # not a full resource name
    ],
)
def test_only_names_under_the_project_are_inside_it(name: str, inside: bool) -> None:
    assert in_project(name, "proj-x") is inside
