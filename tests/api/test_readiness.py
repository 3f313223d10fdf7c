"""GET /readyz: a replica gets traffic only once its database is synced; /healthz stays up regardless.

Kubernetes' readiness probe calls /readyz, its liveness probe /healthz (deploy/base). A replica whose
database cannot be reached must say "not ready" (503), not be restarted (liveness 200), and still
diagnose; the PostgreSQL pass also checks that it turns ready by itself once the database is back.
"""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from api.catalog import Catalog
from api.main import create_app
from api.settings import Settings
from tests.servers import free_port

DENIED = 'HTTP/1.1 403 Forbidden\n\n{"message":"Resource not accessible by integration"}'


def test_ready_once_content_is_loaded_and_the_database_synced(client: TestClient, catalog: Catalog) -> None:
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["entries"] == len(catalog.entries) > 0


def test_not_ready_while_the_database_is_unreachable_but_alive_and_diagnosing(catalog: Catalog, tmp_path: Path) -> None:
    nobody = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/whydenied"  # connection refused
    with TestClient(create_app(Settings(database_url=nobody, data_dir=tmp_path), catalog=catalog)) as client:
        not_ready = client.get("/readyz")
        assert not_ready.status_code == 503
        assert not_ready.headers["content-type"] == "application/problem+json"
        assert not_ready.json()["type"].endswith("/not-ready")
        assert client.get("/healthz").status_code == 200  # liveness: no restart for a database outage
        assert client.post("/v1/diagnose", json={"error": DENIED}).status_code == 200
