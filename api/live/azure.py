"""Live checks for an Azure RBAC denial: read the role and deny assignments at the denied scope.

For `AuthorizationFailed` (a missing grant), a deny assignment, or `LinkedAuthorizationFailed`, the
facts name the principal's object id, the action and the scope. Two read-only ARM calls answer it:
the role assignments that apply to the principal there (`atScope() and assignedTo('<oid>')`, which
also counts the groups it is in; any below the scope are dropped, they do not reach it) with each one's role
definition, and the deny assignments at or above the scope (`atScope()`). A deny assignment that
covers the action confirms a deny; no role that grants the action confirms a missing grant; a role
that grants it contradicts the diagnosis (an assignment newer than the caller's token, or a
different identity made the call).

On a server the checks stay inside the credential's own subscription (AZURE_SUBSCRIPTION_ID, the
variable the Azure SDKs read): a scope elsewhere is refused, as for AWS accounts and GCP projects.
azure-identity and azure-mgmt-authorization are imported here, lazily, never on the diagnose path.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

from api.live.outcome import CheckResult

ROLE_CHECK: Final = "azure role assignments"
DENY_CHECK: Final = "azure deny assignments"
_REASONS: Final = frozenset(
    {"azure.authz.rbac_denied", "azure.authz.deny_assignment", "azure.authz.linked_authorization_failed"}
)
_GUID: Final = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_SUBSCRIPTION: Final = re.compile(r"^/subscriptions/([0-9a-fA-F-]{36})(?:/|$)", re.IGNORECASE)
_EVERYONE: Final = "00000000-0000-0000-0000-000000000000"  # the SystemDefined principal of most deny assignments
_MAX_ITEMS: Final = 500  # assignments read per list: bounds the time spent on a huge tenant
_NEEDS: Final = "Microsoft.Authorization/roleAssignments/read, roleDefinitions/read and denyAssignments/read"


def run_azure_checks(
    facts: Mapping[str, Any],
    reason: str | None,
    *,
    timeout: float = 5.0,
    on_server: bool = True,
    client: Any = None,
    request_options: Mapping[str, Any] | None = None,
) -> list[CheckResult]:
    """Read the assignments for the denial; `client` is an AuthorizationManagementClient (tests).

    `request_options` go with every call (the tests' plain-HTTP fake server needs enforce_https=False).
    """
    principal, action, scope = _denied(facts, reason)
    if reason not in _REASONS or not (principal and action and scope):
        summary = "needs an Azure RBAC denial that names the principal's object id, the action and the scope"
        return [CheckResult(ROLE_CHECK, "unavailable", summary)]
    subscription = (_SUBSCRIPTION.match(scope) or [None, None])[1]
    own = os.environ.get("AZURE_SUBSCRIPTION_ID") or None
    if on_server and (subscription is None or own is None or subscription.lower() != own.lower()):
        whose = f"the server's subscription {own}" if own else "a subscription of the server's (none is configured)"
        why = (
            f"The scope {scope} is not in {whose}: not checked (a server checks only its own subscription; "
            "`whydenied explain --live` uses your own credentials)."
        )
        details = {"target": scope, "credentials_subscription": own}
        return [CheckResult(ROLE_CHECK, "refused", why, details), CheckResult(DENY_CHECK, "refused", why, details)]
    try:
        from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
    except ImportError:
        return [CheckResult(ROLE_CHECK, "unavailable", "azure-identity and azure-mgmt-authorization are not installed")]
    if client is None:
        try:
            client = _client(subscription or own or _EVERYONE)
        except ImportError:
            summary = "azure-identity and azure-mgmt-authorization are not installed"
            return [CheckResult(ROLE_CHECK, "unavailable", summary)]
    options = {"connection_timeout": timeout, "read_timeout": timeout, **(request_options or {})}
    try:
        return [
            _role_assignments(client, principal, action, scope, reason, options),
            _deny_assignments(client, principal, action, scope, reason, options),
        ]
    except ClientAuthenticationError as exc:
        return [CheckResult(ROLE_CHECK, "unavailable", f"no usable Azure credential ({_first_line(exc)})")]
    except HttpResponseError as exc:
        if exc.status_code in (401, 403):
            from adapters.registry import diagnose  # the check's own denial, read as any pasted one

            reading = diagnose(f"{exc.status_code} {str(exc.message or '')[:4000]}", provider="azure")
            summary = f"Azure Resource Manager refused to list the assignments ({exc.status_code}); it needs {_NEEDS}"
            return [CheckResult(ROLE_CHECK, "not permitted", summary, needs=_NEEDS, denial_reason=reading.reason)]
        return [CheckResult(ROLE_CHECK, "unavailable", f"Azure Resource Manager answered {exc.status_code}")]
    except Exception as exc:  # unreachable endpoint, timeout, TLS
        return [CheckResult(ROLE_CHECK, "unavailable", f"Azure Resource Manager did not answer ({type(exc).__name__})")]
    finally:
        close = getattr(client, "close", None)
        if callable(close):
            close()


def _denied(facts: Mapping[str, Any], reason: str | None) -> tuple[str, str, str]:
    """The principal's object id, the denied action and its scope (the linked one for a linked failure)."""
    principal = next(
        (str(v) for v in (facts.get("object_id"), facts.get("principal")) if v and _GUID.match(str(v))), ""
    )
    if reason == "azure.authz.linked_authorization_failed" and facts.get("linked_action"):
        return principal, str(facts.get("linked_action")), str(facts.get("linked_scope") or "").rstrip("/")
    return principal, str(facts.get("action") or ""), str(facts.get("resource") or "").rstrip("/")


def _client(subscription: str) -> Any:
    from azure.identity import DefaultAzureCredential
    from azure.mgmt.authorization import AuthorizationManagementClient

    # No retries: a check that cannot reach ARM says so within its timeout instead of backing off.
    return AuthorizationManagementClient(DefaultAzureCredential(), subscription, retry_total=0)


def _role_assignments(
    client: Any, principal: str, action: str, scope: str, reason: str | None, options: dict[str, Any]
) -> CheckResult:
    # atScope() and assignedTo(): at or above the scope, the principal's own and its groups' (transitively);
    # https://learn.microsoft.com/en-us/azure/role-based-access-control/role-assignments-list-rest
    wanted = f"atScope() and assignedTo('{principal}')"
    found = client.role_assignments.list_for_scope(scope, filter=wanted, **options)
    granting, held = [], []
    roles: dict[str, Any] = {}  # one read per role definition, however many scopes assign it
    for assignment in _bounded(found):
        where = str(assignment.scope or "")
        if where.lower().startswith(scope.lower() + "/"):
            continue  # below the denied scope (atScope() should not return it): it does not reach it
        role_id = str(assignment.role_definition_id or "")
        if role_id not in roles:
            roles[role_id] = client.role_definitions.get_by_id(role_id, **options)
        role = roles[role_id]
        entry = {"role": role.role_name, "scope": where, "principal_id": assignment.principal_id}
        held.append(entry)
        if any(_grants(permission, action) for permission in role.permissions or []):
            granting.append(entry)
    details = {"principal": principal, "action": action, "scope": scope, "assignments": held[:50]}
    if granting:
        named = ", ".join(f"{g['role']} at {g['scope']}" for g in granting[:3])
        if reason == "azure.authz.deny_assignment":
            summary = f"{named} grants {action}; a deny assignment overrides it"
            return CheckResult(ROLE_CHECK, "verified", summary, details)
        summary = (
            f"{named} grants {action} to {principal} at this scope now: the assignment is newer than the "
            "caller's token (role changes take up to 10 minutes, longer for a managed identity's cached "
            "token; sign in again or get a new token), or another identity made the call"
        )
        return CheckResult(ROLE_CHECK, "contradicted", summary, details)
    summary = f"no role assigned to {principal} (or its groups) at or above {scope} grants {action}"
    return CheckResult(ROLE_CHECK, "verified", summary, details)


def _deny_assignments(
    client: Any, principal: str, action: str, scope: str, reason: str | None, options: dict[str, Any]
) -> CheckResult:
    covering = []
    for deny in _bounded(client.deny_assignments.list_for_scope(scope, filter="atScope()", **options)):
        where = str(deny.scope or "").rstrip("/")
        if deny.do_not_apply_to_child_scopes and where.lower() != scope.lower():
            continue
        whom = _applies_to(deny, principal)
        if whom is None or not any(_grants(p, action) for p in deny.permissions or []):
            continue
        covering.append({"name": deny.deny_assignment_name, "id": deny.id, "scope": where, "applies_to": whom})
    details = {"principal": principal, "action": action, "scope": scope, "deny_assignments": covering[:20]}
    if covering:
        first = covering[0]
        summary = (
            f"the deny assignment '{first['name']}' at {first['scope']} denies {action} to {first['applies_to']}; "
            "only what created it (a managed application, a deployment stack) can lift it"
        )
        if reason == "azure.authz.deny_assignment":
            return CheckResult(DENY_CHECK, "verified", summary, details)
        summary += ": the layer that said no is this deny assignment, not a missing role"
        return CheckResult(DENY_CHECK, "contradicted", summary, details)
    if reason == "azure.authz.deny_assignment":
        summary = f"no deny assignment at or above {scope} covers {action} for {principal} now (removed since?)"
        return CheckResult(DENY_CHECK, "contradicted", summary, details)
    return CheckResult(DENY_CHECK, "verified", f"no deny assignment at or above {scope} covers {action}", details)


def _applies_to(deny: Any, principal: str) -> str | None:
    """Whom of the principal a deny assignment names: it, everyone, a group (membership is not read), or None."""
    excluded = {str(p.id).lower() for p in deny.exclude_principals or []}
    if principal.lower() in excluded:
        return None
    named = deny.principals or []
    if any(str(p.id).lower() == principal.lower() for p in named):
        return "the principal"
    if any(str(p.id) == _EVERYONE for p in named):
        return "everyone"
    group = next((str(p.id) for p in named if p.type == "Group"), None)
    return f"group {group}, if the principal is a member" if group else None


def _grants(permission: Any, action: str) -> bool:
    """Whether a permission block (of a role or a deny assignment) covers the action."""
    for allowed, excluded in (
        (permission.actions, permission.not_actions),
        (permission.data_actions, permission.not_data_actions),
    ):
        if any(_matches(p, action) for p in allowed or []) and not any(_matches(p, action) for p in excluded or []):
            return True
    return False


def _matches(pattern: str, action: str) -> bool:
    """Match an Azure action pattern (`*` wildcards, case-insensitive) in linear time, without regexes."""
    parts = str(pattern).lower()[:512].split("*")
    text = action.lower()
    if len(parts) == 1:
        return parts[0] == text
    if not text.startswith(parts[0]) or not text[len(parts[0]) :].endswith(parts[-1]):
        return False
    position, end = len(parts[0]), len(text) - len(parts[-1])
    for middle in parts[1:-1]:
        found = text.find(middle, position, end)
        if found < 0:
            return False
        position = found + len(middle)
    return position <= end


def _bounded(items: Iterable[Any]) -> Iterable[Any]:
    for count, item in enumerate(items):
        if count >= _MAX_ITEMS:
            return
        yield item


def _first_line(exc: Exception) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]
