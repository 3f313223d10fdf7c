"""Diagnose one request: classify with the adapters, then render the matching entry's guidance.

Pure and in memory: the catalogue was compiled at start-up; no database, no network.
"""

from __future__ import annotations

from adapters.registry import diagnose as classify
from api.catalog import Catalog
from api.schemas import DiagnoseRequest, DiagnoseResponse, FindingResponse
from api.services.least_privilege import IMPLICIT_DENY_PREFIX, IamActionIndex


def diagnose_request(
    request: DiagnoseRequest, catalog: Catalog, iam_index: IamActionIndex | None = None
) -> DiagnoseResponse:
    """Return the diagnosis and rendered guidance for one request."""
    diagnosis = classify(
        request.error,
        status_code=request.status_code,
        headers=request.headers,
        provider=request.provider,
    )
    facts = diagnosis.facts
    reason = diagnosis.reason
    compiled = catalog.get(reason) if reason else None
    guidance = compiled.render(facts) if compiled else None
    action, resource = facts.get("action"), facts.get("resource")
    implicit_deny = reason is not None and reason.startswith(IMPLICIT_DENY_PREFIX)
    if guidance is not None and iam_index is not None and implicit_deny and isinstance(action, str):
        # The narrowest Allow that the layer which denied is missing, for this action and resource.
        guidance["least_privilege"] = iam_index.suggest(action, resource if isinstance(resource, str) else None)
    return DiagnoseResponse(
        provider=diagnosis.provider,
        category=diagnosis.category,
        reason=diagnosis.reason,
        confidence=round(diagnosis.confidence, 2),
        facts=facts,
        guidance=guidance,
        findings=[
            FindingResponse(field=f.field, value=f.value, evidence=f.evidence, basis=f.basis)
            for f in diagnosis.findings
        ],
        variant=diagnosis.variant,
        note=diagnosis.note,
    )
