"""`whydenied scan FILE... [-]`: the denials in whole logs, grouped, each group with its fix.

Registered by api/cli.py; imports nothing heavy until it runs (the CLI starts fast).
Exit status: 0 read fine (denials or none), 2 usage or input error.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime


def add_scan_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `scan` subcommand."""
    scan = commands.add_parser(
        "scan",
        help="group the access denials in whole logs (CloudTrail, GCP audit logs, text) with the fix for each",
        description="Read CloudTrail (JSON, .json.gz, JSON lines, Lake/Athena CSV), GCP audit logs (JSON or JSON "
        "lines) and text logs; group the denials by principal, action, resource and reason.",
        epilog="examples:\n"
        "  whydenied scan AWSLogs/123456789012/CloudTrail/us-east-1/2026/12/06/*.json.gz --top 10\n"
        "  gcloud logging read 'protoPayload.status.code=7' --format=json | whydenied scan -\n"
        "  whydenied scan app.log --since 2026-12-01 --markdown > denials.md",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    scan.add_argument("files", nargs="*", default=["-"], metavar="FILE", help="log files, or - for stdin (default)")
    output = scan.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the groups as JSON (the POST /v1/scan answer)")
    output.add_argument("--markdown", action="store_true", help="print the groups as Markdown (for a ticket)")
    scan.add_argument("--since", type=_time, default=None, metavar="TIME", help="ISO time: skip denials before it")
    scan.add_argument("--until", type=_time, default=None, metavar="TIME", help="ISO time: skip denials after it")
    scan.add_argument("--top", type=_positive, default=None, metavar="N", help="show only the N largest groups")
    # Every core by default: CloudTrail delivers many small files, and decoding JSON is the cost (one core
    # reads ~70-90k records a second of a Records file; bench/RESULTS.md). One file, or stdin, stays in-process.
    scan.add_argument(
        "--jobs", type=int, default=0, metavar="N", help="worker processes (default 0: every core; 1: this process)"
    )
    scan.set_defaults(handler=run_scan)


def _time(value: str) -> datetime:
    from datetime import UTC, datetime  # only when a time is given: `explain` starts without it

    try:
        when = datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"not an ISO time: {value!r} (e.g. 2026-12-01 or 2026-12-01T08:00:00Z)"
        ) from exc
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"not a positive number: {value!r}")
    return int(value)


def run_scan(args: argparse.Namespace) -> int:
    """Scan the files and print the report."""
    from api.catalog_snapshot import load_catalog_snapshot
    from api.scan.engine import Window, default_jobs, scan_files
    from api.scan.readers import ScanError
    from api.scan.report import build_report, render_markdown, render_table

    if args.files.count("-") > 1:
        print("whydenied: stdin (-) can be read only once", file=sys.stderr)
        return 2
    if "-" in args.files and sys.stdin.isatty():
        print("whydenied: pipe a log in (… | whydenied scan -), or name files: whydenied scan FILE...", file=sys.stderr)
        return 2
    window = Window(args.since, args.until) if args.since or args.until else None
    try:
        result = scan_files(args.files, window, jobs=default_jobs(args.jobs), show_progress=sys.stderr.isatty())
    except ScanError as exc:
        print(f"whydenied: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"whydenied: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    report = build_report(result.aggregator, result.sources, load_catalog_snapshot(), args.top, result.outside_window)
    if args.json:
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
    elif args.markdown:
        sys.stdout.write(render_markdown(report))
    else:
        sys.stdout.write(render_table(report))
    return 0
