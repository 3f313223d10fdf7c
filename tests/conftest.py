"""Shared fixtures: the catalogue (loaded once), and apps built by create_app() per test.

The database is a SQLite file per app (the embedded default, as users run it) unless
WHYDENIED_DATABASE_URL names another (CI runs the whole suite a second time on PostgreSQL that
way); PostgreSQL tables are reset per app.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import SQLModel

from api.catalog import Catalog, load_catalog
from api.db import make_engine
from api.main import create_app
from api.settings import Settings
from tests.redis_server import redis_prefix  # noqa: F401 (a fixture: a Redis key prefix per test)

ClientFactory = Callable[..., TestClient]


def database_url() -> str:
    """Return the database the suite runs on: WHYDENIED_DATABASE_URL, else "sqlite://" (SQLite)."""
    return os.environ.get("WHYDENIED_DATABASE_URL") or "sqlite://"


def app_database_url(folder: Path) -> str:
    """The URL an app under test uses: the suite's server database, or a SQLite file in the folder.

    A file, not in-memory SQLite: in-memory shares one connection between all threads, which is not
    how the service runs (requests and the history writer each have their own connection).
    """
    url = database_url()
    return f"sqlite:///{folder / 'whydenied.db'}" if url == "sqlite://" else url


def reset_database(url: str) -> None:
    """Drop every table, so each app starts from an empty database (a no-op for in-memory)."""
    if url == "sqlite://":
        return
    engine = make_engine(url)
    SQLModel.metadata.drop_all(engine)
    engine.dispose()


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    """Return the shipped content, loaded and linted once per run."""
    return load_catalog()


@pytest.fixture
def make_client(catalog: Catalog, tmp_path: Path) -> Iterator[ClientFactory]:
    """Build apps with create_app(Settings(...)); each runs its lifespan and is closed after."""
    opened: list[TestClient] = []

    def factory(**overrides: object) -> TestClient:
        url = str(overrides.pop("database_url", app_database_url(tmp_path / f"app{len(opened)}")))
        if overrides.pop("reset_database", True):  # False: keep what a test wrote there first
            reset_database(url)
        settings = Settings(database_url=url, data_dir=tmp_path / "data", **overrides)  # type: ignore[arg-type]
        client = TestClient(create_app(settings, catalog=catalog))
        client.__enter__()
        opened.append(client)
        return client

    yield factory
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: ClientFactory) -> TestClient:
    """Return a client on a fresh app."""
    return make_client()


@pytest.fixture(scope="session")
def shared_client(catalog: Catalog, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """Return one app for the read-only diagnose tables (hundreds of cases, one start-up)."""
    url = app_database_url(tmp_path_factory.mktemp("shared"))
    reset_database(url)
    settings = Settings(database_url=url)
    with TestClient(create_app(settings, catalog=catalog)) as client:
        yield client


@pytest.fixture(scope="session", autouse=True)
def _private_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep the CLI's catalogue snapshots (api/catalog_snapshot.py) out of the user's own cache."""
    previous = os.environ.get("WHYDENIED_CACHE_DIR")
    os.environ["WHYDENIED_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if previous is None:
        os.environ.pop("WHYDENIED_CACHE_DIR", None)
    else:
        os.environ["WHYDENIED_CACHE_DIR"] = previous
