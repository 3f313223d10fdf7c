"""The app factory. Nothing connects at import time: the lifespan loads the content catalogue,
creates the engine and tables, syncs entries into the database, and disposes of it all at exit.
"""

from __future__ import annotations

import dataclasses
import gc
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from importlib.resources import files

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from api import openapi, problems
from api.catalog import Catalog, content_root, load_catalog
from api.db import make_engine
from api.db_access import DatabaseAccess
from api.limits import BodyLimitMiddleware
from api.mcp_mount import LazyMcpApp, McpPathWithoutSlash
from api.metrics import Metrics
from api.ratelimit import make_rate_limiter
from api.request_log import RequestLogMiddleware
from api.routes import diagnose, docs, entries, feedback, health, reasons, scan, search, stats, web
from api.routes.fast_diagnose import FastDiagnose
from api.services.history import HistoryWriter
from api.services.least_privilege import load_iam_index
from api.services.response_cache import ResponseCache
from api.settings import Settings, get_settings
from api.storage import Storage


def package_version() -> str:
    """Return the installed version, or 0+unknown when run from an uninstalled tree."""
    try:
        return version("whydenied")
    except PackageNotFoundError:
        return "0+unknown"


def create_app(settings: Settings | None = None, catalog: Catalog | None = None) -> FastAPI:
    """Build the service. A preloaded catalogue may be passed (tests share one)."""
    settings = settings or get_settings()
    # MCP for chat clients: the same service as tools at /mcp/ (Streamable HTTP, stateless, JSON).
    # One server per app, built by the first /mcp request (api/mcp_mount.py); stopped with this lifespan.
    mcp = LazyMcpApp(lambda: app.state, package_version(), settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # A copy per app: the storage may swap in a refreshed role table without touching a shared catalogue.
        loaded = dataclasses.replace(catalog) if catalog else load_catalog(content_root(settings.content_dir))
        engine = make_engine(
            settings.resolved_database_url(), pool_size=settings.db_pool_size, pool_timeout=settings.db_wait_seconds
        )
        storage = Storage(engine, loaded)
        storage.try_start()
        app.state.db = DatabaseAccess(engine, settings.db_pool_size, settings.db_wait_seconds, storage.ensure_ready)
        app.state.storage = storage
        app.state.search = storage.search
        app.state.catalog = loaded
        app.state.iam_index = load_iam_index()
        app.state.engine = engine
        history_key = (settings.history_key or secrets.token_hex(32)).encode("utf-8")
        history = HistoryWriter(engine, history_key, storage.ensure_ready) if settings.history_enabled else None
        app.state.history = history
        if gc.get_freeze_count() == 0:  # the process's first app: the server's one (a test run builds many)
            # What start-up loaded lives as long as the process: out of the collector's reach, a full
            # collection no longer walks its ~150,000 objects (~90 ms, every few thousand diagnoses).
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            await mcp.aclose()
            if history is not None:
                history.close()
            if app.state.rate_limiter is not None:
                await app.state.rate_limiter.aclose()
            engine.dispose()

    app = FastAPI(
        title="whydenied",
        version=package_version(),
        summary="Paste an access failure; learn which layer said no and how to fix it.",
        lifespan=lifespan,
        docs_url=None,  # our own /docs: Swagger UI from the package, under the pages' CSP (api/routes/docs.py)
        redoc_url=None,  # ReDoc would load from a CDN; /docs is the reference
    )
    app.state.settings = settings
    app.state.metrics = Metrics()
    # Answers by request body (api/services/response_cache.py); 0 entries turns it off.
    app.state.response_cache = ResponseCache(settings.response_cache_entries)
    app.state.rate_limiter = make_rate_limiter(settings)
    problems.install(app)
    openapi.install(app)
    # Innermost: a plain diagnose request, its body checked by the limits below, skips FastAPI's resolver.
    app.add_middleware(FastDiagnose)
    app.add_middleware(
        BodyLimitMiddleware,
        max_body_bytes=settings.max_body_bytes,
        page_refusal=web.too_large,
        raw_bodies={"/v1/scan": settings.scan_max_bytes},
    )
    app.add_middleware(McpPathWithoutSlash)
    if settings.cors_origins:  # docs sites that fetch entries; closed unless configured
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"], allow_headers=["*"]
        )
    if settings.log_format == "json":  # added last, so outermost: it sees every answer, a 413 included
        app.add_middleware(RequestLogMiddleware)
    for module in (diagnose, scan, reasons, entries, search, feedback, stats, health, web):
        app.include_router(module.router)
    app.mount("/mcp", mcp)  # MCP: endpoint /mcp/ (and /mcp, served in place)
    docs.install(app)
    app.mount("/static", StaticFiles(directory=str(files("api") / "web" / "static")), name="static")
    return app
