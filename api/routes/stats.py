"""GET /v1/stats (aggregated opt-in history) and GET /metrics (Prometheus)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from api.deps import DatabaseDep, require_api_key
from api.metrics import CONTENT_TYPE, Metrics
from api.problems import problem_responses
from api.schemas import StatsResponse
from api.services.history import HistoryWriter
from api.services.history import stats as history_stats

router = APIRouter(tags=["stats"])


@router.get(
    "/v1/stats",
    response_model=StatsResponse,
    responses=problem_responses(401, 422, 503),
    summary="Which denials people hit (needs an API key)",
    operation_id="stats",
    dependencies=[Depends(require_api_key)],
    openapi_extra={"security": [{"apiKey": []}]},
)
async def stats(
    request: Request,
    db: DatabaseDep,
    since: Annotated[dt.date | None, Query(description="First day (UTC) to count; default 30 days ago.")] = None,
    top: Annotated[int, Query(ge=1, le=100)] = 10,
) -> StatsResponse:
    """Top reasons, actions, services and (hashed) principals, and counts per day."""
    start = since or (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=30))
    history: HistoryWriter | None = request.app.state.history
    if history is not None:  # rows still queued count too: a dashboard should not lag its own diagnoses
        await anyio.to_thread.run_sync(history.flush, 2.0)
    return StatsResponse.model_validate(await db.run(lambda session: history_stats(session, start, top)))


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Prometheus text exposition."""
    registry: Metrics = request.app.state.metrics
    return Response(registry.exposition(), media_type=CONTENT_TYPE)
