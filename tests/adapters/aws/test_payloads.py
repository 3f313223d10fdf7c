"""Real AWS payloads (payloads_*.yaml, each with its source URL) through the API.

Accuracy targets on the whole set: reason >= 0.97, category >= 0.99, every stated fact extracted
(facts of the known misses excepted).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.adapters.harness import check, diagnose, load_payloads, params, scores

PAYLOADS = load_payloads(Path(__file__).parent)
KNOWN_MISSES: dict[str, str] = {}


def test_aws_payload_table_is_broad() -> None:
    services = {item.get("service") for item in PAYLOADS}
    surfaces = {item.get("surface") for item in PAYLOADS}
    assert len(PAYLOADS) >= 150
    assert len(services) >= 15
    assert len(surfaces) >= 12
    assert all(item["source"].startswith("https://") or item["source"] == "synthetic" for item in PAYLOADS)


@pytest.mark.parametrize("item", params(PAYLOADS, KNOWN_MISSES))
def test_aws_payload_diagnoses_as_labelled(shared_client: TestClient, item: dict[str, Any]) -> None:
    check(diagnose(shared_client, item), item["expect"])


def test_aws_accuracy_meets_the_targets(shared_client: TestClient) -> None:
    result = scores(shared_client, PAYLOADS)
    assert result["reason"] >= 0.97, result
    assert result["category"] >= 0.99, result
    known = [item for item in PAYLOADS if item["id"] not in KNOWN_MISSES]
    assert scores(shared_client, known)["facts"] == 1.0
