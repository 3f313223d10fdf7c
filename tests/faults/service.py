"""Run the service as a real process (uvicorn on a socket), for the fault tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def start_service(port: int, database_url: str, data_dir: Path) -> subprocess.Popen[bytes]:
    """Start `uvicorn --factory api.main:create_app` on the port, configured by the environment."""
    env = {**os.environ, "WHYDENIED_DATABASE_URL": database_url, "WHYDENIED_DATA_DIR": str(data_dir)}
    command = [sys.executable, "-m", "uvicorn", "--factory", "api.main:create_app", "--port", str(port)]
    return subprocess.Popen([*command, "--no-access-log", "--log-level", "warning"], cwd=ROOT, env=env)


def wait_ready(port: int, process: subprocess.Popen[bytes], path: str = "/healthz") -> None:
    """Wait until the path answers 200; fail if the process exits or a minute passes."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "the service exited during start-up"
        try:
            if httpx.get(f"http://127.0.0.1:{port}{path}", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"the service on port {port} was not ready within a minute")


def start_whydenied_serve(port: int, data_dir: Path, **settings: str) -> subprocess.Popen[bytes]:
    """Start `whydenied serve` itself (the server options users get), with WHYDENIED_* settings."""
    env = {**os.environ, "WHYDENIED_DATA_DIR": str(data_dir), "WHYDENIED_PORT": str(port)}
    env.pop("WHYDENIED_DATABASE_URL", None)  # the embedded default: these tests are about the socket
    env.update({f"WHYDENIED_{name.upper()}": value for name, value in settings.items()})
    return subprocess.Popen([sys.executable, "-m", "api.cli", "serve"], cwd=ROOT, env=env)
