"""The benchmark: classification, server throughput against /healthz, CLI cold start, memory, log scans.

    .venv/bin/python bench/run.py            (needs Debian's wrk for the server part: apt-get install wrk)
    .venv/bin/python bench/run.py --only scan --scan-mb 1024    (only `whydenied scan`, on a 1 GB log)
    .venv/bin/python bench/run.py --only inprocess    (CPU a request through the app, no socket: steadiest)

Prints a table and appends it, with the machine's description, to bench/RESULTS.md. Timings are
reported here and never asserted in tests. Targets (2 cores, loopback) are shown beside each figure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from adapters.registry import diagnose  # noqa: E402 - after the path is set

RESULTS = ROOT / "bench" / "RESULTS.md"
PYTHON = sys.executable


def corpus() -> list[dict[str, Any]]:
    """Return every real payload of the test suite (the request bodies)."""
    items: list[dict[str, Any]] = []
    for path in sorted((ROOT / "tests" / "adapters").glob("*/payloads*.yaml")):
        items += [item["input"] for item in yaml.safe_load(path.read_text(encoding="utf-8"))]
    return items


def _time(body: dict[str, Any], repeat: int = 1) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        diagnose(body["error"], status_code=body.get("status_code"), headers=body.get("headers"))
    return (time.perf_counter() - start) / repeat


def _cpu(text: str, rounds: int = 5) -> float:
    """The least thread CPU time of a few classifications: the work done, not the wait for a shared core."""
    best = float("inf")
    for _ in range(rounds):
        start = time.thread_time()
        diagnose(text)
        best = min(best, time.thread_time() - start)
    return best


def classification() -> dict[str, float]:
    """Median and p99 per payload over the corpus; the cost at 1, 8 and 64 KiB; the adversarial worst case.

    Sizes and the adversarial inputs are timed in thread CPU time (best of 5), as tests/adapters/
    test_adversarial.py guards them: on a shared machine wall time measures the neighbours.
    `size_growth_64_over_8` is 8 when the cost is linear in size.
    """
    bodies = corpus()
    for body in bodies:  # warm caches (compiled patterns, imports)
        _time(body)
    times = sorted(_time(body) for body in bodies)
    sizes = {}
    seed = "An error occurred (AccessDenied) when calling the PutObject operation: Access Denied\n"
    noise = "2026-11-27T10:00:00Z INFO worker: uploaded part 17 of 40 to the staging area, retrying later\n"
    for kib in (1, 8, 64):
        text = (noise * (kib * 1024 // len(noise) + 1))[: kib * 1024 - len(seed)] + seed
        sizes[f"{kib} KiB"] = _cpu(text)
    adversarial = [
        "a" * 65536,
        "{" * 32768 + "}" * 32768,
        "arn:aws:iam::123456789012:role/" * 2100,
        "User: " * 10000,
        "Permission '" * 5000,
        "is not authorized to perform: " * 2100,
        "<Error><Code>" * 5000,
        "\\n" * 30000,
        "│ " * 30000,
        ("x" * 59 + "\n") * 1000,
        "Bearer " + "A" * 65000,
        "eyJ" + "a" * 65000,
        "ERROR: (gcloud.x) " * 3500,
        '"code": 403, ' * 5000,
    ]
    for text in adversarial:  # first use compiles the patterns these reach (adapters/lazyre.py)
        diagnose(text)
    worst = max(_cpu(text) for text in adversarial)
    return {
        "corpus_payloads": len(bodies),
        "median_ms": statistics.median(times) * 1000,
        "p99_ms": times[int(len(times) * 0.99)] * 1000,
        **{f"size_{key}_ms": value * 1000 for key, value in sizes.items()},
        "size_growth_64_over_8": sizes["64 KiB"] / sizes["8 KiB"],
        "adversarial_worst_64k_ms": worst * 1000,
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _wrk(url: str, script: Path | None, seconds: int) -> tuple[float, float, float, int]:
    command = ["wrk", "-t1", "-c16", f"-d{seconds}s", "--latency", url]
    if script is not None:
        command[1:1] = ["-s", str(script)]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603 - fixed argv
    rps = float(next(line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec:")))

    def latency(label: str) -> float:
        value = next(line.split()[1] for line in out.splitlines() if line.strip().startswith(label))
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
        unit = "".join(ch for ch in value if ch.isalpha())
        return float(value[: -len(unit)]) * scale[unit]

    requests = int(next(line.split()[0] for line in out.splitlines() if " requests in " in line))
    return rps, latency("50%"), latency("99%"), requests


def _cpu_seconds(pid: int) -> float:
    """The process's user and system CPU time so far (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


_DENIAL = (
    "An error occurred (AccessDenied) when calling the ListRoles operation: User: "
    "arn:aws:iam::123456789012:user/{user} is not authorized to perform: iam:ListRoles on resource: "
    "arn:aws:iam::123456789012:role/* with an explicit deny in a service control policy: "
    "arn:aws:organizations::987654321098:policy/o-qv5af4abcd/service_control_policy/p-2kgnabcd"
)
# A new user name on every request: every body differs, so no answer comes from the response cache
# (the uncached path: classification, rendering, the trace, serialisation; and the cache's evictions).
_VARIED_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local n = 0
request = function()
  n = n + 1
  local body = '{"error": "' .. string.format(%s, "u" .. n .. "-" .. math.random(1000000000)) .. '"}'
  return wrk.format(nil, "/v1/diagnose", nil, body)
end
"""


def _load() -> str:
    return " / ".join(f"{value:.1f}" for value in os.getloadavg())


def server(rounds: int = 5, seconds: int = 4) -> dict[str, float]:
    """/v1/diagnose against /healthz on one server, interleaved rounds, medians; RSS before and after.

    Four workloads, each round in turn: /healthz; the same paste again and again (a client re-posting
    one failure: answered from the response cache after the first); `?fields=verdict`; and a paste that
    differs on every request (never cached). RSS after start, and after 20,000 diagnoses of distinct
    pastes (the cache full and evicting: flat means bounded).
    """
    port = _free_port()
    data = tempfile.mkdtemp(prefix="whydenied-bench-")
    env = {**os.environ, "WHYDENIED_DATA_DIR": data}
    env.pop("WHYDENIED_DATABASE_URL", None)
    process = subprocess.Popen(  # noqa: S603 - our own command
        [PYTHON, "-m", "api.cli", "serve", "--port", str(port)], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        rss_start = _rss_kib(process.pid)
        body = {"error": _DENIAL.format(user="Matt")}
        result: dict[str, float] = {"rss_after_start_mib": rss_start / 1024}
        print(f"server: load average at start {_load()}", file=sys.stderr)
        if shutil.which("wrk"):
            script = Path(data) / "post.lua"
            script.write_text(
                'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                f"wrk.body = {json.dumps(json.dumps(body))}\n",
                encoding="utf-8",
            )
            varied = Path(data) / "varied.lua"
            template = json.dumps(_DENIAL.replace("{user}", "%s"))[1:-1]  # the paste as a JSON string's content
            varied.write_text(_VARIED_LUA % json.dumps(template), encoding="utf-8")
            workloads: dict[str, tuple[str, Path | None]] = {
                "healthz": (f"{base}/healthz", None),
                "diagnose": (f"{base}/v1/diagnose", script),
                "verdict": (f"{base}/v1/diagnose?fields=verdict", script),
                "diagnose_varied": (f"{base}/v1/diagnose", varied),
            }
            for url, lua in workloads.values():  # warm up
                _wrk(url, lua, 1)
            runs: dict[str, list[tuple[float, float, float, int]]] = {name: [] for name in workloads}
            cpu: dict[str, list[float]] = {name: [] for name in workloads}
            for _ in range(rounds):
                for name, (url, lua) in workloads.items():
                    before = _cpu_seconds(process.pid)
                    runs[name].append(_wrk(url, lua, seconds))
                    cpu[name].append((_cpu_seconds(process.pid) - before) / runs[name][-1][3] * 1e6)
            for name, measured in runs.items():
                result[f"{name}_rps"] = statistics.median(r[0] for r in measured)
                result[f"{name}_p50_ms"] = statistics.median(r[1] for r in measured)
                result[f"{name}_p99_ms"] = statistics.median(r[2] for r in measured)
                # The server's own CPU a request (clock ticks of 10 ms over ~10,000 requests): what the
                # neighbours on a shared machine change least.
                result[f"{name}_server_cpu_us"] = statistics.median(cpu[name])
            for name in ("diagnose", "verdict", "diagnose_varied"):
                result[f"ratio_{name}_to_healthz"] = result[f"{name}_rps"] / result["healthz_rps"]
                healthz_cpu = result["healthz_server_cpu_us"]
                result[f"cpu_ratio_{name}_to_healthz"] = healthz_cpu / result[f"{name}_server_cpu_us"]
        with httpx.Client(base_url=base, timeout=10) as client:
            for n in range(20_000):
                client.post("/v1/diagnose", json={"error": _DENIAL.format(user=f"user{n}")})
                if n == 9_999:  # halfway: flat means the second 10,000 add nothing
                    result["rss_after_10000_mib"] = _rss_kib(process.pid) / 1024
        result["rss_after_20000_mib"] = _rss_kib(process.pid) / 1024
        print(f"server: load average at end {_load()}", file=sys.stderr)
        return result
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(data, ignore_errors=True)


def inprocess(requests: int = 2000, rounds: int = 5) -> dict[str, float]:
    """Thread CPU a request through the app itself (ASGI, no socket), medians of interleaved rounds.

    /healthz, the same paste again (the response cache), `?fields=verdict`, and a distinct paste each
    request. The server's own work, without uvicorn's and the kernel's share (the same for every route)
    and without the load generator's: on a shared machine, the steadiest figure of what a change did.
    """
    import asyncio

    from api.main import create_app
    from api.settings import Settings

    def scope(method: str, path: str, body: bytes, query: bytes) -> dict[str, Any]:
        headers = [(b"host", b"127.0.0.1")]
        if body:
            headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        return {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
            "path": path, "raw_path": path.encode(), "query_string": query, "root_path": "", "headers": headers,
            "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
        }  # fmt: skip

    async def call(app: Any, method: str, path: str, body: bytes = b"", query: bytes = b"") -> None:
        messages = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive() -> dict[str, Any]:
            return messages.pop() if messages else {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and message["status"] != 200:
                raise RuntimeError(f"{path}: {message['status']}")

        await app(scope(method, path, body, query), receive, send)

    async def run() -> dict[str, float]:
        data = Path(tempfile.mkdtemp(prefix="whydenied-bench-"))
        app = create_app(Settings(database_url=f"sqlite:///{data / 'whydenied.db'}", data_dir=data))
        same = json.dumps({"error": _DENIAL.format(user="Matt")}).encode()
        workloads: dict[str, Callable[[bytes], Awaitable[None]]] = {
            "healthz": lambda _: call(app, "GET", "/healthz"),
            "diagnose": lambda _: call(app, "POST", "/v1/diagnose", same),
            "verdict": lambda _: call(app, "POST", "/v1/diagnose", same, b"fields=verdict"),
            "diagnose_varied": lambda body: call(app, "POST", "/v1/diagnose", body),
        }
        cpu: dict[str, list[float]] = {name: [] for name in workloads}
        try:
            async with app.router.lifespan_context(app):
                for turn in range(rounds + 1):  # the first round warms up
                    varied = [
                        json.dumps({"error": _DENIAL.format(user=f"r{turn}-u{n}")}).encode() for n in range(requests)
                    ]
                    for name, work in workloads.items():
                        start = time.thread_time()
                        for body in varied:
                            await work(body)
                        if turn:
                            cpu[name].append((time.thread_time() - start) / requests * 1e6)
        finally:
            shutil.rmtree(data, ignore_errors=True)
        result = {f"inprocess_{name}_cpu_us": statistics.median(values) for name, values in cpu.items()}
        for name in ("diagnose", "verdict", "diagnose_varied"):
            result[f"inprocess_cpu_ratio_{name}_to_healthz"] = (
                result["inprocess_healthz_cpu_us"] / result[f"inprocess_{name}_cpu_us"]
            )
        return result

    print(f"inprocess: load average at start {_load()}", file=sys.stderr)
    return asyncio.run(run())


def cli(instructions: bool = False) -> dict[str, float]:
    """`whydenied explain` on three kinds of denial against `python -c pass`, interleaved rounds, median wall time.

    Bytecode is written (PYTHONDONTWRITEBYTECODE unset), as an installed package has it. "cold" runs
    with an unwritable cache directory, so the catalogue is parsed and validated on every call (the
    first call after an install or a content change); the others reuse the catalogue snapshot.
    With `instructions`, also the instructions executed (valgrind), which load does not change.
    """
    pastes = {
        "explain": b"An error occurred (AccessDenied) when calling the PutObject operation: Access Denied\n",
        "explain_implicit": b"An error occurred (AccessDenied) when calling the GetObject operation: User: "
        b"arn:aws:iam::123456789012:user/alice is not authorized to perform: s3:GetObject on resource: "
        b'"arn:aws:s3:::reports/q1.csv" because no identity-based policy allows the s3:GetObject action\n',
        "explain_scp": b"An error occurred (AccessDenied) when calling the ListRoles operation: User: "
        b"arn:aws:iam::123456789012:user/Matt is not authorized to perform: iam:ListRoles on resource: "
        b"arn:aws:iam::123456789012:role/* with an explicit deny in a service control policy\n",
    }
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    cache = tempfile.mkdtemp(prefix="whydenied-bench-cache-")
    warm_env = {**env, "WHYDENIED_CACHE_DIR": cache}
    cold_env = {**env, "WHYDENIED_CACHE_DIR": "/dev/null/unwritable"}
    commands: dict[str, tuple[list[str], bytes | None, dict[str, str]]] = {
        "python_pass": ([PYTHON, "-c", "pass"], None, env)
    }
    for name, paste in pastes.items():
        commands[name] = ([PYTHON, "-m", "api.cli", "explain"], paste, warm_env)
    commands["explain_cold"] = ([PYTHON, "-m", "api.cli", "explain"], pastes["explain_implicit"], cold_env)
    runs: dict[str, list[float]] = {name: [] for name in commands}
    try:
        subprocess.run(commands["explain"][0], input=pastes["explain"], env=warm_env, capture_output=True, cwd=ROOT)  # noqa: S603
        for _ in range(7):
            for name, (command, stdin, command_env) in commands.items():
                start = time.perf_counter()
                subprocess.run(command, input=stdin, env=command_env, capture_output=True, cwd=ROOT, check=False)  # noqa: S603
                runs[name].append(time.perf_counter() - start)
        baseline = statistics.median(runs["python_pass"])
        result = {"python_pass_s": baseline}
        for name in commands:
            if name != "python_pass":
                result[f"{name}_s"] = statistics.median(runs[name])
                result[f"ratio_{name}_to_pass"] = result[f"{name}_s"] / baseline
        if instructions and shutil.which("valgrind"):
            # Instructions executed (callgrind): unlike wall time, the same on a loaded machine.
            counts = {name: _instructions(*commands[name]) for name in ("python_pass", "explain_implicit")}
            result["python_pass_instructions_m"] = counts["python_pass"] / 1e6
            result["explain_implicit_instructions_m"] = counts["explain_implicit"] / 1e6
            result["ratio_explain_implicit_instructions"] = counts["explain_implicit"] / counts["python_pass"]
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return result


def _instructions(command: list[str], stdin: bytes | None, env: dict[str, str]) -> int:
    """Return the instructions a command executes, counted by valgrind's callgrind."""
    done = subprocess.run(  # noqa: S603 - our own command
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],  # noqa: S607
        input=stdin, env=env, capture_output=True, cwd=ROOT, check=True,
    )  # fmt: skip
    line = next(line for line in done.stderr.decode().splitlines() if "Collected :" in line)
    return int(line.rsplit(":", 1)[1])


_PEAK_RSS = (
    "import resource, sys; from api.cli import main; main(sys.argv[1:]); "
    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)"
)


def _scan_run(*args: str) -> tuple[float, float, float]:
    """Run `whydenied scan ARGS --json`; return wall seconds, CPU seconds (children included), peak RSS MiB."""
    before = os.times()
    start = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - our own command
        [PYTHON, "-c", _PEAK_RSS, "scan", *args, "--json"], capture_output=True, cwd=ROOT, check=True
    )
    wall = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user + after.children_system) - (before.children_user + before.children_system)
    return wall, cpu, int(done.stderr.decode().strip().splitlines()[-1]) / 1024


def scan(megabytes: int) -> dict[str, float]:
    """`whydenied scan` on CloudTrail logs made of real records (3% denials): JSON lines and Records files.

    Records per second by wall time and by CPU time (the machine is shared: CPU time is the steadier
    figure), and peak RSS for a log of `megabytes` and of a quarter of that (flat means streaming).
    """
    from tests.scan.synthetic import write_cloudtrail

    per_record = 1270  # bytes, the mean of the generated records
    records = megabytes * 1024 * 1024 // per_record
    folder = Path(tempfile.mkdtemp(prefix="whydenied-scan-bench-"))
    result: dict[str, float] = {"scan_log_mib": float(megabytes)}
    try:
        big, quarter = folder / "big.jsonl", folder / "quarter.jsonl"
        write_cloudtrail(big, records)
        write_cloudtrail(quarter, records // 4)
        # Unmeasured: the first run after an install or a content change builds the catalogue snapshot
        # (~20 MB more at its peak, once; `cli()` reports that cold start); the runs below are the usual.
        _scan_run(str(quarter))
        wall, cpu, rss = _scan_run(str(big))
        result |= {"scan_jsonl_records": records, "scan_jsonl_rec_per_s": records / wall,
                   "scan_jsonl_rec_per_cpu_s": records / cpu, "scan_jsonl_peak_rss_mib": rss}  # fmt: skip
        result["scan_jsonl_quarter_peak_rss_mib"] = _scan_run(str(quarter))[2]
        wall, cpu, _ = _scan_run(str(big), "--jobs", "2")
        result["scan_jsonl_jobs2_rec_per_s"] = records / wall
        big.unlink()
        quarter.unlink()
        # CloudTrail's own delivery: {"Records": [...]} files, gzipped, of ~8,000 records each (a
        # trail delivers a file per region every few minutes): as many records as the JSON lines log,
        # so start-up weighs on both the same.
        files = [folder / f"trail-{n}.json.gz" for n in range(max(1, records // 8_250))]
        part = records // len(files)
        for path in files:
            write_cloudtrail(path, part, form="records", compress=True)
        wall, cpu, rss = _scan_run(*map(str, files))
        total = part * len(files)
        result |= {"scan_records_gz_rec_per_s": total / wall, "scan_records_gz_rec_per_cpu_s": total / cpu,
                   "scan_records_gz_peak_rss_mib": rss}  # fmt: skip
        wall, cpu, _ = _scan_run(*map(str, files), "--jobs", "2")
        result["scan_records_gz_jobs2_rec_per_s"] = total / wall
        result["scan_records_gz_jobs2_rec_per_cpu_s"] = total / cpu
        for key in [key for key in result if key.endswith("_rec_per_s")]:  # the figure over the target's
            result[key.replace("_rec_per_s", "_ratio_to_target")] = result[key] / SCAN_TARGET
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return result


SCAN_TARGET = 100_000  # CloudTrail records a second, wall time, on the 2-core machine

TARGETS = {
    "median_ms": "≤ 0.2",
    "p99_ms": "≤ 2",
    "adversarial_worst_64k_ms": "≤ 20",
    "size_64 KiB_ms": "≤ 20",
    "size_growth_64_over_8": "≈ 8 (linear)",
    "ratio_explain_implicit_instructions": "(≤ 12 by wall time)",
    "ratio_diagnose_to_healthz": "≥ 0.85",
    "ratio_verdict_to_healthz": "≥ 0.85",
    "ratio_diagnose_varied_to_healthz": "≥ 0.5",
    "cpu_ratio_diagnose_to_healthz": "≥ 0.85",
    "cpu_ratio_verdict_to_healthz": "≥ 0.85",
    "cpu_ratio_diagnose_varied_to_healthz": "≥ 0.5",
    "explain_s": "≤ 0.25",
    "ratio_explain_to_pass": "≤ 12",
    "ratio_explain_implicit_to_pass": "≤ 12",
    "ratio_explain_scp_to_pass": "≤ 12",
    "rss_after_start_mib": "≤ 120",
    "rss_after_20000_mib": "flat vs start",
    "scan_jsonl_rec_per_s": "≥ 100,000",
    "scan_records_gz_rec_per_s": "≥ 100,000",
    "scan_records_gz_jobs2_rec_per_s": "≥ 100,000",
    "scan_jsonl_peak_rss_mib": "= the quarter's (flat)",
    "scan_jsonl_jobs2_rec_per_s": "≥ 100,000",
}


def main() -> None:
    """Run every part (or the one asked for), print the table, append it to bench/RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", choices=("classification", "cli", "server", "inprocess", "scan"), default=None)
    parser.add_argument("--scan-mb", type=int, default=1024, help="size of the generated log for the scan part")
    parser.add_argument("--instructions", action="store_true", help="cli: also count instructions (valgrind)")
    args = parser.parse_args()
    parts: dict[str, Callable[[], dict[str, float]]] = {
        "classification": classification,
        "cli": lambda: cli(args.instructions),
        "server": server,
        "inprocess": inprocess,
        "scan": lambda: scan(args.scan_mb),
    }
    figures: dict[str, float] = {}
    load_start = os.getloadavg()[0]
    for name, part in parts.items():
        if args.only in (None, name):
            figures.update(part())
    machine = (
        f"{platform.node()} · {os.cpu_count()} cores · {platform.machine()} · Python {platform.python_version()} · "
        f"{platform.platform()}"
    )
    lines = [
        f"## {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC", "", machine, "",
        "| measure | value | target |", "|---|---|---|",
    ]  # fmt: skip
    load = os.getloadavg()[0]
    lines.insert(3, f"load average (1 min) at the start: {load_start:.1f}, at the end: {load:.1f}")
    lines += [f"| {key} | {value:,.3f} | {TARGETS.get(key, '')} |" for key, value in figures.items()]
    table = "\n".join(lines) + "\n\n"
    print(table)
    with RESULTS.open("a", encoding="utf-8") as handle:
        handle.write(table)


if __name__ == "__main__":
    main()
