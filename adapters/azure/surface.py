"""Azure error documents in their wire shapes: what codes and messages they hold, innermost first.

Shapes read (any of them may arrive parsed, as a JSON string, or embedded in another string):
- ARM / REST: {"error": {"code", "message", "target", "details": [{"code", "message", ...}],
  "additionalInfo": [...], "innererror": {"code": ...}}}; deployments wrap the real code:
  {"code": "DeploymentFailed", "details": [{"code": "Forbidden", "message": "{\\"error\\": {...}}"}]}
- Key Vault: {"error": {"code": "Forbidden", "message": "...", "innererror": {"code": "ForbiddenByRbac"}}}
- Storage: an XML <Error><Code>AuthorizationFailure</Code><Message>...</Message></Error> body
  (read by normalize into Payload.xml) and the x-ms-error-code header
- Table storage / OData: {"odata.error": {"code", "message": {"value"}}}
- Activity Log records: {"caller", "correlationId", "operationName": {"value"}, "resourceId",
  "subscriptionId", "properties": {"statusCode": "Forbidden", "statusMessage": "{\\"error\\": ...}"}}

Readers take `Any`: a field that should hold an object may hold a list, a number or null.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Final

_MAX_NODES: Final = 2000  # a pasted document is small; a hostile one stops being read here
_MAX_EMBEDDED: Final = 64_000  # the longest JSON string parsed again (an Activity Log statusMessage)
_MAX_DEPTH: Final = 24

# Activity Log record fields → fact keys
_RECORD_FIELDS: Final = {
    "caller": "principal",
    "correlationId": "correlation_id",
    "resourceId": "resource",
    "subscriptionId": "subscription_id",
    "tenantId": "tenant",
    "resourceGroupName": "resource_group",
}


@dataclass
class AzureDocument:
    """Codes (innermost first), messages and record fields found in a parsed document."""

    codes: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    record: dict[str, str] = field(default_factory=dict)
    operation: str | None = None

    @property
    def found(self) -> bool:
        """Tell whether the document held anything Azure-shaped."""
        return bool(self.codes or self.record or self.operation)


def read_document(data: Any) -> AzureDocument:
    """Walk a parsed document (any JSON value) and collect what Azure's shapes hold."""
    document = AzureDocument()
    budget = [_MAX_NODES]
    _walk(data, document, 0, budget)
    return document


def _walk(node: Any, document: AzureDocument, depth: int, budget: list[int]) -> None:
    budget[0] -= 1
    if budget[0] < 0 or depth > _MAX_DEPTH:
        return
    if isinstance(node, list):
        for item in node[:200]:
            _walk(item, document, depth + 1, budget)
        return
    if isinstance(node, str):
        _walk_embedded(node, document, depth, budget)
        return
    if not isinstance(node, dict):
        return
    # Children first: the innermost code is the real one (DeploymentFailed wraps Forbidden wraps the
    # JSON of AuthorizationFailed).
    for key, value in list(node.items())[:200]:
        if key in ("code", "Code") and isinstance(value, str):
            continue
        _walk(value, document, depth + 1, budget)
    code = node.get("code", node.get("Code"))
    if isinstance(code, str) and 2 < len(code) < 80 and code[:1].isalpha():
        document.codes.append(code)
    message = node.get("message", node.get("Message"))
    if isinstance(message, dict):  # OData: "message": {"lang": "en-US", "value": "..."}
        message = message.get("value")
    if isinstance(message, str):
        document.messages.append(message[:4000])
    for key, fact in _RECORD_FIELDS.items():
        value = node.get(key)
        if isinstance(value, str) and value and fact not in document.record:
            document.record[fact] = value[:1024]
    operation = node.get("operationName")
    if isinstance(operation, dict):
        operation = operation.get("value")
    if isinstance(operation, str) and operation.startswith("Microsoft.") and document.operation is None:
        document.operation = operation[:256]
    status = node.get("statusCode")
    if isinstance(status, str) and status in ("Forbidden", "Unauthorized"):
        document.codes.append(status)


def _walk_embedded(text: str, document: AzureDocument, depth: int, budget: list[int]) -> None:
    """Parse a string that is itself a JSON error (statusMessage, a deployment detail's message)."""
    stripped = text.strip()
    if len(stripped) > _MAX_EMBEDDED or not stripped.startswith("{") or '"' not in stripped:
        return
    try:
        inner = json.loads(stripped)
    except ValueError:
        return
    _walk(inner, document, depth + 1, budget)
