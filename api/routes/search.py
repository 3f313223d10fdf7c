"""GET /v1/search: find entries, guides and playbooks by error code or by words."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from api.deps import DatabaseDep
from api.problems import problem_responses
from api.schemas import SearchHitResponse
from api.search import SearchIndex

router = APIRouter(prefix="/v1", tags=["search"])


@router.get(
    "/search",
    response_model=list[SearchHitResponse],
    responses=problem_responses(422, 503),
    summary="Search the guidance",
    operation_id="search",
)
async def search(
    request: Request,
    db: DatabaseDep,
    q: Annotated[str, Query(min_length=1, max_length=500, description="Words or an error code.")],
    provider: Annotated[str | None, Query(max_length=32, pattern=r"^[a-z0-9_-]+$")] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> list[SearchHitResponse]:
    """Return the entries that best match the query, best first."""
    index: SearchIndex = request.app.state.search
    # The index opens its own connection; the turn bounds how many searches use the database at once.
    hits = await db.run(lambda _session: index.search(q, provider, limit))
    return [SearchHitResponse.model_validate(hit, from_attributes=True) for hit in hits]
