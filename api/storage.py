"""The database as the running service sees it: synced when reachable, a 503 when not.

Diagnosing never touches the database (the catalogue is in memory), so an outage must not stop
it. The start-up sync (tables, entries, search index) is retried on the first request that needs
the database after it comes back: no restart. Failures that mean "cannot reach the database" are
the ones below; anything else (an integrity error, a bug) is not an outage and is not caught.
"""

from __future__ import annotations

import logging
import threading
from typing import Final

from sqlalchemy import Engine, text

from api.catalog import Catalog
from api.db import SyncReport, create_tables, sync_entries
from api.problems import UNAVAILABLE
from api.search import SearchIndex
from api.services.gcp_role_cache import cached_role_table

log = logging.getLogger("whydenied.storage")
_SYNC_LOCK: Final = 0x77686479_64656E79 >> 1  # "whydeny" as a bigint, the advisory lock's key


class Storage:
    """Owns the engine's derived state (entry rows, search index) and brings it up to date once."""

    def __init__(self, engine: Engine, catalog: Catalog) -> None:
        self.engine = engine
        self.catalog = catalog
        self.search = SearchIndex(engine, before_query=self.ensure_ready)
        self.sync_report: SyncReport | None = None
        self.reviewed_roles = catalog.gcp_roles  # content's table, the fallback and the source of grant levels
        self._ready = False
        self._lock = threading.Lock()

    @property
    def ready(self) -> bool:
        """True once tables, entries and the search index are synced (it stays so)."""
        return self._ready

    def ensure_ready(self) -> None:
        """Sync tables, entries and the search index if not done yet; raises when unreachable."""
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            with self.engine.connect() as guard:
                # Workers sharing PostgreSQL start together: one syncs at a time, or two CREATE TABLEs
                # or two inserts of the same entry collide. A session-level advisory lock on a
                # connection of its own serialises them; SQLite serialises writers itself.
                locked = self.engine.dialect.name == "postgresql"
                if locked:
                    guard.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _SYNC_LOCK})
                try:
                    create_tables(self.engine)
                    self.sync_report = sync_entries(self.engine, self.catalog)
                    self.search.rebuild(self.catalog)
                    # A refreshed copy of Google's role list, when there is one, replaces the reviewed table.
                    self.catalog.gcp_roles = cached_role_table(self.engine, self.reviewed_roles) or self.reviewed_roles
                finally:
                    if locked:
                        guard.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _SYNC_LOCK})
            self._ready = True

    def try_start(self) -> bool:
        """Sync at start-up; on an outage log it and carry on (diagnosing works without a database)."""
        try:
            self.ensure_ready()
        except UNAVAILABLE as exc:
            log.warning("database unavailable at start-up (%s); retrying when a request needs it", type(exc).__name__)
            return False
        return True
