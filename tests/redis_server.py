"""The real Redis the shared-rate-limit tests use: 127.0.0.1:6379 (or WHYDENIED_TEST_REDIS_URL).

Each test gets its own key prefix and deletes its keys afterwards, so runs never see each other's
buckets. Without a reachable Redis the tests skip with a reason .ci/run refuses (it starts Redis).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import redis

REDIS_URL = os.environ.get("WHYDENIED_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
UNREACHABLE = "Redis is not reachable"


def redis_reachable() -> bool:
    """True when the test Redis answers PING."""
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


def require_redis() -> None:
    """Skip, loudly, when there is no Redis to test against."""
    if not redis_reachable():
        pytest.skip(f"{UNREACHABLE} at {REDIS_URL}: the shared rate limit is untested (.ci/run starts Redis)")


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    require_redis()
    prefix = f"whydenied-test:{uuid.uuid4().hex}:"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=prefix + "*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()
