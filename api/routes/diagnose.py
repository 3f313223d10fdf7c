"""POST /v1/diagnose: the one endpoint every client calls."""

from __future__ import annotations

import time
from typing import Annotated, Final, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from api.catalog import Catalog
from api.deps import enforce_rate_limit, require_api_key
from api.json_bytes import json_bytes
from api.live.apply import live_checks
from api.metrics import Metrics
from api.problems import Problem, problem_responses
from api.request_log import REASON_ATTRIBUTE
from api.schemas import DiagnoseRequest, DiagnoseResponse, LiveCheckResponse
from api.services.diagnosis import VERDICT_FIELDS, diagnose_body, diagnose_request, diagnose_verdict
from api.services.history import HistoryWriter
from api.services.least_privilege import IamActionIndex
from api.services.response_cache import CachedDiagnosis, ResponseCache, with_id
from api.settings import Settings

# Pastes up to this size are diagnosed on the event loop (well under a millisecond: a hop to the thread
# pool would cost more); larger ones, up to the body limit, in a worker thread (security review F5).
ON_LOOP_BYTES: Final = 8 * 1024
router = APIRouter(prefix="/v1", tags=["diagnose"])


@router.post(
    "/diagnose",
    response_model=DiagnoseResponse,
    responses=problem_responses(400, 401, 403, 413, 415, 422, 429, 503),
    dependencies=[Depends(enforce_rate_limit)],
    summary="Diagnose a pasted access failure",
    operation_id="diagnose",
)
async def diagnose(
    request: Request,
    body: DiagnoseRequest,
    fields: Annotated[
        Literal["all", "verdict"],
        Query(
            description="`verdict`: only provider, category, reason, confidence, facts, variant, note and id, "
            "with guidance null (no derived values, findings or trace; faster and smaller). Ignored with `live`."
        ),
    ] = "all",
) -> Response:
    """Classify the failure and return the guidance rendered for the facts read from it."""
    # Async on purpose: for a typical paste the work is a fraction of a millisecond of CPU and no I/O,
    # cheaper on the event loop than a hop to the thread pool.
    if body.live:
        await _allow_live_checks(request)
    return await answer(request, body, fields)


async def answer(request: Request, body: DiagnoseRequest, fields: str) -> Response:
    """The answer to a valid diagnose request (the route's, and the fast path's: api/routes/fast_diagnose.py)."""
    # From the app's state, not as dependencies: each dependency costs FastAPI's resolver ~25 µs a request.
    catalog: Catalog = request.app.state.catalog
    iam_index: IamActionIndex = request.app.state.iam_index
    started = time.perf_counter()
    verdict_only = fields == "verdict" and not body.live
    # The same body gets the same answer (api/services/response_cache.py), except with live checks.
    cache: ResponseCache = request.app.state.response_cache
    key = None if body.live else cache.key(fields, await request.body())
    cached = cache.get(key, catalog.gcp_roles) if key is not None else None
    on_loop = request_size(request) <= ON_LOOP_BYTES
    if cached is not None:
        response, payload = cached.verdict, cached.body
    elif body.live:  # the model itself: live checks fill in its confidence and outcomes below
        if on_loop:
            response = diagnose_request(body, catalog, iam_index)
        else:  # a long paste costs milliseconds: in a worker thread, so /healthz and small pastes are not held up
            response = await run_in_threadpool(diagnose_request, body, catalog, iam_index)
        payload = b""
    else:
        answered = _answer_verdict if verdict_only else _answer
        if on_loop:
            response, payload = answered(body, catalog, iam_index)
        else:
            response, payload = await run_in_threadpool(answered, body, catalog, iam_index)
        if key is not None:
            cache.put(key, catalog.gcp_roles, CachedDiagnosis(response, payload))
    setattr(request.state, REASON_ATTRIBUTE, response.reason)  # for the JSON request log, when on
    metrics: Metrics = request.app.state.metrics
    metrics.observe(response.provider, response.reason, time.perf_counter() - started)
    history: HistoryWriter | None = request.app.state.history
    if history is not None:  # opt-in: the reason, codes and a hash, never the paste; queued, never awaited
        diagnosis_id = history.record(response)
        if body.live:
            response.id = diagnosis_id
        else:  # this request's id, in its copy of the (maybe shared) answer
            payload = with_id(payload, diagnosis_id)
    if body.live:  # network I/O with the server's credentials: off the event loop
        settings: Settings = request.app.state.settings
        checks, response.confidence = await run_in_threadpool(
            lambda: live_checks(
                response.provider, response.reason, response.facts, response.confidence,
                timeout=settings.live_timeout_seconds, guidance=response.guidance,
            )
        )  # fmt: skip
        response.live = [LiveCheckResponse.model_validate(check) for check in checks]
        payload = b""
    return Response(payload or _serialise(response, verdict_only), media_type="application/json")


def _serialise(response: DiagnoseResponse, verdict_only: bool) -> bytes:
    if verdict_only:
        return response.model_dump_json(include=set(VERDICT_FIELDS)).encode()
    return response.model_dump_json().encode()


def _answer(body: DiagnoseRequest, catalog: Catalog, iam_index: IamActionIndex) -> tuple[DiagnoseResponse, bytes]:
    """The full answer's JSON, and its verdict (what the cache, the history and the metrics read).

    From the plain core, serialised as the wire model serialises it (same keys in the same order, same
    types: tests/api/test_diagnose_equivalence.py compares every corpus answer), without validating
    our own data into ~20 models first (FastAPI would not validate it either: the route returns bytes).
    """
    data = diagnose_body(body, catalog, iam_index)
    data["confidence"] = float(data["confidence"])  # the model's type: 1 would print as 1.0
    # (Validated, ~2 µs: pydantic's model_construct costs ~80 µs here, building a signature on each call.)
    verdict = DiagnoseResponse.model_validate({**{field: data[field] for field in _VERDICT_DATA}, "guidance": None})
    return verdict, json_bytes(data)


def _answer_verdict(
    body: DiagnoseRequest, _catalog: Catalog, _iam_index: IamActionIndex
) -> tuple[DiagnoseResponse, bytes]:
    """`?fields=verdict`: the verdict, and its JSON."""
    response = diagnose_verdict(body)
    return response, _serialise(response, verdict_only=True)


# What a verdict holds besides `guidance` (null in a verdict); derived, findings and live take their defaults.
_VERDICT_DATA: Final = tuple(sorted(VERDICT_FIELDS - {"guidance"}))


def request_size(request: Request) -> int:
    """The request body's size: Content-Length, or the body limit for a chunked one (assume large)."""
    length = request.headers.get("content-length", "")
    limit: int = request.app.state.settings.max_body_bytes
    return int(length) if length.isdigit() else limit


async def _allow_live_checks(request: Request) -> None:
    """Live checks spend the server's credentials: only when enabled, and only for a key holder."""
    settings: Settings = request.app.state.settings
    if not settings.live_checks_enabled:
        raise Problem(
            403,
            "live-checks-disabled",
            "Forbidden",
            "Live checks are off on this server (WHYDENIED_LIVE_CHECKS_ENABLED); run `whydenied explain --live` "
            "locally to use your own credentials.",
        )
    await require_api_key(request)
