"""Every Azure built-in role whydenied suggests exists and holds the action it is suggested for.

Evidence: content/data/azure_builtin_roles.json.gz, Azure's built-in role definitions as
`az role definition list` returns them (iann0036/iam-dataset, commit recorded in the file). Azure's
matching: `*` in an action pattern matches any characters, case-insensitively; an action in
notActions (notDataActions for data actions) is taken away. Actions come from every Azure paste the
project holds (fixtures, corpus, entry examples), plus the table's own typical actions.
"""

from __future__ import annotations

import gzip
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from adapters.azure.derive import role_for

ROOT = Path(__file__).resolve().parents[2]
# Data actions are the data plane's (blobs, secrets, messages); the rest are control-plane actions.
_DATA_ACTION = re.compile(
    r"^Microsoft\.(?:Storage/storageAccounts/(?:blob|queue|table|file)Services/.+/(?:blobs|messages|entities|files)/|"
    r"KeyVault/vaults/(?:secrets|keys|certificates)/|ServiceBus/|EventHub/|DocumentDB/databaseAccounts/readMetadata|"
    r"DocumentDB/databaseAccounts/sqlDatabases/containers/)",
    re.IGNORECASE,
)
TYPICAL_ACTIONS = (
    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
    "Microsoft.Storage/storageAccounts/listKeys/action",
    "Microsoft.Resources/subscriptions/resourceGroups/read",
    "Microsoft.Network/virtualNetworks/subnets/join/action",
    "Microsoft.Compute/virtualMachines/start/action",
    "Microsoft.Web/sites/write",
    "Microsoft.Authorization/roleAssignments/write",
    "Microsoft.KeyVault/vaults/secrets/getSecret/action",
    "Microsoft.KeyVault/vaults/keys/decrypt/action",
    "Microsoft.KeyVault/vaults/certificates/read",
    "Microsoft.ContainerRegistry/registries/pull/read",
    "Microsoft.ContainerService/managedClusters/listClusterUserCredential/action",
    "Microsoft.Storage/storageAccounts/queueServices/queues/messages/add/action",
    "Microsoft.Storage/storageAccounts/tableServices/tables/entities/read",
)


@cache
def definitions() -> dict[str, dict[str, list[str]]]:
    raw = json.loads(gzip.decompress((ROOT / "content" / "data" / "azure_builtin_roles.json.gz").read_bytes()))
    roles: dict[str, dict[str, list[str]]] = raw["roles"]
    return roles


def _matches(patterns: list[str], action: str) -> bool:
    return any(re.fullmatch(re.escape(p).replace(r"\*", ".*"), action, re.IGNORECASE) for p in patterns)


def holds(role: str, action: str) -> bool:
    """Does the built-in role grant the action (Azure's wildcard and notActions semantics)?"""
    body = definitions()[role]
    allow, deny = ("dataActions", "notDataActions") if _DATA_ACTION.match(action) else ("actions", "notActions")
    return _matches(body[allow], action) and not _matches(body[deny], action)


def _actions_in(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("action", "linked_action") and isinstance(value, str):
                found.update(part.strip() for part in value.split(",") if part.strip().startswith("Microsoft."))
            else:
                found |= _actions_in(value)
    elif isinstance(node, list):
        for value in node:
            found |= _actions_in(value)
    return found


def azure_actions() -> list[str]:
    actions = set(TYPICAL_ACTIONS)
    for path in [*ROOT.glob("tests/corpus/azure/*.yaml"), *ROOT.glob("content/azure/*.yaml")]:
        actions |= _actions_in(yaml.safe_load(path.read_text(encoding="utf-8")))
    return sorted(actions)


def test_the_evidence_is_azures_whole_built_in_role_list() -> None:
    assert len(definitions()) >= 500
    assert holds("Reader", "Microsoft.Resources/subscriptions/resourceGroups/read")
    assert not holds("Reader", "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read")


@pytest.mark.parametrize("action", azure_actions())
def test_the_suggested_role_holds_the_action(action: str) -> None:
    role = role_for(action)
    if role is None:
        pytest.skip("no suggestion for this action: the entry tells how to find one")
    assert role in definitions(), f"{role} is not an Azure built-in role"
    assert holds(role, action), f"{role} does not grant {action}"
