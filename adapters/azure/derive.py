"""Values Azure commands need, derived from stated facts: the smallest built-in role for an action,
and the names inside a policy assignment id. Pure string work; every pattern anchored and bounded.

The role table holds common actions only; each role name is a built-in role of Azure RBAC
(https://learn.microsoft.com/en-us/azure/role-based-access-control/built-in-roles), and
tests/adapters/test_azure_roles_hold_actions.py checks against Azure's own role definitions
(content/data/azure_builtin_roles.json.gz) that each suggested role grants the action it is given for. An action not in
the table gets no role, and the entry says how to find one (`az role definition list`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from adapters.lazyre import LazyPattern, lazy_compile

# (action pattern, the smallest built-in role that holds it), first match wins; patterns are
# matched case-insensitively against the whole action.
_ROLE_TABLE: Final[tuple[tuple[LazyPattern, str], ...]] = tuple(
    (lazy_compile(pattern, re.IGNORECASE), role)
    for pattern, role in (
        # Storage data plane
        (r"Microsoft\.Storage/storageAccounts/blobServices/containers/blobs/read", "Storage Blob Data Reader"),
        (r"Microsoft\.Storage/storageAccounts/blobServices/containers/blobs/[a-z/]{1,40}",
         "Storage Blob Data Contributor"),
        (r"Microsoft\.Storage/storageAccounts/queueServices/queues/messages/read", "Storage Queue Data Reader"),
        (r"Microsoft\.Storage/storageAccounts/queueServices/queues/messages/add/action",
         "Storage Queue Data Message Sender"),
        (r"Microsoft\.Storage/storageAccounts/queueServices/[a-z/]{1,60}", "Storage Queue Data Contributor"),
        (r"Microsoft\.Storage/storageAccounts/tableServices/tables/entities/read", "Storage Table Data Reader"),
        (r"Microsoft\.Storage/storageAccounts/tableServices/[a-z/]{1,60}", "Storage Table Data Contributor"),
        (r"Microsoft\.Storage/storageAccounts/listKeys/action", "Reader and Data Access"),
        # Key Vault data plane (RBAC permission model): before the generic read, which is the control plane's
        (r"Microsoft\.KeyVault/vaults/secrets/(?:getSecret/action|readMetadata/action)", "Key Vault Secrets User"),
        (r"Microsoft\.KeyVault/vaults/secrets/[A-Za-z/]{1,60}", "Key Vault Secrets Officer"),
        (r"Microsoft\.KeyVault/vaults/keys/(?:read|[a-z]{1,20}/action)", "Key Vault Crypto User"),
        (r"Microsoft\.KeyVault/vaults/keys/[A-Za-z/]{1,60}", "Key Vault Crypto Officer"),
        (r"Microsoft\.KeyVault/vaults/certificates/read", "Key Vault Certificate User"),
        (r"Microsoft\.KeyVault/vaults/certificates/[A-Za-z/]{1,60}", "Key Vault Certificates Officer"),
        # Roles narrower than Reader for a read they hold
        (r"Microsoft\.ContainerRegistry/registries/pull/read", "AcrPull"),
        (r"Microsoft\.ContainerRegistry/registries/push/write", "AcrPush"),
        # Any other read (control plane): Reader
        (r"Microsoft\.[A-Za-z]{1,60}/[A-Za-z/]{0,200}/read", "Reader"),
        (r"Microsoft\.Storage/storageAccounts/[A-Za-z/]{1,80}", "Storage Account Contributor"),
        (r"Microsoft\.KeyVault/vaults/[A-Za-z/]{1,60}", "Key Vault Contributor"),
        # Registries, clusters, networks, compute, web
        (r"Microsoft\.ContainerService/managedClusters/listClusterUserCredential/action",
         "Azure Kubernetes Service Cluster User Role"),
        (r"Microsoft\.Network/[A-Za-z/]{1,120}", "Network Contributor"),
        (r"Microsoft\.Compute/virtualMachines/[A-Za-z/]{1,80}", "Virtual Machine Contributor"),
        (r"Microsoft\.Web/sites/[A-Za-z/]{1,80}", "Website Contributor"),
        (r"Microsoft\.Authorization/roleAssignments/(?:write|delete)", "Role Based Access Control Administrator"),
    )
)  # fmt: skip

# "/subscriptions/<id>/providers/Microsoft.Authorization/policyAssignments/<name>", also at a
# resource group or a management group
_ASSIGNMENT: Final = lazy_compile(
    r"^(/(?:subscriptions|providers/Microsoft\.Management/managementGroups)/[^/\s]{1,90}(?:/resourceGroups/[^/\s]{1,90})?)"
    r"/providers/Microsoft\.Authorization/policyAssignments/([^/\s]{1,128})$",
    re.IGNORECASE,
)
_DEFINITION: Final = lazy_compile(
    r"/providers/Microsoft\.Authorization/policy(Set)?Definitions/([^/\s]{1,128})$", re.IGNORECASE
)
_ARM_SCOPE: Final = lazy_compile(r"^/(?:subscriptions|providers)/[^\s]{1,2048}$")


def role_for(action: str) -> str | None:
    """Return the smallest built-in role that holds the action, if the table knows one."""
    return next((role for pattern, role in _ROLE_TABLE if pattern.fullmatch(action)), None)


def azure_derived(facts: Mapping[str, str | int]) -> dict[str, str]:
    """Return the Azure values commands need (see taxonomy.yaml `derived`)."""
    derived: dict[str, str] = {}
    action = str(facts.get("action", ""))
    if action.startswith(("Microsoft.", "microsoft.")) and (role := role_for(action)):
        derived["azure_role"] = role
    linked = str(facts.get("linked_action", "")).split(",")[0].strip()
    if linked and (role := role_for(linked)):
        derived["linked_role"] = role
    resource = str(facts.get("resource", ""))
    if _ARM_SCOPE.match(resource):
        derived["scope"] = resource
    linked_scope = str(facts.get("linked_scope", "")).split(",")[0].strip()
    if _ARM_SCOPE.match(linked_scope):
        derived["first_linked_scope"] = linked_scope
    if match := _ASSIGNMENT.match(str(facts.get("policy_assignment", ""))):
        derived["policy_assignment_scope"], derived["policy_assignment_name"] = match.groups()
    if match := _DEFINITION.search(str(facts.get("policy_definition", ""))):
        derived["policy_definition_name"] = match.group(2)
        derived["policy_definition_kind"] = "set" if match.group(1) else "definition"
    return derived
