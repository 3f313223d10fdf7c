"""A response leaves `whydenied serve` in one write, so a replica killed mid-response sends all or nothing.

uvicorn alone writes a response's head, body and end separately; a kill between those writes leaves
a half response that nginx can no longer retry on another replica
(tests/faults/test_replicas_behind_a_balancer.py). The real server runs here with its socket
transport's write() recorded: each response must be exactly one write holding head and body.
"""

from __future__ import annotations

import asyncio.selector_events
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.catalog import Catalog
from api.main import create_app
from api.server import uvicorn_options
from api.settings import Settings
from tests.servers import serving

DENIED = 'HTTP/1.1 403 Forbidden\n\n{"message":"Resource not accessible by integration"}'


def test_each_response_is_one_write_of_head_and_body(
    tmp_path: Path, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes: list[bytes] = []
    lock = threading.Lock()
    transport_class: Any = getattr(asyncio.selector_events, "_SelectorSocketTransport")  # noqa: B009 (private)
    original = transport_class.write

    def recording_write(self: asyncio.Transport, data: bytes) -> None:
        with lock:
            writes.append(bytes(data))
        original(self, data)

    monkeypatch.setattr(transport_class, "write", recording_write)
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'one-write.db'}")
    # The asyncio loop, whose transport can be recorded (uvloop's is compiled); the joining is loop-agnostic.
    app = create_app(settings, catalog=catalog)
    with (
        serving(app, **uvicorn_options(settings), loop="asyncio") as url,
        httpx.Client(base_url=url, timeout=10) as http,
    ):
        writes.clear()
        diagnosis = http.post("/v1/diagnose", json={"error": DENIED})
        health = http.get("/healthz")
    assert diagnosis.status_code == health.status_code == 200
    assert len(writes) == 2, [w[:40] for w in writes]  # one a response, on a kept-alive connection
    for write, response in zip(writes, (diagnosis, health), strict=True):
        assert write.startswith(b"HTTP/1.1 200") and write.endswith(response.content)
