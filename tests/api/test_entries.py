"""The read side: GET /v1/entries, /v1/entries/{id}, /v1/reasons, /healthz, the OpenAPI and its docs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import pytest
import yaml
from fastapi.testclient import TestClient

from api.catalog import TAXONOMY_FILE, Catalog, content_root
from api.entries import ReasonEntry
from api.render import CompiledEntry

PROBLEM_MEDIA_TYPE: Final = "application/problem+json"


def _assert_problem(body: dict[str, Any], content_type: str, status: int) -> None:
    assert content_type.split(";")[0] == PROBLEM_MEDIA_TYPE
    assert body["status"] == status
    assert all(isinstance(body[name], str) for name in ("type", "title", "detail"))


def _category(compiled: CompiledEntry) -> str | None:
    return compiled.entry.category if isinstance(compiled.entry, ReasonEntry) else None


def _provider(compiled: CompiledEntry) -> str | None:
    return compiled.entry.id.split(".", 1)[0] if isinstance(compiled.entry, ReasonEntry) else None


def test_entries_list_every_catalogue_entry_sorted(client: TestClient, catalog: Catalog) -> None:
    response = client.get("/v1/entries")

    assert response.status_code == 200
    listed = response.json()
    assert [item["id"] for item in listed] == sorted(catalog.entries)
    for item in listed:
        entry = catalog.entries[item["id"]].entry
        assert item["kind"] == entry.kind
        assert item["status"] == entry.status
        assert item["title"] == entry.title
        assert item["summary"] == entry.summary
        assert item["category"] == _category(catalog.entries[item["id"]])


FILTERS: Final[list[Any]] = [
    pytest.param("kind=reason", lambda c: c.entry.kind == "reason", True, id="kind-reason"),
    pytest.param("kind=guide", lambda c: c.entry.kind == "guide", True, id="kind-guide"),
    pytest.param("kind=playbook", lambda c: c.entry.kind == "playbook", True, id="kind-playbook"),
    pytest.param("provider=http", lambda c: _provider(c) == "http", True, id="provider-http"),
    pytest.param("provider=azure", lambda c: _provider(c) == "azure", False, id="provider-azure"),
    pytest.param(
        "category=authentication",
        lambda c: _category(c) == "authentication",
        True,
        id="category-authentication",
    ),
    pytest.param(
        "category=authorization", lambda c: _category(c) == "authorization", True, id="category-authorization"
    ),
    pytest.param("category=other", lambda c: _category(c) == "other", True, id="category-other"),
    pytest.param(
        "kind=reason&category=authorization&provider=http",
        lambda c: c.entry.kind == "reason" and _category(c) == "authorization" and _provider(c) == "http",
        True,
        id="combined",
    ),
]


@pytest.mark.parametrize(("query", "keep", "non_empty"), FILTERS)
def test_entries_filter_keeps_only_matching_entries(
    client: TestClient,
    catalog: Catalog,
    query: str,
    keep: Callable[[CompiledEntry], bool],
    non_empty: bool,
) -> None:
    expected = sorted(entry_id for entry_id, compiled in catalog.entries.items() if keep(compiled))
    if non_empty:
        assert expected, "the filter would prove nothing on an empty selection"

    response = client.get(f"/v1/entries?{query}")

    assert response.status_code == 200
    assert [item["id"] for item in response.json()] == expected


@pytest.mark.parametrize("query", ["kind=rule", "category=denied", f"provider={'x' * 33}"])
def test_entries_filter_refuses_unknown_value(client: TestClient, query: str) -> None:
    response = client.get(f"/v1/entries?{query}")

    assert response.status_code == 422
    _assert_problem(response.json(), response.headers["content-type"], 422)


def test_entry_get_returns_whole_entry_without_examples(client: TestClient, catalog: Catalog) -> None:
    for entry_id, compiled in catalog.entries.items():
        response = client.get(f"/v1/entries/{entry_id}")

        assert response.status_code == 200, entry_id
        assert response.headers["content-type"].startswith("application/json")
        document = response.json()
        assert document == compiled.document, entry_id
        assert document["id"] == entry_id
        assert document["title"] == compiled.entry.title
        # Examples and near misses are the adapters' test data, not guidance for a reader.
        assert "examples" not in document
        assert "not_this" not in document


def test_entry_get_leaves_command_templates_unfilled(client: TestClient) -> None:
    document = client.get("/v1/entries/http.authz.forbidden").json()

    commands = [step.get("command") or "" for step in document["diagnosis"]]
    assert any("{url}" in command for command in commands), commands
    assert "missing_facts" not in document


def test_entry_get_unknown_id_is_404_problem(client: TestClient) -> None:
    response = client.get("/v1/entries/http.authz.no_such_reason")

    assert response.status_code == 404
    body = response.json()
    _assert_problem(body, response.headers["content-type"], 404)
    assert "http.authz.no_such_reason" in body["detail"]


@pytest.mark.parametrize(
    "entry_id",
    [
        pytest.param("HTTP.authz.forbidden", id="upper-case"),
        pytest.param("http.authz.forbidden$(id)", id="shell"),
        pytest.param("http%20authz", id="space"),
        pytest.param("-http.authz", id="leading-dash"),
        pytest.param("a" * 129, id="too-long"),
    ],
)
def test_entry_get_bad_id_is_422_problem(client: TestClient, entry_id: str) -> None:
    response = client.get(f"/v1/entries/{entry_id}")

    assert response.status_code == 422
    _assert_problem(response.json(), response.headers["content-type"], 422)


@pytest.mark.parametrize("media_type", ["text/markdown", "text/html"])
def test_entry_get_renders_requested_media_type(client: TestClient, media_type: str) -> None:
    response = client.get("/v1/entries/http.authz.forbidden", headers={"accept": media_type})

    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    assert "Forbidden by the server's access rules" in response.text


def test_reasons_list_every_taxonomy_reason(client: TestClient, catalog: Catalog) -> None:
    taxonomy = yaml.safe_load((content_root() / TAXONOMY_FILE).read_text(encoding="utf-8"))

    response = client.get("/v1/reasons")

    assert response.status_code == 200
    listed = response.json()
    assert [reason["id"] for reason in listed] == list(taxonomy["reasons"])
    for reason in listed:
        assert reason["category"] == taxonomy["reasons"][reason["id"]]["category"], reason
        assert reason["provider"] == reason["id"].split(".", 1)[0]
    with_entry = {reason["id"] for reason in listed if reason["has_entry"]}
    reason_entries = {entry.id for entry in catalog.reason_entries()}
    assert with_entry == reason_entries
    assert with_entry, "at least the http reasons have entries"


def test_healthz_reports_loaded_content(client: TestClient, catalog: Catalog) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["entries"] == len(catalog.entries)
    assert body["reasons"] == len(catalog.taxonomy.reasons)
    assert isinstance(body["version"], str)
    assert body["version"]


def test_openapi_documents_diagnose_problems(client: TestClient) -> None:
    response = client.get("/openapi.json")

    assert response.status_code == 200
    operation = response.json()["paths"]["/v1/diagnose"]["post"]
    responses = operation["responses"]
    assert "200" in responses
    for status in ("413", "415", "422"):
        assert status in responses, status
        assert PROBLEM_MEDIA_TYPE in responses[status]["content"], status
    assert "requestBody" in operation


def test_openapi_problem_schema_is_under_problem_media_type(client: TestClient) -> None:
    responses = client.get("/openapi.json").json()["paths"]["/v1/diagnose"]["post"]["responses"]

    for status in ("413", "415", "422"):
        content = responses[status]["content"]
        assert set(content) == {PROBLEM_MEDIA_TYPE}, (status, content)
        assert content[PROBLEM_MEDIA_TYPE]["schema"], status


def test_docs_serves_html(client: TestClient) -> None:
    response = client.get("/docs")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "/openapi.json" in response.text
    # every asset from this server (no CDN), and the pages' CSP: no inline script
    assert "https://" not in response.text and "<script>" not in response.text
    assert "script-src 'self'" in response.headers["content-security-policy"]
    for asset in ("/docs-assets/swagger-ui-bundle.js", "/docs-assets/swagger-ui.css", "/static/docs.js"):
        assert client.get(asset).status_code == 200, asset
    assert client.get("/redoc").status_code == 404  # ReDoc would load from a CDN: not served
