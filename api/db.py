"""Engine creation and the start-up sync of content/ into the entry table.

SQLite (the embedded default) and PostgreSQL go through the same SQLModel code. The sync is
idempotent: a row is written only when its entry is new or its content hash changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine, select

from api.catalog import Catalog
from api.entries import GuideEntry, ReasonEntry
from api.models import EntryRecord


def make_engine(url: str) -> Engine:
    """Create the engine for a URL: SQLite files get their folder, in-memory gets one shared connection."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    database = parsed.database or ""
    if database in ("", ":memory:"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, poolclass=StaticPool)
    else:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_tables(engine: Engine) -> None:
    """Create every table that does not exist yet (never drops or alters)."""
    SQLModel.metadata.create_all(engine)


@dataclass(frozen=True)
class SyncReport:
    """What a content sync did."""

    inserted: int
    updated: int
    unchanged: int


def sync_entries(engine: Engine, catalog: Catalog) -> SyncReport:
    """Write new and changed entries into the entry table; leave unchanged rows alone."""
    inserted = updated = unchanged = 0
    with Session(engine) as session:
        existing = {row.id: row for row in session.exec(select(EntryRecord)).all()}
        for entry_id, compiled in catalog.entries.items():
            content_hash = catalog.hashes[entry_id]
            row = existing.get(entry_id)
            if row is not None and row.content_hash == content_hash:
                unchanged += 1
                continue
            fields = _record_fields(compiled.entry, compiled.document, content_hash)
            if row is None:
                session.add(EntryRecord(id=entry_id, **fields))
                inserted += 1
            else:
                for name, value in fields.items():
                    setattr(row, name, value)
                session.add(row)
                updated += 1
        session.commit()
    return SyncReport(inserted=inserted, updated=updated, unchanged=unchanged)


def _record_fields(
    entry: ReasonEntry | GuideEntry | object, document: dict[str, object], content_hash: str
) -> dict[str, object]:
    import datetime as dt

    assert isinstance(document.get("id"), str)
    return {
        "kind": document["kind"],
        "status": document["status"],
        "category": entry.category if isinstance(entry, ReasonEntry) else None,
        "provider": str(document["id"]).split(".", 1)[0] if isinstance(entry, ReasonEntry) else None,
        "title": document["title"],
        "summary": document["summary"],
        "content_hash": content_hash,
        "document": document,
        "synced_at": dt.datetime.now(dt.UTC),
    }
