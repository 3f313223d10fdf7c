"""A long paste cannot hold up everybody else (security review F5).

Diagnosis of a small paste runs on the event loop (well under a millisecond); a long one runs in a
worker thread. Four clients looping on 64 KiB of regex-hostile text pushed /healthz to 2.5 s when
every diagnosis ran on the loop. Here a long paste's diagnosis is made artificially slow, and other
requests must still be answered while it runs.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.catalog import Catalog
from api.main import create_app
from api.routes import diagnose as diagnose_route
from api.services.diagnosis import diagnose_body
from api.settings import Settings
from tests.conftest import app_database_url
from tests.servers import serving


def test_a_slow_long_paste_does_not_block_other_requests(
    catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = diagnose_body

    def slow_for_long_pastes(body: Any, *args: Any) -> dict[str, Any]:
        if isinstance(body.error, str) and len(body.error) > 10_000:
            time.sleep(2)  # stands for a costly classification of a long, hostile paste
        return real(body, *args)

    # The diagnosis the route runs for a full answer (the plain core, serialised as the wire model).
    monkeypatch.setattr(diagnose_route, "diagnose_body", slow_for_long_pastes)
    settings = Settings(database_url=app_database_url(tmp_path), data_dir=tmp_path)
    with serving(create_app(settings, catalog=catalog)) as base:
        finished: dict[str, float] = {}

        def long_paste() -> None:
            response = httpx.post(f"{base}/v1/diagnose", json={"error": "AccessDenied " + "x" * 20_000}, timeout=30)
            assert response.status_code == 200
            finished["long"] = time.monotonic()

        worker = threading.Thread(target=long_paste)
        worker.start()
        time.sleep(0.5)  # the long paste is being diagnosed now
        assert httpx.get(f"{base}/healthz", timeout=30).status_code == 200
        small = httpx.post(f"{base}/v1/diagnose", json={"error": "HTTP/1.1 403 Forbidden"}, timeout=30)
        assert small.status_code == 200
        finished["others"] = time.monotonic()
        worker.join(30)
    assert finished["others"] < finished["long"], "the other requests waited for the long paste"
