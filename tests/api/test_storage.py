"""The start-up sync of content/ into the entry table: idempotent, row-precise, on SQLite and PostgreSQL.

Each test starts apps itself (not through make_client, which empties the database per app) so a
second start sees what the first one wrote.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, SQLModel, select

from api.catalog import Catalog, content_root, load_catalog
from api.db import SyncReport, make_engine
from api.main import create_app
from api.models import EntryRecord
from api.settings import Settings

POSTGRES_URL = os.environ.get("WHYDENIED_DATABASE_URL", "")
EDITED_ID = "http.authz.forbidden"


@contextmanager
def _started(settings: Settings, catalog: Catalog | None = None) -> Iterator[TestClient]:
    with TestClient(create_app(settings, catalog=catalog)) as client:
        yield client


def _report(client: TestClient) -> SyncReport:
    report = client.app.state.storage.sync_report  # type: ignore[attr-defined]
    assert isinstance(report, SyncReport)
    return report


def _rows(url: str) -> dict[str, tuple[Any, ...]]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return {
                row.id: (row.title, row.content_hash, row.synced_at, row.document)
                for row in session.exec(select(EntryRecord)).all()
            }
    finally:
        engine.dispose()


@pytest.fixture(
    params=[
        pytest.param("sqlite-file", id="sqlite-file"),
        pytest.param(
            "postgresql",
            id="postgresql",
            marks=[
                pytest.mark.postgres,
                pytest.mark.skipif(
                    not POSTGRES_URL.startswith("postgresql"),
                    reason="set WHYDENIED_DATABASE_URL=postgresql+psycopg://... to run",
                ),
            ],
        ),
    ]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Return an empty database: a SQLite file in tmp_path, or the PostgreSQL one from the env."""
    if request.param == "sqlite-file":
        return f"sqlite:///{tmp_path}/x.db"
    engine = make_engine(POSTGRES_URL)
    SQLModel.metadata.drop_all(engine)
    engine.dispose()
    return POSTGRES_URL


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """Return a writable copy of the shipped content tree."""
    target = tmp_path / "content"
    shutil.copytree(str(content_root()), target)
    return target


def test_sync_first_start_inserts_every_entry(database_url: str, catalog: Catalog) -> None:
    with _started(Settings(database_url=database_url), catalog) as client:
        report = _report(client)
        listed = [item["id"] for item in client.get("/v1/entries").json()]

    assert report == SyncReport(inserted=len(catalog.entries), updated=0, unchanged=0)
    assert listed == sorted(catalog.entries)
    assert sorted(_rows(database_url)) == sorted(catalog.entries)


def test_sync_second_start_changes_nothing(database_url: str, catalog: Catalog) -> None:
    settings = Settings(database_url=database_url)
    with _started(settings, catalog):
        pass
    before = _rows(database_url)

    with _started(settings, catalog) as client:
        report = _report(client)
        listed = [item["id"] for item in client.get("/v1/entries").json()]

    assert report == SyncReport(inserted=0, updated=0, unchanged=len(catalog.entries))
    assert listed == sorted(catalog.entries)
    assert _rows(database_url) == before


def test_sync_changed_entry_updates_only_that_row(database_url: str, content_copy: Path) -> None:
    settings = Settings(database_url=database_url, content_dir=content_copy)
    with _started(settings, load_catalog(content_copy)):
        pass
    before = _rows(database_url)
    path = content_copy / "http" / f"{EDITED_ID}.yaml"
    text = path.read_text(encoding="utf-8")
    edited = re.sub(r"^title: .*$", "title: Forbidden (edited for the sync test)", text, count=1, flags=re.M)
    assert edited != text
    path.write_text(edited, encoding="utf-8")

    # No catalogue passed: the app loads content_dir itself, as an operator's deployment does.
    with _started(settings) as client:
        report = _report(client)
        served = client.get(f"/v1/entries/{EDITED_ID}").json()
        listed = {item["id"]: item["title"] for item in client.get("/v1/entries").json()}

    assert report == SyncReport(inserted=0, updated=1, unchanged=len(before) - 1)
    assert served["title"] == "Forbidden (edited for the sync test)"
    assert listed[EDITED_ID] == "Forbidden (edited for the sync test)"
    after = _rows(database_url)
    assert sorted(after) == sorted(before)
    assert after[EDITED_ID][0] == "Forbidden (edited for the sync test)"
    assert after[EDITED_ID][1] != before[EDITED_ID][1]
    assert {k: v for k, v in after.items() if k != EDITED_ID} == {k: v for k, v in before.items() if k != EDITED_ID}


def test_sync_default_sqlite_file_is_created_in_a_new_data_dir(tmp_path: Path, catalog: Catalog) -> None:
    data_dir = tmp_path / "new" / "dir"
    settings = Settings(data_dir=data_dir, database_url=None)
    assert not data_dir.exists()

    with _started(settings, catalog) as client:
        listed = [item["id"] for item in client.get("/v1/entries").json()]

    assert (data_dir / "whydenied.db").is_file()
    assert listed == sorted(catalog.entries)
    assert sorted(_rows(f"sqlite:///{data_dir / 'whydenied.db'}")) == sorted(catalog.entries)
