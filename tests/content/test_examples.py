"""Every example and near miss in content/ goes through POST /v1/diagnose and lands where it says."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.catalog import load_catalog
from api.entries import GuideEntry

_CATALOG = load_catalog()


def _examples() -> list[Any]:
    cases = []
    for entry_id, compiled in _CATALOG.entries.items():
        entry = compiled.entry
        if isinstance(entry, GuideEntry):
            continue
        for index, example in enumerate(entry.examples):
            cases.append(pytest.param(entry_id, example.input, example.facts, id=f"{entry_id}[{index}]"))
    return cases


def _near_misses() -> list[Any]:
    cases = []
    for entry_id, compiled in _CATALOG.entries.items():
        entry = compiled.entry
        if isinstance(entry, GuideEntry):
            continue
        for index, miss in enumerate(entry.not_this):
            cases.append(pytest.param(entry_id, miss.input, miss.expect, id=f"{entry_id}.not_this[{index}]"))
    return cases


@pytest.mark.parametrize(("entry_id", "body", "facts"), _examples())
def test_content_example_diagnoses_to_its_entry(
    shared_client: TestClient, entry_id: str, body: dict[str, Any], facts: dict[str, Any]
) -> None:
    response = shared_client.post("/v1/diagnose", json=body)
    assert response.status_code == 200, response.text
    result = response.json()
    expected = _CATALOG.entries[entry_id].entry
    applies_to = getattr(expected, "applies_to", [entry_id])
    assert result["reason"] in ([entry_id] if expected.kind == "reason" else applies_to), result["findings"]
    for key, value in facts.items():
        assert result["facts"].get(key) == value, (key, result["facts"])
    assert result["guidance"]["id"] == result["reason"]


@pytest.mark.parametrize(("entry_id", "body", "expect"), _near_misses())
def test_content_near_miss_lands_elsewhere(
    shared_client: TestClient, entry_id: str, body: dict[str, Any], expect: str | None
) -> None:
    result = shared_client.post("/v1/diagnose", json=body).json()
    assert result["reason"] == expect != entry_id, result["findings"]
