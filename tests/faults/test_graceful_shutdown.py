"""SIGTERM drains in-flight requests: a diagnosis whose body is still arriving is answered in full.

The service runs as `whydenied serve` would (uvicorn, a real socket). The request's headers are
sent, then SIGTERM, then the rest of the body: the worker must finish that request with a 200
before it exits, and refuse new connections meanwhile.
"""

from __future__ import annotations

import json
import signal
import socket
import time
from pathlib import Path

from tests.conftest import database_url
from tests.faults.service import start_service, wait_ready
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
BODY = json.dumps({"error": 'HTTP/1.1 403 Forbidden\n\n{"message":"Resource not accessible by integration"}'}).encode()


def test_sigterm_finishes_the_request_in_flight(tmp_path: Path) -> None:
    port = free_port()
    url = database_url() if database_url() != "sqlite://" else f"sqlite:///{tmp_path / 'shutdown.db'}"
    server = start_service(port, url, tmp_path)
    try:
        wait_ready(port, server)

        with socket.create_connection(("127.0.0.1", port), timeout=20) as conn:
            head = (
                f"POST /v1/diagnose HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(BODY)}\r\n\r\n"
            ).encode()
            conn.sendall(head + BODY[:10])
            time.sleep(0.5)  # the request is in flight: headers read, body incomplete
            server.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            assert server.poll() is None, "the server exited with a request in flight"
            conn.sendall(BODY[10:])
            reply = b""
            while b"\r\n\r\n" not in reply or not reply.rstrip().endswith(b"}"):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                reply += chunk
        status_line, _, rest = reply.partition(b"\r\n")
        assert status_line.startswith(b"HTTP/1.1 200"), reply[:200]
        assert json.loads(rest.partition(b"\r\n\r\n")[2])["reason"] == "http.authz.forbidden"
        # Then it exits: uvicorn re-raises SIGTERM once drained, so the status says "terminated".
        assert server.wait(timeout=20) in (0, -signal.SIGTERM)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
