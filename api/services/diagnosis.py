"""Diagnose one request: classify with the adapters, then render the matching entry's guidance.

Pure and in memory: the catalogue was compiled at start-up; no database, no network.
"""

from __future__ import annotations

from adapters.registry import diagnose as classify
from api.catalog import Catalog
from api.schemas import DiagnoseRequest, DiagnoseResponse, FindingResponse


def diagnose_request(request: DiagnoseRequest, catalog: Catalog) -> DiagnoseResponse:
    """Return the diagnosis and rendered guidance for one request."""
    diagnosis = classify(
        request.error,
        status_code=request.status_code,
        headers=request.headers,
        provider=request.provider,
    )
    facts = diagnosis.facts
    compiled = catalog.get(diagnosis.reason) if diagnosis.reason else None
    return DiagnoseResponse(
        provider=diagnosis.provider,
        category=diagnosis.category,
        reason=diagnosis.reason,
        confidence=round(diagnosis.confidence, 2),
        facts=facts,
        guidance=compiled.render(facts) if compiled else None,
        findings=[
            FindingResponse(field=f.field, value=f.value, evidence=f.evidence, basis=f.basis)
            for f in diagnosis.findings
        ],
        variant=diagnosis.variant,
        note=diagnosis.note,
    )
