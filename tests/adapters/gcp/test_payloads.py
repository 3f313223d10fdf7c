"""Real GCP payloads (payloads_*.yaml, each with its source URL) through the API.

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


def test_gcp_payload_table_is_broad() -> None:
    services = {item.get("service") for item in PAYLOADS}
    surfaces = {item.get("surface") for item in PAYLOADS}
    reasons = {item["expect"]["reason"] for item in PAYLOADS}
    assert len(PAYLOADS) >= 120
    assert len(services) >= 12
    assert len(surfaces) >= 12
    assert all(item["source"].startswith("https://") or item["source"] == "synthetic" for item in PAYLOADS)
    # every gcp reason but deny_policy, which Google never names in a payload
    assert {r for r in reasons if r} >= {
        "gcp.authn.missing_credentials", "gcp.authn.invalid_credentials", "gcp.authn.expired_credentials",
        "gcp.authz.iam_permission_denied", "gcp.authz.firebase_security_rules", "gcp.authz.insufficient_scopes",
        "gcp.authz.vpc_service_controls", "gcp.authz.org_policy", "gcp.authz.service_account_impersonation",
        "gcp.authz.api_key_restricted", "gcp.authz.user_project_denied", "gcp.other.service_disabled",
        "gcp.other.billing_disabled", "gcp.other.consumer_invalid",
    }  # fmt: skip


@pytest.mark.parametrize("item", params(PAYLOADS, KNOWN_MISSES))
def test_gcp_payload_diagnoses_as_labelled(shared_client: TestClient, item: dict[str, Any]) -> None:
    check(diagnose(shared_client, item), item["expect"])


def test_gcp_accuracy_meets_the_targets(shared_client: TestClient) -> None:
    result = scores(shared_client, PAYLOADS)
    assert result["reason"] >= 0.97, result
    assert result["category"] >= 0.99, result
    known = [item for item in PAYLOADS if item["id"] not in KNOWN_MISSES]
    assert scores(shared_client, known)["facts"] == 1.0
