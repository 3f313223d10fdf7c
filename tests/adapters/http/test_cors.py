"""Browser CORS messages name the failed check: MDN's error id comes back as `variant`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from adapters.registry import diagnose

PAYLOADS: dict[str, dict[str, Any]] = {
    item["id"]: item["input"]
    for item in yaml.safe_load((Path(__file__).parent / "payloads.yaml").read_text(encoding="utf-8"))
}

# payload id (real console output, see payloads.yaml for the source) → MDN CORS error id
VARIANTS = {
    "chrome-xhr-no-acao-header": "CORSMissingAllowOrigin",
    "chrome-preflight-authorization-header-not-allowed": "CORSMissingAllowHeaderFromPreflight",
    "chrome-wildcard-with-credentials-include": "CORSNotSupportingCredentials",
    "chrome-preflight-not-http-ok-status": "CORSPreflightDidNotSucceed",
    "chrome-preflight-acao-not-equal-supplied-origin": "CORSAllowOriginNotMatchingOrigin",
    "firefox-acao-missing-curly-quotes-multi": "CORSMissingAllowOrigin",
    "firefox-cors-request-did-not-succeed-status-null": "CORSDidNotSucceed",
    "firefox-credential-not-supported-with-wildcard": "CORSNotSupportingCredentials",
    "firefox-header-not-allowed-by-preflight": "CORSMissingAllowHeaderFromPreflight",
    "firefox-missing-token-in-allow-headers": "CORSMissingAllowHeaderFromPreflight",
    "safari-origin-not-allowed-by-acao": "CORSAllowOriginNotMatchingOrigin",
}


@pytest.mark.parametrize(("payload_id", "variant"), VARIANTS.items(), ids=list(VARIANTS))
def test_cors_message_names_the_failed_check(payload_id: str, variant: str) -> None:
    body = PAYLOADS[payload_id]
    diagnosis = diagnose(body["error"], status_code=body.get("status_code"), headers=body.get("headers"))
    assert diagnosis.reason == "http.other.cors"
    assert diagnosis.variant == variant


def test_cors_refused_header_and_method_become_facts() -> None:
    text = (
        "Access to fetch at 'https://api.example.com/v1/items' from origin 'https://app.example.com' has been "
        "blocked by CORS policy: Method PATCH is not allowed by Access-Control-Allow-Methods in preflight response."
    )  # synthetic: Chrome's wording for a refused method (MDN CORSMethodNotFound)
    facts = diagnose(text).facts
    assert facts == {
        "url": "https://api.example.com/v1/items",
        "origin": "https://app.example.com",
        "method": "PATCH",
    }
