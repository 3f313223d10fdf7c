"""Opt-in diagnosis history and the stats built on it (the "monitor AccessDenied spikes" view).

Stores only the reason, provider, category, code, action or permission, service and a keyed
hash of the principal (HMAC-SHA256 with the operator's key): never the pasted text, never the
principal itself. Works the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, Final

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from api.models import DiagnosisRecord
from api.problems import UNAVAILABLE
from api.schemas import DiagnoseResponse

log = logging.getLogger("whydenied.history")

_QUEUE_LIMIT: Final = 10_000  # rows waiting at most; past it a row is dropped (and counted), never awaited
_BATCH: Final = 200  # rows written in one transaction


class HistoryWriter:
    """Records diagnoses off the request path: `record` queues a row and returns its id at once.

    Why a queue (security review F1, F7): a diagnosis must never wait for the database. Written
    inline, a database that accepts but never answers made every /v1/diagnose take minutes, and
    history writes competed with the endpoints for the thread pool. One writer thread drains the
    queue in batches; while the database is unreachable the rows of that moment are dropped with a
    warning (a history row is a statistic, the diagnosis is what the user needs).
    """

    def __init__(self, engine: Engine, key: bytes, before_write: Callable[[], None] = lambda: None) -> None:
        self.engine = engine
        self.key = key
        self._before_write = before_write  # the storage's sync: tables exist before the first row
        self._queue: queue.Queue[DiagnosisRecord | None] = queue.Queue(_QUEUE_LIMIT)
        self._pending = 0  # queued or being written; `flush` waits for zero
        self._idle = threading.Condition()
        self.dropped = 0
        self._thread = threading.Thread(target=self._drain, name="whydenied-history", daemon=True)
        self._thread.start()

    def record(self, response: DiagnoseResponse) -> str:
        """Queue the shape of one diagnosis; return its id (for feedback) without waiting."""
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
        record_id = record.id
        with self._idle:
            self._pending += 1
        try:
            self._queue.put_nowait(record)
        except queue.Full:
            self._done(1, dropped=True)
        return record_id

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every queued row is written (or dropped); False if that took longer than timeout."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def close(self, timeout: float = 5.0) -> None:
        """Write what is queued, then stop the writer thread (at shutdown)."""
        self.flush(timeout)
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:
            return
        self._thread.join(timeout)

    def _drain(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < _BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put_nowait(None)  # stop after this batch
                    break
                batch.append(more)
            self._write(batch)

    def _write(self, batch: list[DiagnosisRecord]) -> None:
        dropped = False
        try:
            self._before_write()
            with Session(self.engine) as session:
                session.add_all(batch)
                session.commit()
        except UNAVAILABLE as exc:
            dropped = True
            reason = type(exc).__name__
            log.warning("history not recorded: database unavailable (%s); %d row(s) dropped", reason, len(batch))
        except Exception:  # a bug must not kill the writer: later rows still deserve a try
            dropped = True
            log.exception("history not recorded: %d row(s) dropped", len(batch))
        self._done(len(batch), dropped=dropped)

    def _done(self, count: int, dropped: bool) -> None:
        with self._idle:
            self._pending -= count
            if dropped:
                self.dropped += count
            self._idle.notify_all()

    def _hash(self, principal: str) -> str:
        return hmac.new(self.key, principal.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def _text(value: Any, limit: int) -> str | None:
    """A stored value: bounded, without NUL (PostgreSQL refuses it in text) or other control characters."""
    if value in (None, ""):
        return None
    cleaned = "".join(char for char in str(value)[:limit] if char >= " " and char != "\x7f")
    return cleaned or None


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
