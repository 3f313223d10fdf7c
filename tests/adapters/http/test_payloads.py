"""Real HTTP 401/403/CORS payloads (payloads.yaml, each with its source URL) through the API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

PAYLOADS: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "payloads.yaml").read_text(encoding="utf-8")
)


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


@pytest.mark.parametrize("item", [pytest.param(item, id=item["id"]) for item in PAYLOADS])
def test_http_payload_diagnoses_as_labelled(shared_client: TestClient, item: dict[str, Any]) -> None:
    response = shared_client.post("/v1/diagnose", json=item["input"])
    assert response.status_code == 200, response.text
    body = response.json()
    expect = item["expect"]
    assert (body["provider"], body["category"], body["reason"]) == (
        expect["provider"],
        expect["category"],
        expect["reason"],
    ), body["findings"]
    for key, value in (expect.get("facts") or {}).items():
        assert body["facts"].get(key) == value, (key, body["facts"])
    if expect["reason"] is not None:
        assert body["guidance"] is not None and body["guidance"]["id"] == expect["reason"]
    else:
        assert body["guidance"] is None
