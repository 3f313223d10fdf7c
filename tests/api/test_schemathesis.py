"""Property-based API tests: schemathesis fuzzes every operation in the app's own OpenAPI document.

Requests are generated from the document (valid and invalid ones, its examples included) and sent
in-process over ASGI. No response may be a 5xx, and each must match the document: a documented
status code, a documented content type, and a body valid against that response's schema. This
catches what hand-written tests miss: an input nobody thought of that crashes, or an error path
whose status or body the document does not describe (clients are generated from it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    ignored_auth,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from api.catalog import Catalog
from api.main import create_app
from api.services.api_keys import create_key
from api.settings import Settings
from tests.conftest import app_database_url, reset_database

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    # The key-guarded operation must refuse the same request without a key or with a wrong one.
    ignored_auth,
]
ENTRY_PATH = "/v1/entries/{entry_id}"


@pytest.fixture
def app(catalog: Catalog, tmp_path: Path) -> FastAPI:
    """Return a fresh app on the suite's database (not started: schemathesis runs its lifespan)."""
    url = app_database_url(tmp_path)
    reset_database(url)
    return create_app(Settings(database_url=url, data_dir=tmp_path / "data"), catalog=catalog)


@pytest.fixture
def api_schema(app: FastAPI, catalog: Catalog, request: pytest.FixtureRequest) -> schemathesis.BaseSchema:
    """Load the document from the started app, and steer GET /v1/entries/{id} to real entries too.

    from_asgi starts the app's lifespan before it fetches the document (the diagnose examples are
    added at start-up) and keeps it running for the test; the schemathesis pytest plugin ends it at
    teardown. The app is not also entered with TestClient: that would run a second lifespan, with
    its own engine (and, on SQLite, its own in-memory database, without the key made below).
    """
    # schemathesis 4.32.5's lazy loader (from_fixture) reads and rewrites `item._nodeid`, which
    # pytest 9.2 replaced with `_id`; without it the test errors before sending anything. The
    # attribute only names the per-operation reports, so giving it the node id changes nothing else.
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid
    loaded = schemathesis.openapi.from_asgi("/openapi.json", app)
    entry_ids = sorted(catalog.entries)
    fact_values = st.text(max_size=64)
    facts = st.fixed_dictionaries({}, optional=dict.fromkeys(catalog.taxonomy.facts, fact_values))

    # Random ids that fit the pattern are never real, so only the 404 and 422 paths would be seen;
    # mixing in real ids (and fact parameters, which fill the commands) reaches the rendered 200s.
    @loaded.hook
    def before_generate_path_parameters(
        context: schemathesis.HookContext, strategy: st.SearchStrategy[Any]
    ) -> st.SearchStrategy[Any]:
        if context.operation is None or context.operation.path != ENTRY_PATH:
            return strategy
        return strategy | st.fixed_dictionaries({"entry_id": st.sampled_from(entry_ids)})

    @loaded.hook
    def before_generate_query(
        context: schemathesis.HookContext, strategy: st.SearchStrategy[Any]
    ) -> st.SearchStrategy[Any]:
        if context.operation is None or context.operation.path != ENTRY_PATH:
            return strategy
        return st.tuples(strategy, facts).map(_with_facts)

    return loaded


def _with_facts(pair: tuple[Any, dict[str, str]]) -> Any:
    query, facts = pair
    if query is None:
        return facts
    # Negative cases may make the query itself something other than an object; leave those alone.
    return {**query, **facts} if isinstance(query, dict) else query


@pytest.fixture
def auth_headers(app: FastAPI, api_schema: schemathesis.BaseSchema) -> dict[str, str]:
    """Return the header of a real key, made on the started app's engine (hence after api_schema)."""
    _, key = create_key(app.state.engine, "schemathesis")
    return {"Authorization": f"Bearer {key}"}


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
def test_api_conforms_to_its_openapi_document(case: schemathesis.Case[Any], auth_headers: dict[str, str]) -> None:
    # Schemathesis makes up bearer tokens for the secured operation, which can only get a 401. Those
    # cases get the real key instead (reaching the 200 and 422 paths); cases it sends without an
    # Authorization header stay without one, so the documented 401 is checked as well.
    sends_auth = any(name.lower() == "authorization" for name in case.headers or {})
    case.call_and_validate(headers=auth_headers if sends_auth else None, checks=CHECKS)
