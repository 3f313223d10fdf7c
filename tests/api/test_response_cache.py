"""The response cache of POST /v1/diagnose: a paste posted again gets the answer it got the first time.

What users rely on: the cached answer is the one a fresh diagnosis gives (for every payload of the
adapter corpus, through evictions), each request still gets its own history id, the cache stays
within its bounds, holds no pasted secret, and forgets everything when the role table changes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from api.schemas import DiagnoseRequest
from api.services.diagnosis import VERDICT_FIELDS, diagnose_request
from api.services.least_privilege import load_iam_index
from api.services.response_cache import CachedDiagnosis, ResponseCache
from tests.conftest import ClientFactory

ROOT = Path(__file__).resolve().parents[2]
SCP = (
    "An error occurred (AccessDenied) when calling the ListRoles operation: User: "
    "arn:aws:iam::123456789012:user/{user} is not authorized to perform: iam:ListRoles on resource: "
    "arn:aws:iam::123456789012:role/* with an explicit deny in a service control policy"
)


def _corpus() -> list[dict[str, Any]]:
    bodies: list[dict[str, Any]] = []
    for path in sorted((ROOT / "tests" / "adapters").glob("*/payloads*.yaml")):
        bodies += [item["input"] for item in yaml.safe_load(path.read_text(encoding="utf-8"))]
    return bodies


def test_cached_answers_equal_fresh_diagnoses_for_the_whole_corpus(make_client: ClientFactory) -> None:
    client = make_client()
    app_state = client.app.state  # type: ignore[attr-defined]
    app_state.response_cache = ResponseCache(max_entries=16)  # small: most posts evict one
    iam_index = load_iam_index()
    bodies = _corpus()
    assert len(bodies) > 500
    for body in bodies:
        body = {key: value for key, value in body.items() if key in DiagnoseRequest.model_fields}
        answer = client.post("/v1/diagnose", json=body)  # a miss: the 16 before it were other pastes
        assert answer.status_code == 200, body
        fresh = diagnose_request(DiagnoseRequest.model_validate(body), app_state.catalog, iam_index)
        assert answer.json() == json.loads(fresh.model_dump_json()), body
        again = client.post("/v1/diagnose", json=body)  # a hit
        assert again.content == answer.content
    assert len(app_state.response_cache) == 16


def test_verdict_and_full_answers_are_cached_apart(client: TestClient) -> None:
    body = {"error": SCP.format(user="Matt")}
    full = client.post("/v1/diagnose", json=body).json()
    verdict = client.post("/v1/diagnose", params={"fields": "verdict"}, json=body).json()
    assert full["guidance"] is not None and verdict["guidance"] is None
    assert set(verdict) == VERDICT_FIELDS
    assert client.post("/v1/diagnose", json=body).json() == full


def test_each_request_gets_its_own_history_id_even_when_cached(make_client: ClientFactory) -> None:
    client = make_client(history_enabled=True, history_key="test-key-0123456789")
    body = {"error": SCP.format(user="Matt")}
    answers = [client.post("/v1/diagnose", json=body).json() for _ in range(3)]
    ids = {answer.pop("id") for answer in answers}
    assert len(ids) == 3 and None not in ids
    assert answers[1] == answers[2] == answers[0]  # the rest of the answer is the same
    cached = next(iter(client.app.state.response_cache._entries.values()))  # type: ignore[attr-defined]
    assert cached.verdict.id is None and b'"id":null' in cached.body  # no caller's id kept for the next


def test_the_cache_holds_no_pasted_secret(client: TestClient) -> None:
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    paste = f"export AWS_SECRET_ACCESS_KEY={secret}\n" + SCP.format(user="Matt")
    assert secret not in client.post("/v1/diagnose", json={"error": paste}).text
    cache: ResponseCache = client.app.state.response_cache  # type: ignore[attr-defined]
    for key, entry in cache._entries.items():
        assert secret.encode() not in key and secret.encode() not in entry.body
        assert secret not in entry.verdict.model_dump_json()


def _entry(size: int) -> CachedDiagnosis:
    from api.schemas import DiagnoseResponse

    response = DiagnoseResponse(provider=None, category="other", reason=None, confidence=0.0, facts={}, guidance=None)
    return CachedDiagnosis(response, b"x" * size)


@pytest.mark.parametrize(("entries", "max_bytes"), [(4, 10_000), (100, 2_500)])
def test_the_cache_stays_within_its_entry_and_byte_bounds(entries: int, max_bytes: int) -> None:
    cache = ResponseCache(max_entries=entries, max_bytes=max_bytes)
    roles = object()
    for n in range(1_000):
        cache.put(ResponseCache.key("all", str(n).encode()), roles, _entry(1_000))
        assert len(cache) <= entries and cache.size_bytes <= max_bytes
    newest = ResponseCache.key("all", b"999")
    assert cache.get(newest, roles) is not None  # the least recently used went first
    assert cache.get(ResponseCache.key("all", b"0"), roles) is None


def test_a_refreshed_role_table_empties_the_cache() -> None:
    cache = ResponseCache()
    key = ResponseCache.key("all", b"{}")
    reviewed, refreshed = object(), object()
    cache.put(key, reviewed, _entry(10))
    assert cache.get(key, reviewed) is not None
    assert cache.get(key, refreshed) is None and len(cache) == 0  # rendered with the old roles: dropped


def test_an_operator_can_turn_the_cache_off(make_client: ClientFactory) -> None:
    client = make_client(response_cache_entries=0)
    body = {"error": SCP.format(user="Matt")}
    first = client.post("/v1/diagnose", json=body)
    again = client.post("/v1/diagnose", json=body)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert len(client.app.state.response_cache) == 0  # type: ignore[attr-defined]
