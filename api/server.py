"""How `whydenied serve` (and the container) runs uvicorn: bounded, so one client cannot take it down.

uvicorn's defaults suit a process behind a proxy that already enforces limits. whydenied is also
run bare (the Dockerfile binds 0.0.0.0), so the server itself bounds what a connection may cost:

- header size: h11 with a fixed incomplete-event limit (httptools accepts unbounded header lines);
  a larger request head is answered 400 and the connection closed;
- time: the request head must arrive within `header_timeout_seconds` of the connection opening or of
  the previous response (slowloris, idle sockets), the body within `body_timeout_seconds` of the
  head, and an idle keep-alive connection closes after `keep_alive_seconds`;
- count: past `max_connections` open connections a new one is closed at once, so descriptors run
  out for the attacker's sockets, not for the process; past `limit_concurrency` requests uvicorn
  answers 503;
- a response goes out in one write: behind a load balancer, a replica killed between the write of
  its head and of its body leaves a half response the balancer can no longer retry elsewhere;
- X-Forwarded-For is trusted only from `forwarded_allow_ips` (the load balancer's addresses; empty
  by default, while uvicorn would trust loopback peers), so the per-client rate limit keys on the
  socket's peer address unless a configured proxy names the client.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from api.settings import Settings


class BoundedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline on the request head and on the body, and a connection cap.

    Subclassed rather than configured because uvicorn has no option for either deadline: its only
    timer is the keep-alive one, armed after a response, so a connection that never completes a
    request head is never closed.
    """

    header_timeout_seconds: float = 10.0
    body_timeout_seconds: float = 30.0
    max_connections: int = 1000

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._phase = ""  # what the armed deadline waits for: "head", "body", or nothing

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            # Refuse rather than queue: an accepted socket costs a descriptor until it is closed.
            self.transport.close()
            return
        self._arm(self.header_timeout_seconds)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._follow_request_state()

    def handle_events(self) -> None:
        super().handle_events()
        cycle = self.cycle
        if cycle is not None and not isinstance(cycle.transport, _OneWriteResponse):
            # The cycle's task has not run yet (it was only scheduled), so every write it makes goes here.
            cycle.transport = _OneWriteResponse(cycle.transport, cycle, self.loop)  # type: ignore[assignment]

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm(self.header_timeout_seconds)  # the next request's head, on a kept-alive connection
            self._follow_request_state()  # a pipelined request may already be under way

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _follow_request_state(self) -> None:
        """Move the deadline along with the request: head read -> body deadline; body read -> none."""
        state = self.conn.their_state
        if state is h11.SEND_BODY and self._phase != "body":
            self._arm(self.body_timeout_seconds, phase="body")
        elif state not in (h11.IDLE, h11.SEND_BODY):
            self._disarm()  # the request is complete; the response is the application's to time

    def _arm(self, seconds: float, phase: str = "head") -> None:
        self._disarm()
        self._phase = phase
        self._deadline = self.loop.call_later(seconds, self._expire)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._phase = ""

    def _expire(self) -> None:
        """Too slow: close the connection. The application, if it was reading the body, sees a disconnect."""
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.close()


class _OneWriteResponse:
    """The transport as a response cycle sees it: its writes are joined, then sent in one call.

    uvicorn writes a response's head, body and end separately. Here they are collected and written
    together once the response is complete (a streamed response: at the end of each loop turn), so
    a process killed mid-response has sent either all of it or none, and nginx, seeing nothing,
    retries the request on another replica (tests/faults/test_replicas_behind_a_balancer.py).
    """

    def __init__(self, transport: asyncio.Transport, cycle: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._cycle = cycle
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._pending and not self._cycle.response_complete:
            self._loop.call_soon(self._flush)  # a streamed response still goes out turn by turn
        self._pending.append(data)
        if self._cycle.response_complete:  # the last write of the response (its end): all of it at once
            self._flush()

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def _flush(self) -> None:
        if self._pending:
            data = b"".join(self._pending)
            self._pending.clear()
            if not self._transport.is_closing():
                self._transport.write(data)

    def __getattr__(self, name: str) -> Any:  # is_closing, get_extra_info, pause_reading, ...
        return getattr(self._transport, name)


def bounded_protocol(settings: Settings) -> type[BoundedH11Protocol]:
    """Return the protocol class with this configuration's deadlines and cap (uvicorn takes a class)."""
    return type(
        "WhydeniedH11Protocol",
        (BoundedH11Protocol,),
        {
            "header_timeout_seconds": settings.header_timeout_seconds,
            "body_timeout_seconds": settings.body_timeout_seconds,
            "max_connections": settings.max_connections,
        },
    )


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The keyword arguments for uvicorn.run / uvicorn.Config that make the server bounded."""
    return {
        "http": bounded_protocol(settings),
        "h11_max_incomplete_event_size": settings.max_header_bytes,
        "timeout_keep_alive": settings.keep_alive_seconds,
        # uvicorn answers 503 past this many connections or requests in progress; the cap above
        # already closes connections beyond it, so this bounds the requests (tasks) in flight.
        "limit_concurrency": settings.max_connections + 1,  # uvicorn refuses at >=; the cap allows max_connections
        "proxy_headers": bool(settings.forwarded_allow_ips),
        "forwarded_allow_ips": settings.forwarded_allow_ips or None,
        "server_header": False,
        "access_log": False,  # the paste never reaches a log; neither does a URL with facts in it
    }
