"""Diagnose one request: classify with the adapters, then render the matching entry's guidance.

Pure and in memory: the catalogue was compiled at start-up; no database, no network.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from adapters.derived import DERIVED_FROM, derived_facts
from adapters.registry import diagnose as classify
from api.catalog import Catalog
from api.grants import gcp_binding
from api.render import compiled_template
from api.schemas import DiagnoseRequest, DiagnoseResponse, FindingResponse
from api.services.identity import identity
from api.services.least_privilege import IMPLICIT_DENY_PREFIX, IamActionIndex
from api.services.trace import trace

# `guidance` stays (null): the contract lists it among the fields always present.
VERDICT_FIELDS = frozenset(
    {"provider", "category", "reason", "confidence", "facts", "guidance", "variant", "note", "id"}
)


def diagnose_verdict(request: DiagnoseRequest) -> DiagnoseResponse:
    """Return the verdict only (`?fields=verdict`): classified, with no guidance rendered and no trace.

    For clients that show the reason and look up the entry themselves (or not at all): rendering the
    guidance and the trace is most of a diagnosis's CPU and of its response's size.
    """
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
    catalog: Catalog,
    iam_index: IamActionIndex | Callable[[], IamActionIndex] | None = None,
) -> DiagnoseResponse:
    """Return the diagnosis and rendered guidance for one request.

    `iam_index` may be a loader, called only when an implicit deny needs a statement (the CLI
    then pays for the IAM data only when it uses it).
    """
    diagnosis = classify(
        request.error,
        status_code=request.status_code,
        headers=request.headers,
        provider=request.provider,
    )
    facts = diagnosis.facts
    derived = derived_facts(facts)
    reason = diagnosis.reason
    compiled = catalog.get(reason) if reason else None
    permission = facts.get("permission")
    roles = catalog.gcp_roles.suggest(permission) if catalog.gcp_roles and isinstance(permission, str) else None
    extra = {"role": roles["roles"][0], "grant_on": roles["grant_on"]} if roles else None
    guidance = compiled.render(facts, extra, derived=derived) if compiled else None
    if guidance is not None and roles is not None and reason is not None and reason.startswith("gcp.authz."):
        # The smallest predefined role that holds the denied permission, and the command to grant it
        # on the resource the paste names (or the level the role is usually granted on).
        command = gcp_binding(roles["grant_on"], derived.get("resource_type"))
        template = compiled_template(command, catalog.taxonomy.placeholder_keys)
        known = {**derived, "role": roles["roles"][0], **facts}
        roles["command"] = template.render(known)
        roles["missing"] = sorted(key for key in template.fact_keys if key not in known)
        roles["changes"] = roles["changes_state"] = True  # a grant: every surface marks it as a change
        guidance["role_suggestion"] = roles
    if guidance is not None and (layers := trace(reason, {**derived, **facts}, catalog)) is not None:
        guidance["trace"] = layers  # the provider's evaluation order, the layer that said no marked
    if guidance is not None and (caller := identity(diagnosis.provider, {**derived, **facts})) is not None:
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
    return DiagnoseResponse(
        provider=diagnosis.provider,
        category=diagnosis.category,
        reason=diagnosis.reason,
        confidence=round(diagnosis.confidence, 2),
        facts=facts,
        guidance=guidance,
        derived=derived,
        findings=[
            *(
                FindingResponse(field=f.field, value=f.value, evidence=f.evidence, basis=f.basis)
                for f in diagnosis.findings
            ),
            *(
                FindingResponse(field=key, value=value, evidence="inferred", basis=_derived_basis(key))
                for key, value in derived.items()
            ),
        ],
        variant=diagnosis.variant,
        note=diagnosis.note,
    )


def _derived_basis(key: str) -> str:
    return f"derived from the {DERIVED_FROM.get(key, 'resource')}"
