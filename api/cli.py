"""The `whydenied` command. Imports lazily: each subcommand pulls in only what it uses.

    whydenied explain [FILE|-] [--status N] [--header 'Name: value'] [--provider P] [--json|--markdown]
                                       diagnose an error piped in or read from a file, offline
    whydenied scan FILE... [--json|--markdown] [--since T] [--until T] [--top N] [--jobs N]
                                       group the access denials in whole logs (api/scan/)
    whydenied entries [ID] [--markdown]      list the guidance entries, or show one
    whydenied serve [--host H] [--port P]     run the service (uvicorn)
    whydenied mcp                             serve the MCP tools over stdio (for desktop chat clients)
    whydenied export DIR [--format markdown|html] a static copy of the guidance for a docs site
    whydenied content lint|schema|publish     work on the content catalogue

Exit status of explain: 0 diagnosed, 1 read fine but not an access failure, 2 usage or input error.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

MAX_INPUT_BYTES: Final = 8 * 1024 * 1024  # read at most this much from a pipe
KEEP_CHARS: Final = 256 * 1024  # errors sit at the end of long logs: keep the tail


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    parser = _parser(lean=argv[:1] in (["explain"], ["diagnose"]))
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # the top-level parser reports them, naming every command: the full one says it
        parser = _parser()
        args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        status: int = handler(args)
        sys.stdout.flush()  # here, not at exit, so a reader that left is caught below
    except BrokenPipeError:
        # `whydenied entries | head`: the reader left. Quietly, as cat does; stdout is closed for good.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return status


def _parser(lean: bool = False) -> argparse.ArgumentParser:
    """The command line; `lean` stops after explain and diagnose (what they print is the same either way).

    Editors and MCP clients run `whydenied explain` once per paste: the other commands' parsers,
    and the scanner's options module, cost it ~8 ms it never uses.
    """
    parser = argparse.ArgumentParser(
        prog="whydenied",
        description="Explain access failures: which layer said no.",
        epilog="examples:\n"
        "  aws s3 ls s3://my-bucket 2>&1 | whydenied explain\n"
        "  whydenied explain error.txt --markdown > ticket.md\n"
        "  curl -si https://api.example.com/me | whydenied explain --status 401\n"
        "  whydenied entries aws.authz.explicit_deny.scp",
        formatter_class=_DescriptionFormatter,
    )
    parser.add_argument("--version", action=_VersionAction, nargs=0, help="print the version and exit")
    commands = parser.add_subparsers(title="commands")

    for name, helptext in (
        ("explain", "diagnose an error read from a file or stdin (offline, no server)"),
        ("diagnose", "the same as `explain --json`"),
    ):
        explain = commands.add_parser(name, help=helptext, formatter_class=_Formatter)
        explain.add_argument("file", nargs="?", default="-", help="file with the error text (default: stdin)")
        explain.add_argument("--status", type=int, default=None, help="the HTTP status, if known")
        explain.add_argument(
            "--header", action="append", default=[], metavar="'NAME: VALUE'", help="a response header (repeatable)"
        )
        explain.add_argument("--provider", default=None, help="a provider hint: aws, gcp, http, ...")
        output = explain.add_mutually_exclusive_group()
        output.add_argument("--json", action="store_true", default=name == "diagnose", help="print the API response")
        output.add_argument("--markdown", action="store_true", help="print the playbook as Markdown (for a ticket)")
        live = explain.add_argument_group("live checks (opt-in; your own credentials, read-only calls)")
        live.add_argument(
            "--live",
            action="store_true",
            help="confirm the diagnosis with the provider (AWS: boto3; GCP: Application Default Credentials)",
        )
        live.add_argument("--profile", default=None, help="AWS profile for --live (default: the usual chain)")
        live.add_argument("--region", default=None, help="AWS region for --live (default: the profile's)")
        live.add_argument("--live-timeout", type=float, default=5.0, metavar="SECONDS", help="per call (default 5)")
        explain.set_defaults(handler=_explain)
    if lean:
        return parser

    from api.scan.cli import add_scan_parser  # argparse only: the scanner loads when `scan` runs

    add_scan_parser(commands)

    entries = commands.add_parser("entries", help="list the guidance entries, or show one")
    entries.add_argument("id", nargs="?", default=None, help="an entry id (default: list them all)")
    entries.add_argument("--markdown", action="store_true", help="show the entry as Markdown")
    entries.set_defaults(handler=_entries)

    serve = commands.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host", default=None, help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port (default 8000)")
    serve.set_defaults(handler=_serve)

    mcp = commands.add_parser("mcp", help="serve the MCP tools over stdio, for chat clients (no HTTP server)")
    mcp.set_defaults(handler=_mcp)

    export = commands.add_parser("export", help="write the guidance as a static Markdown or HTML tree")
    export.add_argument("directory", type=Path, help="folder to write into (created if missing)")
    export.add_argument("--format", choices=("markdown", "html"), default="markdown", help="page format")
    export.set_defaults(handler=_export)

    keys = commands.add_parser("keys", help="manage the API keys that guard /v1/stats (in the service's database)")
    key_commands = keys.add_subparsers(title="keys commands")
    create = key_commands.add_parser("create", help="make a key and print it (shown only this once)")
    create.add_argument("name", help="who or what the key is for, e.g. 'grafana'")
    create.set_defaults(handler=_keys_create)
    key_commands.add_parser("list", help="list keys: id, prefix, name, created, revoked").set_defaults(
        handler=_keys_list
    )
    revoke = key_commands.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("id", type=int, help="the id `whydenied keys list` shows")
    revoke.set_defaults(handler=_keys_revoke)

    data = commands.add_parser("data", help="refresh provider data kept in the service's database")
    data_commands = data.add_subparsers(title="data commands")
    refresh = data_commands.add_parser(
        "refresh-gcp-roles", help="read Google's predefined roles (iam.roles.list) into the role cache"
    )
    refresh.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS", help="per call (default 30)")
    refresh.set_defaults(handler=_refresh_gcp_roles)

    content = commands.add_parser("content", help="work on the content catalogue")
    content_commands = content.add_subparsers(title="content commands")
    lint = content_commands.add_parser("lint", help="check every entry; exit 1 on problems")
    lint.add_argument("--dir", type=Path, default=None, help="content folder (default: the package's)")
    lint.set_defaults(handler=_lint)
    schema = content_commands.add_parser("schema", help="regenerate content/schema.json")
    schema.add_argument("--dir", type=Path, default=None, help="content folder (default: ./content)")
    schema.set_defaults(handler=_schema)
    publish = content_commands.add_parser("publish", help="list new entry ids in published.txt")
    publish.add_argument("--dir", type=Path, default=None, help="content folder (default: ./content)")
    publish.set_defaults(handler=_publish)
    return parser


def terminal_columns() -> int:
    """Return `shutil.get_terminal_size().columns`, without importing shutil (bz2, lzma: ~3 ms).

    argparse asks for the width whenever it makes a formatter, which add_argument does: explain
    would import shutil to print nothing. The same rule: $COLUMNS, else stdout's terminal, else 80.
    """
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class _Formatter(argparse.HelpFormatter):
    """argparse's formatter, its width found without shutil (see terminal_columns)."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24, width: int | None = None):
        super().__init__(prog, indent_increment, max_help_position, terminal_columns() - 2 if width is None else width)


class _DescriptionFormatter(_Formatter, argparse.RawDescriptionHelpFormatter):
    """The same, keeping the description's and epilog's line breaks (the examples)."""


class _VersionAction(argparse.Action):
    """--version, read from the installed metadata only when asked (explain's start-up stays lean)."""

    def __call__(self, parser: argparse.ArgumentParser, *_args: Any, **_kwargs: Any) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("whydenied")
        except PackageNotFoundError:
            found = "0+unknown"
        print(f"whydenied {found}")
        parser.exit()


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.main import create_app
    from api.server import uvicorn_options
    from api.settings import get_settings

    settings = get_settings()
    json_logs = settings.log_format == "json"
    if json_logs:
        from api.request_log import configure_json_logging

        configure_json_logging()
    options = uvicorn_options(settings)
    if json_logs:
        options["log_config"] = None  # the handlers configured above, not uvicorn's plain-text config
    uvicorn.run(create_app(settings), host=args.host or settings.host, port=args.port or settings.port, **options)
    return 0


def _mcp(_args: argparse.Namespace) -> int:
    # stdout is the protocol channel: nothing else may print to it (logs go to stderr).
    from api.main import package_version
    from api.mcp_server import create_mcp_server, stdio_state
    from api.settings import get_settings

    state = stdio_state(get_settings())
    create_mcp_server(lambda: state, version=package_version()).run("stdio")
    return 0


def _fail(message: str) -> int:
    print(f"whydenied: {message}", file=sys.stderr)
    return 2


def _read_input(source: str) -> str:
    if source == "-":
        if sys.stdin.isatty():
            raise ValueError("paste the error on stdin (end with Ctrl-D), or give a file: whydenied explain FILE")
        raw = sys.stdin.buffer.read(MAX_INPUT_BYTES)
    else:
        with Path(source).open("rb") as handle:
            raw = handle.read(MAX_INPUT_BYTES)
    text = raw.decode("utf-8", errors="replace")
    return text[-KEEP_CHARS:]


def _headers(values: list[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for value in values:
        name, sep, rest = value.partition(":")
        if not sep or not name.strip():
            # The value is not repeated: a header is where a pasted token would be.
            raise ValueError("--header wants 'Name: value' (a name, a colon, then the value)")
        headers[name.strip()] = rest.strip()
    return headers


def _explain(args: argparse.Namespace) -> int:
    import json

    from api.catalog_snapshot import load_catalog_snapshot
    from api.request_limits import request_problems
    from api.services.diagnosis import diagnose
    from api.services.least_privilege import load_iam_index_lazily
    from api.terminal import Style, colour_wanted, render_markdown, render_text

    try:
        text = _read_input(args.file)
        headers = _headers(args.header) or None
    except (OSError, ValueError) as exc:
        return _fail(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    # The bounds of POST /v1/diagnose (api/request_limits.py), checked without building its pydantic model.
    if problems := request_problems(text, args.status, headers, args.provider):
        return _fail("; ".join(problems))
    response = diagnose(
        text, status_code=args.status, headers=headers, provider=args.provider,
        catalog=load_catalog_snapshot(), iam_index=load_iam_index_lazily,
    )  # fmt: skip
    if args.live:
        _add_live_checks(response, args)
    if args.markdown:  # before --json: `diagnose` defaults to JSON, and --markdown must still win
        sys.stdout.write(render_markdown(response))
    elif args.json:
        print(json.dumps(response, indent=2, ensure_ascii=False))
    elif args.markdown:
        sys.stdout.write(render_markdown(response))
    else:
        sys.stdout.write(render_text(response, Style(colour_wanted(sys.stdout))))
        for check in response.get("live") or []:
            print(f"live  {check['check']}: {check['outcome']} - {check['summary']}")
        for layer in _layers_found_live(response):
            print(f"live  => the layer that denied is {layer}: the grant suggested above will not help; "
                  f"see `whydenied entries {layer}`")  # fmt: skip
    return 0 if response["reason"] else 1


def _layers_found_live(response: dict[str, Any]) -> list[str]:
    """Return the layers a live check confirmed that differ from the offline reason (a deny policy, say)."""
    found = {
        check["details"]["layer"]
        for check in response.get("live") or []
        if check["outcome"] in ("verified", "simulated") and check.get("details", {}).get("layer")
    }
    return sorted(found - {response["reason"]})


def _add_live_checks(response: dict[str, Any], args: argparse.Namespace) -> None:
    """Run the live checks for the diagnosis and fold their outcomes into the response."""
    from api.live.apply import live_checks

    response["live"], response["confidence"] = live_checks(
        response["provider"], response["reason"], response["facts"], response["confidence"],
        profile=args.profile, region=args.region, timeout=args.live_timeout, guidance=response["guidance"],
        on_server=False,  # the user's own credentials: another GCP project, SCPs from a management account
    )  # fmt: skip


def _entries(args: argparse.Namespace) -> int:
    from api.catalog_snapshot import load_catalog_snapshot

    catalog = load_catalog_snapshot()
    if args.id is None:
        for entry_id, compiled in sorted(catalog.entries.items()):
            print(f"{entry_id:55} {compiled.title}")
        return 0
    found = catalog.get(args.id)
    if found is None:
        return _fail(f"no entry has the id {args.id!r} (see `whydenied entries`)")
    document: dict[str, Any] = found.render({}, for_case=False)
    if args.markdown:
        from api.formats import to_markdown

        sys.stdout.write(to_markdown(document))
    else:
        from api.terminal import Style, colour_wanted, render_text

        response = {"provider": args.id.split(".", 1)[0], "category": document.get("category", "other"),
                    "reason": args.id, "confidence": 1.0, "facts": {}, "guidance": document}  # fmt: skip
        sys.stdout.write(render_text(response, Style(colour_wanted(sys.stdout))))
    return 0


@contextmanager
def _service_engine() -> Iterator[Any]:
    from api.db import create_tables, make_engine
    from api.settings import get_settings

    engine = make_engine(get_settings().resolved_database_url())
    try:
        create_tables(engine)
        yield engine
    finally:
        engine.dispose()


def _refresh_gcp_roles(args: argparse.Namespace) -> int:
    import datetime as dt

    from google.api_core.exceptions import GoogleAPICallError, RetryError
    from google.cloud.iam_admin_v1 import IAMClient

    from api.live.gcp_clients import CredentialsUnavailable, google_clients
    from api.services.gcp_role_cache import fetch_predefined_roles, store_roles

    try:
        clients = google_clients(args.timeout)
    except CredentialsUnavailable as exc:
        return _fail(str(exc))
    try:
        roles = fetch_predefined_roles(clients.make(IAMClient), args.timeout)
    except (GoogleAPICallError, RetryError) as exc:
        return _fail(f"Google's role list could not be read: {getattr(exc, 'message', None) or type(exc).__name__}")
    finally:
        clients.close()
    if not roles:
        return _fail("Google's role list came back empty; the cache was left as it was")
    fetched_at = dt.datetime.now(dt.UTC)
    with _service_engine() as engine:
        stored = store_roles(engine, roles, fetched_at)
    permissions = len({p for role in roles for p in role.permissions})
    print(f"stored {stored} predefined roles ({permissions} permissions) as of {fetched_at:%Y-%m-%d %H:%M} UTC")
    print("the service uses them from its next start; `whydenied explain` keeps the reviewed table", file=sys.stderr)
    return 0


def _keys_create(args: argparse.Namespace) -> int:
    from api.services.api_keys import create_key

    with _service_engine() as engine:
        record, key = create_key(engine, args.name)
    print(key)
    print(f"key {record.id} ({args.name}) created; it is not stored and cannot be shown again", file=sys.stderr)
    return 0


def _keys_list(_args: argparse.Namespace) -> int:
    from api.services.api_keys import list_keys

    with _service_engine() as engine:
        records = list_keys(engine)
    for record in records:
        revoked = f"revoked {record.revoked_at:%Y-%m-%d}" if record.revoked_at else "live"
        print(f"{record.id:>4}  {record.prefix}…  {record.created_at:%Y-%m-%d}  {revoked:18}  {record.name}")
    return 0


def _keys_revoke(args: argparse.Namespace) -> int:
    from api.services.api_keys import revoke_key

    with _service_engine() as engine:
        found = revoke_key(engine, args.id)
    if not found:
        return _fail(f"no key has the id {args.id} (see `whydenied keys list`)")
    print(f"key {args.id} revoked", file=sys.stderr)
    return 0


def _export(args: argparse.Namespace) -> int:
    from api.catalog import load_catalog
    from api.export import export

    written = export(load_catalog(check=False), args.directory, args.format)
    print(f"wrote {len(written)} pages to {args.directory}")
    return 0


def _lint(args: argparse.Namespace) -> int:
    from api.catalog import LINTS, content_root, read_catalog

    catalog = read_catalog(content_root(args.dir))
    for issue in catalog.issues:
        print(f"{issue}  ({LINTS.get(issue.code, '')})")
    print(f"{len(catalog.entries)} entries, {len(catalog.issues)} problem(s)")
    return 1 if catalog.issues else 0


def _writable_content_dir(given: Path | None) -> Path:
    directory = given or Path("content")
    if not (directory / "taxonomy.yaml").is_file():
        raise SystemExit(f"{directory}: no taxonomy.yaml here; run from the checkout or pass --dir")
    return directory


def _schema(args: argparse.Namespace) -> int:
    from api.catalog import SCHEMA_FILE, render_schema

    target = _writable_content_dir(args.dir) / SCHEMA_FILE
    target.write_text(render_schema(), encoding="utf-8")
    print(f"wrote {target}")
    return 0


def _publish(args: argparse.Namespace) -> int:
    from api.catalog import PUBLISHED_FILE, read_catalog

    directory = _writable_content_dir(args.dir)
    target = directory / PUBLISHED_FILE
    existing = (
        target.read_text(encoding="utf-8")
        if target.is_file()
        else "# Every entry id ever published: ids only grow (lint WD012).\n"
    )
    listed = {line.strip() for line in existing.splitlines()}
    new = sorted(set(read_catalog(directory).entries) - listed)
    if new:
        target.write_text(existing.rstrip("\n") + "\n" + "\n".join(new) + "\n", encoding="utf-8")
    print(f"{len(new)} id(s) added to {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
