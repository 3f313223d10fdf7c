"""shellcheck on every command block, as a bash script.

All blocks go to one shellcheck process per batch (it reads hundreds of small files in a second or
two). Findings of the codes in EXCLUDED are dropped, each for the reason given. Findings at error or
warning level are what the tests hold to zero (`gated`); info and style ones are kept as advice for
the report.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

BATCH: Final = 400

GATED_LEVELS: Final = frozenset({"error", "warning"})
# Codes a rendered command may carry on purpose. Nothing else is excluded.
EXCLUDED: Final[dict[int, str]] = {
    # "Expressions don't expand in single quotes": jq programs ('.Policy | fromjson'), JMESPath
    # --query strings ('Statement[?Effect==`Deny`]') and python3 -c programs are single-quoted so
    # the shell leaves their `$`, backticks and quotes alone. A value to fill in is never inside them:
    # the placeholder check reports any `<fact>` or `${NAME:?}` there on its own.
    2016: "jq, JMESPath and python3 programs are single-quoted on purpose",
}


@dataclass(frozen=True)
class Finding:
    """One shellcheck comment on a block."""

    code: int
    level: str  # error, warning, info or style
    line: int
    message: str

    @property
    def label(self) -> str:
        """`SC2086 (warning)`."""
        return f"SC{self.code} ({self.level})"

    @property
    def gated(self) -> bool:
        """Tell whether the tests hold this finding to zero (error or warning)."""
        return self.level in GATED_LEVELS


def available() -> str | None:
    """Return shellcheck's path, or None when it is not installed."""
    return shutil.which("shellcheck")


def check(blocks: Iterable[str]) -> dict[str, list[Finding]]:
    """Return each block's findings (an empty list when clean), excluded codes removed."""
    binary = available()
    assert binary is not None, "shellcheck is not installed"
    unique = list(dict.fromkeys(blocks))
    results: dict[str, list[Finding]] = {block: [] for block in unique}
    with tempfile.TemporaryDirectory(prefix="whydenied-shellcheck-") as folder:
        paths = []
        for index, block in enumerate(unique):
            path = Path(folder) / f"{index}.sh"
            path.write_text(block + "\n", encoding="utf-8")
            paths.append(path)
        by_path = {str(path): block for path, block in zip(paths, unique, strict=True)}
        for start in range(0, len(paths), BATCH):
            batch = [str(path) for path in paths[start : start + BATCH]]
            result = subprocess.run(
                [binary, "--shell=bash", "--format=json1", "--severity=style", "--norc", *batch],
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode not in (0, 1):  # 1: some findings; anything else: shellcheck failed
                raise RuntimeError(f"shellcheck failed: {result.stderr[:500]}")
            for comment in json.loads(result.stdout or '{"comments": []}')["comments"]:
                if comment["code"] in EXCLUDED:
                    continue
                finding = Finding(int(comment["code"]), comment["level"], int(comment["line"]), comment["message"])
                results[by_path[comment["file"]]].append(finding)
    return results
