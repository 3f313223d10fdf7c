"""What reaches the database and what it may cost a request: no NUL, no parameters in errors, no lost acks.

On the suite's database (SQLite file, then PostgreSQL in CI's second pass).
"""

from __future__ import annotations

import logging
from pathlib import Path

import anyio
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session, select

from api import db_access
from api.db import make_engine
from api.db_access import DatabaseAccess
from api.models import FeedbackRecord
from api.problems import Problem
from tests.conftest import ClientFactory, app_database_url, reset_database


def test_a_nul_in_a_feedback_comment_is_stored_without_it(make_client: ClientFactory) -> None:
    # Security review F9: PostgreSQL refuses NUL in text: a 500, and the comment in the error log.
    client = make_client()
    response = client.post(
        "/v1/feedback",
        json={"reason": "http.authn.invalid_credentials", "helpful": False, "comment": "fails for db.example \u0000!"},
    )
    assert response.status_code == 201, response.text
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        comments = [row.comment for row in session.exec(select(FeedbackRecord)).all()]
    assert comments == ["fails for db.example !"]


def test_a_nul_in_a_query_parameter_is_a_422(make_client: ClientFactory) -> None:
    response = make_client().get("/v1/entries", params={"provider": "a\u0000b"})
    assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"


def test_database_errors_never_carry_the_statement_parameters(tmp_path: Path) -> None:
    # The parameters of a failed statement are a feedback comment or a key hash: never in a log line.
    url = app_database_url(tmp_path)
    reset_database(url)
    engine = make_engine(url)
    try:
        with pytest.raises(DBAPIError) as failure, engine.connect() as connection:
            connection.execute(text("SELECT * FROM no_such_table WHERE a = :v"), {"v": "hunter2-secret"})
    finally:
        engine.dispose()
    assert "no_such_table" in str(failure.value)
    assert "hunter2-secret" not in str(failure.value)


def test_a_write_committed_before_the_connection_failed_is_still_acknowledged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Security review F15: the session was closed after the response had started; when that close
    # failed the client saw an error for a row that was committed (and wrote it again on retry).
    url = app_database_url(tmp_path)
    reset_database(url)
    engine = make_engine(url)
    from sqlmodel import SQLModel

    SQLModel.metadata.create_all(engine)

    def failing_close(self: Session) -> None:
        raise OperationalError("close", {}, Exception("server closed the connection unexpectedly"))

    def store(session: Session) -> int:
        record = FeedbackRecord(reason="http.authz.forbidden", helpful=True)
        session.add(record)
        session.flush()
        record_id = record.id
        session.commit()
        monkeypatch.setattr(Session, "close", failing_close)  # the database goes away right after the commit
        assert record_id is not None
        return record_id

    access = DatabaseAccess(engine, slots=2, wait_seconds=1, before=lambda: None)
    caplog.set_level(logging.WARNING, logger=db_access.log.name)
    try:
        record_id = anyio.run(access.run, store)
        monkeypatch.undo()
        with Session(engine) as session:
            assert session.get(FeedbackRecord, record_id) is not None
    finally:
        engine.dispose()
    assert "closing a database session failed" in caplog.text


def test_a_request_that_cannot_get_a_turn_in_time_is_a_503_with_retry_after(tmp_path: Path) -> None:
    url = app_database_url(tmp_path)
    engine = make_engine(url)
    access = DatabaseAccess(engine, slots=1, wait_seconds=0.2, before=lambda: None)
    release = anyio.Event()

    async def scenario() -> Problem:
        async def hold() -> None:
            await access.run(lambda _session: anyio.from_thread.run(release.wait))

        async with anyio.create_task_group() as group:
            group.start_soon(hold)
            await anyio.sleep(0.05)
            with pytest.raises(Problem) as refused:
                await access.run(lambda _session: None)
            release.set()
        return refused.value

    try:
        refusal = anyio.run(scenario)
        assert refusal.status == 503 and refusal.headers["Retry-After"] == "1"
    finally:
        engine.dispose()
