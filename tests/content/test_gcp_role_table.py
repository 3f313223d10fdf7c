"""The permission → smallest-role table, checked row by row against its evidence.

content/data/gcp_role_evidence.yaml records, for every role the table names, where its definition
was read (Google's role reference as copied in iann0036/iam-dataset, at a commit), its stage, its
size and the table permissions it holds. A row that names a role without that evidence, or in an
order the sizes do not support, is a wrong fix step: these tests fail on it.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from api.catalog import Catalog
from api.live.gcp_match import BASIC_ROLES, smallest_roles

DATA = Path(__file__).resolve().parents[2] / "content" / "data"
EVIDENCE: dict[str, Any] = yaml.safe_load((DATA / "gcp_role_evidence.yaml").read_text(encoding="utf-8"))["roles"]
# The services the issue names, by permission prefix, and a floor for each (their everyday permissions).
SERVICES = {
    "storage": 40, "bigquery": 40, "pubsub": 30, "compute": 100, "container": 50, "secretmanager": 10,
    "run": 20, "cloudfunctions": 10, "artifactregistry": 20, "cloudkms": 20, "iam": 20, "resourcemanager": 10,
    "logging": 20, "monitoring": 20, "aiplatform": 20, "datastore": 10,
}  # fmt: skip


@pytest.fixture(scope="module")
def table(catalog: Catalog) -> dict[str, Any]:
    assert catalog.gcp_roles is not None
    return {name: entry for name, entry in catalog.gcp_roles.permissions.items()}


def test_the_table_covers_the_services_developers_hit(table: dict[str, Any]) -> None:
    assert len(table) >= 400
    per_service = Counter(permission.split(".", 1)[0] for permission in table)
    short = {service: per_service[service] for service, floor in SERVICES.items() if per_service[service] < floor}
    assert not short


def test_every_listed_role_holds_its_permission(table: dict[str, Any]) -> None:
    unproven = [
        (permission, role)
        for permission, entry in table.items()
        for role in entry.roles
        if role not in EVIDENCE or permission not in EVIDENCE[role]["holds"]
    ]
    assert unproven == []


def _held(role: str) -> list[str | int]:
    """A stand-in for the role's permissions: its recorded size, with the setIamPolicy ones it holds."""
    setters: list[str | int] = [p for p in EVIDENCE[role]["holds"] if p.endswith(".setIamPolicy")]
    return setters + list(range(EVIDENCE[role]["permission_count"] - len(setters)))


def test_no_role_that_sets_iam_policy_comes_before_one_that_cannot(table: dict[str, Any]) -> None:
    admins = {role for role, facts in EVIDENCE.items() if any(p.endswith(".setIamPolicy") for p in facts["holds"])}
    first_admin = [
        (permission, entry.roles) for permission, entry in table.items()
        if entry.roles[0] in admins and any(role not in admins for role in entry.roles)
    ]  # fmt: skip
    assert first_admin == []
    assert "roles/bigquery.dataOwner" in admins  # the case the command checker found: it can grant itself anything


def test_roles_are_in_the_order_their_sizes_give(table: dict[str, Any]) -> None:
    misordered = []
    for permission, entry in table.items():
        sized = [(role, _held(role)) for role in entry.roles]
        expected = [name for name, _ in smallest_roles(sized, permission=permission)]
        if expected != list(entry.roles):
            misordered.append((permission, list(entry.roles), expected))
    assert misordered == []


def test_no_basic_agent_legacy_or_unstable_role_is_suggested() -> None:
    for role, evidence in EVIDENCE.items():
        assert role not in BASIC_ROLES and "serviceAgent" not in role and "legacy" not in role
        assert evidence["stage"] in ("GA", "BETA")
        assert re.fullmatch(r"https://github\.com/iann0036/iam-dataset/blob/[0-9a-f]{40}/gcp/roles/[\w.]+\.json",
                            evidence["source"])  # fmt: skip


@pytest.mark.parametrize(
    ("permission", "first_role", "grant_on"),
    [
        # The roles Google's own guidance names for these denials.
        ("iam.serviceAccounts.getAccessToken", "roles/iam.serviceAccountTokenCreator", "service_account"),
        ("iam.serviceAccounts.actAs", "roles/iam.serviceAccountUser", "service_account"),
        ("serviceusage.services.use", "roles/serviceusage.serviceUsageConsumer", "project"),
        # A denied read is answered by a viewer, not by an admin that happens to be smaller.
        ("compute.instances.list", "roles/compute.networkViewer", "project"),
        ("storage.objects.get", "roles/storage.objectViewer", "bucket"),
        # Another service's smaller role is not the answer (Cloud Build's builder can create buckets).
        ("storage.buckets.create", "roles/storage.admin", "project"),
        ("secretmanager.versions.access", "roles/secretmanager.secretAccessor", "secret"),
        ("pubsub.topics.publish", "roles/pubsub.publisher", "topic"),
    ],
)
def test_well_known_answers(table: dict[str, Any], permission: str, first_role: str, grant_on: str) -> None:
    assert table[permission].roles[0] == first_role
    assert table[permission].grant_on == grant_on
