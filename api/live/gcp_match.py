"""Pure helpers for the GCP live checks: names, deny-rule matching, which roles to suggest.

No network and no Google imports: the checks feed these plain strings read from the API's
answers, so the rules are tested on their own. Formats follow Google's references: deny rules
name permissions as `SERVICE_FQDN/RESOURCE.ACTION` (v2) and principals as `principal://...` or
`principalSet://...` identifiers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sized
from typing import Any, Final, Literal

Match = Literal["certain", "possible"]

BASIC_ROLES: Final = frozenset({"roles/owner", "roles/editor", "roles/viewer"})
# An ALPHA or EAP role may change or vanish; a DEPRECATED or DISABLED one is on its way out.
_UNSUGGESTED_STAGES: Final = frozenset({"ALPHA", "EAP", "DEPRECATED", "DISABLED"})
_MEMBER_PREFIXES: Final = ("user:", "serviceAccount:", "group:", "principal://goog/subject/")
# The v1 service id of a permission and the host of its API differ for a few services.
_API_HOSTS: Final = {"resourcemanager": "cloudresourcemanager.googleapis.com"}


def principal_email(principal: Any) -> str | None:
    """Return the e-mail address behind a member string as payloads write it, or None."""
    text = str(principal or "").strip()
    if text.startswith("deleted:"):
        return None
    for prefix in _MEMBER_PREFIXES:
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    text = text.rsplit("/serviceAccounts/", 1)[-1]
    return text if "@" in text and " " not in text else None


def project_resource(project: str) -> str:
    """Return a project's full resource name (its id or its number both work)."""
    return f"//cloudresourcemanager.googleapis.com/projects/{project}"


def full_resource_name(facts: Mapping[str, Any]) -> str | None:
    """Return the full resource name the facts point at: the resource itself, else its project."""
    resource, permission = str(facts.get("resource") or ""), str(facts.get("permission") or "")
    if resource.startswith("//"):
        return resource
    if resource.startswith(("projects/", "organizations/", "folders/")) and "." in permission:
        service = permission.split(".", 1)[0]
        return f"//{_API_HOSTS.get(service, f'{service}.googleapis.com')}/{resource}"
    project = facts.get("project")
    return project_resource(str(project)) if project else None


def in_project(full_name: str, project: str) -> bool:
    """Tell whether a full resource name (`//HOST/projects/P/...`) is project P or a resource inside it.

    A name that does not say its project (`//storage.googleapis.com/projects/_/buckets/b`) is not,
    nor one with empty, `.` or `..` segments: nothing may steer the name out of the project.
    """
    if not full_name.startswith("//"):
        return False
    segments = full_name[2:].split("/")[1:]  # drop the API host
    if any(segment in ("", ".", "..") for segment in segments):
        return False
    return len(segments) >= 2 and segments[0] == "projects" and segments[1] == project


def _permission_matches(permission: str, patterns: Iterable[str]) -> bool:
    """Does a v1 permission (`storage.buckets.delete`) match a v2 pattern (`storage.googleapis.com/buckets.*`)?"""
    service, _, rest = permission.partition(".")
    resource, _, action = rest.rpartition(".")
    for pattern in patterns:
        fqdn, _, name = pattern.partition("/")
        host_service = fqdn.removesuffix(".googleapis.com")
        if host_service not in (service, f"cloud{service}") and fqdn != _API_HOSTS.get(service):
            continue
        if name in ("*", rest, f"{resource}.*", f"*.{action}"):
            return True
    return False


def _principal_match(email: str | None, identifiers: Iterable[str]) -> Match | None:
    """Does a list of deny-policy principal identifiers cover this e-mail address?"""
    found: Match | None = None
    for identifier in identifiers:
        if identifier.startswith("deleted:"):
            continue
        if identifier == "principalSet://goog/public:all":
            return "certain"
        named = identifier.rsplit("/", 1)[-1]
        single = identifier.startswith(("principal://goog/subject/", "principal://iam.googleapis.com/projects/-/"))
        if single and email is not None and named.lower() == email.lower():
            return "certain"
        if single and email is not None:
            continue  # another person or service account
        # A group, a domain's customer id, a pool or a set of service accounts: membership is not visible here.
        found = "possible"
    return found


def deny_rule_applies(rule: Mapping[str, Any], permission: str, email: str | None) -> Match | None:
    """Tell whether one deny rule denies this permission to this principal: certainly, possibly or not."""
    if not _permission_matches(permission, rule.get("denied_permissions", ())):
        return None
    if _permission_matches(permission, rule.get("exception_permissions", ())):
        return None
    if email is not None and _principal_match(email, rule.get("exception_principals", ())) == "certain":
        return None
    who = _principal_match(email, rule.get("denied_principals", ()))
    if who is None:
        return None
    conditional = bool(rule.get("denial_condition"))  # evaluated on resource tags, which are not read here
    return "possible" if conditional or email is None else who


def suggestible_role(name: str, stage: str = "GA", deleted: bool = False) -> bool:
    """Tell whether a role may be suggested: predefined, GA or BETA, not basic, not a service agent's."""
    return (
        name.startswith("roles/")
        and name not in BASIC_ROLES
        and not deleted
        and stage.upper() not in _UNSUGGESTED_STAGES
        and "serviceagent" not in name.lower()
        and not name.startswith("roles/storage.legacy")
    )


# Roles whose few permissions carry a capability beyond their count (signing in to VMs, tunnelling,
# a build's identity): suggested only for the permissions they exist for (prefixes), never as the
# "smallest" holder of an ordinary read. Token Creator, not Workload Identity User, is Google's role
# for impersonation; the latter binds federated or Kubernetes identities.
_CAPABILITY_ROLES: Final = {
    "roles/compute.osLogin": ("compute.instances.osLogin",),
    "roles/compute.osAdminLogin": ("compute.instances.osLogin", "compute.instances.osAdminLogin"),
    "roles/iap.tunnelResourceAccessor": ("iap.tunnel",),
    "roles/cloudbuild.builds.builder": ("cloudbuild.",),
    "roles/iam.workloadIdentityUser": (),
    "roles/logging.privateLogViewer": ("logging.privateLogEntries.",),  # Data Access audit logs
}
# A permission's service and the role families that belong to it, where the names differ.
_ROLE_FAMILIES: Final = {"resourcemanager": ("resourcemanager", "browser"), "apikeys": ("serviceusage",)}


def _role_service(role: str) -> str:
    return role.removeprefix("roles/").split(".", 1)[0]


_SECRET_READS: Final = frozenset({"getAccessToken", "getOpenIdToken", "getKeyString"})


def is_read(permission: str) -> bool:
    """Does the permission only read (get*, list*, search, query), not mint tokens or reveal keys?"""
    action = permission.rsplit(".", 1)[-1]
    if action in _SECRET_READS:
        return False
    return action.startswith(("get", "list", "aggregatedList")) or action in ("search", "query", "read", "view")


def is_viewer(role: str) -> bool:
    """Is it a read-only role by Google's naming (Viewer, Reader, Browser)?"""
    return role.lower().endswith(("viewer", "reader")) or role == "roles/browser"


def holders_by_permission(
    roles: Iterable[tuple[str, str, Collection[str]]], wanted: Callable[[str], bool] = lambda _: True
) -> dict[str, list[tuple[str, Sized]]]:
    """Map each wanted permission to the suggestible roles (name, permissions) that hold it.

    `roles` are (name, stage, permissions), as Google's role list or a role file gives them.
    """
    holders: dict[str, list[tuple[str, Sized]]] = defaultdict(list)
    for name, stage, permissions in roles:
        if suggestible_role(name, stage):
            for permission in permissions:
                if wanted(permission):
                    holders[permission].append((name, permissions))
    return holders


def smallest_roles(roles: Iterable[tuple[str, Sized]], limit: int = 3, permission: str = "") -> list[tuple[str, int]]:
    """Return up to `limit` (role, permission count) pairs to suggest, smallest first.

    `roles` are (name, permissions) of roles that hold the permission. With the permission given,
    the order is: roles of its own service first (the smallest Cloud Build role that can create a
    bucket is not the answer to "grant storage.buckets.create"), then, for a denied read, viewer
    and reader roles first (no admin role to fix a list), then fewest permissions; a role that can set
    IAM policy (an admin, an owner) only after every role that cannot. Capability roles
    appear only for the permissions they exist for, or when nothing else holds it.
    """
    service = permission.split(".", 1)[0]
    families = _ROLE_FAMILIES.get(service, (service,))
    read = bool(permission) and is_read(permission)
    holders = list(roles)
    fitting = [
        (name, held)
        for name, held in holders
        if name not in _CAPABILITY_ROLES or permission.startswith(_CAPABILITY_ROLES[name] or ("\0",))
    ]
    ranked = sorted(
        (
            sets_iam_policy(held),  # never an IAM admin when a narrower role holds the permission
            bool(permission) and _role_service(name) not in families,
            read and not is_viewer(name),
            len(held),
            name,
        )
        for name, held in fitting or holders  # a capability role that alone holds it is still the answer
    )
    return [(name, size) for _, _, _, size, name in ranked[:limit]]


def sets_iam_policy(permissions: Sized) -> bool:
    """Tell whether a role's permissions include a setIamPolicy: it could grant itself anything else."""
    if not isinstance(permissions, Iterable):
        return False
    return any(str(permission).endswith(".setIamPolicy") for permission in permissions)
