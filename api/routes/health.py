"""GET /healthz (liveness) and GET /readyz (readiness), for load balancers, Kubernetes and the HEALTHCHECK.

Liveness says the process answers; it never touches the database (an outage must not get every
replica restarted). Readiness says this replica should get traffic: the catalogue is loaded and the
database was synced once (tables, entries, search index). A replica that started during a database
outage tries the sync again on each probe, so it turns ready once the database is back without
waiting for a request (a replica that is not ready gets none). Once synced it stays ready: a later
outage costs only the database-backed routes a 503, and diagnosing goes on.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from api.deps import CatalogDep
from api.problems import UNAVAILABLE, Problem, problem_responses
from api.schemas import HealthResponse
from api.storage import Storage

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthResponse, summary="Liveness", operation_id="healthz")
async def healthz(request: Request, catalog: CatalogDep) -> HealthResponse:
    """Say the service is up and how much content it loaded."""
    return HealthResponse(
        status="ok",
        entries=len(catalog.entries),
        reasons=len(catalog.taxonomy.reasons),
        version=request.app.version,
    )


@router.get(
    "/readyz",
    response_model=HealthResponse,
    responses=problem_responses(503),
    summary="Readiness: content loaded and the database synced",
    operation_id="readyz",
)
async def readyz(request: Request, catalog: CatalogDep) -> HealthResponse:
    """200 once the catalogue is loaded and the database synced; 503 (and a new sync attempt) before."""
    storage: Storage = request.app.state.storage
    if not storage.ready:
        try:  # blocking I/O, bounded by the engine's connect and statement timeouts: off the event loop
            await run_in_threadpool(storage.ensure_ready)
        except UNAVAILABLE:
            raise Problem(
                503, "not-ready", "Service unavailable", "The database is not synced yet.", headers={"Retry-After": "5"}
            ) from None
    return await healthz(request, catalog)
