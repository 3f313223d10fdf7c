"""POST /v1/diagnose: the one endpoint every client calls."""

from __future__ import annotations

import logging
import time

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool

from api.deps import CatalogDep, IamIndexDep, enforce_rate_limit
from api.metrics import Metrics
from api.problems import UNAVAILABLE, problem_responses
from api.schemas import DiagnoseRequest, DiagnoseResponse
from api.services.diagnosis import diagnose_request
from api.services.history import HistoryWriter

log = logging.getLogger("whydenied.history")
router = APIRouter(prefix="/v1", tags=["diagnose"])


@router.post(
    "/diagnose",
    response_model=DiagnoseResponse,
    responses=problem_responses(400, 413, 415, 422, 429),
    dependencies=[Depends(enforce_rate_limit)],
    summary="Diagnose a pasted access failure",
    operation_id="diagnose",
)
async def diagnose(request: Request, body: DiagnoseRequest, catalog: CatalogDep, iam_index: IamIndexDep) -> Response:
    """Classify the failure and return the guidance rendered for the facts read from it."""
    # Async on purpose: the work is a fraction of a millisecond of CPU and no I/O, cheaper on the
    # event loop than a hop to the thread pool. Only the opt-in history write does I/O: it hops.
    started = time.perf_counter()
    response = diagnose_request(body, catalog, iam_index)
    metrics: Metrics = request.app.state.metrics
    metrics.observe(response.provider, response.reason, time.perf_counter() - started)
    history: HistoryWriter | None = request.app.state.history
    if history is not None:  # opt-in: the reason, codes and a hash, never the paste
        try:
            response.id = await run_in_threadpool(history.record, response)
        except UNAVAILABLE:  # a database outage costs the history row, never the diagnosis
            log.warning("history not recorded: database unavailable")
    # The model was built and validated by diagnose_request: serialise it once, without FastAPI
    # validating it again against response_model (which stays for the OpenAPI document).
    return Response(response.model_dump_json(), media_type="application/json")
