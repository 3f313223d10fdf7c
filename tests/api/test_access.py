"""API keys guard /v1/stats (RFC 6750 answers); the per-client rate limit on diagnoses (429 + Retry-After)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.cli import main
from api.ratelimit import RateLimiter, client_key
from api.services.api_keys import create_key, revoke_key
from tests.conftest import ClientFactory, database_url

DENIED = "HTTP/1.1 403 Forbidden"


def test_stats_without_a_key_is_a_401_with_a_bearer_challenge(client: TestClient) -> None:
    response = client.get("/v1/stats")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="whydenied"'
    assert response.headers["content-type"] == "application/problem+json"
    assert "whydenied keys create" in response.json()["detail"]


def test_a_created_key_opens_stats_and_a_revoked_one_is_invalid_token(client: TestClient) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    record, key = create_key(engine, "grafana")
    assert key.startswith("wdk_") and len(key) > 40
    assert client.get("/v1/stats", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    wrong = client.get("/v1/stats", headers={"Authorization": f"Bearer {key[:-2]}xx"})
    assert wrong.status_code == 401 and 'error="invalid_token"' in wrong.headers["www-authenticate"]
    assert record.id is not None and revoke_key(engine, record.id)
    revoked = client.get("/v1/stats", headers={"Authorization": f"Bearer {key}"})
    assert revoked.status_code == 401 and 'error="invalid_token"' in revoked.headers["www-authenticate"]


def test_only_the_hash_of_a_key_is_stored(client: TestClient) -> None:
    from sqlmodel import Session, select

    from api.models import ApiKeyRecord

    engine = client.app.state.engine  # type: ignore[attr-defined]
    _, key = create_key(engine, "ci")
    with Session(engine) as session:
        stored = session.exec(select(ApiKeyRecord)).one()
    assert key not in stored.model_dump_json() and stored.prefix == key[:10]


@pytest.mark.parametrize(
    ("authorization", "reason"),
    [
        (None, "http.authn.missing_credentials"),
        ("Bearer wdk_not-a-real-key-0000000000", "http.authn.invalid_credentials"),
    ],
)
def test_whydenied_diagnoses_its_own_401s(client: TestClient, authorization: str | None, reason: str) -> None:
    answer = client.get("/v1/stats", headers={"Authorization": authorization} if authorization else {})
    pasted = {
        "error": answer.text + (f"\nAuthorization: {authorization}" if authorization else ""),
        "status_code": answer.status_code,
        "headers": {"WWW-Authenticate": answer.headers["www-authenticate"]},
    }
    verdict = client.post("/v1/diagnose", json=pasted).json()
    assert verdict["reason"] == reason
    assert "wdk_not-a-real-key" not in str(verdict)  # a key in the paste is redacted


def test_the_cli_creates_lists_and_revokes_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], make_client: ClientFactory
) -> None:
    url = database_url() if database_url() != "sqlite://" else f"sqlite:///{tmp_path / 'keys.db'}"
    client = make_client(database_url=url)
    monkeypatch.setenv("WHYDENIED_DATABASE_URL", url)
    from api.settings import get_settings

    get_settings.cache_clear()
    try:
        assert main(["keys", "create", "dashboards"]) == 0
        key = capsys.readouterr().out.strip()
        assert client.get("/v1/stats", headers={"Authorization": f"Bearer {key}"}).status_code == 200
        assert main(["keys", "list"]) == 0
        listed = capsys.readouterr().out
        assert "dashboards" in listed and "live" in listed and key not in listed
        key_id = listed.split()[0]
        assert main(["keys", "revoke", key_id]) == 0
        assert client.get("/v1/stats", headers={"Authorization": f"Bearer {key}"}).status_code == 401
        assert main(["keys", "revoke", "99999"]) == 2
    finally:
        get_settings.cache_clear()


def test_diagnoses_over_the_rate_limit_get_429_with_retry_after(make_client: ClientFactory) -> None:
    client = make_client(rate_limit_per_minute=3)
    assert [client.post("/v1/diagnose", json={"error": DENIED}).status_code for _ in range(3)] == [200, 200, 200]
    limited = client.post("/v1/diagnose", json={"error": DENIED})
    assert limited.status_code == 429
    assert limited.headers["content-type"] == "application/problem+json"
    assert 1 <= int(limited.headers["retry-after"]) <= 20  # one token comes back every 20 s at 3/min
    assert client.get("/healthz").status_code == 200  # only diagnoses are limited
    page = client.post("/", data={"error": DENIED})
    assert page.status_code == 429 and "try again in" in page.text


def test_the_limit_is_off_by_default(client: TestClient) -> None:
    assert all(client.post("/v1/diagnose", json={"error": DENIED}).status_code == 200 for _ in range(30))


def test_buckets_refill_and_are_kept_per_client() -> None:
    limiter = RateLimiter(per_minute=60)
    assert all(limiter.acquire("10.0.0.1", now=100.0) == 0 for _ in range(60))
    assert limiter.acquire("10.0.0.1", now=100.0) == 1
    assert limiter.acquire("10.0.0.2", now=100.0) == 0  # another client has its own bucket
    assert limiter.acquire("10.0.0.1", now=101.0) == 0  # one token a second comes back


def test_an_ipv6_client_is_counted_by_its_64_not_by_each_address() -> None:
    # Security review F8: one IPv6 subscriber holds a whole /64, so a per-address bucket is no limit.
    limiter = RateLimiter(per_minute=2)
    same_subscriber = ["2001:db8:1:2::1", "2001:db8:1:2:ffff::9", "2001:db8:1:2:abcd:1:2:3"]
    waits = [limiter.acquire(client_key(address), now=0.0) for address in same_subscriber]
    assert waits[:2] == [0, 0] and waits[2] > 0
    assert limiter.acquire(client_key("2001:db8:1:3::1"), now=0.0) == 0  # the next /64 is someone else
    assert client_key("::ffff:192.0.2.7") == client_key("192.0.2.7") == "192.0.2.7"  # IPv4 on a dual stack


def test_feedback_is_rate_limited_like_diagnoses(make_client: ClientFactory) -> None:
    client = make_client(rate_limit_per_minute=2)
    body = {"reason": "http.authz.forbidden", "helpful": True}
    assert [client.post("/v1/feedback", json=body).status_code for _ in range(3)] == [201, 201, 429]
