"""POST /v1/diagnose without FastAPI's per-request machinery, for the plain case: same answer, less work.

FastAPI resolves a route's parameters and dependencies on every request (the body read, decoded and
validated, the query validated, the rate-limit dependency called): ~40% of the CPU of a diagnosis
answered from the response cache, and more than the diagnosis itself once cached. For a request
that needs none of what the route's signature adds (no rate limit configured, `fields` absent or
one of its two values, a JSON object body that validates as DiagnoseRequest, no live checks), this
middleware decodes and validates the body exactly as FastAPI would (json.loads, then the model) and
calls the route's own `answer`. Anything else (an invalid body, a rate limit, live checks, any other
query) goes on to the route untouched, which answers as it always did: errors are the route's.
"""

from __future__ import annotations

import json
from typing import Final

from pydantic import ValidationError
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.routes.diagnose import answer, router
from api.schemas import DiagnoseRequest

PATH: Final = "/v1/diagnose"
# The query strings the fast path answers: none, or `fields` with one of its values.
_FIELDS: Final = {b"": "all", b"fields=all": "all", b"fields=verdict": "verdict"}
ROUTE: Final = next(route for route in router.routes if getattr(route, "path", None) == PATH)


class FastDiagnose:
    """Answer a plain POST /v1/diagnose directly; hand anything else to the app unchanged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        fields = _FIELDS.get(scope["query_string"])
        state = scope["app"].state
        if fields is None or state.rate_limiter is not None or not _json_content(scope):
            await self.app(scope, receive, send)
            return
        message = await receive()  # the whole body: BodyLimitMiddleware read it and replays it in one message
        body = message.get("body", b"") if message["type"] == "http.request" else b""
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return message
            return await receive()

        request = _valid(body) if message["type"] == "http.request" and not message.get("more_body") else None
        if request is None or request.live:
            await self.app(scope, replay, send)  # the route's own parsing, errors and checks
            return
        scope["route"] = ROUTE  # what the request log names, as the router would have set it
        response = await answer(Request(scope, replay), request, fields)
        await response(scope, replay, send)


def _valid(body: bytes) -> DiagnoseRequest | None:
    """The body as the route would read it (FastAPI: json.loads, then the model), or None when it would not."""
    try:
        return DiagnoseRequest.model_validate(json.loads(body))
    except (ValueError, ValidationError):
        return None


def _json_content(scope: Scope) -> bool:
    """Content-Type application/json exactly (what FastAPI reads as JSON; anything else goes to the route)."""
    for name, value in scope["headers"]:
        if name == b"content-type":
            media: bytes = value.split(b";", 1)[0].strip().lower()
            return media == b"application/json"
    return False
