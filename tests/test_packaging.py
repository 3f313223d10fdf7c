"""What a user installs: the wheel carries the code and every content file, and the CLI works.

The content is read from inside the built wheel (a zip), as importlib.resources hands it to an
installed package, so a file left out of the wheel or a path that assumes a directory fails here.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from importlib.util import find_spec
from pathlib import Path

import pytest

from api.catalog import Catalog, content_root, load_catalog

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
WHYDENIED = BIN / "whydenied"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the project's wheel once for this module and return its path."""
    out = tmp_path_factory.mktemp("wheel")
    command = [
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--disable-pip-version-check",
        "-w",
        str(out),
    ]
    # Without hatchling in the venv pip must fetch it into an isolated build environment.
    if find_spec("hatchling") is not None:
        command.append("--no-build-isolation")
    result = subprocess.run([*command, "."], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    (built,) = out.glob("whydenied-*.whl")
    return built


def _run(*args: str, stdin: str = "", cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(WHYDENIED), *args], input=stdin, cwd=cwd, capture_output=True, text=True, check=False)


def test_wheel_contains_code_and_every_content_file(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())

    source = Path(str(content_root()))
    content_files = {f"content/{path.relative_to(source).as_posix()}" for path in source.rglob("*.yaml")}
    assert content_files, "the checkout has no content to compare with"
    missing = sorted(content_files - names)
    assert not missing, f"content left out of the wheel: {missing}"
    for name in ("api/__init__.py", "api/main.py", "adapters/__init__.py", "adapters/registry.py"):
        assert name in names, name
    for name in ("content/taxonomy.yaml", "content/schema.json", "content/published.txt"):
        assert name in names, name


def test_wheel_content_loads_the_same_catalogue(wheel: Path, catalog: Catalog) -> None:
    from_wheel = load_catalog(zipfile.Path(wheel, "content/"))

    assert sorted(from_wheel.entries) == sorted(catalog.entries)
    assert from_wheel.hashes == catalog.hashes
    assert list(from_wheel.taxonomy.reasons) == list(catalog.taxonomy.reasons)


def test_cli_diagnose_reads_a_payload_from_stdin(tmp_path: Path) -> None:
    pasted = 'HTTP/1.1 401 Unauthorized\nWWW-Authenticate: Bearer realm="api", error="invalid_token"\n'

    result = _run("diagnose", stdin=pasted, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["reason"] == "http.authn.invalid_credentials"
    assert output["category"] == "authentication"
    assert output["guidance"]["id"] == "http.authn.invalid_credentials"


def test_cli_diagnose_passes_the_status_given(tmp_path: Path) -> None:
    pasted = "Error: HttpError: Resource not accessible by integration\n"

    result = _run("diagnose", "--status", "403", stdin=pasted, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["reason"] == "http.authz.forbidden"
    assert output["facts"]["status_code"] == 403


def test_cli_content_lint_passes_on_the_shipped_content(tmp_path: Path, catalog: Catalog) -> None:
    result = _run("content", "lint", cwd=tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(catalog.entries)} entries, 0 problem(s)" in result.stdout


def test_cli_content_lint_fails_on_a_broken_tree(tmp_path: Path) -> None:
    broken = tmp_path / "content"
    shutil.copytree(str(content_root()), broken)
    (broken / "schema.json").write_text("{}\n", encoding="utf-8")

    result = _run("content", "lint", "--dir", str(broken), cwd=tmp_path)

    assert result.returncode == 1
    assert "WD014" in result.stdout


def test_cli_help_lists_the_commands() -> None:
    result = _run("--help")

    assert result.returncode == 0, result.stderr
    for command in ("serve", "diagnose", "content"):
        assert command in result.stdout
