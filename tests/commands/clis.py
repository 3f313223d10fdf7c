"""Run command blocks with the real `aws`, `gcloud`, `kubectl` and `az`, offline, and classify every call they make.

Each block that calls a cloud CLI runs under `bash -c` in its own scratch folder, with stdin at end of
file and a PATH of two folders: shims for the cloud CLIs (tests/commands/_shim.py) and links to a
short list of local tools (jq, python3, sed, ...; never curl or anything else that reaches a network).
Values still to fill in are set to dummies of the right shape (`shell.dummy`): the `${NAME:?...}`
variables in the environment, and the old `<name>` placeholders in the text (only for this check;
the placeholder check counts them).

The shims hand every call to the real CLI kept resident (tests/commands/_resident.py: awscli's own
CLIDriver, gcloud's own calliope CLI, on the block's own stdin/stdout/stderr), so a block behaves as it
would with the binaries, and 1,400 calls take seconds instead of the ~0.5 s start-up each. The
WHYDENIED_CHECK_CLI=literal environment variable runs the binaries themselves instead (slow).

`az` (azure-cli from PyPI) conflicts with the project's dependencies, so it lives in its own virtualenv
(AZURE_CLI_VENV, /var/cache/whydenied/azure-cli unless WHYDENIED_AZURE_CLI says otherwise; .ci/run
installs it) and runs as a binary through the shim, each block with an empty AZURE_CONFIG_DIR (no
account) and an HTTPS proxy on the discard port: az parses and validates its arguments, then stops at
"Please run 'az login'" (or, for `az login` itself, at the dead proxy) without reaching any network.

Offline, no credentials, dead endpoint: fake AWS keys, AWS_ENDPOINT_URL=http://127.0.0.1:9 (nothing
listens there), an empty gcloud configuration (no account), metadata servers off. Where `unshare -n`
works (root, as in CI), the blocks and the resident CLIs also run in a network namespace of their own
with no interface up, so not even a mistake could reach a network.

kubectl (Debian's, the Cloud SDK's /usr/bin/kubectl) runs as a binary through the shim with a kubeconfig
of its own (KUBECONFIG): one context whose server is https://127.0.0.1:9 (the discard port, so a call that
needs the API server fails at once with "connection refused") and a dummy token that is nobody's. Its own
parser rejects an unknown command or flag before any request; `kubectl config view` works fully offline.
kubectl validates a Role's verbs and resources only after API discovery, which needs a server: the
semantic check (tests/commands/semantic.py, `kubernetes_rule`) holds those to the denied verb and resource.

A call is `parsed` when the CLI got as far as wanting the network or credentials, `refused` when its
own parser or validator rejected the arguments, `data` when it failed only on a value an earlier call
would have produced (an empty `$(aws ...)`, a policy file the block writes from a live read), `loop`
when a block looped on empty answers, else `unknown` (kept with its stderr for the report).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final, Literal

from tests.commands import shell

HERE: Final = Path(__file__).resolve().parent
CLOUD_CLIS: Final = ("aws", "gcloud", "gsutil", "bq", "kubectl", "az")
AZURE_CLI_VENV: Final = Path(os.environ.get("WHYDENIED_AZURE_CLI", "/var/cache/whydenied/azure-cli"))
RESIDENT: Final = ("aws", "gcloud")  # gsutil, bq and kubectl run as binaries, through the shim
# kubectl's offline kubeconfig: a cluster at the discard port and a dummy token (not a credential of anyone)
OFFLINE_KUBECONFIG: Final = """apiVersion: v1
kind: Config
clusters:
- name: offline
  cluster: {server: "https://127.0.0.1:9", insecure-skip-tls-verify: true}
users:
- name: offline
  user: {token: offline-check}
contexts:
- name: offline
  context: {cluster: offline, user: offline, namespace: default}
current-context: offline
"""
LOCAL_TOOLS: Final = (
    "jq", "python3", "sed", "awk", "grep", "cat", "head", "tail", "tr", "cut", "sort", "uniq", "base64",
    "date", "mktemp", "rm", "tee", "xargs", "env", "sleep", "wc", "printf", "echo", "true", "false",
    "test", "basename", "dirname", "diff", "ls", "mkdir", "cp", "mv", "touch", "openssl", "od",
    "sha256sum", "column", "paste", "seq", "expr", "fold", "comm", "timeout", "stat", "id",
    "readlink", "realpath", "uname", "which",  # gcloud's own wrapper script uses these (the literal mode)
)  # fmt: skip
BLOCK_TIMEOUT: Final = 60  # seconds; a block waits for nothing, but the machine is shared
WORKERS: Final = 2  # blocks run two at a time, each worker with its own resident aws and gcloud

FAKE_ENV: Final[dict[str, str]] = {
    # AWS's documented example keys: well-formed, never valid
    "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ENDPOINT_URL": "http://127.0.0.1:9",  # the discard port: nothing listens, a call fails at once
    "AWS_MAX_ATTEMPTS": "1",
    "AWS_RETRY_MODE": "standard",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    "AWS_PAGER": "",
    "AWS_CLI_AUTO_PROMPT": "off",
    "CLOUDSDK_CORE_DISABLE_PROMPTS": "1",
    "CLOUDSDK_CORE_DISABLE_USAGE_REPORTING": "true",
    "CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK": "true",
    "CLOUDSDK_CORE_CHECK_GCE_METADATA": "false",
    "GCE_METADATA_HOST": "127.0.0.1:9",
    "GCE_METADATA_IP": "127.0.0.1:9",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "AZURE_CORE_COLLECT_TELEMETRY": "false",
    "AZURE_CORE_NO_COLOR": "true",
    "AZURE_CORE_SURVEY_MESSAGE": "false",
}
# Only az sees these (its wrapper sets them): every request it would send dies at the discard port.
AZ_OFFLINE_ENV: Final[dict[str, str]] = {
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "HTTP_PROXY": "http://127.0.0.1:9",
    "NO_PROXY": "",
}

Verdict = Literal["parsed", "refused", "data", "loop", "unknown"]


@dataclass(frozen=True)
class Call:
    """One CLI call a block made, as the real CLI answered it."""

    tool: str
    argv: tuple[str, ...]
    code: int
    stderr: str
    verdict: Verdict
    why: str
    standalone: bool = False  # run on its own: the block never reached it offline


@dataclass(frozen=True)
class BlockResult:
    """A block's CLI calls, and the calls written in it that never met their CLI, even run alone."""

    calls: tuple[Call, ...]
    unreached: tuple[str, ...]  # "aws iam get-policy": the first words of each
    timed_out: bool = False


# --- finding the real CLIs -------------------------------------------------------------------------


@cache
def real_binary(tool: str) -> str | None:
    """Return the real CLI's path: the venv's own first (awscli is a dev dependency), then PATH."""
    if tool == "az":
        az = AZURE_CLI_VENV / "bin" / "az"
        return str(az) if az.is_file() and os.access(az, os.X_OK) else None
    beside = Path(sys.executable).parent / tool
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which(tool)
    return str(Path(found).resolve()) if found else None


def missing_reason(tool: str) -> str | None:
    """Return why a CLI cannot be checked here, or None when it can."""
    if tool == "aws" and importlib.util.find_spec("awscli") is None:
        return "awscli is not installed in this venv (it is a dev dependency: python3 tasks.py test installs it)"
    if tool == "gcloud" and gcloud_root() is None:
        return "gcloud is not installed (Debian's google-cloud-cli package; .ci/run installs it where it can)"
    if tool == "az" and real_binary("az") is None:
        return f"azure-cli is not installed in its own virtualenv at {AZURE_CLI_VENV} (.ci/run installs it)"
    if real_binary(tool) is None:
        return f"{tool} is not installed"
    return None


@cache
def gcloud_root() -> Path | None:
    """Return the Cloud SDK's root folder (…/google-cloud-sdk), from the gcloud on PATH."""
    found = shutil.which("gcloud")
    if not found:
        return None
    root = Path(found).resolve().parent.parent
    return root if (root / "lib" / "googlecloudsdk").is_dir() else None


def gcloud_python(root: Path) -> list[str]:
    """Return the interpreter command gcloud itself uses (its wrapper script's order)."""
    if os.environ.get("CLOUDSDK_PYTHON"):
        return [os.environ["CLOUDSDK_PYTHON"]]
    bundled = root / "platform" / "bundledpythonunix" / "bin" / "python3"
    if bundled.is_file() and os.access(bundled, os.X_OK) and os.uname().machine == "x86_64":
        return [str(bundled)]
    return [shutil.which("python3") or "/usr/bin/python3", "-S"]


@cache
def isolated_network() -> bool:
    """Tell whether `unshare -n` works here (root): then nothing checked can reach any network."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return False
    result = subprocess.run([unshare, "-n", "true"], capture_output=True, check=False)
    return result.returncode == 0


def _netns(command: list[str]) -> list[str]:
    unshare = shutil.which("unshare")
    return [unshare, "-n", *command] if unshare and isolated_network() else command


# --- classifying a call ----------------------------------------------------------------------------

# Substrings of each CLI's messages, matched against stderr (case-sensitive, as the CLIs print them).
AWS_PARSED: Final = (
    "Could not connect to the endpoint URL",
    "Connect timeout on endpoint URL",
    "could not be found",  # "The config profile (x) could not be found": the user's own profile
    "whydenied check: arguments ok by",  # a v2-only command or a service newer than v1 (see _resident.py)
)
AWS_REFUSED: Final = (
    "usage:", "error: argument", "Unknown options", "Invalid choice", "the following arguments are required",
    "Parameter validation failed", "Error parsing parameter", "expected one argument", "invalid choice",
    "Invalid value", "must be specified", "is required", "Invalid length for parameter", "Invalid type for parameter",
    "Unknown parameter", "Missing required parameter", "is not a valid", "Invalid bucket name",
)  # fmt: skip
AWS_DATA: Final = ("Unable to load paramfile", "No such file or directory")
GCLOUD_PARSED: Final = (
    "You do not currently have an active account selected",
    "Your current active account",
    "does not have any valid credentials",
    "There was a problem refreshing your current auth tokens",
    "is not currently set",  # "The required property [project] is not currently set": it needs a project
    "Failed to find attribute [project]",  # the same, for a resource argument
    "Reauthentication",
    "Your default credentials were not found",  # application-default credentials: the user's own
    "Application default credentials have not been set up",
    "EOF when reading a line",  # an interactive login asked for its code: stdin is at end of file
)
GCLOUD_DATA: Final = ("Cannot read file",)  # a file the user supplies
GCLOUD_REFUSED: Final = (
    "must be set to a valid project ID", "set it to PROJECT ID instead",
    "unrecognized arguments", "Invalid choice", "argument ", "Bad value", "Invalid value for", "must be specified",
    "is required", "INVALID_ARGUMENT", "Failed to parse", "could not be parsed", "Invalid resource", "is not a valid",
    "Exactly one of", "At most one of", "expected one argument", "Unable to parse", "not a valid",
)  # fmt: skip


def classify(tool: str, argv: Sequence[str], code: int, stderr: str) -> tuple[Verdict, str]:
    """Return the verdict on one call and the line of stderr it rests on."""
    from tests.commands._resident import LOOP_EXIT

    first = _reason_line(stderr)
    if code == LOOP_EXIT:
        return "loop", first
    if code == 0:
        return "parsed", ""
    if tool == "kubectl":
        return _classify_kubectl(stderr, first)
    if tool == "aws":
        if any(marker in stderr for marker in AWS_PARSED) or (code == 1 and not stderr.strip()):
            return "parsed", first  # exit 1, silent: `aws configure get` of an unset value
        if any(marker in stderr for marker in AWS_DATA) or _empty_from_earlier_call(argv, stderr):
            return "data", first
        if code in (2, 252) or any(marker in stderr for marker in AWS_REFUSED):
            if ("Error parsing parameter" in stderr or "value: 0, valid min length" in stderr) and _file_argument(argv):
                # a policy file the block writes from a live read: empty offline, so unparsable or too short
                return "data", first
            return "refused", first
        return "unknown", first
    if tool == "az":
        return _classify_az(argv, code, stderr, first)
    if any(marker in stderr for marker in GCLOUD_PARSED):
        return "parsed", first
    if _empty_from_earlier_call(argv, stderr) or any(marker in stderr for marker in GCLOUD_DATA):
        return "data", first
    if code == 2 or any(marker in stderr for marker in GCLOUD_REFUSED):
        return "refused", first
    return "unknown", first


# kubectl reached for the API server (the discard port refuses at once; without a network, unreachable)
KUBECTL_PARSED: Final = (
    "was refused", "connection refused", "dial tcp", "network is unreachable", "Unable to connect to the server",
    "couldn't get current server API group list",
)  # fmt: skip
# kubectl's own parser or validator said no, before any request
KUBECTL_REFUSED: Final = (
    "unknown flag", "unknown shorthand flag", "unknown command", "flag needs an argument", "invalid argument",
    "required flag", "accepts ", "error: unknown", "must specify", "error: invalid", "is not a valid",
    "error parsing jsonpath", "error: exactly one",
)  # fmt: skip
# a value an earlier step writes (a manifest file) that is absent offline
KUBECTL_DATA: Final = ("does not exist", "no such file or directory")


def _classify_kubectl(stderr: str, first: str) -> tuple[Verdict, str]:
    if any(marker in stderr for marker in KUBECTL_REFUSED):
        return "refused", first
    if any(marker in stderr for marker in KUBECTL_PARSED):
        return "parsed", first
    if any(marker in stderr for marker in KUBECTL_DATA):
        return "data", first
    return "unknown", first


# az: argparse refusals exit 2; a parsed call stops at the missing account or the dead proxy.
AZ_PARSED: Final = (
    "Please run 'az login'", "az login", "ProxyError", "Max retries exceeded", "Failed to establish a new connection",
    "No subscription found", "Unable to connect to proxy",
)  # fmt: skip
AZ_REFUSED: Final = (
    "unrecognized arguments", "the following arguments are required", "is misspelled or not recognized",
    "invalid choice", "error: argument", "expected one argument", "is not in the", "usage error",
)  # fmt: skip


def _classify_az(argv: Sequence[str], code: int, stderr: str, first: str) -> tuple[Verdict, str]:
    if code == 2 or any(marker in stderr for marker in AZ_REFUSED):
        if _empty_from_earlier_call(argv, stderr):
            return "data", first
        return "refused", first
    if any(marker in stderr for marker in AZ_PARSED):
        return "parsed", first
    if _empty_from_earlier_call(argv, stderr):
        return "data", first
    return "unknown", first


def _reason_line(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in reversed(lines):
        if "error" in line.lower() or "invalid" in line.lower() or "unknown" in line.lower():
            return line[:300]
    return lines[-1][:300] if lines else ""


def _empty_from_earlier_call(argv: Sequence[str], stderr: str) -> bool:
    # `--version-id "$v"` where v=$(aws ...) printed nothing offline: an empty argument is data, not
    # syntax (no template writes "" itself), whatever the CLI said about it
    empty = any(arg == "" or (arg.startswith("--") and arg.endswith("=")) for arg in argv[1:])
    return empty and bool(stderr)


def _file_argument(argv: Sequence[str]) -> bool:
    return any(arg.startswith(("file://", "fileb://")) for arg in argv)


# --- running blocks --------------------------------------------------------------------------------


class Session:
    """Shims, local tools and (unless literal) the resident CLIs, for one run of many blocks."""

    def __init__(self, literal: bool | None = None, tools: Iterable[str] = RESIDENT, workers: int = WORKERS) -> None:
        self.literal = os.environ.get("WHYDENIED_CHECK_CLI") == "literal" if literal is None else literal
        self.needed = frozenset(tools)  # the residents to start: only the CLIs the blocks call
        self.workers = workers
        self.tmp = Path(tempfile.mkdtemp(prefix="whydenied-cmdcheck-"))
        self.log = self.tmp / "calls.jsonl"  # the literal shims' log; each resident writes its own
        self.log.touch()
        self.gcloud_config = self.tmp / "gcloud-config"
        self.gcloud_config.mkdir()
        self.home = self.tmp / "home"
        self.home.mkdir()
        self.kubeconfig = self.tmp / "kubeconfig"
        self.kubeconfig.write_text(OFFLINE_KUBECONFIG, encoding="utf-8")
        self.residents: list[subprocess.Popen[str]] = []
        self.sockets: dict[tuple[int, str], Path] = {}  # (worker slot, tool) -> its resident's socket
        self.slots: queue.Queue[int] = queue.Queue()
        for slot in range(workers):
            self.slots.put(slot)
        self.available = {tool: missing_reason(tool) is None for tool in CLOUD_CLIS}
        self._make_path()
        self._counter = 0
        self._lock = threading.Lock()

    def base_env(self) -> dict[str, str]:
        env = dict(FAKE_ENV)
        env["CLOUDSDK_CONFIG"] = str(self.gcloud_config)
        env["HOME"] = str(self.home)
        env["KUBECONFIG"] = str(self.kubeconfig)
        return env

    def _make_path(self) -> None:
        shims, tools = self.tmp / "shims", self.tmp / "tools"
        shims.mkdir()
        tools.mkdir()
        interpreter = getattr(sys, "_base_executable", sys.executable)
        source = (HERE / "_shim.py").read_text(encoding="utf-8")
        for tool in CLOUD_CLIS:
            if self.available[tool]:
                shim = shims / tool
                shim.write_text(f"#!{interpreter} -SsE\n{source}", encoding="utf-8")
                shim.chmod(0o755)
        for tool in LOCAL_TOOLS:
            found = shutil.which(tool)
            if found:
                (tools / tool).symlink_to(found)
        self.path = f"{shims}:{tools}"
        self.az_wrapper: str | None = None
        if self.available["az"]:
            wrapper = self.tmp / "az-offline"
            exports = "".join(f"export {name}={value!r}\n" for name, value in AZ_OFFLINE_ENV.items())
            wrapper.write_text(f'#!/bin/sh\n{exports}exec {real_binary("az")} "$@"\n', encoding="utf-8")
            wrapper.chmod(0o755)
            self.az_wrapper = str(wrapper)

    def __enter__(self) -> Session:
        if not self.literal:
            with ThreadPoolExecutor(max_workers=2) as pool:  # gcloud takes ~2 s to load
                wanted = [t for t in RESIDENT if self.available[t] and t in self.needed]
                starts = [(slot, tool) for slot in range(self.workers) for tool in wanted]
                list(pool.map(lambda started: self._start(*started), starts))
        return self

    def __exit__(self, *exc: object) -> None:
        for process in self.residents:
            process.kill()
            process.wait()
            if process.stdout:
                process.stdout.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _start(self, slot: int, tool: str) -> None:
        socket_path = self.tmp / f"{tool}-{slot}.sock"
        env = {**self.base_env(), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        if tool == "gcloud":
            root = gcloud_root()
            assert root is not None
            env["WHYDENIED_CHECK_GCLOUD_ROOT"] = str(root)
            command = [*gcloud_python(root), str(HERE / "_resident.py")]
        else:
            command = [sys.executable, "-E", str(HERE / "_resident.py")]
        process = subprocess.Popen(
            _netns([*command, tool, str(socket_path), str(self.tmp / f"calls-{tool}-{slot}.jsonl")]),
            cwd=self.home,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert process.stdout is not None
        ready = process.stdout.readline().strip()  # after the CLI is loaded (gcloud: ~2 s)
        with self._lock:
            self.residents.append(process)
        if ready != "ready":
            raise RuntimeError(f"the resident {tool} did not start")
        self.sockets[(slot, tool)] = socket_path

    def run(self, script: str, variables: dict[str, str]) -> tuple[str, bool]:
        """Run one block; return its id (to find its calls in the log) and whether it timed out."""
        with self._lock:
            self._counter += 1
            block_id = str(self._counter)
        cwd = self.tmp / "blocks" / block_id
        cwd.mkdir(parents=True)
        env = {**variables, **self.base_env(), "PATH": self.path, "WHYDENIED_CHECK_BLOCK": block_id}
        env["CLOUDSDK_CONFIG"] = str(cwd / ".gcloud")  # each block starts with no gcloud configuration
        env["AZURE_CONFIG_DIR"] = str(cwd / ".azure")  # and no az account
        env["WHYDENIED_CHECK_LOG"] = str(self.log)
        slot = self.slots.get()  # this worker's residents, while the block runs
        for tool in CLOUD_CLIS:
            key = tool.upper()
            if (slot, tool) in self.sockets:
                env[f"WHYDENIED_CHECK_SOCKET_{key}"] = str(self.sockets[(slot, tool)])
            binary = self.az_wrapper if tool == "az" else real_binary(tool)
            if binary:
                env[f"WHYDENIED_CHECK_REAL_{key}"] = binary
        try:
            return block_id, self._run(script, env, cwd)
        finally:
            self.slots.put(slot)

    def _run(self, script: str, env: dict[str, str], cwd: Path) -> bool:
        bash = shutil.which("bash") or "/bin/bash"
        process = subprocess.Popen(
            _netns([bash, "--noprofile", "--norc", "-c", script]),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: a looping block is ended whole
        )
        try:
            process.wait(timeout=BLOCK_TIMEOUT)
            timed_out = False
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            timed_out = True
        shutil.rmtree(cwd, ignore_errors=True)
        return timed_out

    def calls(self) -> dict[str, list[Call]]:
        """Return every logged call by block id, classified."""
        by_block: dict[str, list[Call]] = {}
        lines = [line for log in sorted(self.tmp.glob("calls*.jsonl")) for line in log.read_text("utf-8").splitlines()]
        for line in lines:
            record = json.loads(line)
            argv = tuple(record["argv"])
            verdict, why = classify(record["tool"], argv, int(record["code"]), record["stderr"])
            call = Call(record["tool"], argv, int(record["code"]), record["stderr"], verdict, why)
            by_block.setdefault(record["block"], []).append(call)
        return by_block


def cloud_tools(block: shell.Block) -> tuple[str, ...]:
    """Return the cloud CLIs a block calls, in order, once each."""
    return tuple(dict.fromkeys(a[0] for c in block.commands if (a := c.argv) and a[0] in CLOUD_CLIS))


def prepare(command: str, context: str, data: tuple[str, ...] = ()) -> tuple[str, dict[str, str]]:
    """Return the block as run (old `<name>` placeholders as dummies) and its `${NAME:?}` variables.

    `context` is the entry id (its provider, or the entry itself, picks a dummy's shape).
    """
    block = shell.parse(command)
    script = shell.fill_for_check(block, context, data)
    return script, {name: shell.dummy(name, context) for name in shell.required_variables(command)}


def check_blocks(
    blocks: Iterable[tuple[str, str, tuple[str, ...]]], literal: bool | None = None
) -> dict[str, BlockResult]:
    """Run each (command, entry id, pasted values) that calls a cloud CLI; return results by command.

    A call a block never makes offline (after `&&` behind a call that failed for want of a network, in
    a loop over an empty list) is then run on its own, after the block's plain assignments, so every
    aws and gcloud call in a block meets its CLI at least once.
    """
    todo = []
    for command, context, data in blocks:
        tools = cloud_tools(shell.parse(command))
        if tools:
            todo.append((command, context, data, tools))
    results: dict[str, BlockResult] = {}
    if not todo:
        return results
    needed = {tool for item in todo for tool in item[3]}
    with Session(literal, needed, min(WORKERS, len(todo))) as session:
        usable = [item for item in todo if any(session.available[t] for t in item[3])]
        first = _run_all(session, [(item[0], *prepare(item[0], item[1], item[2])) for item in usable])
        by_block = session.calls()
        alone = []
        for (command, context, data, _tools), (_command, block_id, _timed_out) in zip(usable, first, strict=True):
            reached = {tuple(call.argv[:3]) for call in by_block.get(block_id, ())}
            for script in unreached_calls(command, reached, session.available):
                alone.append((command, *prepare(script, context, data)))
        second = _run_all(session, alone)
        by_block = session.calls()
        standalone: dict[str, list[Call]] = {}
        for command, block_id, _timed_out in second:
            standalone.setdefault(command, []).extend(
                Call(c.tool, c.argv, c.code, c.stderr, c.verdict, c.why, standalone=True)
                for c in by_block.get(block_id, ())
            )
        for command, block_id, timed_out in first:
            calls = (*by_block.get(block_id, ()), *standalone.get(command, ()))
            reached = {tuple(call.argv[:3]) for call in calls}
            never = tuple(
                " ".join(argv[:3])
                for argv in static_calls(command, session.available)
                if tuple(argv[:3]) not in reached
            )
            results[command] = BlockResult(calls, never, timed_out)
    return results


def _run_all(session: Session, scripts: list[tuple[str, str, dict[str, str]]]) -> list[tuple[str, str, bool]]:
    """Run (command, script, variables) items, two at a time; return (command, block id, timed out)."""

    def one(item: tuple[str, str, dict[str, str]]) -> tuple[str, str, bool]:
        block_id, timed_out = session.run(item[1], item[2])
        return item[0], block_id, timed_out

    with ThreadPoolExecutor(max_workers=session.workers) as pool:
        return list(pool.map(one, scripts))


def static_calls(command: str, available: dict[str, bool]) -> list[list[str]]:
    """The argv of every call of a checkable cloud CLI written in a block."""
    return [c.argv for c in shell.parse(command).commands if c.argv and available.get(c.argv[0])]


def unreached_calls(command: str, reached: set[tuple[str, ...]], available: dict[str, bool]) -> list[str]:
    """Return a script for each cloud CLI call the block did not make: its plain assignments, then the call."""
    block = shell.parse(command)
    text = block.text
    assignments = "\n".join(
        text[c.span[0] : c.span[1]] for c in block.commands if not c.argv and c.assignments and not c.nested
    )
    scripts = []
    for simple in block.commands:
        argv = simple.argv
        if not argv or not available.get(argv[0]) or tuple(argv[:3]) in reached:
            continue
        source = text[simple.source_start : simple.span[1]]
        delimiters = [target for operator, target in simple.redirects if operator in ("<<", "<<-")]
        bodies = "".join(f"\n{body}\n{delimiter}" for body, delimiter in zip(simple.heredocs, delimiters, strict=False))
        scripts.append(f"{assignments}\n{source}{bodies}\n")
    return scripts


def check_one(command: str, context: str = "aws", literal: bool | None = None) -> BlockResult:
    """Run a single block (for the self-tests)."""
    return check_blocks([(command, context, ())], literal).get(command, BlockResult((), ()))


def verdicts(results: dict[str, BlockResult]) -> Iterator[tuple[str, Call]]:
    """Yield (command, call) for every call of every block."""
    for command, result in results.items():
        for call in result.calls:
            yield command, call
