"""Opt-in diagnosis history and the stats built on it (the "monitor AccessDenied spikes" view).

Stores only the reason, provider, category, code, action or permission, service and a keyed
hash of the principal (HMAC-SHA256 with the operator's key): never the pasted text, never the
principal itself. Works the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from api.models import DiagnosisRecord
from api.schemas import DiagnoseResponse


@dataclass(frozen=True)
class HistoryWriter:
    """Records diagnoses when enabled; a no-op otherwise."""

    engine: Engine
    key: bytes

    def record(self, response: DiagnoseResponse) -> str:
        """Store the shape of one diagnosis; return its id (for feedback)."""
        facts = response.facts
        principal = facts.get("principal")
        now = dt.datetime.now(dt.UTC)
        record = DiagnosisRecord(
            id=str(uuid.uuid4()),
            created_at=now,
            day=now.date(),
            provider=response.provider,
            reason=response.reason,
            category=response.category,
            code=_text(facts.get("code"), 128),
            action=_text(facts.get("action") or facts.get("permission"), 256),
            service=_text(facts.get("service"), 128),
            principal_hash=self._hash(str(principal)) if principal else None,
        )
        record_id = record.id  # read before commit expires the instance
        with Session(self.engine) as session:
            session.add(record)
            session.commit()
        return record_id

    def _hash(self, principal: str) -> str:
        return hmac.new(self.key, principal.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def _text(value: Any, limit: int) -> str | None:
    return str(value)[:limit] if value not in (None, "") else None


def stats(session: Session, since: dt.date, top: int = 10) -> dict[str, Any]:
    """Aggregate the history since a day: totals, top reasons, actions, services, counts per day."""
    base = select(DiagnosisRecord).where(DiagnosisRecord.day >= since)
    total = session.exec(select(func.count()).select_from(base.subquery())).one()

    def top_of(column: Any) -> list[dict[str, Any]]:
        query = (
            select(column, func.count().label("n"))
            .where(DiagnosisRecord.day >= since, column.is_not(None))
            .group_by(column)
            .order_by(func.count().desc(), column)
            .limit(top)
        )
        return [{"value": value, "count": count} for value, count in session.exec(query).all()]

    per_day = session.exec(
        select(col(DiagnosisRecord.day), func.count())
        .where(DiagnosisRecord.day >= since)
        .group_by(col(DiagnosisRecord.day))
        .order_by(col(DiagnosisRecord.day))
    ).all()
    return {
        "since": since.isoformat(),
        "total": int(total),
        "reasons": top_of(col(DiagnosisRecord.reason)),
        "actions": top_of(col(DiagnosisRecord.action)),
        "services": top_of(col(DiagnosisRecord.service)),
        "principals": top_of(col(DiagnosisRecord.principal_hash)),
        "per_day": [{"day": day.isoformat(), "count": count} for day, count in per_day],
    }
