"""The rate limit shared through a real Redis: one limit across replicas, atomic, and safe when Redis fails.

Two apps stand for two replicas behind a load balancer: a client alternating between them gets the
limit once, not twice. Redis taken away (a TCP forwarder in front of it is stopped, or it accepts and
never answers) must never cost a 500: the limiter fails open or closed as configured, logs the outage
once, and uses Redis again once it is back.
"""

from __future__ import annotations

import logging
import math
import threading
import time

import pytest
import redis

from api.redis_ratelimit import RateLimitUnavailable, RedisRateLimiter
from api.server import uvicorn_options
from api.settings import Settings
from tests.conftest import ClientFactory
from tests.faults.tcp_proxy import TcpProxy
from tests.redis_server import REDIS_URL
from tests.servers import free_port

DENIED = 'HTTP/1.1 403 Forbidden\n\n{"message":"Resource not accessible by integration"}'


def test_two_replicas_share_one_limit_per_client(make_client: ClientFactory, redis_prefix: str) -> None:
    settings = {"rate_limit_per_minute": 4, "rate_limit_redis_url": REDIS_URL, "rate_limit_redis_prefix": redis_prefix}
    replicas = [make_client(**settings), make_client(**settings, reset_database=False)]
    statuses = [replicas[i % 2].post("/v1/diagnose", json={"error": DENIED}).status_code for i in range(8)]
    assert statuses == [200, 200, 200, 200, 429, 429, 429, 429]  # per-process buckets would allow all 8
    limited = replicas[0].post("/v1/diagnose", json={"error": DENIED})
    assert limited.headers["content-type"] == "application/problem+json"
    assert 1 <= int(limited.headers["retry-after"]) <= 15  # a token comes back every 15 s at 4/min
    assert replicas[1].post("/", data={"error": DENIED}).status_code == 429  # the web form counts too
    assert replicas[0].post("/v1/feedback", json={"reason": "http.authz.forbidden", "helpful": True}).status_code == 429


def test_taking_the_last_token_is_atomic_across_concurrent_callers(redis_prefix: str) -> None:
    limiters = [RedisRateLimiter(REDIS_URL, 10, prefix=redis_prefix) for _ in range(4)]  # four "replicas"
    waits: list[int] = []
    lock = threading.Lock()

    def spend(limiter: RedisRateLimiter) -> None:
        for _ in range(10):
            wait = limiter.acquire("192.0.2.1")
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=spend, args=(limiter,)) for limiter in limiters for _ in range(2)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(waits) == 80
    refilled = math.ceil((time.monotonic() - started) / 6)  # one token comes back every 6 s
    assert 10 <= waits.count(0) <= 10 + refilled  # the burst (and what came back), never a token spent twice
    assert limiters[0].acquire("192.0.2.2") == 0  # another client has its own bucket


def test_buckets_refill_on_redis_clock_and_expire_when_full(redis_prefix: str) -> None:
    limiter = RedisRateLimiter(REDIS_URL, 600, prefix=redis_prefix)  # ten tokens a second
    started, allowed = time.monotonic(), 0
    while limiter.acquire("198.51.100.7") == 0 and allowed < 5000:
        allowed += 1
    refilled = math.ceil((time.monotonic() - started) * 10) + 1  # tokens that came back meanwhile
    assert 600 <= allowed <= 600 + refilled  # the burst, then refused
    time.sleep(0.35)  # three tokens come back
    assert limiter.acquire("198.51.100.7") == 0
    ttl = redis.Redis.from_url(REDIS_URL).ttl(redis_prefix + "198.51.100.7")
    assert 0 < ttl <= 61  # an idle client's bucket goes away once it would be full again


def test_redis_down_fails_open_by_default_logs_once_and_recovers(
    make_client: ClientFactory, redis_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    proxy = TcpProxy("127.0.0.1", redis.Redis.from_url(REDIS_URL).connection_pool.connection_kwargs["port"])
    proxy.start()
    url = f"redis://127.0.0.1:{proxy.port}/0"
    client = make_client(rate_limit_per_minute=2, rate_limit_redis_url=url, rate_limit_redis_prefix=redis_prefix)
    try:
        assert [client.post("/v1/diagnose", json={"error": DENIED}).status_code for _ in range(3)] == [200, 200, 429]
        proxy.stop()
        with caplog.at_level(logging.WARNING, logger="whydenied.ratelimit"):
            statuses = [client.post("/v1/diagnose", json={"error": DENIED}).status_code for _ in range(5)]
        assert statuses == [200] * 5  # open: diagnosing goes on unlimited while Redis is away
        outages = [record for record in caplog.records if "unreachable" in record.getMessage()]
        assert len(outages) == 1 and "failing open" in outages[0].getMessage()
        assert url not in caplog.text  # the URL may hold a password: never logged
        proxy.start()
        time.sleep(2.1)  # the quiet period after a failure
        assert client.post("/v1/diagnose", json={"error": DENIED}).status_code == 429  # the bucket is still spent
        assert any("answers again" in record.getMessage() for record in caplog.records)
    finally:
        proxy.stop()


def test_redis_down_fails_closed_with_503_never_500_when_configured(make_client: ClientFactory) -> None:
    nothing_there = f"redis://127.0.0.1:{free_port()}/0"
    client = make_client(rate_limit_per_minute=5, rate_limit_redis_url=nothing_there, rate_limit_fail_open=False)
    refused = client.post("/v1/diagnose", json={"error": DENIED})
    assert refused.status_code == 503
    assert refused.json()["type"].endswith("/rate-limit-unavailable")
    assert refused.headers["retry-after"]
    page = client.post("/", data={"error": DENIED}, headers={"X-Fragment": "1"})
    assert page.status_code == 503 and "rate limit cannot be checked" in page.text
    assert client.get("/healthz").status_code == 200  # only the limited routes are refused


def test_a_redis_that_never_answers_costs_a_request_at_most_the_timeout() -> None:
    proxy = TcpProxy("127.0.0.1", 6379)
    proxy.start(blackhole=True)  # accepts, never answers: a wedged Redis
    try:
        limiter = RedisRateLimiter(
            f"redis://127.0.0.1:{proxy.port}/0", 5, prefix="whydenied-test:", fail_open=False, timeout_seconds=0.2
        )
        started = time.monotonic()
        with pytest.raises(RateLimitUnavailable):
            limiter.acquire("203.0.113.9")
        with pytest.raises(RateLimitUnavailable):  # within the quiet period: no second wait
            limiter.acquire("203.0.113.9")
        assert time.monotonic() - started < 1.0
    finally:
        proxy.stop()


def test_forwarded_for_is_trusted_only_from_the_configured_load_balancer() -> None:
    assert uvicorn_options(Settings())["proxy_headers"] is False
    behind = uvicorn_options(Settings(forwarded_allow_ips="10.0.0.0/8, 192.0.2.10"))
    assert behind["proxy_headers"] is True
    assert behind["forwarded_allow_ips"] == ["10.0.0.0/8", "192.0.2.10"]
