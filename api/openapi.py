"""The OpenAPI document, with real request and response examples taken from the content.

FastAPI builds the schema; this adds to POST /v1/diagnose one request example per reason entry
(the entry's first real example) and the response the service gives for it, computed once from
the loaded catalogue, so every example is true by construction (a test replays them).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.catalog import Catalog
from api.schemas import DiagnoseRequest
from api.services.diagnosis import diagnose_request


def install(app: FastAPI) -> None:
    """Replace app.openapi with a builder that adds content examples (after start-up)."""

    def build() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, summary=app.summary, description=app.description, routes=app.routes
        )
        # The scheme the key-guarded operations (openapi_extra "security") refer to.
        schema.setdefault("components", {})["securitySchemes"] = {
            "apiKey": {"type": "http", "scheme": "bearer", "description": "A key from `whydenied keys create`."}
        }
        catalog: Catalog | None = getattr(app.state, "catalog", None)
        if catalog is not None:
            _add_diagnose_examples(schema, catalog, getattr(app.state, "iam_index", None))
        app.openapi_schema = schema
        return schema

    app.openapi = build  # type: ignore[method-assign]


def diagnose_examples(catalog: Catalog, iam_index: Any = None) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """Return {entry id: (request body, response body)} for the first example of each reason entry."""
    examples: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    for entry in catalog.reason_entries():
        body = entry.examples[0].input
        response = diagnose_request(DiagnoseRequest.model_validate(body), catalog, iam_index)
        examples[entry.id] = (body, response.model_dump(mode="json"))
    return examples


def _add_diagnose_examples(schema: dict[str, Any], catalog: Catalog, iam_index: Any) -> None:
    operation = schema["paths"]["/v1/diagnose"]["post"]
    requests: dict[str, Any] = {}
    responses: dict[str, Any] = {}
    for entry_id, (body, response) in diagnose_examples(catalog, iam_index).items():
        key = entry_id.replace(".", "_")
        requests[key] = {"summary": entry_id, "value": body}
        responses[key] = {"summary": entry_id, "value": response}
    operation["requestBody"]["content"]["application/json"]["examples"] = requests
    operation["responses"]["200"]["content"]["application/json"]["examples"] = responses
