"""The app factory. Nothing connects at import time: the lifespan loads the content catalogue,
creates the engine and tables, syncs entries into the database, and disposes of it all at exit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from importlib.resources import files

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api import problems
from api.catalog import Catalog, content_root, load_catalog
from api.db import create_tables, make_engine, sync_entries
from api.limits import BodyLimitMiddleware
from api.routes import diagnose, entries, health, reasons, search, web
from api.search import SearchIndex
from api.services.least_privilege import load_iam_index
from api.settings import Settings, get_settings


def package_version() -> str:
    """Return the installed version, or 0+unknown when run from an uninstalled tree."""
    try:
        return version("whydenied")
    except PackageNotFoundError:
        return "0+unknown"


def create_app(settings: Settings | None = None, catalog: Catalog | None = None) -> FastAPI:
    """Build the service. A preloaded catalogue may be passed (tests share one)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loaded = catalog or load_catalog(content_root(settings.content_dir))
        engine = make_engine(settings.resolved_database_url())
        create_tables(engine)
        app.state.sync_report = sync_entries(engine, loaded)
        app.state.search = SearchIndex(engine)
        app.state.search.rebuild(loaded)
        app.state.catalog = loaded
        app.state.iam_index = load_iam_index()
        app.state.engine = engine
        try:
            yield
        finally:
            engine.dispose()

    app = FastAPI(
        title="whydenied",
        version=package_version(),
        summary="Paste an access failure; learn which layer said no and how to fix it.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    problems.install(app)
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    for module in (diagnose, reasons, entries, search, health, web):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=str(files("api") / "web" / "static")), name="static")
    return app
