"""A per-client token bucket for /v1/diagnose: answers 429 with Retry-After when a client is too fast.

In memory and per process (each worker counts its own clients): the embedded default, and what a
limit meant to stop one runaway plugin needs. Replicas behind a load balancer share one limit in
Redis instead (api/redis_ratelimit.py, chosen by WHYDENIED_RATE_LIMIT_REDIS_URL; see
make_rate_limiter). The client is the socket's peer address (an IPv6 peer counts by its /64):
X-Forwarded-For is trusted only from the addresses in WHYDENIED_FORWARDED_ALLOW_IPS (the load
balancer's), since any caller can write it.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Final, Protocol

if TYPE_CHECKING:
    from api.settings import Settings

# Bounded so a flood of distinct addresses cannot grow memory without limit: the least recently
# seen client is forgotten first (it merely gets a full bucket back).
_MAX_CLIENTS: Final = 10_000


class RateLimitUnavailable(Exception):
    """The shared limit cannot be checked and the limiter is set to fail closed."""


class RateLimiter:
    """Allow `per_minute` requests a minute per client, with bursts up to the same number."""

    def __init__(self, per_minute: int) -> None:
        self.capacity = float(per_minute)
        self.refill_per_second = per_minute / 60.0
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def acquire(self, client: str, now: float | None = None) -> int:
        """Take one token; return 0 when allowed, else the seconds to wait before retrying."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, seen = self._buckets.pop(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - seen) * self.refill_per_second)
            allowed = tokens >= 1.0
            self._buckets[client] = (tokens - 1.0 if allowed else tokens, now)
            if len(self._buckets) > _MAX_CLIENTS:
                self._buckets.popitem(last=False)
        if allowed:
            return 0
        return max(1, math.ceil((1.0 - tokens) / self.refill_per_second))

    async def acquire_async(self, client: str) -> int:
        """The same, for the routes (no I/O: nothing to await)."""
        return self.acquire(client)

    async def aclose(self) -> None:
        """Nothing to close (the shared limiter closes its connections)."""


class Limiter(Protocol):
    """What the routes need of a limiter: take a token, sync (worker threads) or async (event loop)."""

    def acquire(self, client: str) -> int: ...

    async def acquire_async(self, client: str) -> int: ...

    async def aclose(self) -> None: ...


def make_rate_limiter(settings: Settings) -> Limiter | None:
    """The configured limiter: none (limit 0), shared in Redis (a Redis URL is set), else in process."""
    if not settings.rate_limit_per_minute:
        return None
    if settings.rate_limit_redis_url:
        from api.redis_ratelimit import RedisRateLimiter  # only deployments that share a limit import redis

        return RedisRateLimiter(
            settings.rate_limit_redis_url,
            settings.rate_limit_per_minute,
            prefix=settings.rate_limit_redis_prefix,
            fail_open=settings.rate_limit_fail_open,
            timeout_seconds=settings.rate_limit_redis_timeout_seconds,
        )
    return RateLimiter(settings.rate_limit_per_minute)


def client_key(host: str | None) -> str:
    """The rate limit's key for a peer address: the address itself, or its /64 for IPv6.

    One IPv6 subscriber usually holds a whole /64, so counting single addresses would give one
    client 2**64 buckets (security review F8).
    """
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)
