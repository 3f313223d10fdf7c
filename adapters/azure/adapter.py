"""The Azure adapter: ARM, data-plane and Entra ID failures in every rendering, and the layer that said no.

Wire shapes (surface.py reads the documents, grammar.py the sentences):
- az CLI: "(AuthorizationFailed) The client '...' ...\\nCode: AuthorizationFailed\\nMessage: ..." and
  `--debug` lines ("x-ms-correlation-request-id: '...'", "Response status: 403")
- ARM / Bicep deployments: {"code": "DeploymentFailed", "details": [...]} and InvalidTemplateDeployment
  wrapping the real code; Terraform azurerm ('StatusCode=403 -- Original Error: Code="AuthorizationFailed"'),
  Pulumi (the same body after "error:")
- SDKs: Python HttpResponseError / ClientAuthenticationError ("Code: ...", "Message: ..."), .NET
  RequestFailedException ("Status: 403 (...)\\nErrorCode: ..."), JS RestError, Go azcore ResponseError
  ("RESPONSE 403: 403 Forbidden\\nERROR CODE: AuthorizationFailed"), Java HttpResponseException
  ("Status code 403, \\"{...}\\"")
- raw REST JSON bodies with x-ms-* headers, Storage XML bodies, Activity Log records, Portal text
- Entra ID: "AADSTS7000215: Invalid client secret provided. ..." and DefaultAzureCredential chains

Order of trust: the phrases that name a layer other than a missing role (a deny assignment, a linked
scope, Azure Policy, a token from the wrong tenant); the most specific error code (innermost first);
the AADSTS code; the remaining phrases; the generic token codes; a status with an Azure marker last.
"""

from __future__ import annotations

from typing import ClassVar, Final

from adapters.azure.codes import AADSTS, AZURE_MARKERS, CODES, NOT_ACCESS_KIND, PHRASES, WRAPPER_CODES
from adapters.azure.grammar import aadsts_codes, codes_in, read_facts, status_in
from adapters.azure.surface import AzureDocument, read_document
from adapters.base import _CONTROL_CHARACTERS, Category, Diagnosis, FindingsBuilder, Payload
from adapters.lazyre import lazy_compile
from adapters.markers import MarkerSet

PROVIDER: Final = "azure"

CATEGORY_OF: Final[dict[str, Category]] = {
    "azure.authn.missing_credentials": "authentication",
    "azure.authn.invalid_credentials": "authentication",
    "azure.authn.expired_credentials": "authentication",
    "azure.authn.interaction_required": "authentication",
    "azure.authn.wrong_tenant": "authentication",
    "azure.authn.key_auth_disabled": "authentication",
    "azure.authn.federated_credential_mismatch": "authentication",
    "azure.authz.rbac_denied": "authorization",
    "azure.authz.deny_assignment": "authorization",
    "azure.authz.linked_authorization_failed": "authorization",
    "azure.authz.data_plane_denied": "authorization",
    "azure.authz.azure_policy": "authorization",
    "azure.authz.key_vault_access_policy": "authorization",
    "azure.authz.network_rules": "authorization",
}

# Phrases trusted over any code: they name a layer the code alone does not (a deny assignment is
# reported as AuthorizationFailed by some clients; Azure Policy as Forbidden in a deployment).
_LAYER_REASONS: Final = frozenset(
    {"azure.authz.deny_assignment", "azure.authz.linked_authorization_failed", "azure.authz.azure_policy",
     "azure.authn.wrong_tenant"}
)  # fmt: skip
# Codes that only say the token was refused: an AADSTS code or a phrase says more.
_GENERIC_CODES: Final = frozenset({"AuthenticationFailed", "InvalidAuthenticationToken", "InvalidAuthenticationInfo"})
_DATA_PLANE_HOSTS: Final = (".blob.core.", ".dfs.core.", ".queue.core.", ".table.core.", ".file.core.",
                            ".vault.azure.net", ".documents.azure.com", ".servicebus.windows.net")  # fmt: skip
_WS = lazy_compile(r"\s+")
_MARKERS: Final = MarkerSet(AZURE_MARKERS)
_MAX_TEXT: Final = 200_000


class AzureAdapter:
    """Classifies Microsoft Azure and Entra ID authentication and authorization failures."""

    name: ClassVar[str] = PROVIDER

    def parse(self, payload: Payload) -> Diagnosis | None:
        """Classify the payload, or return None when nothing in it is Azure's."""
        document = read_document(payload.data) if payload.data is not None else AzureDocument()
        extra = " ".join(document.messages)
        flat = f"{payload.flat} {extra}" if extra else payload.flat
        flat = _WS.sub(" ", flat.replace('\\"', '"').replace("\\r\\n", " ").replace("\\n", " "))[:_MAX_TEXT]
        header_code = payload.header("x-ms-error-code")
        if not self._is_azure(payload, flat, document, header_code):
            return None
        codes = [*document.codes, *([header_code] if header_code else []), *payload.xml.get("Code", "").split()[:1]]
        codes += codes_in(payload.text[:_MAX_TEXT]) + codes_in(extra)
        found = FindingsBuilder()
        reason, basis, confidence, not_access = _classify(flat, codes)
        if reason is None and not_access is None:
            reason, basis, confidence = _fallback(payload, flat)
        if reason is None and not_access is None:
            return None  # an Azure mention, but no failure Azure's words explain: let http read it
        if reason is not None:
            found.add("reason", reason, "reported" if confidence >= 0.8 else "inferred", basis)
        _add_facts(found, payload, flat, document, codes)
        return Diagnosis(
            provider=PROVIDER,
            reason=reason,
            category=CATEGORY_OF[reason] if reason else "other",
            confidence=confidence,
            findings=found.build(),
            note=None if reason else _note(not_access or ""),
        )

    @staticmethod
    def _is_azure(payload: Payload, flat: str, document: AzureDocument, header_code: str | None) -> bool:
        if payload.provider_hint == PROVIDER:
            return True
        if header_code or payload.header("x-ms-request-id") or payload.header("x-ms-correlation-request-id"):
            return True
        if _MARKERS.found(flat):
            return True
        return any(code in CODES and CODES[code] is not None for code in document.codes)


def _classify(text: str, codes: list[str]) -> tuple[str | None, str, float, str | None]:
    """Return (reason, basis, confidence, not-access code) from the phrases and codes."""
    phrase_hits = [(pattern.search(text), reason) for pattern, reason in PHRASES]
    for match, reason in phrase_hits:
        if match is not None and reason in _LAYER_REASONS:
            return reason, f'the words "{match.group(0)[:80]}"', 0.95, None
    for code in codes:
        code_reason = CODES.get(code)
        if code_reason is not None and code not in _GENERIC_CODES:
            return code_reason, f"the error code {code}", 0.95, None
    for number in aadsts_codes(text):
        if number in AADSTS:
            aad_reason = AADSTS[number]
            if aad_reason is None:
                return None, "", 0.85, f"AADSTS{number}"
            return aad_reason, f"the Entra ID error AADSTS{number}", 0.9, None
    for match, reason in phrase_hits:
        if match is not None:
            return reason, f'the words "{match.group(0)[:80]}"', 0.9, None
    for code in codes:
        if code in _GENERIC_CODES:
            return CODES[code], f"the error code {code}", 0.85, None
    if aadsts := aadsts_codes(text):
        return "azure.authn.invalid_credentials", f"the Entra ID error AADSTS{aadsts[0]}", 0.6, None
    for code in codes:
        if code in NOT_ACCESS_KIND:
            return None, "", 0.85, code
    return None, "", 0.0, None


def _fallback(payload: Payload, text: str) -> tuple[str | None, str, float]:
    """A bare status from an Azure endpoint: the least that can be said."""
    status = payload.status_code or status_in(text)
    data_plane = any(host in text for host in _DATA_PLANE_HOSTS)
    if status == 403 or " 403 Forbidden" in text:
        if data_plane:
            return "azure.authz.data_plane_denied", "a 403 from an Azure data-plane endpoint", 0.55
        return "azure.authz.rbac_denied", "an Azure 403 with no code that says more", 0.5
    if status == 401:
        return "azure.authn.invalid_credentials", "an Azure 401 with no code that says more", 0.5
    return None, "", 0.0


def _add_facts(found: FindingsBuilder, payload: Payload, text: str, document: AzureDocument, codes: list[str]) -> None:
    facts = read_facts(text)
    for key, value in facts.values.items():
        found.add(key, value, "reported", facts.basis[key])
    for key, value in document.record.items():
        found.add(key, value, "reported", "the Activity Log record")
    found.add("action", document.operation, "reported", "the Activity Log operation")
    code = next((c for c in codes if c in CODES and c not in WRAPPER_CODES), None) or next(iter(codes), None)
    found.add("code", code, "reported", "the error code")
    found.add("status_code", payload.status_code or status_in(text), "reported", "the HTTP status")
    found.add("request_id", payload.header("x-ms-request-id"), "reported", "the x-ms-request-id header")
    found.add("correlation_id", payload.header("x-ms-correlation-request-id"), "reported", "the correlation header")


def _note(code: str) -> str:
    what = code.translate(_CONTROL_CHARACTERS) or "this error"
    kind = NOT_ACCESS_KIND.get(code, "")
    why = {
        "rate_limit": "a throttling response: wait for the Retry-After interval and retry",
        "quota": "a quota or capacity limit: request more quota or choose another size or region",
        "not_found": "the resource, resource group or subscription does not exist under this name (or in this tenant)",
        "conflict": "the resource already exists or is in a conflicting state",
        "provider_not_registered": "the resource provider is not registered in the subscription",
    }.get(kind, "a sign-in configuration or request error, not a missing role or credential")
    return f"{what} is an Azure error, but not an access failure: {why}."
