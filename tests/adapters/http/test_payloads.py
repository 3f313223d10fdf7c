"""Real HTTP 401/403/CORS payloads (payloads.yaml, each with its source URL) through the API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.adapters.harness import check, diagnose, load_payloads, params

PAYLOADS = load_payloads(Path(__file__).parent)
KNOWN_MISSES: dict[str, str] = {}


def test_payload_table_covers_many_sources_and_every_reason() -> None:
    apis = {item["api"].split(" (")[0] for item in PAYLOADS}
    reasons = {item["expect"]["reason"] for item in PAYLOADS}
    assert len(PAYLOADS) >= 40
    assert len(apis) >= 10
    assert reasons >= {
        "http.authn.missing_credentials",
        "http.authn.invalid_credentials",
        "http.authz.insufficient_scope",
        "http.authz.forbidden",
        "http.other.cors",
        None,
    }
    assert all(item["source"].startswith("https://") or item["source"] == "synthetic" for item in PAYLOADS)


@pytest.mark.parametrize("item", params(PAYLOADS, KNOWN_MISSES))
def test_http_payload_diagnoses_as_labelled(shared_client: TestClient, item: dict[str, Any]) -> None:
    check(diagnose(shared_client, item), item["expect"])
