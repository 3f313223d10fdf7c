"""A resident real CLI (`aws` or `gcloud`) that runs each call on the caller's own stdin/stdout/stderr.

Started once per check run as `python _resident.py TOOL SOCKET LOG`, under the interpreter the CLI
itself uses (the project's venv for awscli, gcloud's bundled Python for gcloud). It loads the CLI's own
entry point once (awscli's CLIDriver, gcloud's calliope CLI), then serves one call at a time on a Unix
socket: the `aws`/`gcloud` shim on a block's PATH sends its argv, cwd and environment, and passes its
three standard file descriptors; this process puts them on 0/1/2, runs the CLI exactly as its binary's
`main` would, and answers the exit code. The same parser, validation and request code as the binary
run, minus the 0.4-0.9 s interpreter and import start-up per call that would make 1,400 calls take
many minutes. stderr is captured on its way to the caller, so each call is logged as one JSON line
(argv, exit code, stderr) for the checker to classify.

Standard library only (it runs under gcloud's interpreter, with -S): nothing from the project.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import signal
import socket
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, TextIO

CALL_TIMEOUT = 20  # seconds; nothing should wait: prompts are off, stdin is /dev/null, the endpoint is dead
CALLS_PER_BLOCK = 40  # a block calling more is looping on the empty output of a dead endpoint
SAME_CALL_REPEATS = 3  # or calling the same argv again and again (a `while` walk fed empty answers)
LOOP_EXIT = 253  # answered past the cap; the shim then ends its block's process group
# Set by the checker for every call, whatever the block exported: credentials stay fake, the endpoint dead.
# CLOUDSDK_CONFIG is the block's own (empty at its start), so a `gcloud config set` stays in its block.
PINNED_PREFIXES = ("AWS_", "CLOUDSDK_", "BOTO_")
PER_BLOCK = ("CLOUDSDK_CONFIG",)

Runner = Callable[[list[str]], int]


class CallTimeout(Exception):
    """A call ran past CALL_TIMEOUT."""


def _aws_runner() -> Runner:
    # bin/aws is `sys.exit(awscli.clidriver.main())`, and main() is create_clidriver().main(). This is
    # create_clidriver() line for line, except that every call's fresh session shares one data loader,
    # so the service models (JSON, up to a few MB each) are parsed once per run instead of per call.
    from awscli import clidriver  # type: ignore[import-untyped]  # awscli has no type information

    botocore = clidriver.botocore
    loader = botocore.session.Session(clidriver.EnvironmentVariables).get_component("data_loader")
    v1_services = frozenset(clidriver.create_clidriver()._get_command_table())

    def run(argv: list[str]) -> int:
        words = [w for w in argv[1:] if not w.startswith("-")]
        if words and words[0] not in v1_services:
            return _aws_newer_service(argv)  # v1's models predate it: botocore's own model instead
        if tuple(words[:2]) in AWS_V2_ONLY:
            return _aws_v2_only(argv, tuple(words[:2]))
        session = botocore.session.Session(clidriver.EnvironmentVariables)
        session.register_component("data_loader", loader)
        clidriver._set_user_agent_for_session(session)
        clidriver.load_plugins(
            session.full_config.get("plugins", {}), event_hooks=session.get_component("event_emitter")
        )
        return int(clidriver.CLIDriver(session=session).main(_without_v2_globals(argv)[1:]) or 0)

    return run


# awscli v1 parses the same service commands as v2 (both are generated from botocore's models); what
# v1 lacks is v2's own commands and global options. Those are checked against what v2 documents:
# https://awscli.amazonaws.com/v2/documentation/api/latest/reference/configure/export-credentials.html etc.
AWS_V2_ONLY: dict[tuple[str, ...], dict[str, bool]] = {  # option -> takes a value
    ("configure", "export-credentials"): {"--format": True},
    ("configure", "list-profiles"): {},
    ("configure", "sso"): {"--no-browser": False, "--use-device-code": False},
    ("configure", "sso-session"): {"--no-browser": False, "--use-device-code": False},
    ("sso", "login"): {"--sso-session": True, "--no-browser": False, "--use-device-code": False},
    ("sso", "logout"): {},
    ("logs", "tail"): {"--since": True, "--follow": False, "--format": True, "--filter-pattern": True,
                       "--log-stream-names": True, "--log-stream-name-prefix": True},
}  # fmt: skip
AWS_V2_GLOBALS = {"--cli-binary-format": True, "--no-cli-pager": False, "--cli-auto-prompt": False,
                  "--no-cli-auto-prompt": False}  # fmt: skip
AWS_GLOBALS = {"--debug": False, "--endpoint-url": True, "--no-verify-ssl": False, "--no-paginate": False,
               "--output": True, "--query": True, "--profile": True, "--region": True, "--version": False,
               "--color": True, "--no-sign-request": False, "--ca-bundle": True, "--cli-read-timeout": True,
               "--cli-connect-timeout": True, **AWS_V2_GLOBALS}  # fmt: skip
CHECKED_OFFLINE = "whydenied check: arguments ok by {what}; no endpoint to call"


def _without_v2_globals(argv: list[str]) -> list[str]:
    out, skip = [], False
    for word in argv:
        if skip:
            skip = False
        elif word.split("=", 1)[0] in AWS_V2_GLOBALS:
            skip = AWS_V2_GLOBALS[word.split("=", 1)[0]] and "=" not in word
        else:
            out.append(word)
    return out


def _options(argv: list[str], allowed: dict[str, bool], after: int, positionals: int = 0) -> str | None:
    """Return why the arguments after argv[after] are wrong for a command, or None when they fit."""
    rest, index, seen = argv[after + 1 :], 0, 0
    while index < len(rest):
        word = rest[index]
        name = word.split("=", 1)[0]
        if not word.startswith("--"):
            seen += 1
            if seen > positionals:
                return f"Unknown options: {word}"
        elif name in allowed or name in AWS_GLOBALS:
            takes_value = allowed.get(name, AWS_GLOBALS.get(name, False))
            if takes_value and "=" not in word:
                if index + 1 >= len(rest):
                    return f"argument {name}: expected one argument"
                index += 1
        else:
            return f"Unknown options: {word}"
        index += 1
    return None


def _aws_v2_only(argv: list[str], command: tuple[str, ...]) -> int:
    after = argv.index(command[-1])
    tail = command == ("logs", "tail")  # its one positional: the log group
    problem = _options(argv, AWS_V2_ONLY[command], after, positionals=1 if tail else 0)
    if problem is None and tail and all(w.startswith("-") for w in argv[after + 1 :]):
        problem = "the following arguments are required: group_name"
    if problem:
        print(f"aws: error: {problem}", file=sys.stderr)
        return 252  # v2's exit code for a usage error
    print(CHECKED_OFFLINE.format(what=f"aws v2's documented options of `aws {' '.join(command)}`"), file=sys.stderr)
    return 255


def _aws_newer_service(argv: list[str]) -> int:
    # awscli v1 vendors its own botocore (as awscli.botocore, aliased to `botocore` in this process), so
    # the project's botocore, often newer, is read as data: its service-2.json for this service.
    import gzip
    import importlib.metadata

    words = [w for w in argv[1:] if not w.startswith("-")]
    distribution = importlib.metadata.distribution("botocore")
    folder = Path(str(distribution.locate_file("botocore/data"))) / words[0]
    versions = sorted(folder.iterdir()) if folder.is_dir() else []
    files = [v / name for v in versions[-1:] for name in ("service-2.json.gz", "service-2.json")]
    found = [f for f in files if f.is_file()]
    if not found:
        print(f"aws: error: argument command: Invalid choice: '{words[0]}'", file=sys.stderr)
        return 252
    raw = found[0].read_bytes()
    model = json.loads(gzip.decompress(raw) if found[0].suffix == ".gz" else raw)
    operations = {_kebab(name): body for name, body in model["operations"].items()}
    if len(words) < 2 or words[1] not in operations:
        print(f"aws: error: argument operation: Invalid choice: '{' '.join(words[1:2])}'", file=sys.stderr)
        return 252
    shape = model["shapes"].get(operations[words[1]].get("input", {}).get("shape", ""), {})
    members = [_kebab(m) for m in shape.get("members", {})]
    allowed = {f"--{name}": True for name in members} | {f"--no-{name}": False for name in members}
    allowed |= {"--cli-input-json": True, "--generate-cli-skeleton": False, "--starting-token": True,
                "--page-size": True, "--max-items": True}  # fmt: skip
    problem = _options(argv, allowed, argv.index(words[1]))
    given = {w.split("=", 1)[0] for w in argv if w.startswith("--")}
    missing = [f"--{_kebab(m)}" for m in shape.get("required", []) if f"--{_kebab(m)}" not in given]
    if problem is None and missing and "--cli-input-json" not in given:
        problem = f"the following arguments are required: {', '.join(missing)}"
    if problem:
        print(f"aws: error: {problem}", file=sys.stderr)
        return 252
    what = f"botocore {distribution.version}'s model of {words[0]} (newer than awscli v1's)"
    print(CHECKED_OFFLINE.format(what=what), file=sys.stderr)
    return 255


def _kebab(name: str) -> str:
    """botocore's xform_name(name, "-"): GetRequestAuthorizationDetails -> get-request-authorization-details."""
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1-\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", spaced).lower()


def _gcloud_runner() -> Runner:
    # lib/gcloud.py puts lib/ and lib/third_party first on sys.path, then gcloud_main.main() builds the
    # CLI (CreateCLI) and calls its Execute(); parse errors exit 2, failed commands exit 1, as there.
    root = Path(os.environ["WHYDENIED_CHECK_GCLOUD_ROOT"])
    for folder in (str(root / "lib" / "third_party"), str(root / "lib")):
        if folder not in sys.path:
            sys.path.insert(0, folder)
    from googlecloudsdk import gcloud_main  # type: ignore[import-not-found]  # on sys.path only here
    from googlecloudsdk.core import log  # type: ignore[import-not-found]
    from googlecloudsdk.core.configurations import named_configs  # type: ignore[import-not-found]

    cli = gcloud_main.CreateCLI([])

    def run(argv: list[str]) -> int:
        named_configs.ActivePropertiesFile.Invalidate()  # this call's CLOUDSDK_CONFIG, read afresh
        log.Reset()  # its handlers write to the sys.stdout/sys.stderr of this call
        # as gcloud_main.main(): the credential providers (service account impersonation among them)
        with gcloud_main.creds_context_managers.CredentialProvidersManager(None):
            cli.Execute(argv[1:])
            sys.stdout.flush()
        return 0

    return run


RUNNERS: dict[str, Callable[[], Runner]] = {"aws": _aws_runner, "gcloud": _gcloud_runner}


def _receive(conn: socket.socket) -> tuple[dict[str, Any], list[int]]:
    data, fds, _flags, _addr = socket.recv_fds(conn, 65536, 3)
    size = int.from_bytes(data[:4], "big")
    body = bytearray(data[4:])
    while len(body) < size:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body.extend(chunk)
    return json.loads(body.decode("utf-8")), list(fds)


def _on_alarm(_signum: int, _frame: object) -> None:
    raise CallTimeout


@contextlib.contextmanager
def _as_caller(request: dict[str, Any], fds: list[int], err: BinaryIO) -> Iterator[None]:
    """Run the body with the caller's stdin/stdout on 0/1, stderr into `err`, its cwd and environment."""
    saved_fds = [os.dup(0), os.dup(1), os.dup(2)]
    saved_streams = (sys.stdin, sys.stdout, sys.stderr)
    saved_env = dict(os.environ)
    saved_cwd = Path.cwd()
    saved_argv = sys.argv
    sys.argv = list(request["argv"])  # the program name in usage messages, as the binary has it
    os.dup2(fds[0], 0)
    os.dup2(fds[1], 1)
    os.dup2(err.fileno(), 2)
    sys.stdin = _text(0, "r")
    sys.stdout = _text(1, "w")
    sys.stderr = _text(2, "w")
    os.environ.clear()
    os.environ.update({k: v for k, v in request["env"].items() if not k.startswith(PINNED_PREFIXES)})
    os.environ.update({k: v for k, v in saved_env.items() if k.startswith(PINNED_PREFIXES)})
    os.environ.update({k: request["env"][k] for k in PER_BLOCK if k in request["env"]})
    try:
        os.chdir(request["cwd"])
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        sys.stdin, sys.stdout, sys.stderr = saved_streams
        sys.argv = saved_argv
        for number, saved in enumerate(saved_fds):
            os.dup2(saved, number)
            os.close(saved)
        os.environ.clear()
        os.environ.update(saved_env)
        os.chdir(saved_cwd)


def _text(fd: int, mode: str) -> TextIO:
    raw = io.FileIO(fd, mode, closefd=False)
    if mode == "r":
        return io.TextIOWrapper(io.BufferedReader(raw), encoding="utf-8", errors="replace")
    return io.TextIOWrapper(io.BufferedWriter(raw), encoding="utf-8", errors="replace", line_buffering=True)


def _exit_code(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    print(value, file=sys.stderr)  # sys.exit("message") prints it and exits 1
    return 1


@contextlib.contextmanager
def _logging_restored() -> Iterator[None]:
    """Undo what a call did to the logging module (`aws --debug` adds a DEBUG handler to stderr)."""
    manager = logging.Logger.manager
    before = {name: (logger.level, list(logger.handlers), logger.propagate, logger.disabled)
              for name, logger in manager.loggerDict.items() if isinstance(logger, logging.Logger)}  # fmt: skip
    root = (logging.root.level, list(logging.root.handlers))
    try:
        yield
    finally:
        for name, logger in manager.loggerDict.items():
            if isinstance(logger, logging.Logger):
                level, handlers, propagate, disabled = before.get(name, (logging.NOTSET, [], True, False))
                logger.setLevel(level)
                logger.handlers[:] = handlers
                logger.propagate, logger.disabled = propagate, disabled
        logging.root.setLevel(root[0])
        logging.root.handlers[:] = root[1]


def call(runner: Runner, request: dict[str, Any], fds: list[int]) -> tuple[int, str]:
    """Run one call on the caller's descriptors; return its exit code and what it wrote to stderr."""
    with tempfile.TemporaryFile() as err:
        with _as_caller(request, fds, err), _logging_restored():
            signal.alarm(CALL_TIMEOUT)
            try:
                code = runner(list(request["argv"]))
            except SystemExit as exc:
                code = _exit_code(exc.code)
            except CallTimeout:
                print(f"whydenied check: no answer in {CALL_TIMEOUT} s", file=sys.stderr)
                code = 124
            except BaseException:  # the CLI crashed: its traceback is the finding
                traceback.print_exc()
                code = 1
            finally:
                signal.alarm(0)
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
    with contextlib.suppress(OSError):
        os.write(fds[2], text.encode("utf-8"))
    return code, text


def serve(tool: str, path: str, log_path: str) -> None:
    """Load the CLI, then answer calls until killed."""
    signal.signal(signal.SIGALRM, _on_alarm)
    runner = RUNNERS[tool]()
    calls: dict[str, int] = {}
    repeats: dict[tuple[str, ...], int] = {}
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(64)
    print("ready", flush=True)
    with open(log_path, "a", encoding="utf-8") as log:  # noqa: PTH123 - the same code runs under -S
        while True:
            conn, _addr = server.accept()
            with conn:
                request, fds = _receive(conn)
                block = str(request["env"].get("WHYDENIED_CHECK_BLOCK", ""))
                calls[block] = calls.get(block, 0) + 1
                same = (block, *request["argv"])
                repeats[same] = repeats.get(same, 0) + 1
                started = time.monotonic()
                try:
                    if calls[block] > CALLS_PER_BLOCK or repeats[same] > SAME_CALL_REPEATS:
                        code, stderr = LOOP_EXIT, "whydenied check: a block looping on empty answers, stopped"
                    else:
                        code, stderr = call(runner, request, fds)
                finally:
                    for fd in fds:
                        os.close(fd)
                record = {"tool": tool, "block": block, "argv": request["argv"], "code": code, "stderr": stderr,
                          "seconds": round(time.monotonic() - started, 3)}  # fmt: skip
                log.write(json.dumps(record) + "\n")
                log.flush()
                with contextlib.suppress(OSError):
                    conn.sendall(json.dumps({"code": code}).encode("utf-8"))


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2], sys.argv[3])
