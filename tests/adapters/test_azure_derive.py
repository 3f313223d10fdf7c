"""Azure values commands need, derived from stated facts: the smallest built-in role and policy names."""

from __future__ import annotations

import pytest

from adapters.azure.derive import azure_derived, role_for
from adapters.derived import derived_facts


@pytest.mark.parametrize(
    ("action", "role"),
    [
        ("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read", "Storage Blob Data Reader"),
        ("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write", "Storage Blob Data Contributor"),
        ("Microsoft.KeyVault/vaults/secrets/getSecret/action", "Key Vault Secrets User"),
        ("Microsoft.KeyVault/vaults/secrets/setSecret/action", "Key Vault Secrets Officer"),
        ("Microsoft.Network/virtualNetworks/subnets/join/action", "Network Contributor"),
        ("Microsoft.Resources/subscriptions/resourcegroups/read", "Reader"),
        ("Microsoft.Storage/storageAccounts/read", "Reader"),  # a control-plane read needs no write role
        ("Microsoft.Storage/storageAccounts/write", "Storage Account Contributor"),
        ("Microsoft.Authorization/roleAssignments/write", "Role Based Access Control Administrator"),
        ("Microsoft.ContainerRegistry/registries/pull/read", "AcrPull"),
    ],
)
def test_the_smallest_built_in_role_holds_the_action(action: str, role: str) -> None:
    assert role_for(action) == role


def test_an_action_outside_the_table_gets_no_role() -> None:
    assert role_for("Microsoft.Sql/servers/write") is None


def test_scope_and_roles_come_from_the_stated_action_and_scope() -> None:
    scope = "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/rg/providers/Microsoft.Web/sites/app"
    derived = derived_facts({"action": "Microsoft.Web/sites/write", "resource": scope})
    assert derived["azure_role"] == "Website Contributor"
    assert derived["scope"] == scope
    # a Key Vault data-plane resource is not an ARM id on its own: no scope is made up for it
    assert "scope" not in azure_derived({"resource": "sb://ns.servicebus.windows.net/orders"})


def test_policy_assignment_and_definition_names_and_scopes() -> None:
    derived = azure_derived(
        {
            "policy_assignment": "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/providers/"
            "Microsoft.Authorization/policyAssignments/deny-public-ip",
            "policy_definition": "/providers/Microsoft.Authorization/policySetDefinitions/1f3afdf9",
        }
    )
    assert derived["policy_assignment_name"] == "deny-public-ip"
    assert derived["policy_assignment_scope"] == "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333"
    assert (derived["policy_definition_name"], derived["policy_definition_kind"]) == ("1f3afdf9", "set")
