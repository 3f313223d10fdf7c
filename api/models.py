"""Database tables (SQLModel). Never returned on the wire: routes map them to schemas."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class EntryRecord(SQLModel, table=True):
    """One guidance entry as synced from content/, keyed by id, refreshed when its hash changes."""

    __tablename__ = "entry"

    id: str = Field(primary_key=True, max_length=128)
    kind: str = Field(max_length=16, index=True)
    status: str = Field(max_length=16)
    category: str | None = Field(default=None, max_length=16, index=True)
    provider: str | None = Field(default=None, max_length=32, index=True)
    title: str = Field(max_length=256)
    summary: str
    content_hash: str = Field(max_length=64)
    document: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    synced_at: dt.datetime = Field(default_factory=_now)
