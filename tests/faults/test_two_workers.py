"""Two service processes share PostgreSQL under load; one is killed mid-run.

Four client threads post diagnoses and feedback to both workers for a few seconds. Halfway, one
worker gets SIGKILL. The survivor must answer every request without an error, and every
feedback write either worker acknowledged (201) must be in the database afterwards. Both start
at once on an empty database, which also checks that concurrent start-up syncs do not collide.
Runs in CI's PostgreSQL pass; throughput is measured in bench/, not here.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from api.db import make_engine
from tests.conftest import database_url, reset_database
from tests.faults.service import start_service, wait_ready
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
DENIED = (
    "An error occurred (AccessDenied) when calling the ListRoles operation: User: arn:aws:iam::123456789012:user/Matt "
    "is not authorized to perform: iam:ListRoles on resource: arn:aws:iam::123456789012:role/* with an explicit deny "
    "in a service control policy: arn:aws:organizations::987654321098:policy/o-qv5af4abcd/service_control_policy/p-2kgnabcd"
)  # the example of AWS's policy-ARN announcement
RUN_SECONDS = 6.0

pytestmark = pytest.mark.skipif(
    not database_url().startswith("postgresql"), reason="workers sharing a database server (the PostgreSQL pass)"
)


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[list[tuple[int, subprocess.Popen[bytes]]]]:
    reset_database(database_url())
    ports = [free_port(), free_port()]
    started = [
        (port, start_service(port, database_url(), tmp_path)) for port in ports
    ]  # both at once, on an empty database
    try:
        for port, worker in started:
            wait_ready(port, worker, path="/v1/entries")  # the database synced, not only alive
        yield started
    finally:
        for _, worker in started:
            worker.terminate()
            worker.wait(timeout=20)


def test_the_survivor_answers_everything_and_no_acknowledged_write_is_lost(
    workers: list[tuple[int, subprocess.Popen[bytes]]],
) -> None:
    (victim_port, victim), (survivor_port, _) = workers
    acknowledged: set[str] = set()
    survivor_errors: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def client(port: int) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            while not stop.is_set():
                marker = uuid.uuid4().hex
                try:
                    diagnosis = http.post("/v1/diagnose", json={"error": DENIED})
                    feedback = http.post(
                        "/v1/feedback",
                        json={"reason": "aws.authz.explicit_deny.scp", "helpful": True, "comment": marker},
                    )
                except httpx.TransportError as exc:
                    if port == survivor_port:
                        with lock:
                            survivor_errors.append(repr(exc))
                    if port == victim_port:
                        time.sleep(0.05)  # the victim is gone; keep trying like a naive client would
                    continue
                with lock:
                    if feedback.status_code == 201:
                        acknowledged.add(marker)
                    if port == survivor_port and (diagnosis.status_code != 200 or feedback.status_code != 201):
                        survivor_errors.append(f"{diagnosis.status_code}/{feedback.status_code}")

    threads = [
        threading.Thread(target=client, args=(port,))
        for port in (victim_port, victim_port, survivor_port, survivor_port)
    ]
    for thread in threads:
        thread.start()
    time.sleep(RUN_SECONDS / 2)
    victim.send_signal(signal.SIGKILL)
    time.sleep(RUN_SECONDS / 2)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)

    assert survivor_errors == []
    assert len(acknowledged) > 50  # the run did real work on both databases' worth of writes
    engine = make_engine(database_url())
    try:
        with engine.connect() as conn:
            stored = {row[0] for row in conn.execute(text("SELECT comment FROM feedback"))}
    finally:
        engine.dispose()
    assert acknowledged - stored == set()
