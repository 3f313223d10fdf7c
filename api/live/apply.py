"""Run the live checks a diagnosis allows and say how they move its confidence (CLI and API)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

# Checks that describe the setting (who am I, which roles exist) rather than the reason itself.
_CONTEXT_CHECKS: Final = frozenset(
    {"sts get-caller-identity", "iam query-grantable-roles", "kubernetes whoami", "kubernetes rules review"}
)


def live_checks(
    provider: str | None,
    reason: str | None,
    facts: Mapping[str, Any],
    confidence: float,
    *,
    profile: str | None = None,
    region: str | None = None,
    timeout: float = 5.0,
    guidance: Mapping[str, Any] | None = None,
    on_server: bool = True,
) -> tuple[list[dict[str, Any]], float]:
    """Return the checks' results as JSON values, and the confidence they leave.

    `on_server` says the credentials are the server's (the default, so a caller that forgets gets
    the strict rules): checks then stay inside its own AWS account and GCP project. The CLI passes
    False: the user's own credentials may read another project, or SCPs from a management account.
    """
    if provider == "aws":
        from api.live.aws import run_aws_checks  # boto3 only when asked

        results = run_aws_checks(facts, reason, profile=profile, region=region, timeout=timeout, on_server=on_server)
    elif provider == "gcp":
        from api.live.gcp import run_gcp_checks  # google-cloud-iam only when asked

        suggestion = (guidance or {}).get("role_suggestion") or {}
        roles = suggestion.get("roles") or [None]
        results = run_gcp_checks(facts, reason, timeout=timeout, suggested_role=roles[0], on_server=on_server)
    elif provider == "kubernetes":
        from api.live.kubernetes import run_kubernetes_checks  # the kubernetes client only when asked

        results = run_kubernetes_checks(facts, reason, timeout=timeout, on_server=on_server)
    else:
        return [{"check": "live checks", "outcome": "unavailable", "summary": f"none for {provider}"}], confidence
    # The decision checks speak to the reason: agreement makes it near-certain, disagreement doubtful.
    decisive = [result.outcome for result in results if result.check not in _CONTEXT_CHECKS]
    if "contradicted" in decisive:
        confidence = min(confidence, 0.5)
    elif "verified" in decisive or "simulated" in decisive:
        confidence = max(confidence, 0.99)
    return [result.to_json() for result in results], confidence
