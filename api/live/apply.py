"""Run the live checks a diagnosis allows and say how they move its confidence (CLI and API)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def live_checks(
    provider: str | None,
    reason: str | None,
    facts: Mapping[str, Any],
    confidence: float,
    *,
    profile: str | None = None,
    region: str | None = None,
    timeout: float = 5.0,
) -> tuple[list[dict[str, Any]], float]:
    """Return the checks' results as JSON values, and the confidence they leave."""
    if provider != "aws":
        return [{"check": "live checks", "outcome": "unavailable", "summary": f"none for {provider} yet"}], confidence
    from api.live.aws import run_aws_checks  # boto3 only when asked

    results = run_aws_checks(facts, reason, profile=profile, region=region, timeout=timeout)
    # The decision checks speak to the reason: agreement makes it near-certain, disagreement doubtful.
    decisive = [result.outcome for result in results if result.check != "sts get-caller-identity"]
    if "contradicted" in decisive:
        confidence = min(confidence, 0.5)
    elif "verified" in decisive or "simulated" in decisive:
        confidence = max(confidence, 0.99)
    return [result.to_json() for result in results], confidence
