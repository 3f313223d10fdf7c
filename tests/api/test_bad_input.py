"""Bad requests to POST /v1/diagnose get RFC 9457 problems (413, 415, 422), never a 500.

A 422 lists the field errors without echoing the value sent: a pasted error may hold a secret.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Final

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from api.catalog import Catalog
from tests.conftest import ClientFactory

PROBLEM_MEDIA_TYPE: Final = "application/problem+json"
GOOD: Final[dict[str, Any]] = {
    "error": "HTTP/1.1 401 Unauthorized",
    "status_code": 401,
    "headers": {"WWW-Authenticate": 'Bearer realm="api", error="invalid_token"'},
}
SECRET: Final = "s3cr3t-AKIAEXAMPLE-marker"
DEFAULT_LIMIT: Final = 64 * 1024


def _assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0] == PROBLEM_MEDIA_TYPE
    problem: dict[str, Any] = response.json()
    for name, kind in (("type", str), ("title", str), ("status", int), ("detail", str)):
        assert isinstance(problem.get(name), kind), (name, problem)
    assert problem["status"] == status
    assert problem["type"].startswith("https://")
    return problem


def _post_raw(client: TestClient, content: bytes | Iterator[bytes], content_type: str | None) -> Any:
    headers = {"content-type": content_type} if content_type is not None else {}
    response: Any = client.post("/v1/diagnose", content=content, headers=headers)
    return response


def _body_of_size(size: int) -> bytes:
    """Return a valid diagnose body of exactly `size` bytes (the error text padded)."""
    base = json.dumps({"error": "hello world"}).encode()
    body = json.dumps({"error": "hello world" + "x" * (size - len(base))}).encode()
    assert len(body) == size
    return body


def _chunks(body: bytes, size: int = 512) -> Iterator[bytes]:
    """Yield the body in pieces: TestClient sends a generator chunked, without Content-Length."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


# -- 413 ------------------------------------------------------------------------------------


def test_body_limit_refuses_oversized_body_with_content_length(client: TestClient) -> None:
    response = _post_raw(client, _body_of_size(DEFAULT_LIMIT + 1), "application/json")

    assert response.request.headers["content-length"] == str(DEFAULT_LIMIT + 1)
    _assert_problem(response, 413)


def test_body_limit_refuses_oversized_streamed_body(client: TestClient) -> None:
    response = _post_raw(client, _chunks(_body_of_size(DEFAULT_LIMIT + 1)), "application/json")

    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    _assert_problem(response, 413)


def test_body_limit_accepts_streamed_body_under_limit(client: TestClient) -> None:
    response = _post_raw(client, _chunks(json.dumps(GOOD).encode(), size=7), "application/json")

    assert response.status_code == 200, response.text
    assert response.json()["reason"] == "http.authn.invalid_credentials"


@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "streamed"])
def test_body_limit_is_configurable(make_client: ClientFactory, streamed: bool) -> None:
    small = make_client(max_body_bytes=2048)
    default = make_client()

    def send(client: TestClient, body: bytes) -> Any:
        return _post_raw(client, _chunks(body) if streamed else body, "application/json")

    assert send(small, _body_of_size(2048)).status_code == 200
    problem = _assert_problem(send(small, _body_of_size(2049)), 413)
    assert "2048" in problem["detail"]
    assert send(default, _body_of_size(2049)).status_code == 200


# -- 415 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml"],
)
def test_media_type_refuses_non_json_content_type(client: TestClient, content_type: str) -> None:
    _assert_problem(_post_raw(client, json.dumps(GOOD).encode(), content_type), 415)


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "Application/JSON"],
)
def test_media_type_accepts_json_content_type(client: TestClient, content_type: str) -> None:
    response = _post_raw(client, json.dumps(GOOD).encode(), content_type)

    assert response.status_code == 200, response.text
    assert response.json()["reason"] == "http.authn.invalid_credentials"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"error": ', id="truncated"),
        pytest.param(b"{'error': 'x'}", id="single-quotes"),
        pytest.param(b"error=HTTP 401", id="not-json-at-all"),
        pytest.param(b'{"error": "x",}', id="trailing-comma"),
        pytest.param(b'{"error": "caf\xe9"}', id="latin-1"),
        pytest.param(b"\xc3\x28", id="invalid-utf8"),
    ],
)
def test_malformed_json_is_415(client: TestClient, body: bytes) -> None:
    _assert_problem(_post_raw(client, body, "application/json"), 415)


# -- 422 ------------------------------------------------------------------------------------


def _nested(depth: int, leaf: Any) -> Any:
    value = leaf
    for _ in range(depth):
        value = {"a": value}
    return value


CONTRACT_VIOLATIONS: Final = [
    pytest.param({"status_code": 401, "headers": {"x-note": SECRET}}, "error", id="missing-error"),
    pytest.param({"error": []}, "error", id="error-empty-list"),
    pytest.param({"error": 401}, "error", id="error-number"),
    pytest.param({"error": None}, "error", id="error-null"),
    pytest.param({"error": ""}, "error", id="error-empty"),
    pytest.param({"error": " \n\t "}, "error", id="error-blank"),
    pytest.param({"error": {}}, "error", id="error-empty-object"),
    pytest.param({"error": _nested(100, SECRET)}, "error", id="error-nested-100"),
    pytest.param({"error": "x", "status_code": SECRET}, "status_code", id="status-string"),
    pytest.param({"error": "x", "status_code": 401.5}, "status_code", id="status-fraction"),
    pytest.param({"error": "x", "status_code": 99}, "status_code", id="status-below-100"),
    pytest.param({"error": "x", "status_code": 600}, "status_code", id="status-above-599"),
    pytest.param({"error": "x", "headers": [SECRET]}, "headers", id="headers-list"),
    pytest.param({"error": "x", "headers": {"x-id": 12345}}, "headers", id="header-value-number"),
    pytest.param({"error": "x", "headers": {f"x-h{i}": SECRET for i in range(101)}}, "headers", id="headers-over-100"),
    pytest.param({"error": "x", "provider": f"aws {SECRET}"}, "provider", id="provider-bad-characters"),
    pytest.param({"error": "x", "provider": "a" * 33}, "provider", id="provider-too-long"),
    pytest.param({"error": "x", "token": SECRET}, "token", id="extra-field"),
]


@pytest.mark.parametrize(("body", "field"), CONTRACT_VIOLATIONS)
def test_contract_violation_is_422_without_echo(client: TestClient, body: dict[str, Any], field: str) -> None:
    response = client.post("/v1/diagnose", json=body)

    problem = _assert_problem(response, 422)
    errors = problem["errors"]
    assert isinstance(errors, list)
    assert errors
    for error in errors:
        assert set(error) == {"loc", "msg", "type"}, error
    assert any(field in error["loc"] for error in errors), errors
    assert SECRET not in response.text


@pytest.mark.parametrize(
    "body",
    [pytest.param(b"[]", id="array"), pytest.param(b"null", id="null"), pytest.param(b'"x"', id="string")],
)
def test_contract_refuses_body_that_is_not_an_object(client: TestClient, body: bytes) -> None:
    _assert_problem(_post_raw(client, body, "application/json"), 422)


def test_contract_accepts_exactly_100_headers(client: TestClient) -> None:
    headers = {f"x-h{i}": "v" for i in range(100)}

    assert client.post("/v1/diagnose", json={"error": "x", "headers": headers}).status_code == 200


def _deep_body(depth: int) -> bytes:
    """Return a body whose error nests `depth` objects, built without recursion."""
    return b'{"error": ' + b'{"a":' * depth + json.dumps(SECRET).encode() + b"}" * depth + b"}"


def test_contract_deeply_nested_error_is_a_problem_not_a_crash(client: TestClient) -> None:
    response = _post_raw(client, _deep_body(10_000), "application/json")

    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert SECRET not in response.text


def test_contract_deeply_nested_error_is_422(client: TestClient) -> None:
    problem = _assert_problem(_post_raw(client, _deep_body(10_000), "application/json"), 422)

    assert problem["errors"]


# -- never a 500 ----------------------------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=25,
)
_headers = st.dictionaries(
    st.sampled_from(["WWW-Authenticate", "www-authenticate", "Content-Type", "x-amz-request-id"])
    | st.text(max_size=20),
    st.text(max_size=80),
    max_size=5,
)
_bodies = st.one_of(
    _json,
    st.fixed_dictionaries(
        {},
        optional={
            "error": _json,
            "status_code": st.integers(-1000, 1000) | _json,
            "headers": _headers | _json,
            "provider": st.sampled_from(["aws", "gcp", "http", "azure"]) | _json,
        },
    ),
    st.dictionaries(st.text(max_size=12), _json, max_size=5),
)
# Fragments of real failures, so random text also walks the adapters' parsing paths.
_FRAGMENTS: Final = (
    "HTTP/1.1 401 Unauthorized",
    "403 Forbidden",
    "401",
    "403",
    'WWW-Authenticate: Bearer realm="api", error="',
    "invalid_token",
    "insufficient_scope",
    'scope="',
    "Access to fetch at '",
    "' from origin '",
    "' has been blocked by CORS policy",
    "Cross-Origin Request Blocked",
    "(Reason: ",
    "https://",
    "{",
    "}",
    '"',
    "'",
    "\\n",
    "\n",
    '{"message": "',
    '"status": 403',
    "<Error><Code>AccessDenied</Code>",
    "Resource not accessible by integration",
)
_texts = st.lists(st.sampled_from(_FRAGMENTS) | st.text(max_size=30), max_size=12).map("".join)


def _assert_answer(catalog: Catalog, response: Any) -> None:
    """Assert the response is a diagnosis of the contract's shape or a problem document."""
    assert response.status_code != 500, response.text
    if response.status_code == 200:
        result = response.json()
        assert {"provider", "category", "reason", "confidence", "facts", "guidance"} <= set(result)
        assert result["category"] in ("authentication", "authorization", "other")
        assert 0 <= result["confidence"] <= 1
        assert result["reason"] is None or result["reason"] in catalog.taxonomy.reasons
        if result["reason"] is None:
            assert result["category"] == "other"
        if result["guidance"] is not None:
            assert result["guidance"]["id"] == result["reason"]
        return
    assert response.status_code in (413, 415, 422), response.text
    _assert_problem(response, response.status_code)


@settings(max_examples=150, deadline=None, database=None)
@given(body=_bodies)
def test_diagnose_random_json_body_never_fails(shared_client: TestClient, catalog: Catalog, body: Any) -> None:
    response = _post_raw(shared_client, json.dumps(body).encode(), "application/json")

    _assert_answer(catalog, response)


@settings(max_examples=150, deadline=None, database=None)
@given(
    text=_texts,
    status_code=st.none() | st.integers(100, 599),
    headers=st.none() | _headers,
)
def test_diagnose_random_error_text_never_fails(
    shared_client: TestClient,
    catalog: Catalog,
    text: str,
    status_code: int | None,
    headers: dict[str, str] | None,
) -> None:
    body: dict[str, Any] = {"error": text, "status_code": status_code, "headers": headers}
    response = shared_client.post("/v1/diagnose", json=body)

    _assert_answer(catalog, response)
    # The rest of the body is valid: only a blank error may be refused.
    assert response.status_code == (200 if text.strip() else 422), response.text


# -- nothing is lost ------------------------------------------------------------------------


def test_bad_requests_leave_the_service_working(client: TestClient, catalog: Catalog) -> None:
    _post_raw(client, _body_of_size(DEFAULT_LIMIT + 1), "application/json")
    _post_raw(client, _chunks(_body_of_size(DEFAULT_LIMIT + 1)), "application/json")
    _post_raw(client, b"error=x", "text/plain")
    _post_raw(client, b'{"error": ', "application/json")
    _post_raw(client, _deep_body(10_000), "application/json")
    for violation in CONTRACT_VIOLATIONS:
        client.post("/v1/diagnose", json=violation.values[0])

    response = client.post("/v1/diagnose", json=GOOD)
    assert response.status_code == 200, response.text
    assert response.json()["reason"] == "http.authn.invalid_credentials"
    listed = client.get("/v1/entries")
    assert listed.status_code == 200
    assert [entry["id"] for entry in listed.json()] == sorted(catalog.entries)


def test_a_json_body_without_a_content_type_is_read_as_json(client: TestClient) -> None:
    # The README promises it (a client that names no media type); it answered 422 before.
    response = _post_raw(client, json.dumps({"error": "HTTP/1.1 403 Forbidden"}).encode(), None)
    assert response.status_code == 200, response.text
    assert response.json()["reason"] == "http.authz.forbidden"
    not_json = _post_raw(client, b"error=HTTP 403", None)
    assert not_json.status_code == 415  # and a body that is not JSON is still refused as such


# -- 413 on the web form: a page a person can read, not problem+json ---------------------------


@pytest.mark.parametrize("fragment", [False, True], ids=["whole-page", "script-fragment"])
def test_oversized_paste_on_the_web_form_answers_a_readable_page(client: TestClient, fragment: bool) -> None:
    paste = "An error occurred (AccessDenied) " + "x" * DEFAULT_LIMIT
    headers = {"X-Fragment": "1"} if fragment else {}
    response = client.post("/", data={"error": paste}, headers=headers)

    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "The paste is larger than 64 KB" in response.text
    assert 'role="alert"' in response.text
    assert ('<form id="diagnose"' in response.text) is not fragment  # no JavaScript: the whole page, form and all
    for path in ("/v1/diagnose", "/mcp/"):  # programs still get problem+json
        assert client.post(path, content=paste.encode()).headers["content-type"] == PROBLEM_MEDIA_TYPE, path
