"""POST /v1/scan: a whole log uploaded (CloudTrail, GCP audit log, text; gzip or not), its denials grouped.

The body is the log itself, bounded by WHYDENIED_SCAN_MAX_BYTES (BodyLimitMiddleware, 413), and by
eight times that once decompressed; its media type is one a log has (415 otherwise). A body that
is not a log is a 400 problem saying where it stopped reading. The scan runs in a worker thread.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from api.deps import CatalogDep, enforce_rate_limit
from api.problems import Problem, problem_responses
from api.scan.engine import Window, scan_stream
from api.scan.groups import Classifier
from api.scan.readers import ScanError
from api.scan.report import ScanResponse, build_report
from api.settings import Settings

router = APIRouter(prefix="/v1", tags=["scan"])

LOG_MEDIA_TYPES: Final = frozenset(
    {
        "application/json", "application/x-ndjson", "application/jsonl", "application/x-jsonlines",
        "application/gzip", "application/x-gzip", "application/octet-stream", "text/plain", "text/csv",
    }
)  # fmt: skip
EXPANSION: Final = 8  # a gzip body may decompress to this many times the size limit, no more
MAX_DISTINCT: Final = 2000  # distinct failures classified per request; text logs of many unique lines stop here
_BODY_DOC: Final[dict[str, Any]] = {
    "requestBody": {
        "required": True,
        "description": 'The log: a CloudTrail file ({"Records": [...]}), JSON lines, a JSON array of GCP audit '
        "entries, a CloudTrail Lake / Athena CSV export, or a text log; gzip-compressed or not.",
        "content": {
            media: {"schema": {"type": "string", "format": "binary"}}
            for media in ("application/json", "application/x-ndjson", "text/plain", "text/csv", "application/gzip")
        },
    }
}


@router.post(
    "/scan",
    response_model=ScanResponse,
    responses=problem_responses(400, 413, 415, 422, 429),
    dependencies=[Depends(enforce_rate_limit)],
    summary="Group the access denials in an uploaded log",
    operation_id="scan",
    openapi_extra=_BODY_DOC,
)
async def scan(
    request: Request,
    catalog: CatalogDep,
    since: Annotated[datetime | None, Query(description="skip denials before this ISO time")] = None,
    until: Annotated[datetime | None, Query(description="skip denials after this ISO time")] = None,
    top: Annotated[int | None, Query(ge=1, le=1000, description="only the N largest groups")] = None,
) -> Response:
    """Read the log, classify its denials, and answer the groups with the fix for each."""
    media = (request.headers.get("content-type") or "application/octet-stream").split(";", 1)[0].strip().lower()
    if media not in LOG_MEDIA_TYPES:
        raise Problem(
            415,
            "not-a-log",
            "Unsupported media type",
            "Send the log as application/json, application/x-ndjson, text/plain, text/csv or application/gzip.",
        )
    body = await request.body()
    if not body.strip():
        raise Problem(400, "empty-log", "Bad request", "The body is empty: send the log itself.")
    settings: Settings = request.app.state.settings
    window = Window(_utc(since), _utc(until)) if since or until else None
    try:
        part = await run_in_threadpool(_scan, body, window, settings.scan_max_bytes * EXPANSION)
    except ScanError as exc:
        raise Problem(400, "not-a-log", "Bad request", str(exc)) from exc
    report = build_report(part.aggregator, [("body", part.stats)], catalog, top, part.outside_window)
    return Response(report.model_dump_json(), media_type="application/json")


def _scan(body: bytes, window: Window | None, max_bytes: int) -> Any:
    classifier = Classifier(max_calls=MAX_DISTINCT)
    return scan_stream(io.BytesIO(body), "the body", window, classifier, max_bytes=max_bytes)


def _utc(when: datetime | None) -> datetime | None:
    if when is None:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
