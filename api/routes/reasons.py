"""GET /v1/reasons: the taxonomy, with whether guidance exists for each reason."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CatalogDep
from api.schemas import ReasonResponse

router = APIRouter(prefix="/v1", tags=["reasons"])


@router.get(
    "/reasons", response_model=list[ReasonResponse], summary="List every reason id", operation_id="list_reasons"
)
def list_reasons(catalog: CatalogDep) -> list[ReasonResponse]:
    """Return every taxonomy reason with its category and whether an entry exists."""
    return [
        ReasonResponse(
            id=info.id,
            category=info.category,
            provider=info.provider,
            has_entry=info.id in catalog.entries,
        )
        for info in catalog.taxonomy.reasons.values()
    ]
