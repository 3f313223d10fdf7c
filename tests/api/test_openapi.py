"""The OpenAPI document is valid 3.1, names every operation, and its examples are true."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from openapi_spec_validator import validate


def test_openapi_is_valid_and_every_operation_has_an_id_and_summary(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    validate(document)
    assert document["openapi"].startswith("3.1")
    ids = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), (method, path)
            ids.append(operation["operationId"])
            assert operation["operationId"].isidentifier(), operation["operationId"]
    assert len(ids) == len(set(ids))
    assert {"diagnose", "search", "get_entry", "list_entries", "list_reasons", "feedback", "stats", "healthz"} <= set(
        ids
    )


def test_openapi_diagnose_examples_round_trip(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/v1/diagnose"]["post"]
    requests: dict[str, Any] = operation["requestBody"]["content"]["application/json"]["examples"]
    responses: dict[str, Any] = operation["responses"]["200"]["content"]["application/json"]["examples"]
    assert len(requests) >= 40 and requests.keys() == responses.keys()
    for key, example in requests.items():
        answer = client.post("/v1/diagnose", json=example["value"]).json()
        assert answer == responses[key]["value"], key
        assert answer["reason"] == example["summary"]
