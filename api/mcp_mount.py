"""The /mcp mount, built on its first request, so the HTTP service starts without the MCP SDK.

The MCP SDK and the tool definitions cost ~29 MB resident and ~0.3 s at start-up, and most
deployments never receive an MCP call. The SDK's session manager must run for as long as the
server is used, entered and left in one task: a dedicated task holds it, started by the first
request and stopped by the app's lifespan (`aclose`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from api.problems import Problem, problem_response
from api.settings import Settings


class LazyMcpApp:
    """An ASGI app that builds the MCP server and its Streamable HTTP app when first called."""

    def __init__(self, state: Callable[[], Any], version: str, settings: Settings) -> None:
        self._state = state
        self._version = version
        self._settings = settings
        self._app: ASGIApp | None = None
        self._lock: asyncio.Lock | None = None
        self._stop: asyncio.Event | None = None
        self._runner: asyncio.Task[None] | None = None

    @property
    def started(self) -> bool:
        """Whether the MCP server was built (a request reached /mcp)."""
        return self._app is not None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = self._app if self._app is not None else await self._start()
        await app(scope, receive, send)

    async def _start(self) -> ASGIApp:
        self._lock = self._lock or asyncio.Lock()
        async with self._lock:
            if self._app is not None:
                return self._app
            from api.mcp_server import create_mcp_server, streamable_http_app

            server = create_mcp_server(self._state, version=self._version)
            app = streamable_http_app(server, self._settings)
            ready, stop = asyncio.Event(), asyncio.Event()

            async def hold_session_manager() -> None:
                async with server.session_manager.run():  # FastAPI does not run a mounted app's lifespan
                    ready.set()
                    await stop.wait()

            runner = asyncio.create_task(hold_session_manager())
            waiter = asyncio.create_task(ready.wait())
            await asyncio.wait({runner, waiter}, return_when=asyncio.FIRST_COMPLETED)
            if not ready.is_set():
                waiter.cancel()
                await runner  # it ended before it was ready: raise its error here
                raise RuntimeError("the MCP session manager stopped at start")
            self._stop, self._runner, self._app = stop, runner, app
            return app

    async def aclose(self) -> None:
        """Stop the session manager, if a request started it (the app's lifespan calls this)."""
        if self._stop is not None and self._runner is not None:
            self._stop.set()
            await self._runner


class McpPathWithoutSlash:
    """Serve `/mcp` as `/mcp/` in place, instead of Starlette's redirect; answer anything but POST with 405.

    The redirect's Location was built from the Host header (any client may set it), and some MCP
    clients do not follow a 307 for a POST at all.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in ("/mcp", "/mcp/") and scope["method"] != "POST":
            # Stateless Streamable HTTP has no server-to-client stream and no session to end: GET (a
            # browser, curl) used to hold the connection open forever. The spec's answer is 405.
            problem = Problem(405, "method-not-allowed", "Method not allowed", "The MCP endpoint takes POST only.")
            response = problem_response(problem, app=scope.get("app"))
            response.headers["Allow"] = "POST"
            await response(scope, receive, send)
            return
        if scope["type"] == "http" and scope["path"] == "/mcp":
            scope = {**scope, "path": "/mcp/", "raw_path": b"/mcp/"}
        await self.app(scope, receive, send)
