"""Filled commands run in real shells: a fact is one literal word in bash, dash, zsh and fish.

Every command of every entry is filled with hostile values and run with an empty PATH (so nothing
but builtins can run) in a scratch folder; a value that escaped its quotes would create a marker
file (`echo>PWN`). Each value is also read back by the shell, to show it arrives unchanged. Shells
that are not installed are skipped (fish is a Debian package: `apt-get install fish`).
"""

from __future__ import annotations

import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Final

import pytest

from api.catalog import Catalog
from api.render import CommandTemplate, shell_quote

SHELLS: Final = ("bash", "dash", "zsh", "fish")
# The security review's fish payloads (a value ending in a backslash ends fish's single quotes early),
# and the POSIX ones: substitutions, quote break-outs, separators, globs and expansions.
PAYLOADS: Final = (
    "s3:GetObject\\",
    ";echo>PWN;#",
    "x\\';echo>PWN;#",
    "x\\\\';echo>PWN;#",
    "$(echo>PWN)",
    "`echo>PWN`",
    "';echo>PWN;'",
    '";echo>PWN;"',
    "x;echo>PWN",
    "x|echo>PWN",
    "x&&echo>PWN",
    "${IFS}$(echo>PWN)",
    "(echo>PWN)",
    "{echo>PWN}",
    "~/*",
    "%self",
    "=echo",
    "a\\b\\\\c\\'d'\\",
    "\\",
    "'",
    "",
)


def _shell(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed")
    return path


def _run(shell: str, script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # PATH holds only a stub `aws` that answers "r-root", so the SCP walk's `while :` loop reaches the
    # root and stops; nothing else but builtins can run, and `echo>PWN` is a builtin.
    stubs = cwd / "bin"
    if not stubs.is_dir():
        stubs.mkdir()
        (stubs / "aws").write_text("#!/bin/sh\necho r-root\n", encoding="utf-8")
        (stubs / "aws").chmod(0o755)
    return subprocess.run(
        [shell, "-c", script],
        cwd=cwd,
        env={"PATH": str(stubs), "HOME": str(cwd)},
        stdin=subprocess.DEVNULL,  # `read -rs TOKEN` gets end of file at once
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize("shell", SHELLS)
def test_a_quoted_value_is_read_back_unchanged(shell: str, tmp_path: Path) -> None:
    path = _shell(shell)
    script = "\n".join(f"printf '%s\\n' {shell_quote(value)}" for value in PAYLOADS)
    result = _run(path, script, tmp_path)
    assert result.stdout.split("\n")[:-1] == list(PAYLOADS), result.stderr
    assert not (tmp_path / "PWN").exists()


# (first fact, every other fact): the review's fish case needs two, a backslash ending the first value
COMMAND_PAYLOADS: Final = (
    ("s3:GetObject\\", ";echo>PWN;#"),
    (";echo>PWN;#\\", ";echo>PWN;#\\"),
    ("x\\';echo>PWN;#", "x\\';echo>PWN;#"),
    ("$(echo>PWN)", "$(echo>PWN)"),
    ("`echo>PWN`", "`echo>PWN`"),
    ("';echo>PWN;'", "';echo>PWN;'"),
    ('";echo>PWN;"', '";echo>PWN;"'),
    ("${IFS}$(echo>PWN)", "(echo>PWN)"),
    ("x\necho>PWN\n", "EOF\necho>PWN\n"),
)


@pytest.mark.parametrize("shell", SHELLS)
def test_every_filled_command_runs_no_injected_command(shell: str, catalog: Catalog, tmp_path: Path) -> None:
    path = _shell(shell)
    keys = catalog.taxonomy.placeholder_keys
    templates = {CommandTemplate.compile(command, keys) for c in catalog.entries.values() for command in c._templates}
    scripts = []
    for template in sorted(templates, key=lambda t: t.parts):
        if not template.fact_keys:
            continue
        for first, rest in COMMAND_PAYLOADS:
            facts = {key: first if index == 0 else rest for index, key in enumerate(dict.fromkeys(template.fact_keys))}
            scripts.append(template.render(facts))
    assert len(scripts) > 1000

    def injected(numbered: tuple[int, str]) -> bool:
        # one shell per command (a syntax error in one must not hide the next), each in its own folder
        cwd = tmp_path / str(numbered[0])
        cwd.mkdir()
        _run(path, numbered[1], cwd)
        return (cwd / "PWN").exists()

    with ThreadPoolExecutor(max_workers=4) as pool:
        executed = [script for script, bad in zip(scripts, pool.map(injected, enumerate(scripts)), strict=True) if bad]
    assert executed == []
