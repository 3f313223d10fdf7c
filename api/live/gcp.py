"""GCP live checks: the smallest grantable roles, deny policies up the hierarchy, Policy Troubleshooter.

Read-only calls, each bounded by the timeout and made once (no retries):
- iam.roles.queryGrantableRoles on the project: the predefined roles that hold the denied
  permission, fewest permissions first (google-cloud-iam, iam_admin_v1);
- resourcemanager projects.get / folders.get for the ancestry, then iam v2 policies.list and
  policies.get on the project, each folder and the organization: does a deny rule name the
  permission for this principal? (IAM checks deny policies before allow policies);
- Policy Troubleshooter's troubleshootIamPolicy when the optional extra is installed: the allow and
  deny verdicts for principal, permission and resource.
A check that is itself denied says which permission it needed, and whydenied reads that denial too.

On a server the credentials are the server's, so the paste must not choose where they look: the
checks run only for the credentials' own project (the deny-policy walk still climbs its folders
and organization), and the troubleshooter only for a resource inside it; anything else is
`refused` without a call. With the user's own credentials (the CLI) any project they can read is
fair: a user's access spans projects, and the answer is about the project the error names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final
from urllib.parse import quote

from google.api_core.exceptions import GoogleAPICallError, PermissionDenied, RetryError, Unauthenticated
from google.cloud.iam_admin_v1 import IAMClient, RoleView
from google.cloud.iam_v2 import PoliciesClient
from google.cloud.resourcemanager_v3 import FoldersClient, ProjectsClient

from adapters.registry import diagnose
from api.live.gcp_clients import CredentialsUnavailable, GoogleClients, google_clients
from api.live.gcp_match import (
    deny_rule_applies,
    full_resource_name,
    in_project,
    principal_email,
    project_resource,
    smallest_roles,
    suggestible_role,
)
from api.live.outcome import CheckResult

ROLES_CHECK: Final = "iam query-grantable-roles"
DENY_CHECK: Final = "iam deny policies"
TROUBLESHOOTER_CHECK: Final = "policy troubleshooter"
DENY_POLICY_REASON: Final = "gcp.authz.deny_policy"
_PERMISSION_REASONS: Final = frozenset(
    {
        "gcp.authz.iam_permission_denied",
        DENY_POLICY_REASON,
        "gcp.authz.service_account_impersonation",
        "gcp.authz.user_project_denied",
    }
)
_MAX_ROLES: Final = 5000  # predefined roles number about 2,000; a bound on a hostile or broken answer
_MAX_DEPTH: Final = 12  # folders nest at most 10 deep under an organization
_ROLES_NEEDS: Final = "the cloud-platform scope (Google documents no IAM permission for roles.queryGrantableRoles)"
_DENY_NEEDS: Final = "iam.denypolicies.list and iam.denypolicies.get (roles/iam.denyReviewer)"
_TROUBLESHOOTER_NEEDS: Final = (
    "read access to the allow and deny policies involved (getIamPolicy on the resource and its "
    "ancestors, iam.denypolicies.get and .list)"
)


def run_gcp_checks(
    facts: Mapping[str, Any],
    reason: str | None,
    *,
    timeout: float = 5.0,
    clients: GoogleClients | None = None,
    suggested_role: str | None = None,
    on_server: bool = True,
) -> list[CheckResult]:
    """Run the checks the facts allow, with the user's credentials (or `clients`, for tests).

    `on_server` (the safe default): only the credentials' own project and the resources in it.
    """
    permission = str(facts.get("permission") or "")
    if reason not in _PERMISSION_REASONS or not permission:
        return [
            CheckResult(
                "gcp live checks",
                "unavailable",
                "No live check applies: they need an IAM denial that names its permission.",
            )
        ]
    if clients is None:
        try:
            clients = google_clients(timeout)
        except CredentialsUnavailable as exc:
            return [CheckResult("google credentials", "unavailable", str(exc))]
    project, email = facts.get("project"), principal_email(facts.get("principal"))
    try:
        results = []
        if project and on_server and (why := _outside("project", str(project), clients.project)):
            results += [_refused(ROLES_CHECK, why, str(project), clients.project)]
            results += [_refused(DENY_CHECK, why, str(project), clients.project)]
        elif project:
            results.append(_grantable_roles(clients, str(project), permission, suggested_role, timeout))
            results.append(_deny_policies(clients, str(project), permission, email, reason, timeout))
        else:
            results.append(
                CheckResult(
                    DENY_CHECK,
                    "unavailable",
                    "The error names no project, so there is no hierarchy to read deny policies from.",
                )
            )
        resource = full_resource_name(facts)
        if resource and on_server and (why := _outside("resource", resource, clients.project)):
            results.append(_refused(TROUBLESHOOTER_CHECK, why, resource, clients.project))
        else:
            results.append(_troubleshoot(clients, facts, permission, email, reason, timeout))
        return results
    finally:
        clients.close()


def _outside(noun: str, target: str, own: str | None) -> str | None:
    """Say why a project or full resource name is outside the credentials' own project, or None if inside."""
    if own is not None and (target == own if noun == "project" else in_project(target, own)):
        return None
    whose = f"the server's project {own}" if own else "a project of the server's credentials (they name none)"
    return (
        f"The {noun} {target} is not in {whose}: not checked (a server checks only its own project; "
        "`whydenied explain --live` uses your own credentials)."
    )


def _refused(check: str, why: str, target: str, own: str | None) -> CheckResult:
    return CheckResult(check, "refused", why, {"target": target, "credentials_project": own})


def _guarded(check: str, needs: str, call: Callable[[], CheckResult]) -> CheckResult:
    """Run one check; turn a denial or an outage into its outcome instead of an exception."""
    try:
        return call()
    except PermissionDenied as exc:
        reading = diagnose(f"403 {exc.message}", provider="gcp")
        return CheckResult(
            check,
            "not permitted",
            f"The check itself was denied; it needs {needs}.",
            needs=needs,
            denial_reason=reading.reason,
        )
    except Unauthenticated:
        return CheckResult(check, "unavailable", "Google did not accept the credentials (UNAUTHENTICATED).")
    except RetryError:
        return CheckResult(check, "unavailable", "The call did not complete in time.")
    except GoogleAPICallError as exc:  # DEADLINE_EXCEEDED, UNAVAILABLE (no network), NOT_FOUND ...
        status = getattr(exc.grpc_status_code, "name", None) or type(exc).__name__
        return CheckResult(check, "unavailable", f"The call did not complete: {status}.")


def _grantable_roles(
    clients: GoogleClients, project: str, permission: str, suggested: str | None, timeout: float
) -> CheckResult:
    def call() -> CheckResult:
        resource = project_resource(project)
        pager = clients.make(IAMClient).query_grantable_roles(
            request={"full_resource_name": resource, "view": RoleView.FULL, "page_size": 2000},
            timeout=timeout,
            retry=None,
        )
        holding = []
        for count, role in enumerate(pager):
            if count >= _MAX_ROLES:
                break
            if permission in role.included_permissions and suggestible_role(role.name, role.stage.name, role.deleted):
                holding.append((role.name, tuple(role.included_permissions)))
        best = smallest_roles(holding, permission=permission)
        if not best:
            return CheckResult(
                ROLES_CHECK,
                "contradicted",
                f"No predefined role grantable on projects/{project} contains {permission}: check the permission's "
                "spelling, or grant it on the resource type it belongs to.",
                {"resource": resource},
            )
        listed = ", ".join(f"{name} ({size} permissions)" for name, size in best)
        agree = suggested is not None and suggested == best[0][0]
        tail = f"; whydenied's table suggests {suggested}{' too' if agree else ''}" if suggested else ""
        return CheckResult(
            ROLES_CHECK,
            "verified",
            f"Smallest predefined roles grantable on projects/{project} that contain {permission}: {listed}{tail}.",
            {"resource": resource, "roles": [{"role": n, "permissions": s} for n, s in best], "table_role": suggested},
        )

    return _guarded(ROLES_CHECK, _ROLES_NEEDS, call)


def _ancestry(clients: GoogleClients, project: str, timeout: float) -> tuple[list[str], str | None]:
    """Return the attachment points from the project up to its organization, and what stopped the walk."""
    points = [f"projects/{project}"]
    try:
        parent = clients.make(ProjectsClient).get_project(name=points[0], timeout=timeout, retry=None).parent
        folders = clients.make(FoldersClient) if parent.startswith("folders/") else None
        while parent and len(points) < _MAX_DEPTH:
            points.append(parent)
            if not parent.startswith("folders/") or folders is None:
                break
            parent = folders.get_folder(name=parent, timeout=timeout, retry=None).parent
    except PermissionDenied:
        return (
            points,
            "its folders and organization were not read (needs resourcemanager.projects.get and .folders.get)",
        )
    except GoogleAPICallError as exc:
        return points, f"its ancestry could not be read ({getattr(exc.grpc_status_code, 'name', type(exc).__name__)})"
    return points, None


def _deny_policies(
    clients: GoogleClients, project: str, permission: str, email: str | None, reason: str | None, timeout: float
) -> CheckResult:
    def call() -> CheckResult:
        points, unread = _ancestry(clients, project, timeout)
        policies = clients.make(PoliciesClient)
        matches: list[dict[str, Any]] = []
        for point in points:
            parent = "policies/" + quote(f"cloudresourcemanager.googleapis.com/{point}", safe="") + "/denypolicies"
            for listed in policies.list_policies(request={"parent": parent}, timeout=timeout, retry=None):
                # Listing returns metadata only; the rules come with each policy.
                policy = policies.get_policy(name=listed.name, timeout=timeout, retry=None)
                for index, rule in enumerate(policy.rules):
                    deny = rule.deny_rule
                    how = deny_rule_applies(
                        {
                            "denied_permissions": list(deny.denied_permissions),
                            "exception_permissions": list(deny.exception_permissions),
                            "denied_principals": list(deny.denied_principals),
                            "exception_principals": list(deny.exception_principals),
                            "denial_condition": deny.denial_condition.expression,
                        },
                        permission,
                        email,
                    )
                    if how:
                        matches.append(
                            {
                                "attached_to": point,
                                "policy": policy.name,
                                "display_name": policy.display_name,
                                "rule": index,
                                "match": how,
                            }
                        )
        return _deny_outcome(matches, points, unread, permission, email, reason)

    return _guarded(DENY_CHECK, _DENY_NEEDS, call)


def _deny_outcome(
    matches: list[dict[str, Any]],
    points: list[str],
    unread: str | None,
    permission: str,
    email: str | None,
    reason: str | None,
) -> CheckResult:
    details: dict[str, Any] = {"checked": points, "matches": matches}
    who = email or "this principal"
    certain = [m for m in matches if m["match"] == "certain"]
    if certain:
        first = certain[0]
        return CheckResult(
            DENY_CHECK,
            "verified",
            f"Deny policy {first['policy']} (on {first['attached_to']}), rule {first['rule']}, denies {permission} "
            f"to {who}. IAM checks deny policies first, so no role grant fixes this: change that rule or add an "
            "exception principal, with the policy's owner.",
            {**details, "layer": DENY_POLICY_REASON},
        )
    if matches:
        first = matches[0]
        return CheckResult(
            DENY_CHECK,
            "simulated",
            f"Deny policy {first['policy']} (on {first['attached_to']}) names {permission} for a group, a domain, a "
            "pool or under a tag condition that may include this principal; confirm with Policy Troubleshooter.",
            {**details, "layer": DENY_POLICY_REASON},
        )
    where = ", ".join(points)
    if unread:
        return CheckResult(
            DENY_CHECK, "unavailable", f"No deny policy on {where} names {permission}, but {unread}.", details
        )
    if reason == DENY_POLICY_REASON:
        return CheckResult(
            DENY_CHECK, "contradicted", f"No deny policy on {where} names {permission} for {who}.", details
        )
    return CheckResult(
        DENY_CHECK,
        "verified",
        f"No deny policy on {where} names {permission} for {who}: the denial is not a deny policy's, so a role "
        "grant (below) is the fix, unless a principal access boundary policy or a missing resource is the cause.",
        details,
    )


def _troubleshoot(
    clients: GoogleClients,
    facts: Mapping[str, Any],
    permission: str,
    email: str | None,
    reason: str | None,
    timeout: float,
) -> CheckResult:
    try:
        from google.cloud.policytroubleshooter_iam_v3 import PolicyTroubleshooterClient
    except ImportError:
        return CheckResult(
            TROUBLESHOOTER_CHECK,
            "unavailable",
            "Policy Troubleshooter needs the optional extra `troubleshooter` "
            "(from a checkout: pip install '.[troubleshooter]'; the README's commands include it).",
        )
    resource = full_resource_name(facts)
    if email is None or resource is None:
        return CheckResult(
            TROUBLESHOOTER_CHECK, "unavailable", "It needs the principal's e-mail and a resource or project."
        )

    def call() -> CheckResult:
        answer = clients.make(PolicyTroubleshooterClient).troubleshoot_iam_policy(
            request={"access_tuple": {"principal": email, "full_resource_name": resource, "permission": permission}},
            timeout=timeout,
            retry=None,
        )
        return _troubleshooter_outcome(answer, email, resource, permission, reason)

    return _guarded(TROUBLESHOOTER_CHECK, _TROUBLESHOOTER_NEEDS, call)


def _troubleshooter_outcome(answer: Any, email: str, resource: str, permission: str, reason: str | None) -> CheckResult:
    overall = answer.overall_access_state.name
    allow = answer.allow_policy_explanation.allow_access_state.name.removeprefix("ALLOW_ACCESS_STATE_")
    deny = answer.deny_policy_explanation.deny_access_state.name.removeprefix("DENY_ACCESS_STATE_")
    denying = [
        explained.policy.name
        for resource_explained in answer.deny_policy_explanation.explained_resources
        for explained in resource_explained.explained_policies
        if explained.deny_access_state.name == "DENY_ACCESS_STATE_DENIED"
    ]
    details = {"overall": overall, "allow": allow, "deny": deny, "resource": resource, "denying_policies": denying}
    subject = f"{email} and {permission} on {resource}"
    if overall == "CAN_ACCESS":
        return CheckResult(
            TROUBLESHOOTER_CHECK,
            "contradicted",
            f"Policy Troubleshooter says {subject} is allowed now: the call ran as another identity, a grant has "
            "arrived since, or another layer (VPC Service Controls, an organization policy) refused it.",
            details,
        )
    if overall != "CANNOT_ACCESS":
        return CheckResult(
            TROUBLESHOOTER_CHECK, "unavailable", f"Policy Troubleshooter could not decide ({overall}).", details
        )
    if deny == "DENIED":
        named = f" ({', '.join(denying)})" if denying else ""
        return CheckResult(
            TROUBLESHOOTER_CHECK,
            "simulated",
            f"Policy Troubleshooter: a deny policy{named} denies {subject}; fix it at that deny policy.",
            {**details, "layer": DENY_POLICY_REASON},
        )
    if reason == DENY_POLICY_REASON:
        return CheckResult(
            TROUBLESHOOTER_CHECK,
            "contradicted",
            f"Policy Troubleshooter: no deny policy denies {subject}; no allow policy grants it ({allow}).",
            details,
        )
    return CheckResult(
        TROUBLESHOOTER_CHECK,
        "simulated",
        f"Policy Troubleshooter: no allow policy grants {subject} (allow: {allow}, deny: {deny}).",
        details,
    )
