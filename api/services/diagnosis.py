"""Diagnose one request: classify with the adapters, then render the matching entry's guidance.

Pure and in memory: the catalogue was compiled at start-up; no database, no network.
`diagnose` is the core and returns the response as plain JSON data (what `whydenied explain` prints,
without importing pydantic); `diagnose_request` wraps it in the wire model for the service.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

from adapters.derived import DERIVED_FROM, derived_facts
from adapters.registry import diagnose as classify
from api.grants import gcp_binding
from api.render import compiled_template, placed_facts
from api.services.identity import identity
from api.services.least_privilege import IMPLICIT_DENY_PREFIX, IamActionIndex
from api.services.trace import trace

if TYPE_CHECKING:  # the wire models load with the service, not with the CLI's explain
    from api.plain_catalog import DiagnosisCatalog
    from api.schemas import DiagnoseRequest, DiagnoseResponse

# `guidance` stays (null): the contract lists it among the fields always present.
VERDICT_FIELDS = frozenset(
    {"provider", "category", "reason", "confidence", "facts", "guidance", "variant", "note", "id"}
)


def diagnose_verdict(request: DiagnoseRequest) -> DiagnoseResponse:
    """Return the verdict only (`?fields=verdict`): classified, with no guidance rendered and no trace.

    For clients that show the reason and look up the entry themselves (or not at all): rendering the
    guidance and the trace is most of a diagnosis's CPU and of its response's size.
    """
    from api.schemas import DiagnoseResponse

    diagnosis = classify(
        request.error,
        status_code=request.status_code,
        headers=request.headers,
        provider=request.provider,
    )
    return DiagnoseResponse(
        provider=diagnosis.provider,
        category=diagnosis.category,
        reason=diagnosis.reason,
        confidence=round(diagnosis.confidence, 2),
        facts=diagnosis.facts,
        guidance=None,  # null here: the verdict alone, nothing rendered
        variant=diagnosis.variant,
        note=diagnosis.note,
    )


# Implicit denies whose missing Allow belongs in a policy that names its principal.
_ENDPOINT_POLICY: Final = "aws.authz.implicit_deny.vpc_endpoint_policy"
_PRINCIPAL_POLICIES: Final = frozenset({"aws.authz.implicit_deny.resource_policy", _ENDPOINT_POLICY})


def diagnose_request(
    request: DiagnoseRequest,
    catalog: DiagnosisCatalog,
    iam_index: IamActionIndex | Callable[[], IamActionIndex] | None = None,
) -> DiagnoseResponse:
    """Return the diagnosis and rendered guidance for one request, as the wire model (see `diagnose`)."""
    from api.schemas import DiagnoseResponse

    return DiagnoseResponse.model_validate(diagnose_body(request, catalog, iam_index))


def diagnose_body(
    request: DiagnoseRequest,
    catalog: DiagnosisCatalog,
    iam_index: IamActionIndex | Callable[[], IamActionIndex] | None = None,
) -> dict[str, Any]:
    """Return `diagnose` of a validated request body, as plain JSON data (the service's routes)."""
    return diagnose(
        request.error,
        status_code=request.status_code,
        headers=request.headers,
        provider=request.provider,
        catalog=catalog,
        iam_index=iam_index,
    )


def diagnose(
    error: str | Mapping[str, Any] | list[Any],
    *,
    status_code: int | None = None,
    headers: Mapping[str, str] | None = None,
    provider: str | None = None,
    catalog: DiagnosisCatalog,
    iam_index: IamActionIndex | Callable[[], IamActionIndex] | None = None,
) -> dict[str, Any]:
    """Return the diagnosis and rendered guidance for one request, as the response's JSON data.

    The input must already be within the request limits (api/schemas.py, api/request_limits.py).
    `iam_index` may be a loader, called only when an implicit deny needs a statement (the CLI
    then pays for the IAM data only when it uses it).
    """
    diagnosis = classify(error, status_code=status_code, headers=headers, provider=provider)
    facts = diagnosis.facts
    derived = derived_facts(facts)
    reason = diagnosis.reason
    compiled = catalog.get(reason) if reason else None
    permission = facts.get("permission")
    roles = catalog.gcp_roles.suggest(permission) if catalog.gcp_roles and isinstance(permission, str) else None
    extra = {"role": roles["roles"][0], "grant_on": roles["grant_on"]} if roles else None
    known = {**derived, **facts}  # stated facts win over what is derived from them
    # Which facts commands may hold, their quoted values and the case, once for the guidance and the
    # trace (a role suggestion adds facts of its own: its guidance works them out again).
    placed = placed_facts(known)
    guidance = compiled.render(facts, extra, derived=derived, placed=None if extra else placed) if compiled else None
    if guidance is not None and roles is not None and reason is not None and reason.startswith("gcp.authz."):
        # The smallest predefined role that holds the denied permission, and the command to grant it
        # on the resource the paste names (or the level the role is usually granted on).
        command = gcp_binding(roles["grant_on"], derived.get("resource_type"))
        template = compiled_template(command, catalog.placeholder_keys)
        with_role = {**derived, "role": roles["roles"][0], **facts}
        roles["command"] = template.render(with_role)
        roles["missing"] = sorted(key for key in template.fact_keys if key not in with_role)
        roles["changes"] = roles["changes_state"] = True  # a grant: every surface marks it as a change
        guidance["role_suggestion"] = roles
    if guidance is not None and (layers := trace(reason, known, catalog, placed)) is not None:
        guidance["trace"] = layers  # the provider's evaluation order, the layer that said no marked
    if guidance is not None and (caller := identity(diagnosis.provider, known)) is not None:
        guidance["identity"] = caller  # who really made the call, and why each part matters here
    action, resource = facts.get("action"), facts.get("resource")
    implicit_deny = reason is not None and reason.startswith(IMPLICIT_DENY_PREFIX)
    if guidance is not None and iam_index is not None and implicit_deny and isinstance(action, str):
        # The narrowest Allow that the layer which denied is missing, for this action and resource.
        index = iam_index if isinstance(iam_index, IamActionIndex) else iam_index()
        suggestion = index.suggest(action, resource if isinstance(resource, str) else None)
        principal = derived.get("policy_principal")
        if suggestion is not None and reason in _PRINCIPAL_POLICIES and principal:
            # A resource or endpoint policy statement must name whom it allows (one without
            # Principal is refused): the role behind a session, or the user, as the fix steps do.
            # Gateway endpoints take only "*", narrowed by aws:PrincipalArn, which also suits
            # interface endpoints.
            statement = suggestion["policy"]["Statement"][0]
            if reason == _ENDPOINT_POLICY:
                named = {"Principal": "*", "Condition": {"StringEquals": {"aws:PrincipalArn": principal}}}
            else:
                named = {"Principal": {"AWS": principal}}
            if derived.get("resource_type") == "kms_key":  # in a key policy, "*" means "this KMS key"
                statement = {**statement, "Resource": "*"}
            head = {key: statement[key] for key in ("Sid", "Effect") if key in statement}
            suggestion["policy"]["Statement"][0] = {**head, **named, **statement}  # Principal after Effect
        guidance["least_privilege"] = suggestion
    # The keys in the wire model's order (api/schemas.py DiagnoseResponse): `--json` prints them so.
    return {
        "provider": diagnosis.provider,
        "category": diagnosis.category,
        "reason": diagnosis.reason,
        "confidence": round(diagnosis.confidence, 2),
        "facts": facts,
        "guidance": guidance,
        "derived": derived,
        "findings": [
            {"field": f.field, "value": f.value, "evidence": f.evidence, "basis": f.basis} for f in diagnosis.findings
        ]
        + [
            {"field": key, "value": value, "evidence": "inferred", "basis": _derived_basis(key)}
            for key, value in derived.items()
        ],
        "variant": diagnosis.variant,
        "id": None,
        "note": diagnosis.note,
        "live": None,
    }


def _derived_basis(key: str) -> str:
    return _DERIVED_BASES.get(key, "derived from the resource")


# Made once: every diagnosis names the basis of each derived value.
_DERIVED_BASES: Final = {key: f"derived from the {source}" for key, source in DERIVED_FROM.items()}
