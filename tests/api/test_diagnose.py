"""POST /v1/diagnose: the contract's response shape, the issue's acceptance case, and rendering.

Rendering is what a user pastes into a shell: a fact is filled shell-quoted (a hostile URL must stay
one argument), and a fact the payload did not state shows as a visible <placeholder>.
"""

from __future__ import annotations

import re
import shlex
from typing import Any, Final

import pytest
from fastapi.testclient import TestClient

from api.catalog import Catalog
from api.render import shell_quote

ACCEPTANCE: Final[dict[str, Any]] = {
    "error": "HTTP/1.1 401 Unauthorized",
    "status_code": 401,
    "headers": {"WWW-Authenticate": 'Bearer realm="api", error="invalid_token"'},
}

# API.md, "Response 200 — these fields always present".
RESPONSE_FIELDS: Final = ("provider", "category", "reason", "confidence", "facts", "guidance")
# API.md: guidance has "at least id, title, summary, causes, diagnosis, fix, verify (each a list),
# references".
GUIDANCE_LISTS: Final = ("causes", "diagnosis", "fix", "verify", "references")
CATEGORIES: Final = ("authentication", "authorization", "other")

# An unfilled fact in a command: "${ROLE_NAME:?set ROLE_NAME to the role name}" (stops the command, says why)
_PLACEHOLDER = re.compile(r'"\$\{([A-Z][A-Z0-9_]*):\?set \1 to the [^}"]{1,80}\}"')


def _firefox_cors(url: str) -> str:
    """Return Firefox's console message for a response without Access-Control-Allow-Origin."""
    return (
        "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource "
        f"at {url}. (Reason: CORS header ‘Access-Control-Allow-Origin’ missing). Status code: 401."
    )


def _commands(guidance: dict[str, Any]) -> list[str]:
    return [
        step["command"]
        for section in ("diagnosis", "fix", "verify")
        for step in guidance[section]
        if step.get("command")
    ]


def _diagnose(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v1/diagnose", json=body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    result: dict[str, Any] = response.json()
    return result


def test_diagnose_acceptance_case_returns_invalid_credentials_guidance(
    shared_client: TestClient, catalog: Catalog
) -> None:
    result = _diagnose(shared_client, ACCEPTANCE)

    assert result["reason"] == "http.authn.invalid_credentials"
    assert result["provider"] == "http"
    assert result["category"] == "authentication"
    assert result["facts"]["status_code"] == 401
    assert result["facts"]["error_reason"] == "invalid_token"
    guidance = result["guidance"]
    entry = catalog.entries["http.authn.invalid_credentials"].entry
    assert guidance["id"] == "http.authn.invalid_credentials"
    assert guidance["title"] == entry.title
    assert guidance["summary"] == entry.summary
    for name in GUIDANCE_LISTS:
        assert isinstance(guidance[name], list), name
        assert guidance[name], f"{name} is empty"
    assert all(isinstance(cause, str) and cause for cause in guidance["causes"])
    for section in ("diagnosis", "fix", "verify"):
        assert all(step["text"] for step in guidance[section]), section
    assert all(url.startswith("https://") for url in guidance["references"])


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(ACCEPTANCE, id="acceptance-401"),
        pytest.param({"error": "hello world"}, id="unrecognised"),
        pytest.param({"error": _firefox_cors("https://api.example.com/v1/me")}, id="cors"),
        pytest.param(
            {"error": "<html><head><title>403 Forbidden</title></head></html>", "status_code": 403},
            id="forbidden-403",
        ),
        pytest.param({"error": {"message": "Bad credentials"}, "status_code": 401}, id="json-object-error"),
    ],
)
def test_diagnose_response_has_every_contract_field(
    shared_client: TestClient, catalog: Catalog, body: dict[str, Any]
) -> None:
    result = _diagnose(shared_client, body)

    missing = [name for name in RESPONSE_FIELDS if name not in result]
    assert not missing, f"fields API.md promises are missing: {missing}"
    assert result["provider"] is None or isinstance(result["provider"], str)
    assert result["category"] in CATEGORIES
    assert result["reason"] is None or result["reason"] in catalog.taxonomy.reasons
    assert isinstance(result["confidence"], int | float)
    assert 0 <= result["confidence"] <= 1
    assert isinstance(result["facts"], dict)
    assert set(result["facts"]) <= set(catalog.taxonomy.facts)
    for key, value in result["facts"].items():
        assert isinstance(value, int if key == "status_code" else str), (key, value)
    if result["reason"] is None:
        assert result["category"] == "other"
        assert result["guidance"] is None
    else:
        assert result["category"] == catalog.taxonomy.reasons[result["reason"]].category
        assert result["guidance"]["id"] == result["reason"]


def test_diagnose_unrecognised_payload_is_200_with_null_reason(shared_client: TestClient) -> None:
    result = _diagnose(shared_client, {"error": "hello world"})

    assert result["reason"] is None
    assert result["category"] == "other"
    assert result["guidance"] is None
    assert result["facts"] == {}


@pytest.mark.parametrize(
    "name",
    ["www-authenticate", "WWW-AUTHENTICATE", "Www-Authenticate"],
)
def test_diagnose_header_names_are_case_insensitive(shared_client: TestClient, name: str) -> None:
    canonical = _diagnose(shared_client, ACCEPTANCE)
    other = _diagnose(shared_client, {**ACCEPTANCE, "headers": {name: ACCEPTANCE["headers"]["WWW-Authenticate"]}})

    # error_reason comes only from the challenge: proof the header was read under this name.
    assert other["facts"]["error_reason"] == "invalid_token"
    assert other == canonical


@pytest.mark.parametrize(
    "hint",
    [
        "http",
        "aws",
        "gcp",
        "nosuchcloud",
    ],
)
def test_diagnose_provider_hint_is_accepted(shared_client: TestClient, hint: str) -> None:
    result = _diagnose(shared_client, {**ACCEPTANCE, "provider": hint})

    # The payload is an unmistakable HTTP bearer challenge: a hint never overrules what it states.
    assert result["reason"] == "http.authn.invalid_credentials"
    assert result["provider"] == "http"


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("https://api.example.com/it's/me", id="single-quote"),
        pytest.param("https://api.example.com/$(touch${IFS}pwned)/x", id="command-substitution"),
        pytest.param("https://api.example.com/a;rm${IFS}-rf${IFS}~", id="semicolon"),
        pytest.param("https://api.example.com/a'b;$(id)`id`|cat&x=1", id="everything"),
    ],
)
def test_diagnose_command_fact_is_shell_quoted(shared_client: TestClient, url: str) -> None:
    result = _diagnose(shared_client, {"error": _firefox_cors(url)})

    assert result["reason"] == "http.other.cors"
    assert result["facts"]["url"] == url
    with_url = [command for command in _commands(result["guidance"]) if shell_quote(url) in command]
    assert with_url, "no rendered command carries the URL"
    for command in with_url:
        assert url in shlex.split(command), command
    assert "url" not in result["guidance"]["missing_facts"]


@pytest.mark.parametrize(
    ("body", "missing"),
    [
        pytest.param(ACCEPTANCE, "url", id="acceptance-without-url"),
        pytest.param({"error": _firefox_cors("https://api.example.com/v1/me")}, "origin", id="cors-without-origin"),
    ],
)
def test_diagnose_missing_fact_is_a_variable_to_set(
    shared_client: TestClient, catalog: Catalog, body: dict[str, Any], missing: str
) -> None:
    result = _diagnose(shared_client, body)
    guidance = result["guidance"]
    commands = _commands(guidance)

    assert missing not in result["facts"]
    assert missing in guidance["missing_facts"]
    assert any(f'"${{{missing.upper()}:?set {missing.upper()} to the' in command for command in commands)
    assert not any(f"<{missing}>" in command for command in commands)  # never a redirect when pasted
    shown = {name.lower() for command in commands for name in _PLACEHOLDER.findall(command)}
    shown &= set(catalog.taxonomy.facts)
    assert shown == set(guidance["missing_facts"])
    assert not set(guidance["missing_facts"]) & set(result["facts"])
    for command in commands:
        for key in catalog.taxonomy.facts:
            assert f"{{{key}}}" not in command, f"template left unfilled: {command}"


def test_diagnose_accepts_a_json_array_of_log_records(shared_client: TestClient) -> None:
    # The CloudTrail console's "download events" gives an array; the denied record is picked out.
    records = [
        {"eventSource": "s3.amazonaws.com", "eventName": "ListBuckets", "awsRegion": "us-east-1"},
        {
            "eventSource": "ec2.amazonaws.com",
            "eventName": "RunInstances",
            "errorCode": "Client.UnauthorizedOperation",
            "errorMessage": "You are not authorized to perform this operation. Encoded authorization failure "
            "message: abcdefghijklmnopqrstuvwxyz012345",
            "userIdentity": {"arn": "arn:aws:iam::123456789012:user/ci"},
        },
    ]  # synthetic: the shape of CloudTrail's event array
    body = shared_client.post("/v1/diagnose", json={"error": records}).json()
    assert body["reason"] == "aws.authz.encoded_message"
    assert body["facts"]["operation"] == "RunInstances"
    assert body["facts"]["principal"] == "arn:aws:iam::123456789012:user/ci"


_VERDICT_KEYS: Final = {"provider", "category", "reason", "confidence", "facts", "guidance", "variant", "note", "id"}


@pytest.mark.parametrize(
    "error",
    [
        "An error occurred (AccessDenied) when calling the ListRoles operation: User: arn:aws:iam::123456789012:"
        "user/Matt is not authorized to perform: iam:ListRoles on resource: arn:aws:iam::123456789012:role/* "
        "with an explicit deny in a service control policy",
        "google.api_core.exceptions.PermissionDenied: 403 Permission 'secretmanager.versions.access' denied for "
        "resource 'projects/ums-causmos-470308/secrets/flask_secret_key/versions/latest' (or it may not exist).",
        "the build finished in 3 minutes",
    ],
)
def test_fields_verdict_returns_the_same_verdict_without_the_guidance(shared_client: TestClient, error: str) -> None:
    full = shared_client.post("/v1/diagnose", json={"error": error}).json()
    reply = shared_client.post("/v1/diagnose?fields=verdict", json={"error": error})
    assert reply.status_code == 200
    verdict = reply.json()
    assert set(verdict) <= _VERDICT_KEYS and set(RESPONSE_FIELDS) <= set(verdict)  # the contract's fields, always
    assert verdict["guidance"] is None
    same = [key for key in verdict if key not in ("id", "guidance")]
    assert {key: verdict[key] for key in same} == {key: full[key] for key in same}
    assert len(reply.content) < len(shared_client.post("/v1/diagnose", json={"error": error}).content)


def test_fields_rejects_an_unknown_value(shared_client: TestClient) -> None:
    reply = shared_client.post("/v1/diagnose?fields=guidance", json={"error": "403 Forbidden"})
    assert reply.status_code == 422
