"""The `whydenied` command. Imports lazily: each subcommand pulls in only what it uses.

whydenied serve [--host H] [--port P]     run the service (uvicorn)
whydenied diagnose [FILE]                  diagnose a pasted error from FILE or stdin (JSON out)
whydenied content lint                     check content/ (exit 1 on any problem)
whydenied content schema                   regenerate content/schema.json
whydenied content publish                  add new entry ids to content/published.txt
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    status: int = handler(args)
    return status


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="whydenied", description="Explain access failures.")
    commands = parser.add_subparsers(title="commands")

    serve = commands.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host", default=None, help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port (default 8000)")
    serve.set_defaults(handler=_serve)

    diagnose = commands.add_parser("diagnose", help="diagnose an error read from a file or stdin")
    diagnose.add_argument("file", nargs="?", default="-", help="file with the error text (default: stdin)")
    diagnose.add_argument("--status", type=int, default=None, help="the HTTP status, if known")
    diagnose.add_argument("--provider", default=None, help="a provider hint: aws, gcp, http, ...")
    diagnose.set_defaults(handler=_diagnose)

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


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.main import create_app
    from api.settings import get_settings

    settings = get_settings()
    uvicorn.run(
        create_app(settings),
        host=args.host or settings.host,
        port=args.port or settings.port,
        access_log=False,
    )
    return 0


def _diagnose(args: argparse.Namespace) -> int:
    import json

    from api.catalog import load_catalog
    from api.schemas import DiagnoseRequest
    from api.services.diagnosis import diagnose_request
    from api.services.least_privilege import load_iam_index

    text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    request = DiagnoseRequest(error=text, status_code=args.status, provider=args.provider)
    response = diagnose_request(request, load_catalog(), load_iam_index())
    print(json.dumps(response.model_dump(mode="json"), indent=2, ensure_ascii=False))
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
