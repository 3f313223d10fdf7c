"""The per-client diagnose limit shared by every replica: a token bucket in Redis, taken atomically.

With several replicas behind a load balancer, the in-process limiter (api/ratelimit.py) lets a client
through `replicas x limit` times a minute; this one keeps one bucket per client in Redis, so the limit
is the limit however many replicas answer. A Lua script reads, refills and takes a token in one step
(two replicas never both spend the last token), on Redis's own clock (replicas' clocks may differ).

Redis is a dependency the diagnose path otherwise does without, so its failure is bounded: a short
socket timeout, then, for `_QUIET_SECONDS`, no further attempt (requests do not each wait out a
timeout while Redis is down). Meanwhile the limiter fails open (requests pass) or closed
(RateLimitUnavailable: the routes answer 503), as configured; the outage and the recovery are logged
once each. Never a 500.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Final

import redis
import redis.asyncio as aredis
from redis.exceptions import RedisError

from api.ratelimit import RateLimitUnavailable as RateLimitUnavailable  # defined there: catching it imports no redis

log = logging.getLogger("whydenied.ratelimit")

# After a failure, Redis is not tried again for this long: the fallback answers meanwhile.
_QUIET_SECONDS: Final = 2.0

# KEYS[1]: the client's bucket. ARGV: capacity (tokens), refill (tokens a second).
# Returns 0 when a token was taken, else the whole seconds until one will be there.
# The bucket expires once it would be full again: an idle client costs Redis nothing.
BUCKET_SCRIPT: Final = """
local capacity = tonumber(ARGV[1])
local refill = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'seen')
local tokens = tonumber(state[1]) or capacity
local seen = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - seen) * refill)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) / refill)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'seen', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / refill) + 1)
return wait
"""


class RedisRateLimiter:
    """Allow `per_minute` requests a minute per client across all replicas sharing this Redis."""

    def __init__(
        self, url: str, per_minute: int, *, prefix: str, fail_open: bool = True, timeout_seconds: float = 0.25
    ) -> None:
        self.capacity = per_minute
        self.refill_per_second = per_minute / 60.0
        self.prefix = prefix
        self.fail_open = fail_open
        options: dict[str, Any] = {
            "socket_timeout": timeout_seconds,
            "socket_connect_timeout": timeout_seconds,
            "retry_on_timeout": False,
        }
        # Sync for callers in worker threads (MCP tools), async for the routes on the event loop.
        self._sync = redis.Redis.from_url(url, **options)
        self._async = aredis.Redis.from_url(url, **options)
        self._sync_script = self._sync.register_script(BUCKET_SCRIPT)
        self._async_script = self._async.register_script(BUCKET_SCRIPT)
        self._down_until = 0.0  # monotonic time before which Redis is not tried
        self._down = False
        self._state_lock = threading.Lock()

    def acquire(self, client: str) -> int:
        """Take a token (blocking I/O: call from a worker thread); 0 when allowed, else seconds to wait."""
        if self._resting():
            return self._fallback()
        try:
            wait = int(self._sync_script(keys=[self.prefix + client], args=[self.capacity, self.refill_per_second]))
        except (RedisError, OSError) as exc:
            return self._failed(exc)
        self._recovered()
        return wait

    async def acquire_async(self, client: str) -> int:
        """Take a token without blocking the event loop; 0 when allowed, else seconds to wait."""
        if self._resting():
            return self._fallback()
        try:
            wait = await self._async_script(keys=[self.prefix + client], args=[self.capacity, self.refill_per_second])
        except (RedisError, OSError) as exc:
            return self._failed(exc)
        self._recovered()
        return int(wait)

    async def aclose(self) -> None:
        """Close both connection pools (at the app's shutdown)."""
        await self._async.aclose()
        self._sync.close()

    def _resting(self) -> bool:
        return self._down and time.monotonic() < self._down_until

    def _fallback(self) -> int:
        if self.fail_open:
            return 0
        raise RateLimitUnavailable

    def _failed(self, exc: Exception) -> int:
        with self._state_lock:
            if not self._down:
                # The exception's type only: its message may carry the URL, and the URL a password.
                log.warning(
                    "rate limit: Redis unreachable (%s); failing %s until it answers",
                    type(exc).__name__,
                    "open (requests pass unlimited)" if self.fail_open else "closed (requests get 503)",
                )
            self._down = True
            self._down_until = time.monotonic() + _QUIET_SECONDS
        return self._fallback()

    def _recovered(self) -> None:
        if self._down:
            with self._state_lock:
                if self._down:
                    log.warning("rate limit: Redis answers again; the shared limit applies")
                    self._down = False
