"""Three `whydenied serve` replicas behind a real nginx, sharing PostgreSQL and Redis, one killed under load.

As a team runs it: nginx (Debian's) balances three replicas on loopback ports; they share one
PostgreSQL and the rate limit in one Redis. First, three clients (each from its own loopback
address, which nginx passes on in X-Forwarded-For) send three times the limit: each gets the limit
once, not once per replica. Then wrk drives diagnoses through nginx while a checker posts
diagnoses and feedback; one replica is SIGKILLed mid-run and restarted. No diagnose request may
fail (nginx retries it on another replica), every feedback write nginx acknowledged must be in
PostgreSQL, and the restarted replica must get traffic again.

Needs a database server: runs on CI's PostgreSQL pass (about 35 s). Throughput is measured in bench/.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from api.db import make_engine
from tests.conftest import database_url, reset_database
from tests.redis_server import REDIS_URL, require_redis
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
NGINX = "/usr/sbin/nginx"
LIMIT = 60  # diagnoses a minute per client
CLIENTS = 3
LOAD_SECONDS = 14
DENIED = (
    "An error occurred (AccessDenied) when calling the ListRoles operation: User: arn:aws:iam::123456789012:user/Matt "
    "is not authorized to perform: iam:ListRoles on resource: arn:aws:iam::123456789012:role/* with an explicit deny "
    "in a service control policy: arn:aws:organizations::987654321098:policy/o-qv5af4abcd/service_control_policy/p-2kgnabcd"
)  # the example of AWS's policy-ARN announcement

pytestmark = pytest.mark.skipif(
    not database_url().startswith("postgresql"),
    reason="replicas sharing a database server: runs on the PostgreSQL pass",
)

# Diagnoses are retried on another replica when one fails mid-request. nginx never retries a POST
# unless told (`non_idempotent`): here it may, because a diagnosis has no side effect but its
# optional history row (a retried request at worst records one diagnosis twice in the stats), so a
# replica dying under load costs the client nothing. Feedback is a real write and is NOT retried:
# a replica may have committed it before dying, and a retry would store it twice; the client sees
# the 502 and decides. Retries stop after 3 tries or 5 s, and a replica that failed is left alone
# for 2 s (max_fails/fail_timeout) before nginx tries it again, which is how the restarted one rejoins.
NGINX_CONF = """
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {tmp}/client_body;
  proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi;
  scgi_temp_path {tmp}/scgi;
  upstream whydenied {{
{servers}
    keepalive 32;
  }}
  proxy_http_version 1.1;
  proxy_set_header Connection "";
  proxy_set_header Host $host;
  # The client's address for the rate limit: the replicas trust X-Forwarded-For from nginx only.
  proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
  proxy_connect_timeout 1s;
  proxy_read_timeout 10s;
  add_header X-Upstream $upstream_addr always;
  server {{
    listen 127.0.0.1:{port};
    location = /v1/diagnose {{
      proxy_pass http://whydenied;
      proxy_next_upstream error timeout non_idempotent;
      proxy_next_upstream_tries 3;
      proxy_next_upstream_timeout 5s;
    }}
    location / {{
      proxy_pass http://whydenied;
      proxy_next_upstream error timeout;
    }}
  }}
}}
"""

# wrk: POST diagnoses, each from a "client" of its own (X-Forwarded-For, believed because wrk connects
# from 127.0.0.1, the trusted proxy's address: it plays a front tier), so the per-client limit does
# not throttle the load itself. Prints its counters as one JSON line.
WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
request = function()
  wrk.headers["X-Forwarded-For"] = string.format("10.%d.%d.%d", math.random(0, 255), math.random(0, 255), math.random(1, 254))
  return wrk.format()
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{{"requests": %d, "connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\\n',
    summary.requests, e.connect, e.read, e.write, e.status, e.timeout))
end
"""


@dataclass
class Replica:
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None


@dataclass
class Cluster:
    replicas: list[Replica]
    url: str  # nginx
    env: dict[str, str]
    tmp: Path
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, replica: Replica) -> None:
        env = {**self.env, "WHYDENIED_PORT": str(replica.port)}
        with replica.log.open("ab") as log:
            replica.process = subprocess.Popen(
                [sys.executable, "-m", "api.cli", "serve"], cwd=ROOT, env=env, stdout=log, stderr=log
            )
        self.started.append(replica.process)

    def wait_ready(self, replica: Replica, seconds: float = 120) -> None:  # generous: a busy machine starts slowly
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert replica.process is not None and replica.process.poll() is None, replica.log.read_text()[-2000:]
            try:
                if httpx.get(f"http://127.0.0.1:{replica.port}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"replica on {replica.port} not ready")


def _skip_without_tools() -> None:
    if not Path(NGINX).exists():
        pytest.skip("nginx is not installed (Debian's nginx balances the replicas)")
    if shutil.which("wrk") is None:
        pytest.skip("wrk is not installed (Debian's wrk drives the load)")
    require_redis()


@pytest.fixture
def cluster(tmp_path: Path, redis_prefix: str) -> Iterator[Cluster]:
    _skip_without_tools()
    reset_database(database_url())
    env = {
        **os.environ,
        "WHYDENIED_DATABASE_URL": database_url(),
        "WHYDENIED_DATA_DIR": str(tmp_path),
        "WHYDENIED_RATE_LIMIT_PER_MINUTE": str(LIMIT),
        "WHYDENIED_RATE_LIMIT_REDIS_URL": REDIS_URL,
        "WHYDENIED_RATE_LIMIT_REDIS_PREFIX": redis_prefix,
        # Generous: on a busy shared machine a Redis call can take longer than the 0.25 s default, and the
        # limiter would then fail open (logged), which is not what this test measures.
        "WHYDENIED_RATE_LIMIT_REDIS_TIMEOUT_SECONDS": "3",
        "WHYDENIED_FORWARDED_ALLOW_IPS": "127.0.0.1",  # nginx
        "WHYDENIED_DB_POOL_SIZE": "5",
    }
    replicas = [Replica(free_port(), tmp_path / f"replica{i}.log") for i in range(3)]
    port = free_port()
    servers = "\n".join(f"    server 127.0.0.1:{r.port} max_fails=1 fail_timeout=2s;" for r in replicas)
    conf = tmp_path / "nginx.conf"
    conf.write_text(NGINX_CONF.format(tmp=tmp_path, servers=servers, port=port))
    nginx = subprocess.Popen([NGINX, "-p", str(tmp_path), "-e", str(tmp_path / "nginx-error.log"), "-c", str(conf),
                              "-g", "daemon off;"])  # fmt: skip
    state = Cluster(replicas, f"http://127.0.0.1:{port}", env, tmp_path)
    try:
        for replica in replicas:  # all at once, on an empty database: the start-up syncs must not collide
            state.start(replica)
        for replica in replicas:
            state.wait_ready(replica)
        assert nginx.poll() is None, (tmp_path / "nginx-error.log").read_text()
        yield state
    finally:
        for process in [*state.started, nginx]:
            if process.poll() is None:
                process.terminate()
        for process in [*state.started, nginx]:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _burst(url: str, address: str, requests: int) -> Counter[int]:
    """One client, from its own loopback address, sends requests back to back; count the statuses."""
    statuses: Counter[int] = Counter()
    transport = httpx.HTTPTransport(local_address=address)
    with httpx.Client(base_url=url, transport=transport, timeout=10) as http:
        for _ in range(requests):
            statuses[http.post("/v1/diagnose", json={"error": DENIED}).status_code] += 1
    return statuses


def test_the_rate_limit_holds_across_replicas_and_a_killed_replica_costs_nothing(cluster: Cluster) -> None:
    # 1. The limit is per client across the three replicas (nginx spreads each client round-robin).
    addresses = [f"127.0.0.{i + 2}" for i in range(CLIENTS)]
    results: dict[str, Counter[int]] = {}
    started = time.monotonic()
    threads = [
        threading.Thread(target=lambda a=a: results.__setitem__(a, _burst(cluster.url, a, 3 * LIMIT)))
        for a in addresses
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    refilled = math.ceil((time.monotonic() - started) * LIMIT / 60) + 1  # tokens that came back meanwhile
    for address in addresses:
        assert set(results[address]) <= {200, 429}, results
        assert LIMIT <= results[address][200] <= LIMIT + refilled, results  # per process: 3 x LIMIT
    assert sum(r[200] for r in results.values()) < 2 * CLIENTS * LIMIT  # not CLIENTS x replicas x LIMIT
    assert not any("Redis unreachable" in r.log.read_text() for r in cluster.replicas)  # the shared limit held

    # 2. Load through nginx; one replica killed, then restarted.
    script = cluster.tmp / "diagnose.lua"
    script.write_text(WRK_SCRIPT.format(body=json.dumps(json.dumps({"error": DENIED}))))
    wrk = subprocess.Popen(
        [
            "wrk",
            "-t2",
            "-c16",
            f"-d{LOAD_SECONDS}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            cluster.url + "/v1/diagnose",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    stop = threading.Event()
    acknowledged: set[str] = set()
    problems: list[str] = []
    feedback_refused: Counter[str] = Counter()

    def checker() -> None:
        with httpx.Client(base_url=cluster.url, timeout=10) as http:
            while not stop.is_set():
                client = f"10.200.{random.randint(0, 255)}.{random.randint(1, 254)}"  # noqa: S311 (not secret)
                headers = {"X-Forwarded-For": client}
                try:
                    diagnosis = http.post("/v1/diagnose", json={"error": DENIED}, headers=headers)
                except httpx.TransportError as exc:
                    problems.append(f"diagnose: {exc!r}")
                    continue
                if diagnosis.status_code != 200 or diagnosis.json()["reason"] != "aws.authz.explicit_deny.scp":
                    problems.append(f"diagnose: {diagnosis.status_code}")
                marker = uuid.uuid4().hex
                body = {"reason": "aws.authz.explicit_deny.scp", "helpful": True, "comment": marker}
                try:
                    feedback = http.post("/v1/feedback", json=body, headers=headers)
                except httpx.TransportError as exc:
                    feedback_refused[type(exc).__name__] += 1
                    continue
                if feedback.status_code == 201:
                    acknowledged.add(marker)
                else:
                    feedback_refused[str(feedback.status_code)] += 1  # not acknowledged: the client knows

    checkers = [threading.Thread(target=checker) for _ in range(2)]
    for thread in checkers:
        thread.start()
    victim = cluster.replicas[0]
    time.sleep(4)
    assert victim.process is not None
    victim.process.send_signal(signal.SIGKILL)
    victim.process.wait()
    time.sleep(2)
    cluster.start(victim)  # the same port, as a restarted pod behind its Service would be
    cluster.wait_ready(victim)
    wrk_out, _ = wrk.communicate(timeout=LOAD_SECONDS + 30)
    stop.set()
    for thread in checkers:
        thread.join(timeout=30)

    counters = json.loads(wrk_out.strip().splitlines()[-1])
    assert counters["requests"] > 1000, counters  # real load went through
    assert {k: v for k, v in counters.items() if k != "requests"} == dict.fromkeys(
        ("connect", "read", "write", "status", "timeout"), 0
    ), counters  # not one failed or non-2xx diagnosis through nginx
    assert problems == []
    assert len(acknowledged) > 50, (len(acknowledged), feedback_refused)
    engine = make_engine(database_url())
    try:
        with engine.connect() as conn:
            stored = {row[0] for row in conn.execute(text("SELECT comment FROM feedback"))}
    finally:
        engine.dispose()
    assert acknowledged - stored == set()  # every acknowledged write survived the kill

    # 3. The restarted replica is back in the rotation: nginx tries it again once its fail_timeout (2 s)
    # since the last refused connection has passed, then gives it its share.
    victim_address = f"127.0.0.1:{victim.port}"
    with httpx.Client(base_url=cluster.url, timeout=10) as http:

        def upstream(i: int) -> str:
            answer = http.get("/healthz", headers={"X-Forwarded-For": f"10.201.{i // 250}.{i % 250 + 1}"})
            assert answer.status_code == 200
            return answer.headers["x-upstream"]

        deadline = time.monotonic() + 10
        while upstream(0) != victim_address:
            assert time.monotonic() < deadline, "the restarted replica got no request within 10 s"
            time.sleep(0.1)
        upstreams = Counter(upstream(i) for i in range(30))
    assert upstreams[victim_address] >= 5, upstreams
