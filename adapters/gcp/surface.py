"""Read Google's error envelope from any rendering: status, message, ErrorInfo, legacy reasons.

Wire shapes:
    {"error": {"code": 403, "message": "...", "status": "PERMISSION_DENIED",
               "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "...",
                            "domain": "...", "metadata": {"permission": "...", ...}}]}}
    {"error": {"code": 403, "errors": [{"reason": "forbidden", "message": "..."}]}}   (legacy)
    Cloud Audit Log entries: {"protoPayload": {"status": {"code": 7, ...}, "authorizationInfo": [...]}}
Printed shapes (gRPC, api_core, googleapiclient, Go googleapi, gcloud) are read from the text by
the labels they print (`reason:`, `metadata`, `StatusCode.X`, `code = X desc =`, `Error 403:`).
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Final

from adapters.gcp.codes import ERROR_REASONS, LEGACY_REASONS, STATUS_NAMES
from adapters.gcp.identity import identity_findings
from adapters.lazyre import lazy_compile

_MAX_NODES: Final = 600
_CANONICAL: Final = frozenset(STATUS_NAMES.values())
_HTTP_OF_STATUS: Final = {"PERMISSION_DENIED": 403, "UNAUTHENTICATED": 401, "NOT_FOUND": 404, "RESOURCE_EXHAUSTED": 429}

# An ErrorInfo reason anywhere in the text: reason: "IAM_PERMISSION_DENIED" / reason = SERVICE_DISABLED
_REASON_WORD = lazy_compile(r"\b([A-Z][A-Z0-9_]{5,60})\b")
# Status names as printed: "StatusCode.PERMISSION_DENIED", "PERMISSION_DENIED:", "status: PERMISSION_DENIED"
_STATUS_NAME = lazy_compile(
    r"\b(PERMISSION_DENIED|UNAUTHENTICATED|FAILED_PRECONDITION|RESOURCE_EXHAUSTED|NOT_FOUND|INVALID_ARGUMENT"
    r"|ALREADY_EXISTS|DEADLINE_EXCEEDED|UNAVAILABLE)\b"
)
# Go gRPC: "rpc error: code = PermissionDenied desc = ..."; Ruby: "GRPC::PermissionDenied"
_GO_GRPC = lazy_compile(r"code = ([A-Za-z]{3,40}) desc = |GRPC::([A-Za-z]{3,40})")
# HTTP status as clients print it: "googleapi: Error 403:", "<HttpError 403 when", "Forbidden: 403 GET",
# "ResponseError: code=403", "status=[403]", "HTTP Error: 403", "AccessDeniedException: 403", '"code": 403'
_HTTP_STATUS = lazy_compile(
    r"googleapi: Error (\d{3})|HTTPError (\d{3})|exceptions\.[A-Za-z]{3,40}: (\d{3})\b|ResponseError: code=(\d{3})"
    r"|status=\[(\d{3})\]|HTTP Error: (\d{3})|AccessDeniedException: (\d{3})|\"code\": ?(\d{3})\b|Error (\d{3}) \("
    r"|\b(\d{3}) (?:Forbidden|Unauthorized|Bad Request)\b|\[(\d{3})\] Errors|Exception: (\d{3})\b|ERROR: (\d{3}):"
    r"|HttpError (\d{3})|\bstatus: (\d{3})\b|^(\d{3}): |Status Code: (\d{3})\b|\b(\d{3}) (?:PERMISSION_DENIED|UNAUTHENTICATED)\b"
    r"|status_code: (\d{3})\b|code = (\d{3});|Error code (\d{3})\b|\. \[(\d{3})\]|\., (\d{3})$|^(\d{3}) - "
    r"|\((\d{3})\) |(?:PermissionDenied|Forbidden|Unauthenticated|Unauthorized|NotFound|TooManyRequests"
    r"|ResourceExhausted): (\d{3})\b|\bcode: (\d{3}),|(\d{3}) Precondition Failed|\bstatus=(\d{3})\b"
    r"|\b([45]\d{2}):? (?=Permission |The caller|Request |Quota |Rate |Forbidden|Precondition|Unauthorized)",
    re.MULTILINE,
)
# Legacy reason after the message: "googleapi: Error 403: ..., forbidden"; ', "reason": "forbidden"'
_LEGACY = lazy_compile(
    r"(?:[,\"'] ?|: |Reason: )(?:reason\"?: ?\"?)?(forbidden|insufficientPermissions|accessNotConfigured|accessDenied"
    r"|authError|required|keyInvalid|ipRefererBlocked|rateLimitExceeded|userRateLimitExceeded|quotaExceeded|notFound"
    r"|conditionNotMet|failedPrecondition|accountDisabled|duplicate|alreadyExists|badRequest|notAuthorized"
    r"|dailyLimitExceededUnreg|dailyLimitExceeded)\b"
)
# Container registries: "DENIED: Permission ..."; {"errors":[{"code":"DENIED", ...}]}; YAML "code: ZONE_..._EXHAUSTED"
_REGISTRY_CODE = lazy_compile(
    r"\b(DENIED|UNAUTHORIZED): |\"code\": ?\"(DENIED|UNAUTHORIZED)\"|\bcode: ([A-Z][A-Z_]{3,60})\b"
)
# Metadata printed as key/value: permission: "x", 'service': 'x', method = "x", consumer: "projects/1"
_META = lazy_compile(
    r"[\"']?(permission|service|method|consumer|uid|vpcServiceControlsUniqueIdentifier|vpcServiceControlsUniqueId"
    r"|errorInfoId|error_info_id|containerInfo|serviceTitle|activationUrl|principal|fullResourceName)[\"']?\s?[:=]\s?[\"']?([^\"'\s,}\]]{1,300})"
)
# .NET RequestError: "Errors [ Message[...] Location[ - ] Reason[productNotCompatibleWithDevice] Domain[...] ]"
_DOTNET_REASON = lazy_compile(r"Reason\[([A-Za-z]{3,60})\]")
# Protobuf text format of ErrorInfo metadata: 'metadata { key: "service" value: "pubsub.googleapis.com" }'
_PROTO_META = lazy_compile(r"key: \"([A-Za-z_]{2,60})\"\s{0,20}value: \"([^\"]{1,300})\"")
_REQUEST_ID = lazy_compile(r"(?:request[_ ]?id|requestId|x-goog-request-id)[\"']?\s?[:=]\s?[\"']?([A-Za-z0-9-]{8,100})")


@dataclass(frozen=True)
class GoogleError:
    """Google's error envelope: what the payload states, field by field."""

    status: str | None = None  # PERMISSION_DENIED, UNAUTHENTICATED, ...
    http_status: int | None = None
    message: str | None = None
    error_reason: str | None = None  # ErrorInfo.reason
    legacy_reason: str | None = None  # errors[].reason
    registry_code: str | None = None  # Docker registry / YAML code: DENIED, UNAUTHORIZED, ZONE_..._EXHAUSTED
    metadata: dict[str, str] = field(default_factory=dict)
    principal: str | None = None  # audit log: authenticationInfo.principalEmail
    permission: str | None = None  # audit log: authorizationInfo[].permission (granted: false)
    resource: str | None = None
    operation: str | None = None
    service: str | None = None
    request_id: str | None = None
    identity: tuple[tuple[str, str, str], ...] = ()  # audit log: key name, impersonation chain (gcp/identity.py)
    basis: str = "the error text"


def read_google_error(text: str, data: Any) -> GoogleError | None:
    """Return Google's error envelope from the parsed body or the text, or None."""
    structured = _from_audit_log(data) or _from_status(data)
    printed = _from_text(text)
    if structured is None:
        return printed
    if printed is None:
        return structured
    # The parsed body wins; the text fills what it lacks (a body inside a traceback).
    return GoogleError(
        **{
            name: getattr(structured, name) or getattr(printed, name)
            for name in (
                "registry_code",
                "status",
                "http_status",
                "message",
                "error_reason",
                "legacy_reason",
                "principal",
                "permission",
                "resource",
                "operation",
                "service",
                "request_id",
            )
        },
        metadata={**printed.metadata, **structured.metadata},
        identity=structured.identity,
        basis=structured.basis,
    )


def _from_status(data: Any) -> GoogleError | None:
    if not isinstance(data, dict):
        return None
    error = data.get("error") if isinstance(data.get("error"), dict) else data
    if not isinstance(error, dict) or not ({"status", "details", "errors"} & set(error) or "code" in error):
        return None
    # A string that is a canonical code: not "Unauthorized" or "401", and not an object or list (a real audit
    # record may put one there; hashing it for the set lookup raised TypeError, a 500).
    raw_status = error.get("status")
    status = raw_status if isinstance(raw_status, str) and raw_status in _CANONICAL else None
    code = error.get("code")
    if status is None and isinstance(code, int) and code in STATUS_NAMES and code < 100:
        status = STATUS_NAMES[code]  # gRPC JSON: {"code": 7, "message": ...}
    http_status = code if isinstance(code, int) and code >= 100 else None
    info = _error_info(error.get("details"))
    legacy = None
    if isinstance(error.get("errors"), list):
        legacy = next(
            (e["reason"] for e in error["errors"][:20] if isinstance(e, dict) and isinstance(e.get("reason"), str)),
            None,
        )
    if status is None and info is None and legacy is None:
        return None  # {"code": 401, "message": ...} alone is any API's body, not necessarily Google's
    reason = info.get("reason") if info else None
    metadata: dict[str, Any] = info["metadata"] if info and isinstance(info.get("metadata"), dict) else {}
    return GoogleError(
        status=status,
        http_status=http_status,
        message=error.get("message") if isinstance(error.get("message"), str) else None,
        error_reason=reason if isinstance(reason, str) else None,
        legacy_reason=legacy,
        metadata={str(k): str(v) for k, v in metadata.items() if isinstance(v, str | int)},
        basis="the Google error body",
    )


def _error_info(details: Any) -> dict[str, Any] | None:
    if not isinstance(details, list):
        return None
    for detail in details[:20]:
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("google.rpc.ErrorInfo"):
            return detail
    return None


def _from_audit_log(data: Any) -> GoogleError | None:
    """Read a Cloud Audit Log entry (alone, in a list, or under "entries"): the failed one."""
    entries: list[Any]
    if isinstance(data, list):
        entries = data[:200]
    elif isinstance(data, dict) and isinstance(data.get("entries"), list):
        entries = data["entries"][:200]
    else:
        entries = [data]
    for entry in entries:
        payload = entry.get("protoPayload") if isinstance(entry, dict) else None
        if not isinstance(payload, dict):
            continue
        status: dict[str, Any] = payload["status"] if isinstance(payload.get("status"), dict) else {}
        code = status.get("code")
        # proto3 JSON omits false booleans: an authorizationInfo without "granted" was not granted.
        infos: list[Any] = payload["authorizationInfo"] if isinstance(payload.get("authorizationInfo"), list) else []
        denied = [a for a in infos[:50] if isinstance(a, dict) and not a.get("granted")]
        if not code and not denied:
            continue
        authn: dict[str, Any] = (
            payload["authenticationInfo"] if isinstance(payload.get("authenticationInfo"), dict) else {}
        )
        metadata: dict[str, Any] = payload["metadata"] if isinstance(payload.get("metadata"), dict) else {}
        meta = {str(k): str(v) for k, v in metadata.items() if isinstance(v, str | int)}
        details = status.get("details")
        info = _error_info(details) if isinstance(details, list) else None
        first: dict[str, Any] = denied[0] if denied else {}
        return GoogleError(
            status=STATUS_NAMES.get(code) if isinstance(code, int) else None,
            message=_text(status.get("message")),
            error_reason=_text((info or {}).get("reason")) or _violation_reason(meta),
            metadata=meta,
            principal=_text(authn.get("principalEmail")) or _text(authn.get("principalSubject")),
            permission=_text(first.get("permission")),
            resource=_text(first.get("resource")) or _text(payload.get("resourceName")),
            operation=_text(payload.get("methodName")),
            service=_text(payload.get("serviceName")),
            identity=identity_findings(authn),
            basis="the Cloud Audit Log entry",
        )
    return None


def _text(value: Any) -> str | None:
    """A field that should hold text: a record may put an object, a list or a number there instead."""
    return value if isinstance(value, str) and value else None


def _violation_reason(meta: dict[str, str]) -> str | None:
    # VPC Service Controls audit entries: metadata.violationReason + vpcServiceControlsUniqueId
    return "SECURITY_POLICY_VIOLATED" if "violationReason" in meta or "vpcServiceControlsUniqueId" in meta else None


def _from_text(text: str) -> GoogleError | None:
    reason = next((w for w in _REASON_WORD.findall(text) if w in ERROR_REASONS), None)
    status_match = _STATUS_NAME.search(text)
    status = status_match.group(1) if status_match else None
    if status is None and (grpc := _GO_GRPC.search(text)) is not None:
        status = _grpc_name(grpc.group(1) or grpc.group(2))
    http = _HTTP_STATUS.search(text)
    http_status = int(next(g for g in http.groups() if g)) if http else None
    legacy = _LEGACY.search(text)
    metadata: dict[str, str] = {}
    for match in _META.finditer(text):
        metadata.setdefault(match.group(1), match.group(2).rstrip(".,;:)"))
    for match in _PROTO_META.finditer(text):
        metadata.setdefault(match.group(1), match.group(2))
    request_id = _REQUEST_ID.search(text)
    registry = _REGISTRY_CODE.search(text)
    dotnet = _DOTNET_REASON.search(text)
    if not (reason or status or http_status or legacy or metadata or registry):
        return None
    return GoogleError(
        status=status,
        http_status=http_status or _HTTP_OF_STATUS.get(status or ""),
        error_reason=reason,
        legacy_reason=(legacy.group(1) if legacy and legacy.group(1) in LEGACY_REASONS else None)
        or (dotnet.group(1) if dotnet else None),
        registry_code=next((g for g in registry.groups() if g), None) if registry else None,
        metadata=metadata,
        request_id=request_id.group(1) if request_id else None,
        basis="the printed Google error",
    )


def _grpc_name(camel: str) -> str | None:
    """PermissionDenied -> PERMISSION_DENIED (gRPC's Go and Ruby spellings of google.rpc.Code)."""
    snake = re.sub(r"(?<!^)([A-Z])", r"_\1", camel).upper()
    return snake if snake in STATUS_NAMES.values() else None


def walk_strings(data: Any) -> deque[str]:
    """Return the string leaves of a JSON value, breadth first, bounded (for message phrases)."""
    out: deque[str] = deque()
    queue: deque[Any] = deque([data])
    seen = 0
    while queue and seen < _MAX_NODES:
        node = queue.popleft()
        seen += 1
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, dict):
            queue.extend(node.values())
        elif isinstance(node, list):
            queue.extend(node[:50])
    return out
