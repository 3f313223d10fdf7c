"""What one client may cost `whydenied serve`: bounded header bytes, bounded time, bounded connections.

Security review F3: a connection streaming header lines grew the server by 1 MB per MB sent, slow
heads and bodies and idle sockets were never closed, and 20,000 idle sockets locked everybody out.
F8: uvicorn trusted X-Forwarded-For from loopback peers, so any local client (a tunnel, a sidecar)
could pick a new address per request and never meet the rate limit.

Each test runs the real `whydenied serve` on a loopback port, with short deadlines set through
the environment as an operator would, and talks to it over raw sockets.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.faults.service import start_whydenied_serve, wait_ready
from tests.servers import free_port

HEADER_TIMEOUT = 1.5
BODY_TIMEOUT = 1.5
KEEP_ALIVE = 1


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    port = free_port()
    process = start_whydenied_serve(
        port,
        tmp_path_factory.mktemp("serve"),
        header_timeout_seconds=str(HEADER_TIMEOUT),
        body_timeout_seconds=str(BODY_TIMEOUT),
        keep_alive_seconds=str(KEEP_ALIVE),
        max_connections="40",
        rate_limit_per_minute="5",
    )
    try:
        wait_ready(port, process)
        yield port
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _closed_within(conn: socket.socket, seconds: float) -> bool:
    """True when the server closes the connection (EOF or reset) within `seconds`; reads any reply."""
    conn.settimeout(seconds)
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            if not conn.recv(65536):
                return True
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True
    return False


def _healthy(port: int) -> bool:
    return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200


def test_an_oversized_request_head_is_refused_and_costs_no_memory(server: int) -> None:
    sent = 0
    with socket.create_connection(("127.0.0.1", server), timeout=10) as conn:
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        line = b"X-Pad: " + b"a" * 65_000 + b"\r\n"
        with pytest.raises(OSError):  # the server stops reading and closes: the send fails
            while sent < 200 * 1024 * 1024:
                conn.sendall(line)
                sent += len(line)
    assert sent < 4 * 1024 * 1024, f"the server accepted {sent} bytes of headers"
    assert _healthy(server)


def test_a_connection_that_sends_nothing_is_closed(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server)) as conn:
        assert _closed_within(conn, HEADER_TIMEOUT + 5)


def test_a_slow_request_head_is_closed_even_while_bytes_trickle_in(server: int) -> None:
    head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 400
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server)) as conn:
        try:
            for byte in head:  # a byte every 50 ms: 20 s for the whole head, were it allowed
                conn.sendall(bytes([byte]))
                time.sleep(0.05)
        except OSError:
            pass  # closed by the server while we were still sending: what we want
        assert _closed_within(conn, 1)
    assert time.monotonic() - started < HEADER_TIMEOUT + 5


def test_a_slow_body_is_closed(server: int) -> None:
    body = json.dumps({"error": "HTTP/1.1 403 Forbidden"}).encode()
    head = (
        f"POST /v1/diagnose HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server)) as conn:
        conn.sendall(head + body[:1])
        try:
            for byte in body[1:]:
                conn.sendall(bytes([byte]))
                time.sleep(0.2)
        except OSError:
            pass
        reply = b""
        conn.settimeout(2)
        try:
            while chunk := conn.recv(65536):
                reply += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    assert not reply.startswith(b"HTTP/1.1 200"), "a body slower than the deadline was still served"
    assert time.monotonic() - started < BODY_TIMEOUT + 6


def test_an_idle_kept_alive_connection_is_closed(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server)) as conn:
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        conn.settimeout(5)
        assert conn.recv(65536).startswith(b"HTTP/1.1 200")
        assert _closed_within(conn, KEEP_ALIVE + 2)  # uvicorn's default is 5 s


def test_idle_sockets_beyond_the_cap_are_closed_and_cannot_lock_clients_out(server: int) -> None:
    hoard = [socket.create_connection(("127.0.0.1", server)) for _ in range(60)]  # the cap is 40
    try:
        time.sleep(0.5)
        refused = sum(_closed_within(conn, 0.05) for conn in hoard)
        assert refused >= 15, f"only {refused} of 60 connections beyond a cap of 40 were closed"
        time.sleep(HEADER_TIMEOUT + 1)  # the ones within the cap sent no request head: reaped
        assert _healthy(server)
    finally:
        for conn in hoard:
            conn.close()


def test_x_forwarded_for_does_not_reset_the_rate_limit(server: int) -> None:
    statuses = [
        httpx.post(
            f"http://127.0.0.1:{server}/v1/diagnose",
            json={"error": "HTTP/1.1 403 Forbidden"},
            headers={"X-Forwarded-For": f"10.0.0.{i}", "Forwarded": f"for=10.0.1.{i}"},
            timeout=10,
        ).status_code
        for i in range(8)
    ]
    assert statuses[:5] == [200] * 5 and 429 in statuses[5:], statuses
