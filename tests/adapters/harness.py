"""The shared harness every adapter's real-payload table feeds (payloads*.yaml beside each test).

Each item: id, source (URL where the text was seen, or `synthetic`), input (a POST /v1/diagnose
body), expect (provider, category, reason, facts that must be extracted). Known misses are
strict xfails, so fixing one forces its removal from the list.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient


def load_payloads(folder: Path, pattern: str = "payloads*.yaml") -> list[dict[str, Any]]:
    """Return every item of every payload file in the folder, ids unique across files."""
    items: list[dict[str, Any]] = []
    for path in sorted(folder.glob(pattern)):
        items.extend(yaml.safe_load(path.read_text(encoding="utf-8")) or [])
    ids = [item["id"] for item in items]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"duplicate payload ids: {duplicates}"
    return items


def params(items: list[dict[str, Any]], known_misses: dict[str, str]) -> list[Any]:
    """Return pytest params, with known misses marked as strict xfails."""
    return [
        pytest.param(
            item,
            id=item["id"],
            marks=[pytest.mark.xfail(strict=True, reason=known_misses[item["id"]])]
            if item["id"] in known_misses
            else [],
        )
        for item in items
    ]


def diagnose(client: TestClient, item: dict[str, Any]) -> dict[str, Any]:
    """Send the item's input through the API and return the JSON response."""
    response = client.post("/v1/diagnose", json=item["input"])
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def check(body: dict[str, Any], expect: dict[str, Any]) -> None:
    """Assert the response matches the expectation: classification, facts, guidance."""
    got = (body["provider"], body["category"], body["reason"])
    assert got == (expect["provider"], expect["category"], expect["reason"]), body["findings"]
    for key, value in (expect.get("facts") or {}).items():
        assert body["facts"].get(key) == value, (key, body["facts"])
    if expect["reason"] is not None:
        assert body["guidance"] is not None and body["guidance"]["id"] == expect["reason"]
    else:
        assert body["guidance"] is None


def scores(client: TestClient, items: list[dict[str, Any]]) -> dict[str, float]:
    """Return reason accuracy, category accuracy and fact recall over the items."""
    reason_hits = category_hits = facts_total = facts_hit = 0
    for item in items:
        body = diagnose(client, item)
        expect = item["expect"]
        reason_hits += body["reason"] == expect["reason"]
        category_hits += body["category"] == expect["category"]
        for key, value in (expect.get("facts") or {}).items():
            facts_total += 1
            facts_hit += body["facts"].get(key) == value
    count = max(len(items), 1)
    return {
        "reason": reason_hits / count,
        "category": category_hits / count,
        "facts": facts_hit / max(facts_total, 1),
    }
