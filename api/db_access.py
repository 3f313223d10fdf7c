"""How a request uses the database: a bounded number at a time, each in one thread call that opens,
uses and closes its own session.

Why it is shaped like this (security review F1): a sync endpoint holding a session across thread
hops (the endpoint in one thread, serialisation and the dependency's close in others) deadlocked
once the thread pool's 40 threads were all waiting for the pool's 15 connections, which only those
threads could give back. Here a thread that holds a connection never waits for another thread, and
a request waiting for its turn waits on the event loop (it holds neither a thread nor a
connection). At most `slots` requests use the database at once, the engine's pool has a connection
for each, and a request that cannot get a turn within `wait_seconds` gets 503 with Retry-After
instead of queueing without bound.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import TypeVar

import anyio
from sqlalchemy import Engine
from sqlmodel import Session

from api.problems import UNAVAILABLE, Problem

log = logging.getLogger("whydenied.db")
T = TypeVar("T")


class DatabaseAccess:
    """Runs database work for requests: `await access.run(work)` with `work(session) -> result`."""

    def __init__(self, engine: Engine, slots: int, wait_seconds: float, before: Callable[[], None]) -> None:
        self.engine = engine
        self.slots = slots
        self.wait_seconds = wait_seconds
        self._before = before  # the storage's sync after an outage, run in the worker thread
        self._limiter: anyio.CapacityLimiter | None = None  # made on first use: it belongs to an event loop

    async def run(self, work: Callable[[Session], T]) -> T:
        """Run `work` with a fresh session in a worker thread; 503 when no turn comes in time."""
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.slots)
        limiter = self._limiter
        with anyio.move_on_after(self.wait_seconds) as waited:
            await limiter.acquire()
        if waited.cancelled_caught:
            raise busy(self.wait_seconds)
        try:
            # Not cancellable once started: the thread finishes (commits, closes) whatever the client does,
            # so an acknowledged write is never half done and a connection is never left checked out.
            return await anyio.to_thread.run_sync(self._in_session, work)
        finally:
            limiter.release()

    def run_sync(self, work: Callable[[Session], T]) -> T:
        """The same for callers already in a worker thread (sync code paths, the CLI)."""
        return self._in_session(work)

    def _in_session(self, work: Callable[[Session], T]) -> T:
        self._before()
        session = Session(self.engine)
        try:
            result = work(session)
        except BaseException:
            _close_quietly(session)
            raise
        # After a successful commit the answer stands: a failure to give the connection back (the
        # database went away a moment later) must not turn an acknowledged write into an error.
        _close_quietly(session)
        return result


def _close_quietly(session: Session) -> None:
    try:
        session.close()
    except UNAVAILABLE as exc:
        log.warning("closing a database session failed (%s); the connection is discarded", type(exc).__name__)


def busy(wait_seconds: float) -> Problem:
    """The 503 for a request that waited its whole turn: the database is saturated, not down."""
    retry = max(1, math.ceil(wait_seconds))
    return Problem(
        503,
        "database-busy",
        "Service unavailable",
        f"Too many requests are using the database; retry after {retry} seconds.",
        headers={"Retry-After": str(retry)},
    )
