"""SIGTERM drains in-flight requests: a diagnosis whose body is still arriving is answered in full.

The service runs as `whydenied serve` would (uvicorn, a real socket). The request's headers are
sent, then SIGTERM, then the rest of the body: the worker must finish that request with a 200
before it exits, and refuse new connections meanwhile.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import database_url

ROOT = Path(__file__).resolve().parents[2]
BODY = json.dumps({"error": 'HTTP/1.1 403 Forbidden\n\n{"message":"Resource not accessible by integration"}'}).encode()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_sigterm_finishes_the_request_in_flight(tmp_path: Path) -> None:
    port = _free_port()
    url = database_url() if database_url() != "sqlite://" else f"sqlite:///{tmp_path / 'shutdown.db'}"
    env = {**os.environ, "WHYDENIED_DATABASE_URL": url, "WHYDENIED_DATA_DIR": str(tmp_path)}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "api.main:create_app",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                assert time.monotonic() < deadline and server.poll() is None, "the server did not start"
                time.sleep(0.2)

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
