"""GET /healthz: liveness, for load balancers and the Docker HEALTHCHECK."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.deps import CatalogDep
from api.schemas import HealthResponse

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
