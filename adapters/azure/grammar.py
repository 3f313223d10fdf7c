"""The sentences Azure writes when it refuses, and the facts they carry.

Every pattern is linear: bounded character classes that cannot overlap their neighbours, no nested
quantifiers. Each pattern quotes a real sample it was written against.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from adapters.lazyre import LazyPattern, lazy_compile

_GUID: Final = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

# "The client 'jane@contoso.com' with object id '8423af7a-778c-4bad-a756-15acd12a3271' does not have
# authorization to perform action 'Microsoft.Resources/subscriptions/resourcegroups/read' over scope
# '/subscriptions/f91b.../resourcegroups/rg1' or the scope is invalid."; also "The client with object id '...'"
_CLIENT = lazy_compile(r"The client (?:'([^'\s]{1,256})' )?with object id '([^'\s]{1,64})'")
# "... perform action 'Microsoft.Storage/storageAccounts/listKeys/action' on scope '/subscriptions/...'"
_ACTION = lazy_compile(r"perform action '([^'\s]{1,256})'")
# "over scope '/subscriptions/0b1f.../resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa'"
# "... at scope '/subscriptions/.../providers/Microsoft.Authorization/roleAssignments/<guid>'" (template deployments)
_SCOPE = lazy_compile(r"(?:over|on|at) scope '([^'\s]{1,1024})'")
# "however, it does not have permission to perform action(s) 'Microsoft.Network/virtualNetworks/subnets/join/action'
# on the linked scope(s) '/subscriptions/.../subnets/default' (respectively) or the linked scope(s) are invalid."
# (older messages say "perform action 'Microsoft.Network/networkSecurityGroups/join/action' on the linked scope(s)")
_LINKED = lazy_compile(r"perform action(?:\(s\))? '([^'\s]{1,1024})' on the linked scope\(s\) '([^'\s]{1,2048})'")
# "because of the deny assignment with name 'System deny assignment created by Azure Databricks /subscriptions/...'
# and Id 'bb83c1f70be4470981c82dbd01457724' at scope '/subscriptions/.../resourceGroups/databricks-rg-x'"
_DENY = lazy_compile(r"deny assignment with name '([^']{1,512})' and Id '([^'\s]{1,128})'")
# Key Vault: "Caller: appid=1950a258-...;oid=66d10cbf-...;iss=https://sts.windows.net/f33abe27-.../"
_APPID_OID = lazy_compile(r"appid=([^;\s']{1,64});oid=([^;\s']{1,64})")
# Key Vault RBAC: "Action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'" and
# "Resource: 'microsoft.keyvault/vaults/kv-demo/secrets/db-password'"
_KV_ACTION = lazy_compile(r"\bAction: '([^'\s]{1,256})'")
_KV_RESOURCE = lazy_compile(r"\bResource: '([^'\s]{1,1024})'")
# Key Vault access policies: "does not have secrets get permission on key vault 'kv-demo;location=eastus'"
_KV_POLICY = lazy_compile(
    r"does not have (secrets|keys|certificates|storage) ([a-z]{1,20}(?: [a-z]{1,20}){0,2}) permission on key vault '([A-Za-z0-9-]{1,64})"
)
# Key Vault: "Vault: kv-demo;location=westeurope"
_VAULT = lazy_compile(r"\bVault: ([A-Za-z0-9-]{3,24});location=")
# Key Vault / Cosmos DB firewall: "Client address: 20.61.1.2", "Request originated from IP 52.1.2.3 through public internet"
_CLIENT_IP = lazy_compile(r"Client address: ([0-9a-fA-F.:]{3,45})|originated from IP ([0-9a-fA-F.:]{3,45})")
# Cosmos DB: "Request is blocked because principal [5bc0...] does not have required RBAC permissions to perform
# action [Microsoft.DocumentDB/databaseAccounts/readMetadata] on resource [/]."
_COSMOS = lazy_compile(
    r"principal \[([^\]\s]{1,64})\] does not have required RBAC permissions to perform action \[([^\]\s]{1,256})\]"
    r"(?: on resource \[([^\]\s]{1,512})\])?"
)
# Service Bus / Event Hubs: "Unauthorized access. 'Send' claim(s) are required to perform this operation.
# Resource: 'sb://contoso.servicebus.windows.net/orders'. TrackingId:1d8f..."
_CLAIMS = lazy_compile(r"'([A-Za-z]{1,16}(?:,[A-Za-z]{1,16}){0,3})' claim\(s\) are required")
_SB_RESOURCE = lazy_compile(r"Resource: '((?:sb|amqps?)://[^'\s]{1,512})'")
_TRACKING = lazy_compile(r"TrackingId:? ?([0-9a-fA-F-]{32,80}(?:_[A-Za-z0-9]{1,16}){0,3})")
# Azure Policy: ids inside "Policy identifiers: '[{\"policyAssignment\":{\"name\":\"...\",\"id\":\"/subscriptions/.../
# providers/Microsoft.Authorization/policyAssignments/abc\"},\"policyDefinition\":{...,\"id\":\"/providers/
# Microsoft.Authorization/policyDefinitions/def\"}}]'"
_POLICY_ASSIGNMENT = lazy_compile(
    r"((?:/subscriptions/" + _GUID + r"(?:/resource[Gg]roups/[^/\s\"'\\]{1,90})?"
    r"|/providers/Microsoft\.Management/managementGroups/[^/\s\"'\\]{1,90})?"
    r"/providers/Microsoft\.Authorization/policyAssignments/[^/\s\"'\\,]{1,128})",
    re.IGNORECASE,
)
_POLICY_DEFINITION = lazy_compile(
    r"((?:/subscriptions/" + _GUID + r"|/providers/Microsoft\.Management/managementGroups/[^/\s\"'\\]{1,90})?"
    r"/providers/Microsoft\.Authorization/policy(?:Set)?Definitions/[^/\s\"'\\,]{1,128})",
    re.IGNORECASE,
)
# "It must match the tenant 'https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/' associated with this subscription."
_MUST_MATCH_TENANT = lazy_compile(r"must match the tenant '?https://sts\.windows\.net/(" + _GUID + ")")
# "iss=https://sts.windows.net/f33abe27-86cd-46d6-ae2b-b918362ab160/", "login.microsoftonline.com/<tenant>/oauth2"
_TENANT_URL = lazy_compile(r"(?:sts\.windows\.net|login\.microsoftonline\.com|login\.windows\.net)/(" + _GUID + ")")
# "AADSTS90002: Tenant '3f4e...' not found.", "in tenant 'contoso.onmicrosoft.com'", "Tenant: 72f9..."
_TENANT_WORD = lazy_compile(r"\b[Tt]enant[ :]{1,2}'?(" + _GUID + r"|[A-Za-z0-9-]{1,63}\.onmicrosoft\.com)")
# "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/rg-app/providers/..."
_SUBSCRIPTION = lazy_compile(r"/subscriptions/(" + _GUID + ")", re.IGNORECASE)
_SUBSCRIPTION_WORD = lazy_compile(r"[Ss]ubscription(?: of)? '(" + _GUID + ")'")
_RESOURCE_GROUP = lazy_compile(r"/resource[Gg]roups/([A-Za-z0-9._()-]{1,90})", re.IGNORECASE)
# "AADSTS7000215: Invalid client secret provided."
_AADSTS = lazy_compile(r"\bAADSTS(\d{5,7})\b")
# "Application with identifier 'a1b2c3d4-...' was not found in the directory 'Contoso'",
# "for a secret added to app 'a1b2...'", "The provided client secret keys for app 'a1b2...' are expired."
_APP_ID = lazy_compile(
    r"(?:[Aa]pplication with identifier|added to app|keys for app|[Cc]lient[ _][Ii][Dd]:?) '?(" + _GUID + ")"
)
# "No matching federated identity record found for presented assertion subject 'repo:org/app:ref:refs/heads/main'."
_SUBJECT = lazy_compile(r"presented assertion subject '([^'\s]{1,512})'")
# "Trace ID: 2b6f... Correlation ID: 7a1c... Timestamp: ..."; "x-ms-correlation-request-id: '3c2e...'";
# "Correlation ID: 3c2e..." (Portal); "correlationId": "3c2e..." (Activity Log)
_CORRELATION = lazy_compile(
    r"(?:[Cc]orrelation[ -]?(?:[Rr]equest[ -])?[Ii][Dd]|correlationId)['\"]?[:=]? {0,2}['\"]?(" + _GUID + ")"
)
# "x-ms-request-id: 'f0e1...'", "RequestId:9a3b...-001e-0075-...\nTime:2024-..." (Storage), "Trace ID: ..." (Entra)
_REQUEST = lazy_compile(
    r"(?:x-ms-request-id|RequestId|[Rr]equest I[Dd]|Trace ID|requestId)['\"]?[:=]? {0,2}['\"]?(" + _GUID + ")"
)
# Storage accounts by their endpoint: "https://mystorage.blob.core.windows.net/container/blob.txt"
_STORAGE_URL = lazy_compile(
    r"https://([a-z0-9]{3,24})\.(?:blob|dfs|queue|table|file)\.core\.windows\.net(/[^\s'\"?<>]{0,512})?"
)
# Key Vault endpoints: "https://kv-demo.vault.azure.net/secrets/db-password/?api-version=7.4"
_VAULT_URL = lazy_compile(r"https://([A-Za-z0-9-]{3,24})\.vault\.azure\.net(/[^\s'\"?<>]{0,512})?")
# HTTP status in SDK renderings: "Status: 403 (This request is not authorized...)" (.NET), "RESPONSE 403: 403
# Forbidden" (Go azcore), "StatusCode=403" (autorest, Terraform), "Status code 403" (Java), "(403)"
# ... and az --debug: "cli.azure.cli.core.sdk.policies: Response status: 403"
_STATUS = lazy_compile(r"(?:\bStatus(?:Code)?[=:] {0,2}|\bRESPONSE |[Ss]tatus code:? |Response status: )(4\d\d)\b")
# Error codes as printed: az "(AuthorizationFailed) The client ..." and "Code: AuthorizationFailed", .NET
# "ErrorCode: AuthorizationPermissionMismatch", Go "ERROR CODE: AuthorizationFailed", autorest/Terraform
# 'Code="AuthorizationFailed"', VS Code Azure extensions "Error type: ExpiredAuthenticationToken", raw JSON '"code": "InvalidAuthenticationToken"', 'InnerError={"code":"ForbiddenByPolicy"}'
_CODE = lazy_compile(
    r"(?:\b[Cc]ode[=:] {0,2}\\?\"?|\bERROR CODE: |\bError type: |\bErrorCode ?[=:] {0,2}\"?|\"(?:code|Code)\\?\": {0,2}\\?\"|^\()([A-Z][A-Za-z]{2,60})\b",
    re.MULTILINE,
)


@dataclass
class AzureFacts:
    """What the words of an Azure failure state; every field optional."""

    values: dict[str, str] = field(default_factory=dict)
    basis: dict[str, str] = field(default_factory=dict)

    def put(self, key: str, value: str | None, basis: str) -> None:
        """Keep the first value found for a key."""
        if value and key not in self.values:
            self.values[key] = value.strip()
            self.basis[key] = basis


# azure-core and az print "ERROR: (InvalidAuthenticationToken) The received ...", "ResourceExistsError:
# (OperationNotAllowed) Operation could not be completed ...", "HttpResponseError: (AuthorizationFailed) The client"
_PAREN_CODE = lazy_compile(r"\b[A-Za-z]{2,60}: \(([A-Z][A-Za-z]{2,60})\) ")


def codes_in(text: str) -> list[str]:
    """Return the error codes the text prints, in order."""
    return [match.group(1) for match in _CODE.finditer(text)] + [m.group(1) for m in _PAREN_CODE.finditer(text)]


def aadsts_codes(text: str) -> list[str]:
    """Return the AADSTS numbers in the text, in order."""
    return [match.group(1) for match in _AADSTS.finditer(text)]


def status_in(text: str) -> int | None:
    """Return the HTTP status an SDK rendering prints, if any."""
    match = _STATUS.search(text)
    return int(match.group(1)) if match else None


def _first(pattern: LazyPattern) -> Callable[[str], str | None]:
    def read(text: str) -> str | None:
        match = pattern.search(text)
        return next((g for g in match.groups() if g), None) if match else None

    return read


def read_facts(text: str) -> AzureFacts:
    """Read the facts an Azure message states (text already flattened and unescaped)."""
    facts = AzureFacts()
    if client := _CLIENT.search(text):
        facts.put("principal", client.group(1) or client.group(2), "the client the message names")
        facts.put("object_id", client.group(2), "the object id the message names")
    if linked := _LINKED.search(text):
        facts.put("linked_action", linked.group(1), "the action on the linked scope")
        facts.put("linked_scope", linked.group(2), "the linked scope")
    facts.put("action", _first(_ACTION)(text), "the action the message names")
    facts.put("resource", _first(_SCOPE)(text), "the scope the message names")
    if deny := _DENY.search(text):
        facts.put("deny_assignment", deny.group(2), f"the deny assignment '{deny.group(1)[:80]}'")
    if kv := _APPID_OID.search(text):
        facts.put("principal", kv.group(2), "the caller's object id (oid)")
        facts.put("object_id", kv.group(2), "the caller's oid")
        facts.put("client_id", kv.group(1), "the caller's appid")
    if kv_policy := _KV_POLICY.search(text):
        facts.put("action", f"{kv_policy.group(1)} {kv_policy.group(2)}", "the Key Vault permission the message names")
        facts.put("key_vault", kv_policy.group(3), "the key vault the message names")
    facts.put("action", _first(_KV_ACTION)(text), "the Key Vault action")
    facts.put("resource", _first(_KV_RESOURCE)(text), "the Key Vault resource")
    facts.put("key_vault", _first(_VAULT)(text), "the vault the message names")
    if cosmos := _COSMOS.search(text):
        facts.put("principal", cosmos.group(1), "the Cosmos DB principal")
        facts.put("object_id", cosmos.group(1), "the Cosmos DB principal")
        facts.put("action", cosmos.group(2), "the Cosmos DB data action")
        facts.put("resource", cosmos.group(3), "the Cosmos DB resource")
    facts.put("claim", _first(_CLAIMS)(text), "the claims the message requires")
    facts.put("resource", _first(_SB_RESOURCE)(text), "the Service Bus resource")
    facts.put("client_ip", _first(_CLIENT_IP)(text), "the client address the firewall saw")
    facts.put("policy_assignment", _first(_POLICY_ASSIGNMENT)(text), "the policy assignment id")
    facts.put("policy_definition", _first(_POLICY_DEFINITION)(text), "the policy definition id")
    facts.put("tenant", _first(_MUST_MATCH_TENANT)(text), "the tenant the subscription belongs to")
    facts.put("tenant", _first(_TENANT_WORD)(text), "the tenant the message names")
    facts.put("tenant", _first(_TENANT_URL)(text), "the token issuer's tenant")
    facts.put("client_id", _first(_APP_ID)(text), "the application the message names")
    facts.put("assertion_subject", _first(_SUBJECT)(text), "the subject of the presented token")
    scope_text = facts.values.get("resource", "") + " " + text
    facts.put("subscription_id", _first(_SUBSCRIPTION)(scope_text), "the subscription in the scope")
    facts.put("subscription_id", _first(_SUBSCRIPTION_WORD)(text), "the subscription the message names")
    facts.put("resource_group", _first(_RESOURCE_GROUP)(scope_text), "the resource group in the scope")
    if aadsts := _AADSTS.search(text):
        facts.put("error_reason", f"AADSTS{aadsts.group(1)}", "the Entra ID error code")
    facts.put("correlation_id", _first(_CORRELATION)(text), "the correlation id")
    facts.put("request_id", _first(_REQUEST)(text), "the request id")
    facts.put("request_id", _first(_TRACKING)(text), "the Service Bus tracking id")
    if storage := _STORAGE_URL.search(text):
        facts.put("storage_account", storage.group(1), "the storage endpoint")
        facts.put("url", storage.group(0), "the storage URL")
    if vault := _VAULT_URL.search(text):
        facts.put("key_vault", vault.group(1), "the vault endpoint")
        facts.put("url", vault.group(0), "the vault URL")
    return facts
