"""The container image, built and run on this machine (opt-in: WHYDENIED_TEST_IMAGE=1; minutes, see below).

deploy/image/build.sh builds it with no registry: a Debian base from debootstrap, wheels fetched on
the host, the Dockerfile installing offline. Then the image as Kubernetes would run it: its user is
numeric and not root, it has a HEALTHCHECK, no package or build tool (pip, a compiler, make) is in
it, and, started (`buildah run`, chroot isolation: this machine's crun cannot make containers, see
deploy/README.md), it answers /healthz, its own HEALTHCHECK command and a diagnosis, then drains on
SIGTERM: a request in flight is answered in full before the process exits.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
TAG = os.environ.get("WHYDENIED_TEST_IMAGE_TAG", "localhost/whydenied:dev")
BODY = json.dumps({"error": 'HTTP/1.1 403 Forbidden\n\n{"message":"Resource not accessible by integration"}'}).encode()

pytestmark = pytest.mark.skipif(
    os.environ.get("WHYDENIED_TEST_IMAGE") != "1",
    reason="opt-in (WHYDENIED_TEST_IMAGE=1): builds the container image from Debian packages, minutes",
)


@pytest.fixture(scope="module")
def image() -> dict[str, object]:
    """Build (layers are cached: a rebuild after a code change redoes only the install) and inspect.

    WHYDENIED_TEST_IMAGE_BUILT=1 tests the image already tagged instead.
    """
    if os.environ.get("WHYDENIED_TEST_IMAGE_BUILT") != "1":
        subprocess.run([str(ROOT / "deploy" / "image" / "build.sh")], cwd=ROOT, check=True, timeout=1800,
                       env={**os.environ, "TAG": TAG})  # fmt: skip
    inspected = subprocess.run(
        ["buildah", "inspect", "--type", "image", TAG], capture_output=True, text=True, check=True
    ).stdout
    config: dict[str, object] = json.loads(inspected)["Docker"]["config"]
    return config


@pytest.fixture
def container(image: dict[str, object]) -> Iterator[str]:
    name = subprocess.run(["buildah", "from", TAG], capture_output=True, text=True, check=True).stdout.strip()
    yield name
    subprocess.run(["buildah", "rm", name], capture_output=True, check=False)


def run_in(container: str, *command: str, env: dict[str, str] | None = None) -> list[str]:
    """`buildah run` in chroot isolation (the host's network: the container's port is a host port)."""
    options = [f"--env={key}={value}" for key, value in (env or {}).items()]
    return ["buildah", "run", "--isolation", "chroot", *options, container, "--", *command]


def listener_pid(port: int) -> int:
    """The process listening on the port: the server inside the container."""
    out = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True, check=True).stdout
    found = re.search(r"pid=(\d+)", out)
    assert found, out
    return int(found.group(1))


def test_the_image_runs_unprivileged_with_a_healthcheck_and_no_build_tools(
    image: dict[str, object], container: str
) -> None:
    assert image["User"] == "10001:10001"  # numeric: runAsNonRoot can check it
    assert image["StopSignal"] == "SIGTERM"
    healthcheck = image["Healthcheck"]
    assert isinstance(healthcheck, dict) and "/healthz" in " ".join(healthcheck["Test"])
    probe = "for t in pip pip3 gcc cc make; do command -v $t && exit 1; done; ! test -e /opt/whydenied/bin/pip"
    result = subprocess.run(run_in(container, "sh", "-c", probe), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    whoami = subprocess.run(run_in(container, "id", "-u"), capture_output=True, text=True, timeout=60)
    assert whoami.stdout.strip() == "10001"


def test_the_image_serves_diagnoses_passes_its_healthcheck_and_drains_on_sigterm(
    image: dict[str, object], container: str
) -> None:
    port = free_port()
    env = {"WHYDENIED_PORT": str(port), "WHYDENIED_HOST": "127.0.0.1"}
    server = subprocess.Popen(run_in(container, "whydenied", "serve", env=env))
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, "the container exited during start-up"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "no /healthz within two minutes"
            time.sleep(0.5)
        answer = httpx.post(f"http://127.0.0.1:{port}/v1/diagnose", content=BODY,
                            headers={"Content-Type": "application/json"}, timeout=10)  # fmt: skip
        assert answer.status_code == 200 and answer.json()["reason"] == "http.authz.forbidden"

        healthcheck = image["Healthcheck"]
        assert isinstance(healthcheck, dict)
        kind, *command = healthcheck["Test"]
        assert kind == "CMD"
        command = [part.replace(":8000/", f":{port}/") for part in command]  # the image's own check, our port
        assert subprocess.run(run_in(container, *command, env=env), timeout=60).returncode == 0

        # SIGTERM with a request in flight (head sent, body not yet): answered in full, then exit.
        inside = listener_pid(port)
        with socket.create_connection(("127.0.0.1", port), timeout=20) as conn:
            conn.sendall(
                b"POST /v1/diagnose HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(BODY)}\r\n\r\n".encode()
                + BODY[:10]
            )
            time.sleep(0.5)
            os.kill(inside, signal.SIGTERM)
            time.sleep(0.5)
            conn.sendall(BODY[10:])
            reply = b""
            while not reply.rstrip().endswith(b"}"):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                reply += chunk
        assert reply.startswith(b"HTTP/1.1 200"), reply[:200]
        assert json.loads(reply.partition(b"\r\n\r\n")[2])["reason"] == "http.authz.forbidden"
        server.wait(timeout=30)  # the server drained and exited, and the container with it
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
