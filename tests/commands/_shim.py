"""The `aws`/`gcloud` a checked block finds on its PATH: the real CLI, reached one of two ways.

Installed as `<shims>/aws` (and `gcloud`, ...) with a `#!python -SsE` line.
- Resident (WHYDENIED_CHECK_SOCKET_<TOOL> set, the default): it sends its argv, cwd and environment
  to the resident real CLI (tests/commands/_resident.py) and passes its own stdin, stdout and stderr,
  so the CLI reads and writes them directly; it waits for the exit code and exits with it. Past the
  resident's per-block call cap it ends its block's process group (a loop fed by a dead endpoint).
- Literal (no socket): it runs the real binary named by WHYDENIED_CHECK_REAL_<TOOL> as a child, passes
  stderr through while keeping a copy, and appends the call to WHYDENIED_CHECK_LOG itself. Slower (the
  binary's start-up per call); used by the self-test that shows both ways classify alike, and for
  tools with no resident (gsutil, bq).

Standard library only, run with -S: it starts in a few milliseconds.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import socket
import subprocess
import sys

LOOP_EXIT = 253  # keep in step with _resident.LOOP_EXIT


def _resident(path: str, tool: str) -> int:
    # os.path, not pathlib: every call of a block starts this script, and importing pathlib costs time
    payload = json.dumps({"argv": [tool, *sys.argv[1:]], "cwd": os.getcwd(), "env": dict(os.environ)}).encode()  # noqa: PTH109
    message = len(payload).to_bytes(4, "big") + payload
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.connect(path)
        sent = socket.send_fds(conn, [message], [0, 1, 2])
        conn.sendall(message[sent:])
        reply = bytearray()
        while chunk := conn.recv(4096):
            reply.extend(chunk)
    return int(json.loads(reply.decode("utf-8"))["code"]) if reply else 255


def _literal(real: str, tool: str) -> int:
    result = subprocess.run([real, *sys.argv[1:]], stderr=subprocess.PIPE, check=False)
    sys.stderr.buffer.write(result.stderr)
    sys.stderr.flush()
    record = {
        "tool": tool,
        "block": os.environ.get("WHYDENIED_CHECK_BLOCK", ""),
        "argv": [tool, *sys.argv[1:]],
        "code": result.returncode,
        "stderr": result.stderr.decode("utf-8", "replace"),
    }
    with open(os.environ["WHYDENIED_CHECK_LOG"], "a", encoding="utf-8") as log:  # noqa: PTH123 - runs under -S
        fcntl.flock(log, fcntl.LOCK_EX)
        log.write(json.dumps(record) + "\n")
    return result.returncode


def main() -> None:
    """Run this call by the real CLI; exit with its exit code."""
    tool = os.path.basename(sys.argv[0])  # noqa: PTH119 - os.path: see above
    key = tool.upper().replace("-", "_")
    path = os.environ.get(f"WHYDENIED_CHECK_SOCKET_{key}")
    code = _resident(path, tool) if path else _literal(os.environ[f"WHYDENIED_CHECK_REAL_{key}"], tool)
    if code == LOOP_EXIT:
        os.killpg(os.getpgrp(), signal.SIGKILL)
    sys.exit(code)


if __name__ == "__main__":
    main()
