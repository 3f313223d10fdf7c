"""WHYDENIED_LOG_FORMAT=json: `whydenied serve` writes one JSON line a request, and never the user's data.

The service runs as users run it (a real process, its real stderr). Requests carry secrets where a
careless log would pick them up: in the paste, in Authorization, Cookie and a client-sent
X-Request-ID header, in a query string and in a path. Every line must parse as JSON; each request is
one line with its id (the one sent back in X-Request-ID), route template, status, duration and, for a
diagnosis, the reason; none of the secrets appears anywhere in the output.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.faults.service import ROOT, wait_ready
from tests.servers import free_port

PASTE_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzz5ecretPaste"
HEADER_SECRETS = ("ghp_headerSecret0123456789abcdef", "session=cookieSecret42", "client-chosen-request-id-77")
PATH_SECRET, QUERY_SECRET = "aws.authz.pathsecret_zz9", "querySecret-token-99"
PASTE = (
    "HTTP/1.1 403 Forbidden\n\n"
    f'{{"message":"Resource not accessible by integration","aws_secret_access_key":"{PASTE_SECRET}"}}'
)


def test_one_json_line_a_request_with_no_paste_and_no_header_value(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "WHYDENIED_LOG_FORMAT": "json",
        "WHYDENIED_PORT": str(port),
        "WHYDENIED_DATA_DIR": str(tmp_path),
        "WHYDENIED_DATABASE_URL": f"sqlite:///{tmp_path / 'logs.db'}",
    }
    stderr_path = tmp_path / "stderr.log"
    with stderr_path.open("wb") as stderr:
        server = subprocess.Popen([sys.executable, "-m", "api.cli", "serve"], cwd=ROOT, env=env, stderr=stderr)
        try:
            wait_ready(port, server)
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
                headers = {
                    "Authorization": f"Bearer {HEADER_SECRETS[0]}",
                    "Cookie": HEADER_SECRETS[1],
                    "X-Request-ID": HEADER_SECRETS[2],
                }
                diagnosed = http.post("/v1/diagnose", json={"error": PASTE}, headers=headers)
                missing = http.get(f"/v1/entries/{PATH_SECRET}", params={"token": QUERY_SECRET}, headers=headers)
                too_large = http.post("/v1/diagnose", content=b"x" * (70 * 1024), headers=headers)
                malformed = http.post("/v1/diagnose", content=PASTE.encode(), headers=headers)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=20)

    assert (diagnosed.status_code, missing.status_code, too_large.status_code) == (200, 404, 413)
    assert malformed.status_code in (415, 422)
    output = stderr_path.read_text()
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]  # every line is JSON
    requests = [line for line in lines if line.get("logger") == "whydenied.access"]
    requests = [line for line in requests if line["route"] != "/healthz"]  # wait_ready's polls
    assert len(requests) == 4
    by_status = {line["status"]: line for line in requests}
    diagnosis = by_status[200]
    assert diagnosis["route"] == "/v1/diagnose" and diagnosis["method"] == "POST"
    assert isinstance(diagnosed.json()["reason"], str)
    assert diagnosis["reason"] == diagnosed.json()["reason"]  # the reason id, as answered
    assert diagnosis["request_id"] == diagnosed.headers["x-request-id"] != HEADER_SECRETS[2]
    assert isinstance(diagnosis["duration_ms"], float) and diagnosis["duration_ms"] >= 0
    assert by_status[404]["route"] == "/v1/entries/{entry_id}"  # the template, not the path that was asked for
    assert by_status[413]["route"] in ("/v1/diagnose", "unmatched") and "reason" not in by_status[413]
    for secret in (PASTE_SECRET, *HEADER_SECRETS, PATH_SECRET, QUERY_SECRET, "Resource not accessible"):
        assert secret not in output
