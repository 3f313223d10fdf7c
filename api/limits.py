"""ASGI middleware that refuses oversized and non-JSON request bodies before anything parses them.

413 when Content-Length exceeds the limit, or when a body without one (chunked) grows past
it while streaming; 415 when a POST/PUT/PATCH says it is not JSON. Both as problem+json, except a
413 on the web form (POST /), which a `page_refusal` hook answers with a page a person can read.
Paths in `raw_bodies` (POST /v1/scan: a whole log) have their own limit and any media type;
the route reads them.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import Problem, problem_response
from api.schemas import MAX_JSON_DEPTH

_BODY_METHODS: Final = frozenset({"POST", "PUT", "PATCH"})
# The request object adds one level to the `error` object's own limit (schemas.MAX_JSON_DEPTH).
MAX_BODY_DEPTH: Final = MAX_JSON_DEPTH + 1
# How much of an oversized form post is read (and dropped) before the page answers: a browser that is
# still sending when the server answers and closes may show "connection reset" instead of the page.
_DRAIN_LIMIT: Final = 4 * 1024 * 1024
# A page for an oversized body outside the API: (scope, receive, send, limit in bytes) -> None
PageRefusal = Callable[[Scope, Receive, Send, int], Awaitable[None]]


class BodyLimitMiddleware:
    """Enforce the body size limit and the JSON media type on requests with bodies."""

    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int,
        json_prefix: str = "/v1/",
        page_refusal: PageRefusal | None = None,
        raw_bodies: dict[str, int] | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.json_prefix = json_prefix
        self.page_refusal = page_refusal
        self.raw_bodies = raw_bodies or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
        raw_limit = self.raw_bodies.get(scope["path"])
        limit = raw_limit or self.max_body_bytes
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await self._refuse_size(scope, receive, send, limit)
            return
        json_path = raw_limit is None and scope["path"].startswith(self.json_prefix)  # a log's route checks its type
        if json_path and "content-type" not in headers:
            # A client that names no media type: the body is read as JSON (the parser decides), as
            # the README says; without this the framework would hand the model raw bytes (a 422).
            scope = {**scope, "headers": [*scope["headers"], (b"content-type", b"application/json")]}
        elif json_path and not _is_json(headers.get("content-type")):
            problem = Problem(
                415,
                "not-json",
                "Unsupported media type",
                "Send the body as JSON with Content-Type: application/json.",
            )
            await problem_response(problem, app=scope.get("app"))(scope, receive, send)
            return

        # Read the whole (bounded) body here, then replay it: an error raised from inside
        # receive() would be turned into a 400 by the framework's body parser.
        chunks: list[bytes] = []
        received = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, receive, send)  # client went away: let the app see it
                return
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > limit:
                await self._refuse_size(scope, receive, send, limit)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        refusal = _unparseable(body) if json_path else None
        if refusal is not None:
            await problem_response(refusal, app=scope.get("app"))(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse_size(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        if self.page_refusal is not None and scope["path"] == "/":  # the web form; MCP and the API get JSON
            await _drain(receive)
            await self.page_refusal(scope, receive, send, limit)
            return
        what = (
            "send only the error itself" if limit == self.max_body_bytes else "split the log, or use `whydenied scan`"
        )
        problem = Problem(
            413,
            "too-large",
            "Request body too large",
            f"The body is larger than {limit} bytes; {what}.",
        )
        await problem_response(problem, app=scope.get("app"))(scope, receive, send)


async def _drain(receive: Receive) -> None:
    """Read and drop the rest of a refused body, up to _DRAIN_LIMIT bytes (then the connection closes)."""
    drained = 0
    while drained <= _DRAIN_LIMIT:
        message = await receive()
        if message["type"] != "http.request":
            return
        drained += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


def _unparseable(body: bytes) -> Problem | None:
    """Refuse, before any parser runs, a body that is not UTF-8 or that nests absurdly deep."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return Problem(415, "not-json", "Unsupported media type", "The request body is not UTF-8 encoded JSON.")
    if _too_deep(body):
        # Only `error` may hold objects (headers are flat), so the depth is always error's.
        message = f"nests deeper than {MAX_JSON_DEPTH} levels"
        return Problem(
            422,
            "invalid-request",
            "Request does not fit the contract",
            f"The error object {message}.",
            [{"loc": ["body", "error"], "msg": message, "type": "too_deep"}],
        )
    return None


# A JSON string, escapes included; the unrolled form never backtracks (linear in the body).
_JSON_STRING: Final = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET: Final = re.compile(rb"[\[\]{}]")


def _too_deep(body: bytes) -> bool:
    """True when [ / { nest deeper than MAX_BODY_DEPTH outside JSON strings; linear time.

    Runs on every request, so at C speed where it can: a body that opens no more brackets than the
    limit cannot nest deeper (the usual paste: one object). Otherwise the strings are cut out by a
    regex and only the brackets left are walked (a Python loop over every byte cost ~0.1 ms a KiB).
    """
    if body.count(b"[") + body.count(b"{") <= MAX_BODY_DEPTH:
        return False
    outside = _JSON_STRING.sub(b"", body)
    outside = outside.split(b'"', 1)[0]  # an unterminated string runs to the end: nothing after it counts
    depth = 0
    for bracket in _BRACKET.findall(outside):
        depth += 1 if bracket in (b"[", b"{") else -1
        if depth > MAX_BODY_DEPTH:
            return True
    return False


def _is_json(content_type: str | None) -> bool:
    if content_type is None:  # a client that sends no media type: let the JSON parser decide
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))
