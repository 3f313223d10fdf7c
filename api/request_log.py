"""Structured request logs (WHYDENIED_LOG_FORMAT=json): one JSON line a request, for log pipelines.

Each line says which request (a fresh id, also sent back as X-Request-ID so a user can quote it),
which route (the route's template, `/v1/entries/{entry_id}`, never the path: a path can carry facts), the
status, the duration and, for a diagnosis, the reason id. Never the paste, a query string, or any
header value: those are the user's data and may hold credentials. Other log records of the service
(`whydenied.*`) are written as JSON lines too, so a pipeline parses one format.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import time
import uuid
from typing import Any, Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("whydenied.access")
# The attribute a route sets on request.state to add the diagnosis's reason id to its log line.
REASON_ATTRIBUTE: Final = "log_reason"


class RequestLogMiddleware:
    """Log one line per HTTP request once its response has started (or the request failed)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        started = time.perf_counter()
        status = 500  # what the client gets if the app raises before answering

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            fields: dict[str, Any] = {
                "request_id": request_id,
                "method": scope.get("method", ""),
                "route": _route(scope),
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            }
            reason = scope.get("state", {}).get(REASON_ATTRIBUTE)
            if isinstance(reason, str):
                fields["reason"] = reason
            log.info("request", extra={"fields": fields})


def _route(scope: Scope) -> str:
    """The matched route's template (a mount's prefix for /mcp and /static); never the raw path."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else "unmatched"


class JsonFormatter(logging.Formatter):
    """A log record as one JSON object: time, level, logger, message and the record's `fields`."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info and record.exc_info[0] is not None:
            line["exception"] = record.exc_info[0].__name__  # the type only: a message may quote input
        return json.dumps(line, ensure_ascii=False)


def configure_json_logging() -> None:
    """Send the service's log records (`whydenied.*`, uvicorn's errors) to stderr as JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in ("whydenied", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(logging.INFO)
        logger.propagate = False
