"""Engine creation and the start-up sync of content/ into the entry table.

SQLite (the embedded default) and PostgreSQL go through the same SQLModel code. The sync is
idempotent: a row is written only when its entry is new or its content hash changed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine, select

from api.catalog import Catalog
from api.entries import AnyEntry, ReasonEntry
from api.models import EntryRecord


def make_engine(url: str, pool_size: int = 10, pool_timeout: float = 5.0) -> Engine:
    """Create the engine for a URL: SQLite files get their folder, in-memory gets one shared connection.

    Bounded everywhere (security review F1, F7, F9): a connection for each request slot plus as many
    for the history writer and the start-up sync, a short wait for one, a connect timeout and a TCP
    timeout so a database that accepts but never answers fails fast instead of after minutes, and no
    statement parameters in error messages (they may carry a feedback comment).
    """
    parsed = make_url(url)
    pooled: dict[str, Any] = {"pool_size": pool_size, "max_overflow": pool_size, "pool_timeout": pool_timeout}
    if parsed.get_backend_name() != "sqlite":
        connect_args = {
            "connect_timeout": max(1, round(pool_timeout)),
            "tcp_user_timeout": 15_000,  # ms: unacknowledged data on a dead peer fails the query
            "options": "-c statement_timeout=15000",  # ms: no request waits longer on one statement
        }
        return create_engine(
            url, pool_pre_ping=True, hide_parameters=True, connect_args=connect_args, **pooled
        )  # fmt: skip
    database = parsed.database or ""
    if database in ("", ":memory:"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False}, poolclass=StaticPool, hide_parameters=True
        )
    else:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True, **pooled)
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
            fresh = _record(compiled.entry, compiled.document, catalog.hashes[entry_id])
            row = existing.get(entry_id)
            if row is None:
                session.add(fresh)
                inserted += 1
            elif row.content_hash == fresh.content_hash:
                unchanged += 1
            else:
                for name in _SYNCED_FIELDS:
                    setattr(row, name, getattr(fresh, name))
                session.add(row)
                updated += 1
        session.commit()
    return SyncReport(inserted=inserted, updated=updated, unchanged=unchanged)


_SYNCED_FIELDS = (
    "kind",
    "status",
    "category",
    "provider",
    "title",
    "summary",
    "content_hash",
    "document",
    "synced_at",
)


def _record(entry: AnyEntry, document: dict[str, Any], content_hash: str) -> EntryRecord:
    is_reason = isinstance(entry, ReasonEntry)
    return EntryRecord(
        id=entry.id,
        kind=entry.kind,
        status=entry.status,
        category=entry.category if isinstance(entry, ReasonEntry) else None,
        provider=entry.id.split(".", 1)[0] if is_reason else None,
        title=entry.title,
        summary=entry.summary,
        content_hash=content_hash,
        document=document,
        synced_at=dt.datetime.now(dt.UTC),
    )
