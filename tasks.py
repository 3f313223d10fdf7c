#!/usr/bin/env python3
"""Bootstrap and run whydenied with nothing but python3 (3.11+): the README's two commands.

    python3 tasks.py serve [--host H] [--port P]   start the service on 127.0.0.1:8000 (SQLite)
    python3 tasks.py test [pytest args...]         ruff, mypy, content lint, then the whole suite

Each creates .venv on first use and reinstalls when pyproject.toml changes. Standard library only.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".installed-pyproject-sha256"


def ensure_environment() -> None:
    """Create .venv and install the project with its dev tools, unless already current."""
    if sys.version_info < (3, 11):  # noqa: UP036 - tasks.py runs on whatever python3 the user has
        sys.exit(f"whydenied needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.is_file() and STAMP.read_text().strip() == wanted:
        return
    if not (BIN / "python").exists():
        print(f"creating {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    print("installing whydenied and its dev tools (first run takes about a minute) ...", flush=True)
    run([str(BIN / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-e", f"{ROOT}[dev]"])  # fmt: skip
    STAMP.write_text(wanted)


def run(command: list[str], env: dict[str, str] | None = None) -> None:
    """Run a command in the checkout; exit with its status if it fails."""
    result = subprocess.run(command, cwd=ROOT, env=env, check=False)  # noqa: S603 - our own argv
    if result.returncode != 0:
        sys.exit(result.returncode)


def serve(args: list[str]) -> None:
    """Start the service in the foreground."""
    ensure_environment()
    os.execv(str(BIN / "whydenied"), [str(BIN / "whydenied"), "serve", *args])  # noqa: S606


def test(args: list[str]) -> None:
    """Lint, type-check, lint the content, then run pytest; fail if no test ran."""
    ensure_environment()
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    steps = [
        [str(BIN / "ruff"), "check", "."],
        [str(BIN / "ruff"), "format", "--check", "."],
        [str(BIN / "mypy")],
        [str(BIN / "whydenied"), "content", "lint", "--dir", "content"],
    ]
    for step in steps:
        print(
            "$",
            " ".join(Path(step[0]).name if i == 0 else part for i, part in enumerate(step)),
            flush=True,
        )
        run(step, env)
    print("$ pytest", " ".join(args), flush=True)
    # pytest exits 5 when it collected no test: that is a failure here, as any non-zero is.
    run([str(BIN / "python"), "-m", "pytest", *args], env)


def main() -> None:
    """Dispatch `serve` or `test`."""
    commands = {"serve": serve, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
