"""The words Google services use for a denied permission, and the facts they carry.

    Permission 'storage.objects.get' denied on resource 'projects/_/buckets/b' (or it may not exist).
    x@p.iam.gserviceaccount.com does not have storage.objects.list access to the Google Cloud Storage bucket.
    Access Denied: Project p: User does not have bigquery.jobs.create permission in project p.
    Required 'compute.instances.get' permission for 'projects/p/zones/z/instances/i'
    The principal (user or service account) lacks IAM permission "iam.serviceAccounts.actAs" for the resource "x"
    User [a@b.com] does not have permission to access projects instance [p] (or it may not exist)

Every pattern is anchored on literal words and uses bounded, non-nested repetition.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from adapters.lazyre import lazy_compile

_PERM: Final = r"[a-z][a-zA-Z0-9]{1,40}(?:\.[a-zA-Z0-9]{1,60}){1,4}"
_Q: Final = "['\"‘’“”]"  # pasted text keeps curly quotes

# "Permission 'x.y.z' denied on resource 'name' (or it may not exist)" and its variants
# ("for resource", no quotes, "denied on 'projects/...'", "Permission denied on resource project X")
_PERMISSION_DENIED = lazy_compile(
    rf"[Pp]ermission (?:\| )?{_Q}? ?({_PERM}){_Q}? (?:is )?denied(?: (?:on|for)(?: resource| service account| dataset| table"
    rf"| project| bucket| topic| subscription| secret| repository| instance)?:? "
    rf"{_Q}?(?!resource\b)([^'\"‘’“”\s()]{{1,1024}}){_Q}?)?"
)
# IAM v2: "Permission iam.googleapis.com/denypolicies.create denied on resource ..."
_PERMISSION_DENIED_V2 = lazy_compile(r"Permission ([a-z0-9.-]{2,60}\.googleapis\.com/[A-Za-z0-9.]{2,120}) denied")
# GCS: "<member> does not have storage.objects.get access to the Google Cloud Storage object."
# Searched from the literal " does not have", then the subject is read backwards from a bounded
# window: a leading "[^\s]{1,254} does not have" would retry up to 254 characters at every offset.
_DOES_NOT_HAVE_ACCESS = lazy_compile(
    rf" does not have ({_PERM}) access to (?:the Google Cloud (?:Storage )?)?(?:bucket |object )?([^\s]{{1,300}})"
)
_SUBJECT_BEFORE = lazy_compile(r"(?:Anonymous caller|Caller|[Tt]he caller|[^\s\[\]]{1,254})$")
# BigQuery: "User does not have bigquery.jobs.create permission in project p."
_USER_DOES_NOT_HAVE = lazy_compile(
    rf"(?:User|The user|user) ?([A-Za-z0-9._%+-]{{1,200}}@[A-Za-z0-9.-]{{1,200}})? does not have (?:the )?"
    rf"{_Q}?({_PERM}){_Q}? "
    rf"permission(?: (?:in|on|for) (?:project |dataset |table )?([^\s]{{1,300}}))?"
)
# Cut short after the permission: "content <x@p.iam.gserviceaccount.com does not have storage.objects.get"
_DOES_NOT_HAVE_PERMISSION_NAME = lazy_compile(rf" does not have ({_PERM})\b")
# Compute: "Required 'compute.instances.get' permission for 'projects/p/...'" (GKE: permission(s))
_REQUIRED = lazy_compile(
    rf"[Rr]equired {_Q}({_PERM}){_Q} permission(?:\(s\))?(?: for {_Q}?([^'\"‘’“”\s]{{1,1024}}){_Q}?)?"
)
# Bigtable/Spanner: "Access denied. Missing IAM permission: bigtable.tables.readRows."
_MISSING_IAM = lazy_compile(rf"Missing IAM permission:? {_Q}?({_PERM}){_Q}?")
# "Permission iam.serviceAccounts.signBlob is required to perform this operation on service account projects/p/..."
_REQUIRED_ON_SA = lazy_compile(
    rf"Permission {_Q}?({_PERM}){_Q}? is required to perform this operation on service account ([^\s,\"']{{1,512}})"
)
# Cloud Functions: "Permission denied on 'locations/undefined' (or it may not exist)"
_DENIED_ON_NAME = lazy_compile(rf"Permission denied on {_Q}([^'\"‘’“”]{{1,512}}){_Q} \(or it may not exist\)")
# GKE through kubectl: 'User "jane@example.com" cannot create clusterrolebindings...'
_K8S_USER = lazy_compile(r'User "([^"\s]{1,254})" cannot [a-z]{2,20} ')
# Artifact Registry: 'Unauthenticated requests do not have permission "x" on resource "y"'
_NO_PERMISSION_ON = lazy_compile(
    rf"do not have permission {_Q}({_PERM}){_Q} on resource {_Q}([^'\"‘’“”]{{1,1024}}){_Q}"
)
# "... a custom role with the serviceusage.services.use permission"; 'has the "x.y.z" permission'
_THE_PERMISSION = lazy_compile(rf"(?:the|a) {_Q}?({_PERM}){_Q}? permission\b")
# Firebase CLI: "missing the following required permissions on project p:\n\n  firebase.projects.get"
_MISSING_FOLLOWING = lazy_compile(
    rf"missing the following required permissions on project ([^\s:]{{1,200}}):\s{{1,20}}({_PERM})"
)
# gcloud: "This command is authenticated as x@y using the credentials in ..."
_AUTHENTICATED_AS = lazy_compile(r"authenticated as ([^\s]{1,254}@[^\s]{1,254}?)(?:\.?\s|$)")
# Org policy: "Location us violates constraint constraints/gcp.resourceLocations on the resource projects/p/..."
_ON_THE_RESOURCE = lazy_compile(r"violates constraint \S{1,200} on the resource ([^\s,']{1,1024})")
# Cloud Tasks / Scheduler: 'lacks IAM permission "iam.serviceAccounts.actAs" for the resource "x"'
_LACKS = lazy_compile(rf"lacks IAM permission {_Q}({_PERM}){_Q}(?: for the resource {_Q}([^'\"‘’“”]{{1,1024}}){_Q})?")
# GKE RBAC via IAM: 'requires one of ["container.pods.list"] permission(s)'
_REQUIRES_ONE_OF = lazy_compile(rf"requires one of \[{_Q}({_PERM}){_Q}")
# "does not have permission to act as service account x@p.iam.gserviceaccount.com"
_ACT_AS = lazy_compile(
    r"(?:permission to act as|actAs permission on) (?:service account )?([A-Za-z0-9._%+-]{1,200}@[A-Za-z0-9.-]{1,200})"
)
# gcloud: "User [a@b.com] does not have permission to access projects instance [p]"
_GCLOUD_USER = lazy_compile(
    r"(?:User )?\[([^\]\s]{1,254})\] does not have permission to access ([a-z ]{1,60}) \[([^\]]{1,300})\]"
)
# "Permission denied on resource project my-project." (no permission named: the consumer project)
_DENIED_ON_PROJECT = lazy_compile(r"Permission denied on resource project ([^\s.]{1,200})")
# Members written in messages: "serviceAccount:x@p.iam.gserviceaccount.com", "user:a@b.com"
_MEMBER = lazy_compile(r"\b((?:serviceAccount|user|group):[A-Za-z0-9._%+-]{1,200}@[A-Za-z0-9.-]{1,200})")
# Workload identities: GKE "serviceAccount:p.svc.id.goog[ns/ksa]", federation "principal://iam.googleapis.com/..."
_WORKLOAD_MEMBER = lazy_compile(
    r"\b(serviceAccount:[a-z][a-z0-9.:-]{2,100}\.svc\.id\.goog\[[A-Za-z0-9._-]{1,63}/[A-Za-z0-9._-]{1,253}\]"
    r"|principal(?:Set)?://iam\.googleapis\.com/[^\s\"',;]{1,500})"
)
# A service agent told to get a permission on another account: "Please give service-1@serverless-robot-prod.iam
# .gserviceaccount.com permission iam.serviceAccounts.getAccessToken on the service account."
_GIVE_PERMISSION = lazy_compile(
    rf"[Pp]lease give ([A-Za-z0-9._%+-]{{1,200}}@[A-Za-z0-9.-]{{1,200}}[A-Za-z0-9]) permission ({_PERM}) on"
)
# BigQuery (legacy): "Access Denied: Table p:d.t: The user a@b.com does not have permission to query table p:d.t."
_NO_PERMISSION_TO = lazy_compile(
    r"(?:[Tt]he user|User) (?:([A-Za-z0-9._%+-]{1,200}@[A-Za-z0-9.-]{1,200}) )?does not have permission to "
    r"[a-z]{2,20} (?:table|dataset|view|project|model|routine) ([^\s,]{1,300})"
)


@dataclass(frozen=True)
class PermissionDenial:
    """What a permission message states."""

    permission: str | None
    resource: str | None
    principal: str | None
    project: str | None
    anonymous: bool
    basis: str


def _does_not_have_access(text: str) -> tuple[re.Match[str], str] | None:
    """Return the first "<subject> does not have <permission> access to <target>" and its subject."""
    for match in _DOES_NOT_HAVE_ACCESS.finditer(text):
        start = match.start()
        if subject := _SUBJECT_BEFORE.search(text, max(0, start - 260), start):
            return match, subject.group(0).strip("\"'")
    return None


def read_permission_denial(text: str) -> PermissionDenial | None:
    """Return the permission denial the text states, or None."""
    principal = project = resource = permission = None
    anonymous = False
    basis = ""
    if m := _PERMISSION_DENIED.search(text):
        permission, resource, basis = m.group(1), m.group(2), "the 'Permission ... denied' message"
    elif m := _PERMISSION_DENIED_V2.search(text):
        permission, basis = m.group(1), "the 'Permission ... denied' message"
    elif m := _LACKS.search(text):
        permission, resource, basis = m.group(1), m.group(2), "the 'lacks IAM permission' message"
    elif m := _REQUIRED.search(text):
        permission, resource, basis = m.group(1), m.group(2), "the 'Required ... permission' message"
    elif m := _REQUIRES_ONE_OF.search(text):
        permission, basis = m.group(1), "the 'requires one of' message"
    elif m := _REQUIRED_ON_SA.search(text):
        permission, resource, basis = m.group(1), m.group(2), "the 'is required ... on service account' message"
    elif m := _MISSING_IAM.search(text):
        permission, basis = m.group(1), "the 'Missing IAM permission' message"
    elif m := _DENIED_ON_NAME.search(text):
        resource, basis = m.group(1), "the 'Permission denied on ... (or it may not exist)' message"
    elif m := _NO_PERMISSION_ON.search(text):
        permission, resource, basis = m.group(1), m.group(2), "the 'do not have permission ... on resource' message"
    elif m := _MISSING_FOLLOWING.search(text):
        project, permission, basis = m.group(1), m.group(2), "the 'missing the following required permissions' list"
    elif m := _GIVE_PERMISSION.search(text):
        principal, permission = m.group(1), m.group(2)
        basis = "the 'Please give ... permission ... on' message"
    elif m := _THE_PERMISSION.search(text):
        permission, basis = m.group(1), "the permission the message names"
    if (access := _does_not_have_access(text)) is not None:
        m, who = access
        anonymous = who == "Anonymous caller"
        if who not in ("Anonymous caller", "Caller", "The caller", "the caller"):
            principal = who
        permission = permission or m.group(1)
        target = m.group(2).rstrip(".,")
        if resource is None and not target.startswith(("bucket", "object")) and target != "this":
            resource = target
        basis = basis or "the 'does not have ... access' message"
    elif m := _USER_DOES_NOT_HAVE.search(text):
        principal = m.group(1)
        permission = permission or m.group(2)
        project = m.group(3).rstrip(".,") if m.group(3) else None
        basis = basis or "the 'does not have ... permission' message"
    if m := _ACT_AS.search(text):
        principal = principal or None
        resource = resource or m.group(1)
        permission = permission or "iam.serviceAccounts.actAs"
        basis = basis or "the 'act as service account' message"
    if "does not have permission to " in text and (m := _NO_PERMISSION_TO.search(text)):
        principal = principal or m.group(1)
        resource = resource or m.group(2)
        basis = basis or "the 'does not have permission to ... table' message"
    if "does not have permission to access" in text and (m := _GCLOUD_USER.search(text)):
        principal = principal or m.group(1)
        if m.group(2).strip().startswith("project"):
            project = project or m.group(3)
        basis = basis or "gcloud's 'does not have permission to access'"
    if permission is None and (cut := _DOES_NOT_HAVE_PERMISSION_NAME.search(text)) is not None:
        permission = cut.group(1)
        basis = basis or "the 'does not have <permission>' message"
    if principal is None and (k8s := _K8S_USER.search(text)):
        principal = k8s.group(1)
    if principal is None and (authed := _AUTHENTICATED_AS.search(text)):
        principal = authed.group(1)
    if principal is None and (member := _WORKLOAD_MEMBER.search(text) or _MEMBER.search(text)):
        principal = member.group(1)
    if resource is None and (on_resource := _ON_THE_RESOURCE.search(text)):
        resource = on_resource.group(1)
    if not basis and not anonymous and (on_project := _DENIED_ON_PROJECT.search(text)) is not None:
        project, basis = on_project.group(1), "'Permission denied on resource project'"
    anonymous = anonymous or "Unauthenticated request" in text
    if not (basis or anonymous or principal or resource or project):
        return None
    return PermissionDenial(
        permission=permission,
        resource=_clean(resource),
        principal=principal,
        project=project,
        anonymous=anonymous,
        basis=basis,
    )


def _clean(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip().strip("'\"‘’“”[]")
    return value[:-1] if value.endswith((".", ",")) else value
