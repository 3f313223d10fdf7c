"""Pure helpers for the GCP live checks: names, deny-rule matching, which roles to suggest.

No network and no Google imports: the checks feed these plain strings read from the API's
answers, so the rules are tested on their own. Formats follow Google's references: deny rules
name permissions as `SERVICE_FQDN/RESOURCE.ACTION` (v2) and principals as `principal://...` or
`principalSet://...` identifiers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sized
from typing import Any, Final, Literal, get_args

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
        and ".legacy" not in name  # roles/storage.legacyBucketReader, roles/notebooks.legacyViewer: kept for old ACLs
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


# Permissions that let their holder raise its own access: set an IAM policy (`*.setIamPolicy`), act as,
# mint tokens or keys for a service account, edit roles, bind Kubernetes roles, run code as another
# identity. From iann0036/iam-dataset gcp/tags.json ("PrivEsc", "CredentialExposure"), plus key creation
# and role creation, which Google's own guidance names as escalation paths.
ESCALATION_PERMISSIONS: Final = frozenset({
    "iam.serviceAccounts.actAs", "iam.serviceAccounts.getAccessToken", "iam.serviceAccounts.getOpenIdToken",
    "iam.serviceAccounts.implicitDelegation", "iam.serviceAccounts.signBlob", "iam.serviceAccounts.signJwt",
    "iam.serviceAccountKeys.create", "iam.serviceAccountKeys.enable", "iam.roles.create", "iam.roles.update",
    "iam.workloadIdentityPoolProviders.create", "iam.workloadIdentityPoolProviders.update",
    "cloudbuild.builds.create", "container.clusterRoleBindings.create", "container.clusterRoleBindings.update",
    "container.clusterRoles.bind", "container.clusterRoles.escalate", "container.clusterRoles.update",
    "container.roleBindings.create", "container.roleBindings.update", "container.roles.bind",
    "container.roles.escalate", "container.roles.update", "container.serviceAccounts.createToken",
    "container.pods.exec", "container.nodes.proxy", "compute.instances.setServiceAccount",
    "compute.instances.setMetadata", "compute.projects.setCommonInstanceMetadata",
    "deploymentmanager.deployments.create", "orgpolicy.policy.set",
})  # fmt: skip
# Levels above a project: a role whose lowest grantable level is one of them cannot be bound on a project
# ("Role ... is not supported for this resource"). Google's role reference states the level per role; these
# rules reproduce it for the roles that hold org-, folder- or billing-account-wide power, and
# tests/content/test_gcp_role_table.py checks them against a sample read from that reference.
AboveProject = Literal["organization", "folder", "billing_account"]
ABOVE_PROJECT: Final[tuple[AboveProject, ...]] = get_args(AboveProject)  # widest first
_ORGANIZATION_MARKERS: Final = (
    "resourcemanager.organizations.update", "resourcemanager.organizations.setIamPolicy", "orgpolicy.policy.set",
    "orgpolicy.customConstraints.create", "accesscontextmanager.policies.create",
    "accesscontextmanager.policies.update", "securitycenter.organizationsettings.update", "iam.organizationRoles",
)  # fmt: skip


# Where Google's role reference states a level these rules would get wrong, its word is recorded here.
# "Lowest-level resources where you can grant this role: Project" for Organization Administrator, which
# holds organization-wide permissions but can be bound on a project
# (https://cloud.google.com/iam/docs/roles-permissions/resourcemanager). The rows that need those
# permissions are still granted on the organization: the permission's own resource decides that
# (api/services/gcp_roles.py infer_grant_on).
STATED_LEVELS: Final[dict[str, AboveProject | None]] = {
    "roles/resourcemanager.organizationAdmin": None,
}


def lowest_level(name: str, permissions: Iterable[str] | Sized) -> AboveProject | None:
    """Return the lowest level above a project a role can only be granted on, or None (a project or lower)."""
    if name in STATED_LEVELS:
        return STATED_LEVELS[name]
    short = name.removeprefix("roles/")
    lowered = short.lower()
    held = [str(p) for p in permissions] if isinstance(permissions, Iterable) else []
    if "organization" in lowered or any(p.startswith(_ORGANIZATION_MARKERS) for p in held):
        return "organization"
    if short.startswith("resourcemanager.folder"):
        return "folder"
    if short == "billing.creator":  # creates billing accounts in an organization
        return "organization"
    if short.startswith("billing.") and "project" not in lowered and "billing.accounts.get" in held:
        return "billing_account"
    if "billingaccount" in lowered:
        return "billing_account"
    return None


# A role's powers, computed once per role object: a table build asks for the same large roles (admins
# hold thousands of permissions) once per permission they hold. The held object is kept and compared by
# identity, so a later build with other definitions never reads a stale answer.
_TRAITS: dict[str, tuple[object, frozenset[str], AboveProject | None]] = {}


def _powers(permissions: Sized) -> frozenset[str]:
    held = permissions if isinstance(permissions, Iterable) else ()
    return frozenset(str(p) for p in held if str(p).endswith(".setIamPolicy") or p in ESCALATION_PERMISSIONS)


def _traits(name: str, permissions: Sized) -> tuple[frozenset[str], AboveProject | None]:
    """Return a role's escalation powers and the level above a project it is bound to, once per role object."""
    cached = _TRAITS.get(name)
    if cached is not None and cached[0] is permissions:
        return cached[1], cached[2]
    powers = _powers(permissions)
    level = lowest_level(name, permissions)
    if len(_TRAITS) > 10_000:  # a bound, for a service that rebuilds from refreshed lists
        _TRAITS.clear()
    _TRAITS[name] = (permissions, powers, level)
    return powers, level


def escalation_powers(name: str, permissions: Sized) -> frozenset[str]:
    """Return the permissions of a role that let it raise its own access."""
    return _traits(name, permissions)[0]


# Roles made for a service's own identity (a transfer agent, a Cloud Storage annotation service): fit for a
# pipeline, never the first answer to a person's denial. Recognised by Google's naming of them.
_MACHINE_ROLE_SUFFIXES: Final = ("agent", "service", "serviceinput", "serviceoutput")


def is_machine_role(name: str) -> bool:
    """Is it a role Google names for a service's own account rather than for people?"""
    return name.rsplit(".", 1)[-1].lower().endswith(_MACHINE_ROLE_SUFFIXES)


def escalates(permissions: Sized, needed: str = "", name: str = "") -> bool:
    """Tell whether a role holds a power to raise its own access, other than the one permission needed."""
    powers = escalation_powers(name, permissions) if name else _powers(permissions)  # anonymous: nothing to cache by
    return bool(powers - {needed})


def smallest_roles(
    roles: Iterable[tuple[str, Sized]], limit: int = 3, permission: str = "", grant_on: str | None = None
) -> list[tuple[str, int]]:
    """Return up to `limit` (role, permission count) pairs to suggest, smallest first.

    `roles` are (name, permissions) of roles that hold the permission. Roles that could raise their
    own access (set IAM policy, act as a service account, make keys: `escalates`) are left out
    whenever a role without that power holds the permission; so are roles that cannot be granted at
    `grant_on` (an organization-only role for a project grant). Then the order is: roles of the
    permission's own service first (the smallest Cloud Build role that can create a bucket is not the
    answer to "grant storage.buckets.create"), for a denied read viewer and reader roles first (no
    admin role to fix a list), then fewest permissions. Capability roles appear only for the
    permissions they exist for, or when nothing else holds it.
    """
    service = permission.split(".", 1)[0]
    families = _ROLE_FAMILIES.get(service, (service,))
    read = bool(permission) and is_read(permission)
    holders = list(roles)
    fitting = [
        (name, held)
        for name, held in holders
        if name not in _CAPABILITY_ROLES or permission.startswith(_CAPABILITY_ROLES[name] or ("\0",))
    ] or holders  # a capability role that alone holds it is still the answer
    above_project = grant_on is None or grant_on in ABOVE_PROJECT
    grantable = [(n, held) for n, held in fitting if above_project or _traits(n, held)[1] is None]
    narrow = [(n, held) for n, held in fitting if not escalates(held, permission, n)]
    # Both rules when some role meets both; else no escalation (the row's level is then raised to the
    # role's own); else the level; else every holder (the permission itself needs that power).
    fitting = [pair for pair in grantable if pair in narrow] or narrow or grantable or fitting
    ranked = sorted(
        (
            escalates(held, permission, name),  # only when nothing narrower holds it (kept: the permission needs it)
            bool(permission) and _role_service(name) not in families,
            is_machine_role(name),
            read and not is_viewer(name),
            len(held),
            name,
        )
        for name, held in fitting
    )
    return [(name, size) for *_, size, name in ranked[:limit]]


def sets_iam_policy(permissions: Sized) -> bool:
    """Tell whether a role's permissions include a setIamPolicy: it could grant itself anything else."""
    if not isinstance(permissions, Iterable):
        return False
    return any(str(permission).endswith(".setIamPolicy") for permission in permissions)
