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


class FeedbackRecord(SQLModel, table=True):
    """Was the guidance helpful? Bounded and redacted before it is stored."""

    __tablename__ = "feedback"

    id: int | None = Field(default=None, primary_key=True)
    created_at: dt.datetime = Field(default_factory=_now, index=True)
    diagnosis_id: str | None = Field(default=None, max_length=36, index=True)
    reason: str | None = Field(default=None, max_length=128, index=True)
    helpful: bool
    comment: str | None = Field(default=None, max_length=2000)


class DiagnosisRecord(SQLModel, table=True):
    """One diagnosis, when history is enabled: never the pasted text, only what the stats need."""

    __tablename__ = "diagnosis"

    id: str = Field(primary_key=True, max_length=36)
    created_at: dt.datetime = Field(default_factory=_now, index=True)
    day: dt.date = Field(index=True)
    provider: str | None = Field(default=None, max_length=32)
    reason: str | None = Field(default=None, max_length=128, index=True)
    category: str = Field(max_length=16)
    code: str | None = Field(default=None, max_length=128)
    action: str | None = Field(default=None, max_length=256, index=True)
    service: str | None = Field(default=None, max_length=128)
    principal_hash: str | None = Field(default=None, max_length=64, index=True)


class ApiKeyRecord(SQLModel, table=True):
    """An API key for the endpoints that are not public: only its SHA-256 is kept, never the key."""

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=128)
    prefix: str = Field(max_length=16)  # the key's first characters, to tell keys apart in `keys list`
    key_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: dt.datetime = Field(default_factory=_now)
    revoked_at: dt.datetime | None = Field(default=None)


class GcpRoleRecord(SQLModel, table=True):
    """One predefined GCP role as Google's role list gave it (`whydenied data refresh-gcp-roles`)."""

    __tablename__ = "gcp_role"

    name: str = Field(primary_key=True, max_length=256)
    title: str = Field(default="", max_length=512)
    stage: str = Field(default="GA", max_length=32)
    permissions: list[str] = Field(sa_column=Column(JSON, nullable=False))
    fetched_at: dt.datetime = Field(default_factory=_now)
