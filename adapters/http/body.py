"""Read the structured error bodies APIs return: OAuth, GraphQL, Slack, vendor error codes.

Wire shapes, each seen in real responses:
    {"error": "invalid_client", "error_description": "Client authentication failed"}  (RFC 6749 §5.2)
    {"error": "insufficient_scope", "error_description": "...", "scope": "api"}           (GitLab)
    {"ok": false, "error": "missing_scope", "needed": "chat:write", "provided": "..."}    (Slack)
    {"errors": [{"type": "FORBIDDEN", "message": "..."}]}                                 (GitHub GraphQL)
    {"errors": [{"message": "...", "extensions": {"code": "UNAUTHENTICATED"}}]}           (Apollo)
    {"error": {"type": "invalid_request_error", "code": "invalid_api_key"}}               (OpenAI)
The body's fields are gathered by a bounded walk of the parsed JSON, or, when the body was
truncated or printed as a Python dict (`{'error': 'missing_scope'}`), by a flat key/value scan
of the text. Free-text messages are left to the phrase table.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any, Final

from adapters.lazyre import lazy_compile

_MAX_NODES: Final = 400

# The keys whose first value is kept, compared case-insensitively.
_KEYS: Final = frozenset(
    {
        "error", "error_description", "code", "type", "errorcode", "error_code", "needed",
        "scope", "www-authenticate", "x-github-request-id", "x-request-id", "request_id",
        "requestid", "ok",
    }
)  # fmt: skip

# 'error': 'missing_scope' / "errorCode":"insufficient_scope" / errorCode: E0000011;
_LOOSE_FIELD = lazy_compile(
    r"(?<![A-Za-z_-])[\"']?([A-Za-z][A-Za-z_-]{0,40})[\"']? ?[:=] ?"
    r"(?:[\"']([^\"'\n]{1,300})[\"']|([A-Za-z0-9_.:-]{1,100}))"
)

# OAuth (RFC 6749 §5.2, RFC 6750 §3.1) `error` values → reason.
OAUTH_ERRORS: Final[dict[str, str]] = {
    "invalid_token": "http.authn.invalid_credentials",
    "invalid_request": "http.authn.invalid_credentials",
    "invalid_client": "http.authn.invalid_credentials",
    "invalid_grant": "http.authn.invalid_credentials",
    "unauthorized_client": "http.authz.forbidden",
    "insufficient_scope": "http.authz.insufficient_scope",
    "access_denied": "http.authz.forbidden",
}
# Slack Web API `error` values (https://api.slack.com/web#errors) → reason.
SLACK_ERRORS: Final[dict[str, str]] = {
    "not_authed": "http.authn.missing_credentials",
    "invalid_auth": "http.authn.invalid_credentials",
    "token_revoked": "http.authn.invalid_credentials",
    "token_expired": "http.authn.invalid_credentials",
    "account_inactive": "http.authn.invalid_credentials",
    "missing_scope": "http.authz.insufficient_scope",
    "not_allowed_token_type": "http.authz.forbidden",
    "no_permission": "http.authz.forbidden",
}
# GraphQL `type` / `extensions.code`, and vendor error codes, → reason.
_CODES: Final[dict[str, str]] = {
    "FORBIDDEN": "http.authz.forbidden",
    "UNAUTHENTICATED": "http.authn.missing_credentials",
    "UNAUTHORIZED": "http.authz.forbidden",
    "INSUFFICIENT_SCOPES": "http.authz.insufficient_scope",
    "insufficient_scope": "http.authz.insufficient_scope",  # Auth0 errorCode
    "invalid_api_key": "http.authn.invalid_credentials",  # OpenAI
    "authentication_error": "http.authn.invalid_credentials",  # Anthropic
    "permission_error": "http.authz.forbidden",  # Anthropic
}


@dataclass(frozen=True)
class BodySignal:
    """What a structured error body states: maybe a reason, and the facts it carries."""

    reason: str | None
    code: str | None
    error_reason: str | None
    required_scope: str | None
    request_id: str | None
    challenge: str | None  # a WWW-Authenticate value found inside a logged response object
    basis: str


def read_body(data: Any, text: str) -> BodySignal | None:
    """Return what the error body states, or None when it has none of the known fields."""
    fields = _walk(data) if isinstance(data, dict | list) else {}
    for key, value in _loose_fields(text).items():
        fields.setdefault(key, value)
    if not fields:
        return None
    reason, code, error_reason, basis = _reason_of(fields)
    required_scope = fields.get("needed") or (fields.get("scope") if reason and "scope" in reason else None)
    signal = BodySignal(
        reason=reason,
        code=code,
        error_reason=error_reason,
        required_scope=required_scope,
        request_id=fields.get("x-github-request-id")
        or fields.get("x-request-id")
        or fields.get("request_id")
        or fields.get("requestid"),
        challenge=fields.get("www-authenticate"),
        basis=basis,
    )
    return signal if any((signal.reason, signal.code, signal.request_id, signal.challenge)) else None


def _reason_of(fields: dict[str, str]) -> tuple[str | None, str | None, str | None, str]:
    """Return (reason, code, error_reason, basis) from the body's code fields."""
    error = fields.get("error")
    if error is not None:
        if error.lower() in SLACK_ERRORS and fields.get("ok", "false").lower() in ("false", "0"):
            return SLACK_ERRORS[error.lower()], error, None, f'the Slack error "{error}"'
        if error.lower() in OAUTH_ERRORS:
            return (
                OAUTH_ERRORS[error.lower()],
                None,
                error,
                f'the OAuth error "{error}" in the body',
            )
    for key in ("code", "errorcode", "error_code", "type"):
        value = fields.get(key)
        if value is not None and value in _CODES:
            return _CODES[value], value, None, f'the error code "{value}" in the body'
    for key in ("errorcode", "error_code", "code"):
        value = fields.get(key)
        if value is not None and not value.isdigit():
            return None, value, None, "the error code in the body"
    return None, None, None, "the error body"


def _walk(data: dict[str, Any] | list[Any]) -> dict[str, str]:
    """Collect the first scalar value of each known key, breadth first, bounded."""
    fields: dict[str, str] = {}
    queue: deque[Any] = deque([data])
    visited = 0
    while queue and visited < _MAX_NODES:
        node = queue.popleft()
        visited += 1
        if isinstance(node, dict):
            for key, value in node.items():
                name = str(key).lower()
                if isinstance(value, dict | list):
                    queue.append(value)
                elif name in _KEYS and name not in fields and value is not None:
                    fields[name] = str(value).strip()[:512]
        elif isinstance(node, list):
            queue.extend(node[:50])
    return fields


def _loose_fields(text: str) -> dict[str, str]:
    """Collect `key: value` pairs of known keys from text that is not parseable JSON."""
    fields: dict[str, str] = {}
    for match in _LOOSE_FIELD.finditer(text):
        name = match.group(1).lower()
        value = (match.group(2) or match.group(3) or "").strip()
        # "Error code: 401 - {'code': 'invalid_api_key'}": a word beats a number for a code
        if name in _KEYS and (name not in fields or (fields[name].isdigit() and not value.isdigit())):
            fields[name] = value
    return fields


# GitHub GraphQL: "requires one of the following scopes: ['read:org']"; Auth0: "Insufficient
# scope, expected any of: read:users,read:current_user"
_REQUIRED_SCOPES = lazy_compile(
    r"requires one of the following scopes: \[([^\]]{1,300})\]|expected any of: ([A-Za-z0-9:_.,/-]{1,300})"
)


def required_scope_in_text(text: str) -> str | None:
    """Return the scope a message says is required, or None."""
    match = _REQUIRED_SCOPES.search(text)
    if match is None:
        return None
    return (match.group(1) or match.group(2)).replace("'", "").replace('"', "").strip()
