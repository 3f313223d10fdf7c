"""The GCP adapter: Google's error model in every rendering, and the layer that said no.

Order of trust: the ErrorInfo reason (google.api.ErrorReason); phrases that name a layer which
is not IAM (VPC Service Controls, org policy, Firebase Security Rules, scopes, API-key
restrictions, a disabled API or billing); the denied permission (impersonation and the quota
project have their own reasons); the legacy `errors[].reason`; the canonical status last.
"""

from __future__ import annotations

from typing import ClassVar, Final

from adapters.base import _CONTROL_CHARACTERS, Category, Diagnosis, Evidence, FindingsBuilder, Payload
from adapters.gcp.codes import (
    ERROR_REASONS,
    GCP_MARKERS,
    IMPERSONATION_PERMISSIONS,
    LEGACY_REASONS,
    NOT_ACCESS_PHRASES,
    NOT_ACCESS_STATUSES,
    PHRASES,
)
from adapters.gcp.grammar import PermissionDenial, read_permission_denial
from adapters.gcp.surface import GoogleError, read_google_error, walk_strings
from adapters.lazyre import lazy_compile
from adapters.markers import MarkerSet

PROVIDER: Final = "gcp"

CATEGORY_OF: Final[dict[str, Category]] = {
    "gcp.authn.missing_credentials": "authentication",
    "gcp.authn.invalid_credentials": "authentication",
    "gcp.authn.expired_credentials": "authentication",
    "gcp.authn.signature_mismatch": "authentication",
    "gcp.authz.iam_permission_denied": "authorization",
    "gcp.authz.deny_policy": "authorization",
    "gcp.authz.firebase_security_rules": "authorization",
    "gcp.authz.insufficient_scopes": "authorization",
    "gcp.authz.vpc_service_controls": "authorization",
    "gcp.authz.org_policy": "authorization",
    "gcp.authz.service_account_impersonation": "authorization",
    "gcp.authz.api_key_restricted": "authorization",
    "gcp.authz.user_project_denied": "authorization",
    "gcp.other.service_disabled": "other",
    "gcp.other.billing_disabled": "other",
    "gcp.other.consumer_invalid": "other",
    "gcp.other.consumer_suspended": "other",
}

# "The caller does not have permission", "Request denied by Cloud IAM.", Cloud Run's GFE page
_GENERIC_DENIAL = lazy_compile(
    r"[Tt]he caller does not have permission|Request denied by Cloud IAM|does not have permission to get URL"
    r"|User not authorized to perform this action|does not have permission|PERMISSION_DENIED|IAM permission denied"
    r"|You do not have permission to access|Permission denied on|not authorized to make this request"
    r"|Your client does not have permission to"
)
# Cloud Storage's XML API answers a bad signature with S3's code; its host or wording makes it Google's.
_SIGNATURE_CODE = lazy_compile(r"SignatureDoesNotMatch|signature we calculated does not match")
_GOOGLE_STORAGE_HOST = lazy_compile(r"storage\.googleapis\.com|storage\.cloud\.google\.com|Google secret key")
_QUOTA_PERMISSION: Final = "serviceusage.services.use"
_WS = lazy_compile(r"\s+")
# Quotes escaped once or more by the layers a message went through: \" and \\' (JSON in a string, Python reprs)
_ESCAPED_QUOTE = lazy_compile(r"\\{1,8}(['\"])")
# "vpcServiceControlsUniqueIdentifier: 3f8a..." as printed in messages
_USED_IN_PROJECT = lazy_compile(r"has not been used in project ([A-Za-z0-9_.:-]{2,63}) before")
# A disabled API's message links to its console page, which names the service:
# "Enable it by visiting https://console.developers.google.com/apis/api/sheets.googleapis.com/overview?project=1"
_CONSOLE_API = lazy_compile(
    r"console\.(?:developers|cloud)\.google\.com/apis/(?:api|library)/([a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){0,4}\.googleapis\.com)\b"
)
_PAIRED_STATUS = lazy_compile(
    r"\b(?:400|401|403|404|429) (?:PERMISSION_DENIED|UNAUTHENTICATED|RESOURCE_EXHAUSTED|NOT_FOUND)\b"
)
_VPCSC_ID = lazy_compile(r"vpcServiceControlsUniqueIdentifier\"?:? ?\"?([A-Za-z0-9_-]{8,200})")
# An organization policy violation names its constraint: "constraints/iam.allowedPolicyMemberDomains"
_CONSTRAINT = lazy_compile(r"\bconstraints/([A-Za-z][A-Za-z0-9_]{0,63}(?:\.[A-Za-z][A-Za-z0-9_]{0,80}){1,3})")
# "projects/123456789" in metadata.consumer, "project 123456789" in messages
_PROJECT_IN = lazy_compile(
    r"projects/([a-z0-9-]{4,63})|\b[Pp]roject[ =]['\"\[]?([a-z][a-z0-9-]{4,61}[a-z0-9]|\d{6,20})\b"
)


class GcpAdapter:
    """Classifies Google Cloud (and Google API) authentication and authorization failures."""

    name: ClassVar[str] = PROVIDER

    def parse(self, payload: Payload) -> Diagnosis | None:
        """Classify the payload, or return None when nothing in it is Google's."""
        if not _may_be_google(payload):
            return None  # cheap sniffing first: parsing Google's many renderings costs
        # The text, plus the strings inside a parsed body: a JSON log line's "error" value, a
        # Google error serialised as a string inside another body.
        strings = " ".join(walk_strings(payload.data)) if payload.data is not None else ""
        flat = _WS.sub(" ", f"{payload.flat} {strings}").strip() if strings else payload.flat
        # JSON-in-a-string quotes: requires one of [\"container.pods.create\"]; Python reprs: Permission \'x\' denied
        flat = _ESCAPED_QUOTE.sub(r"\1", flat)
        error = read_google_error(flat, payload.data)
        search = flat if error is None or not error.message else f"{flat} {error.message}"
        denial = read_permission_denial(search)
        if not self._is_google(payload, error, denial):
            return None
        error = error or GoogleError()
        found = FindingsBuilder()
        confidence = _classify(found, search, error, denial)
        _add_facts(found, search, error, denial, payload)
        findings = found.build()
        reason = next((str(f.value) for f in findings if f.field == "reason"), None)
        return Diagnosis(
            provider=PROVIDER,
            reason=reason,
            category=CATEGORY_OF[reason] if reason else "other",
            confidence=confidence,
            findings=findings,
            note=None if reason else _not_access_note(error),
        )

    @staticmethod
    def _is_google(payload: Payload, error: GoogleError | None, denial: PermissionDenial | None) -> bool:
        strings = " ".join(walk_strings(payload.data)) if payload.data is not None else ""
        if _GCP_MARKERS.found(payload.flat) or (strings and _GCP_MARKERS.found(strings)):
            return True
        if error is not None and (error.error_reason or error.basis == "the Cloud Audit Log entry"):
            return True
        if error is not None and error.basis == "the Google error body" and error.status is not None:
            return True  # {"error": {"code": 403, "status": "PERMISSION_DENIED", ...}}
        if _PAIRED_STATUS.search(payload.flat) is not None:
            return True  # "403 PERMISSION_DENIED": Google pairs the HTTP status with the canonical code
        if denial is not None and denial.permission is not None:
            return True
        if payload.provider_hint != PROVIDER or payload.header("www-authenticate") is not None:
            return False
        return error is not None or payload.status_code in (401, 403)


_GCP_MARKERS: Final = MarkerSet(GCP_MARKERS)
_BODY_KEYS: Final = frozenset({"error", "protoPayload", "entries", "errors", "status"})
# Literals that _is_google() can accept a payload on without a marker: an ErrorInfo reason
# (IAM_PERMISSION_DENIED, SERVICE_DISABLED, ...), a paired status ("403 PERMISSION_DENIED"), or the
# permission grammar ("Permission 'x' denied", "does not have x access", "Required 'x' permission").
_GOOGLE_HINTS: Final = (
    "ermission", "does not have", "equired ", "lacks IAM", "requires one of", "UNAUTHENTICATED",
    "_DENIED", "_DISABLED", "_BLOCKED", "_INVALID", "_EXPIRED", "_INSUFFICIENT", "_MISSING", "_VIOLATED",
    "_EXCEEDED", "_UNSUPPORTED", "_CREDENTIALS", "_FAILED", "_NOT_FOUND",
)  # fmt: skip


def _may_be_google(payload: Payload) -> bool:
    """Tell, cheaply, whether anything in the payload could make it Google's (no false negatives)."""
    if payload.provider_hint == PROVIDER or isinstance(payload.data, list):
        return True
    if isinstance(payload.data, dict) and _BODY_KEYS & set(payload.data):
        return True
    if any(hint in payload.flat for hint in _GOOGLE_HINTS):
        return True
    return _GCP_MARKERS.found(payload.flat)


def _classify(found: FindingsBuilder, text: str, error: GoogleError, denial: PermissionDenial | None) -> float:
    """Record the reason; return the confidence."""
    permission = error.permission or error.metadata.get("permission") or (denial.permission if denial else None)
    said: Evidence = "reported"

    if error.error_reason and error.error_reason in ERROR_REASONS:
        reason = ERROR_REASONS[error.error_reason]
        if reason == "gcp.authz.iam_permission_denied" and permission:
            reason = _by_permission(permission) or reason
        if reason is None:
            return 0.9  # a quota or rate limit: recognised, not an access failure
        found.add("reason", reason, said, f"the ErrorInfo reason {error.error_reason}")
        return 0.95

    if _SIGNATURE_CODE.search(text) is not None and _GOOGLE_STORAGE_HOST.search(text) is not None:
        found.add("reason", "gcp.authn.signature_mismatch", said, "SignatureDoesNotMatch from Cloud Storage")
        return 0.9

    for pattern, phrase_reason in PHRASES:
        if phrase_reason is None or (match := pattern.search(text)) is None:
            continue
        if phrase_reason.startswith("gcp.authn.") and permission and denial and not denial.anonymous:
            continue  # "Permission X denied" with credentials words nearby is still a permission denial
        found.add("reason", phrase_reason, said, f'the words "{match.group(0)[:80]}"')
        return 0.9

    if permission:
        reason = _by_permission(permission) or "gcp.authz.iam_permission_denied"
        basis = denial.basis if denial else "the denied permission in the audit log"
        found.add("reason", reason, said, f"{basis} naming {permission}")
        return 0.9
    if denial is not None and denial.project and not denial.permission and "resource project" in denial.basis:
        found.add("reason", "gcp.other.consumer_invalid", "inferred", f"{denial.basis} with no permission named")
        return 0.6

    if NOT_ACCESS_PHRASES.search(text) is not None:
        return 0.85  # a quota, capacity or already-exists error that happens to say 403 or 409
    if error.registry_code == "UNAUTHORIZED":
        found.add("reason", "gcp.authn.missing_credentials", said, "the registry's UNAUTHORIZED")
        return 0.75
    if error.legacy_reason and error.legacy_reason not in LEGACY_REASONS:
        return 0.75  # the API names its own reason (productNotCompatibleWithDevice): not an IAM denial
    if error.legacy_reason and error.legacy_reason in LEGACY_REASONS:
        legacy = LEGACY_REASONS[error.legacy_reason]
        if legacy is None:
            return 0.85
        found.add("reason", legacy, said, f"the legacy reason {error.legacy_reason}")
        return 0.8
    if error.status in NOT_ACCESS_STATUSES and _GENERIC_DENIAL.search(text) is None:
        return 0.85
    if error.status == "UNAUTHENTICATED" or error.http_status == 401:
        found.add("reason", "gcp.authn.invalid_credentials", "inferred", "UNAUTHENTICATED with no reason given")
        return 0.6
    if (generic := _GENERIC_DENIAL.search(text)) is not None or error.http_status == 403:
        basis = f'the words "{generic.group(0)}"' if generic else "a Google 403 with no reason given"
        found.add("reason", "gcp.authz.iam_permission_denied", "inferred", basis)
        return 0.65
    return 0.5


_IMPERSONATION_LOWER: Final = frozenset(p.lower() for p in IMPERSONATION_PERMISSIONS)


def _by_permission(permission: str) -> str | None:
    # gcloud prints "iam.serviceaccounts.actAs" in lower case; IAM itself does not care.
    if permission.lower() in _IMPERSONATION_LOWER:
        return "gcp.authz.service_account_impersonation"
    if permission == _QUOTA_PERMISSION:
        return "gcp.authz.user_project_denied"
    return None


def _add_facts(
    found: FindingsBuilder, text: str, error: GoogleError, denial: PermissionDenial | None, payload: Payload
) -> None:
    said: Evidence = "reported"
    meta = error.metadata
    found.add(
        "principal",
        error.principal or (denial.principal if denial else None) or meta.get("principal"),
        said,
        error.basis,
    )
    found.add(
        "permission",
        error.permission or meta.get("permission") or (denial.permission if denial else None),
        said,
        "the message",
    )
    found.add(
        "resource",
        error.resource or (denial.resource if denial else None) or meta.get("fullResourceName"),
        said,
        "the message",
    )
    # A disabled API names its consumer project: "has not been used in project 123 before"
    used_in = _USED_IN_PROJECT.search(text)
    project = used_in.group(1) if used_in else (denial.project if denial else None)
    if project is None and (consumer := meta.get("consumer") or meta.get("containerInfo")):
        project = consumer.removeprefix("projects/")
    if project is None and (in_text := _PROJECT_IN.search(text)) is not None:
        project = in_text.group(1) or in_text.group(2)
    found.add("project", project, said, "the project the message names")
    # A printed "service: x" that is not a service name ("Error enabling service:\nError ...") is not a fact.
    meta_service = meta.get("service")
    service = error.service or (meta_service if meta_service and "." in meta_service else None)
    if service is None and (link := _CONSOLE_API.search(text)) is not None:
        found.add("service", link.group(1), said, "the console link in the message")
    else:
        found.add("service", service, said, error.basis)
    found.add("operation", error.operation or meta.get("method"), said, error.basis)
    xml_code = payload.xml.get("Code")  # GCS XML: <Error><Code>SecurityPolicyViolated</Code>...
    found.add("code", error.registry_code or xml_code or error.status or error.legacy_reason, said, error.basis)
    found.add("status_code", payload.status_code or error.http_status, said, "the HTTP status")
    found.add("error_reason", error.error_reason, said, "the ErrorInfo reason")
    found.add("error_info_id", meta.get("errorInfoId") or meta.get("error_info_id"), said, "the ErrorInfo metadata")
    vpcsc = meta.get("vpcServiceControlsUniqueId") or meta.get("vpcServiceControlsUniqueIdentifier")
    if vpcsc is None and (match := _VPCSC_ID.search(text)) is not None:
        vpcsc = match.group(1)
    if vpcsc is None and error.error_reason == "SECURITY_POLICY_VIOLATED":
        vpcsc = meta.get("uid")
    found.add("vpcsc_unique_id", vpcsc, said, "the VPC Service Controls unique id")
    if (constraint := _CONSTRAINT.search(text)) is not None:
        found.add("constraint", constraint.group(1), said, "the constraint the message names")
    found.add("request_id", error.request_id, said, error.basis)
    for key, value, basis in error.identity:  # who really made the call (adapters/gcp/identity.py)
        found.add(key, value, said, basis)


def _not_access_note(error: GoogleError) -> str:
    # The ErrorInfo reason is the paste's own text: the note reaches a terminal, so it loses control
    # characters as facts do (ESC ]52 would write the clipboard).
    what = (error.error_reason or error.status or error.legacy_reason or "").translate(_CONTROL_CHARACTERS)
    what = what or "this error"
    return (
        f"{what} is a Google Cloud error, but not an access failure: no role or credential change will fix it. "
        "Read the message for the quota, resource or argument it names."
    )
