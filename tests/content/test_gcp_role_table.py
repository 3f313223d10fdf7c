"""The permission → roles table, checked against the complete set of Google's role definitions.

content/data/gcp_predefined_roles.json.gz holds every predefined role definition the table was built
from (Google's roles.get answers as copied in iann0036/iam-dataset, at the recorded commit). A row
that names a role which does not hold its permission, a role that could raise its own access when a
narrower one holds the permission, or a level the role cannot be granted on, is a wrong fix step:
these tests fail on it.
"""

from __future__ import annotations

import gzip
import json
import re
from functools import cache
from pathlib import Path
from typing import Any, Final

import pytest
import yaml

from api.catalog import Catalog
from api.live.gcp_match import (
    BASIC_ROLES,
    escalation_powers,
    holders_by_permission,
    lowest_level,
    smallest_roles,
    suggestible_role,
)
from api.services.gcp_roles import PermissionRoles

DATA = Path(__file__).resolve().parents[2] / "content" / "data"
ABOVE_PROJECT = ("organization", "folder", "billing_account")


@cache
def definitions() -> dict[str, Any]:
    """The evidence file: source, commit, date and every role definition."""
    document: dict[str, Any] = json.loads(gzip.decompress((DATA / "gcp_predefined_roles.json.gz").read_bytes()))
    return document


@cache
def role_permissions() -> dict[str, frozenset[str]]:
    return {name: frozenset(role["permissions"]) for name, role in definitions()["roles"].items()}


@pytest.fixture(scope="module")
def table(catalog: Catalog) -> dict[str, PermissionRoles]:
    assert catalog.gcp_roles is not None
    return dict(catalog.gcp_roles.permissions)


def test_the_data_is_complete_current_and_recorded(catalog: Catalog) -> None:
    evidence = definitions()
    assert evidence["source"] == "https://github.com/iann0036/iam-dataset"
    assert re.fullmatch(r"[0-9a-f]{40}", evidence["commit"])
    assert len(evidence["roles"]) >= 2000  # every predefined role, not a hand-picked subset
    roles = catalog.gcp_roles
    assert roles is not None and roles.data_commit == evidence["commit"]
    assert roles.data_date is not None and roles.data_date.isoformat() == evidence["date"]
    assert roles.role_count == len(evidence["roles"])


def test_every_permission_of_every_suggestible_role_has_a_row(table: dict[str, PermissionRoles]) -> None:
    suggestible = {
        permission
        for name, role in definitions()["roles"].items()
        if suggestible_role(name, role["stage"])
        for permission in role["permissions"]
        if re.fullmatch(r"[a-z][A-Za-z0-9]{1,40}(?:\.[A-Za-z0-9]{1,80}){1,4}", permission)
    }
    assert suggestible - set(table) == set()
    assert len(table) >= 10_000


def test_every_listed_role_holds_its_permission(table: dict[str, PermissionRoles]) -> None:
    held = role_permissions()
    unproven = [(p, r) for p, row in table.items() for r in row.roles if p not in held.get(r, frozenset())]
    assert unproven == []


def test_no_escalating_role_is_listed_where_a_narrower_one_holds_the_permission(
    table: dict[str, PermissionRoles],
) -> None:
    held = role_permissions()
    holders = holders_by_permission((name, role["stage"], held[name]) for name, role in definitions()["roles"].items())
    wrong = []
    for permission, row in table.items():
        narrower = [n for n, perms in holders[permission] if not escalation_powers(n, perms) - {permission}]
        escalating = [r for r in row.roles if escalation_powers(r, held[r]) - {permission}]
        if narrower and escalating:
            wrong.append((permission, escalating, narrower[:2]))
    assert wrong == []
    # The cases the reviewers found: IAM admins and owners first where narrow roles exist.
    assert table["cloudbuild.connections.get"].roles[0] == "roles/cloudbuild.connectionViewer"
    assert table["logging.links.get"].roles[0] == "roles/logging.linkViewer"
    assert all(
        not r.startswith("roles/compute.")
        for p, row in table.items()
        if p.startswith("serviceusage.")
        for r in row.roles
    )


def test_no_basic_agent_legacy_or_unstable_role_is_suggested(table: dict[str, PermissionRoles]) -> None:
    stages = {name: role["stage"] for name, role in definitions()["roles"].items()}
    for row in table.values():
        for role in row.roles:
            assert role not in BASIC_ROLES and "serviceagent" not in role.lower() and "legacy" not in role
            assert stages[role] in ("GA", "BETA")


def test_grant_levels_are_ones_the_roles_can_be_granted_on(table: dict[str, PermissionRoles]) -> None:
    held = role_permissions()
    wrong = [
        (permission, row.grant_on, role, level)
        for permission, row in table.items()
        for role in row.roles
        if (level := lowest_level(role, held[role])) is not None and row.grant_on not in ABOVE_PROJECT
    ]
    assert wrong == []


def test_rows_are_the_ranking_of_their_holders(table: dict[str, PermissionRoles]) -> None:
    held = role_permissions()
    holders = holders_by_permission((name, role["stage"], held[name]) for name, role in definitions()["roles"].items())
    sample = sorted(table)[::37]  # a spread over every service; the whole table takes minutes on 2 cores
    wrong = []
    for permission in sample:
        row = table[permission]
        expected = [n for n, _ in smallest_roles(holders[permission], permission=permission, grant_on=row.grant_on)]
        if expected != list(row.roles):
            wrong.append((permission, list(row.roles), expected))
    assert wrong == []


# Google's role reference ("Lowest-level resources where you can grant this role") for 42 roles of
# 11 services, each with the page it was read from: gcp_role_grant_levels.yaml.
GOOGLE_LEVELS: Final[list[dict[str, Any]]] = yaml.safe_load(
    (Path(__file__).parent / "gcp_role_grant_levels.yaml").read_text()
)
# Google's words for the levels above a project; any other (Project, Bucket, Secret, ...) is a project or below it.
_ABOVE: Final = {"Organization": "organization", "Folder": "folder", "Billing Account": "billing_account"}


def _stated(item: dict[str, Any]) -> str | None:
    return next((_ABOVE[level] for level in item["lowest"] if level in _ABOVE), None)


def test_the_reference_sample_is_broad() -> None:
    services = {item["role"].removeprefix("roles/").split(".")[0] for item in GOOGLE_LEVELS}
    stated = [_stated(item) for item in GOOGLE_LEVELS]
    assert len(GOOGLE_LEVELS) >= 40 and len(services) >= 10
    assert {"organization", "folder", "billing_account", None} <= set(stated)
    assert all(item["source"].startswith("https://cloud.google.com/") for item in GOOGLE_LEVELS)


@pytest.mark.parametrize("item", GOOGLE_LEVELS, ids=[item["role"] for item in GOOGLE_LEVELS])
def test_lowest_levels_agree_with_googles_role_reference(item: dict[str, Any]) -> None:
    role = item["role"]
    assert role in role_permissions(), f"{role} is not among the recorded role definitions"
    assert lowest_level(role, role_permissions()[role]) == _stated(item), item["source"]


def test_rows_grant_the_sampled_roles_where_google_allows(table: dict[str, PermissionRoles]) -> None:
    # A role Google grants no lower than an organization, folder or billing account is never bound on a
    # project: its rows name that level (or the organization above a folder or billing account).
    allowed = {"organization": {"organization"}, "folder": {"folder", "organization"},
               "billing_account": {"billing_account", "organization"}}  # fmt: skip
    levels = {item["role"]: _stated(item) for item in GOOGLE_LEVELS}
    wrong = [
        (permission, role, row.grant_on)
        for permission, row in table.items()
        for role in row.roles
        if (level := levels.get(role)) is not None and row.grant_on not in allowed[level]
    ]
    assert wrong == []


@pytest.mark.parametrize(
    ("permission", "first_role", "grant_on"),
    [
        # The roles Google's own guidance names for these denials.
        ("iam.serviceAccounts.getAccessToken", "roles/iam.serviceAccountTokenCreator", "service_account"),
        ("iam.serviceAccounts.actAs", "roles/iam.serviceAccountUser", "service_account"),
        ("serviceusage.services.use", "roles/serviceusage.serviceUsageConsumer", "project"),
        # Billing Account Creator: "Lowest-level resources where you can grant this role: Organization"
        # (https://cloud.google.com/iam/docs/roles-permissions/billing); the account does not exist yet.
        ("billing.accounts.create", "roles/billing.creator", "organization"),
        ("storage.objects.get", "roles/storage.objectViewer", "bucket"),
        ("storage.objects.create", "roles/storage.objectCreator", "bucket"),
        ("secretmanager.versions.access", "roles/secretmanager.secretAccessor", "secret"),
        ("pubsub.topics.publish", "roles/pubsub.publisher", "topic"),
        ("resourcemanager.projects.setIamPolicy", "roles/resourcemanager.projectIamAdmin", "project"),
        # Above the project: a project binding would fail.
        ("resourcemanager.organizations.get", "roles/resourcemanager.organizationViewer", "organization"),
        ("orgpolicy.policy.set", "roles/orgpolicy.policyAdmin", "organization"),
    ],
)
def test_well_known_answers(table: dict[str, PermissionRoles], permission: str, first_role: str, grant_on: str) -> None:
    assert table[permission].roles[0] == first_role
    assert table[permission].grant_on == grant_on
