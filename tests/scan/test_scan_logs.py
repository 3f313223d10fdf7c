"""whydenied scan on real CloudTrail and GCP audit logs, CSV exports, text logs and large generated logs.

The fixtures are real records from public repositories (tests/scan/fixtures/SOURCES.md); the large
logs are built from them with counts known by construction (tests/scan/synthetic.py).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from adapters.registry import diagnose
from api.catalog import Catalog
from api.scan import engine
from api.scan.engine import Window, scan_files, scan_stream
from api.scan.groups import resource_pattern
from api.scan.records import denial_in, parse_time
from api.scan.report import build_report, render_markdown, render_table
from tests.scan.synthetic import DENIAL_NAMES, write_cloudtrail

FIXTURES = Path(__file__).parent / "fixtures"
TRAIL = FIXTURES / "cloudtrail_traildiscover.json.gz"
PANTHER = FIXTURES / "cloudtrail_panther.jsonl"
GCP = FIXTURES / "gcp_audit_panther.json"
ROOT = Path(__file__).parents[2]


def _records(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            records: list[dict[str, Any]] = json.load(handle)["Records"]
            return records
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    loaded: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def _scan(path: Path, **kwargs: Any) -> engine.PartResult:
    with path.open("rb") as handle:
        return scan_stream(handle, path.name, **kwargs)


def _cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", "scan", *args], input=stdin, capture_output=True, cwd=ROOT, timeout=300
    )


# --- real logs -------------------------------------------------------------------------------------


def test_scan_cloudtrail_gz_records_file_counts_every_access_failure_and_nothing_else() -> None:
    # TrailDiscover's 563 records: 326 AccessDenied, 85 Client.UnauthorizedOperation and 2
    # UnauthorizedException are access failures; NoSuchBucket, InvalidParameterValue, ... are not.
    part = _scan(TRAIL)
    assert (part.stats.format, part.stats.records, part.stats.unreadable) == ("json", 563, 0)
    codes = Counter(r.get("errorCode") for r in _records(TRAIL))
    assert codes["AccessDenied"] + codes["Client.UnauthorizedOperation"] + codes["UnauthorizedException"] == 413
    assert part.aggregator.denials == 413
    assert sum(group.count for group in part.aggregator.groups.values()) == 413


def test_scan_cloudtrail_json_lines_counts_the_access_codes() -> None:
    part = _scan(PANTHER)
    assert (part.stats.format, part.stats.records) == ("json-lines", 451)
    access = {"AccessDenied", "Client.UnauthorizedOperation", "UnauthorizedOperation", "VpceAccessDenied",
              "ExpiredToken", "RequestExpired", "CloudTrailInvalidClientTokenIdException"}  # fmt: skip
    expected = sum(1 for r in _records(PANTHER) if r.get("errorCode") in access)
    assert expected == 42
    assert part.aggregator.denials == expected


def test_scan_gcp_audit_array_finds_the_permission_denied_entries() -> None:
    part = _scan(GCP)
    assert (part.stats.format, part.stats.records) == ("json", 154)
    groups = {(g.reason, g.principal, g.action): g.count for g in part.aggregator.groups.values()}
    assert groups == {
        ("gcp.authz.iam_permission_denied", "user@example.com", "storage.objects.delete"): 1,
        ("gcp.authz.iam_permission_denied", "test-no-perms@test-project-123456.iam.gserviceaccount.com",
         "iam.serviceAccounts.create"): 1,
        ("gcp.authz.vpc_service_controls", "user1@serviceaccount.gcp.com", "google.storage.objects.get"): 1,
    }  # fmt: skip


# Facts that differ between records of one group, which the reduced record leaves out: the request id,
# and the identity context of each call (its session's issuer, MFA, key, tags, impersonation chain),
# since a group is one principal, action and resource whatever session made each call.
PER_RECORD = frozenset(
    {
        "request_id", "session_issuer", "mfa_authenticated", "source_identity", "federated_provider", "invoked_by",
        "on_behalf_of", "credential_type", "session_name", "external_id", "session_tags", "service_account_key",
        "impersonation_chain",
    }
)  # fmt: skip


@pytest.mark.parametrize("path", [TRAIL, PANTHER, GCP], ids=lambda p: p.name)
def test_scan_diagnosis_of_each_denial_is_what_diagnose_says_of_the_whole_record(path: Path) -> None:
    # Scan classifies a reduced record (and caches it): the reason and facts must be those of
    # POST /v1/diagnose given the whole record, except the per-record ones.
    compared = 0
    for record in _records(path):
        event = denial_in(record)
        if event is None:
            continue
        reduced = diagnose(dict(event.subject) if not isinstance(event.subject, str) else event.subject)
        whole = diagnose(record)
        assert reduced.reason == whole.reason, record.get("eventName") or record.get("insertId")
        assert {k: v for k, v in reduced.facts.items() if k not in PER_RECORD} == {
            k: v for k, v in whole.facts.items() if k not in PER_RECORD
        }
        compared += 1
    assert compared >= 3


def test_scan_groups_sessions_of_one_role_and_ids_in_resources() -> None:
    assert resource_pattern("arn:aws:s3:::logs-bucket/2026/12/06/app.log") == "arn:aws:s3:::logs-bucket/*"
    assert resource_pattern("arn:aws:ec2:us-east-1:192374575148:instance/i-0a1b2c3d4e5f60718") == (
        "arn:aws:ec2:us-east-1:192374575148:instance/*"
    )
    assert resource_pattern("projects/_/buckets/b/objects/reports/q4.csv") == "projects/_/buckets/b/objects/*"
    assert resource_pattern("projects/my-project/zones/us-central1-a/instances/web-1") == (
        "projects/my-project/zones/us-central1-a/instances/web-1"
    )
    groups = _scan(TRAIL).aggregator.groups.values()
    sso = [g for g in groups if "AWSReservedSSO_ReadOnlyAccess_ff7f8c5c5851db50" in g.principal]
    assert sso and all(g.principal.endswith("/*") for g in sso)
    launch = next(g for g in groups if g.action == "ec2:GetLaunchTemplateData")
    assert (launch.count, launch.resource) == (4, "arn:aws:ec2:us-east-1:192374575148:instance/*")


def test_scan_report_renders_the_first_fix_step_for_the_group(catalog: Catalog) -> None:
    part = _scan(TRAIL)
    report = build_report(part.aggregator, [("trail", part.stats)], catalog, top=3)
    assert report.groups_total == len(part.aggregator.groups) and len(report.groups) == 3
    first = report.groups[0]
    assert first.count == 4 and first.first_seen is not None and first.last_seen is not None
    assert first.first_seen < first.last_seen and first.example_request_id
    entry = catalog.get(first.reason)
    assert entry is not None and first.fix is not None
    assert first.fix.text == entry.entry.fix[0].text.strip()  # type: ignore[union-attr]
    assert first.fix.command and "ec2:GetLaunchTemplateData" in first.fix.command
    assert "'arn:aws:ec2:us-east-1:192374575148:instance/*'" in first.fix.command  # the pattern, shell-quoted
    table = render_table(report)
    assert "4  aws.authz.implicit_deny.identity_policy" in table and "$ jq -n" in table
    markdown = render_markdown(report)
    assert "| 1 | 4 |" in markdown and "```sh" in markdown


def test_scan_since_and_until_keep_the_window() -> None:
    everything = _scan(TRAIL).aggregator.denials
    since = parse_time("2024-08-18T15:00:00Z")
    until = parse_time("2024-08-18T16:00:00Z")
    part = _scan(TRAIL, window=Window(since, until))
    times = [parse_time(r.get("eventTime")) for r in _records(TRAIL) if denial_in(r) is not None]
    assert since is not None and until is not None
    inside = sum(1 for t in times if t is not None and since <= t <= until)
    assert 0 < inside < everything
    assert part.aggregator.denials == inside and part.outside_window == everything - inside


# --- CSV and text ----------------------------------------------------------------------------------

ATHENA_COLUMNS = ("eventversion", "useridentity", "eventtime", "eventsource", "eventname", "awsregion",
                  "sourceipaddress", "useragent", "errorcode", "errormessage", "requestparameters",
                  "responseelements", "additionaleventdata", "requestid", "eventid", "resources", "eventtype",
                  "apiversion", "readonly", "recipientaccountid")  # fmt: skip


def _athena_struct(identity: dict[str, Any]) -> str:
    # Athena prints the CloudTrail table's userIdentity struct as {field=value, ...} in its declared order.
    order = ("type", "principalid", "arn", "accountid", "invokedby", "accesskeyid", "username")
    lower = {key.lower(): value for key, value in identity.items() if not isinstance(value, dict)}
    return "{" + ", ".join(f"{key}={lower.get(key, 'null')}" for key in order) + "}"


def test_scan_athena_csv_export_reads_the_struct_and_counts_like_the_json() -> None:
    records = _records(TRAIL)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(ATHENA_COLUMNS)
    for r in records:
        writer.writerow([r.get("eventVersion"), _athena_struct(r.get("userIdentity") or {}), r.get("eventTime"),
                         r.get("eventSource"), r.get("eventName"), r.get("awsRegion"), r.get("sourceIPAddress"),
                         r.get("userAgent"), r.get("errorCode"), r.get("errorMessage"),
                         json.dumps(r.get("requestParameters")), None, None, r.get("requestID"), r.get("eventID"),
                         None, r.get("eventType"), None, r.get("readOnly"), r.get("recipientAccountId")])  # fmt: skip
    part = scan_stream(io.BytesIO(out.getvalue().encode()), "athena.csv")
    assert (part.stats.format, part.stats.records) == ("csv", 563)
    assert part.aggregator.denials == 413
    principals = {g.principal for g in part.aggregator.groups.values()}
    assert "arn:aws:iam::111111111111:user/TrailDiscover" in principals


def test_scan_cloudtrail_lake_csv_with_dotted_columns() -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["eventTime", "eventSource", "eventName", "errorCode", "errorMessage", "userIdentity.arn"])
    denials = [r for r in _records(TRAIL) if r.get("errorCode") == "AccessDenied"][:20]
    for r in denials:
        writer.writerow([r["eventTime"], r["eventSource"], r["eventName"], r["errorCode"], r.get("errorMessage"),
                         r["userIdentity"].get("arn")])  # fmt: skip
    part = scan_stream(io.BytesIO(out.getvalue().encode()), "lake.csv")
    assert part.stats.format == "csv" and part.aggregator.denials == 20


def _payload(file: str, payload_id: str) -> str:
    data = yaml.safe_load((ROOT / "tests" / "adapters" / file).read_text(encoding="utf-8"))
    text: str = next(p for p in data if p["id"] == payload_id)["input"]["error"]
    return text


def test_scan_text_log_gives_one_diagnosis_per_failure() -> None:
    # Real failure texts (their sources are in the adapter fixtures), between ordinary log lines.
    botocore = _payload("aws/payloads_sdk.yaml", "pacu-botocore-iam-getpolicy-implicit-identity")
    ssm = _payload("aws/payloads_sdk.yaml", "gov1-concourse-ssm-getparameter-no-clause")
    gcloud = _payload("gcp/payloads_cli.yaml", "gcloud-run-deploy-run-services-get-denied")
    lines = ["2026-12-01T08:00:00Z INFO starting worker", f"2026-12-01T08:00:01Z ERROR {botocore}"]
    lines += [f"2026-12-01T08:0{i}:30Z ERROR {ssm}" for i in range(2, 5)]
    lines += ["2026-12-01T08:06:00Z INFO retrying in 5s", f"2026-12-01T08:07:00Z {gcloud}", "done"]
    part = scan_stream(io.BytesIO("\n".join(lines).encode()), "app.log")
    assert part.stats.format == "text"
    counts = sorted((g.reason, g.count) for g in part.aggregator.groups.values())
    assert counts == [
        ("aws.authz.implicit_deny.identity_policy", 1),
        ("aws.authz.unspecified", 3),
        ("gcp.authz.iam_permission_denied", 1),
    ]
    ssm_group = next(g for g in part.aggregator.groups.values() if g.reason == "aws.authz.unspecified")
    assert (ssm_group.first_seen, ssm_group.last_seen) == (
        parse_time("2026-12-01T08:02:30Z"),
        parse_time("2026-12-01T08:04:30Z"),
    )


# --- large generated logs --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("form", "compress"), [("jsonl", False), ("records", False), ("records", True)], ids=["jsonl", "records", "gz"]
)
def test_scan_large_generated_log_counts_are_exact(tmp_path: Path, form: Any, compress: bool) -> None:
    path = tmp_path / ("log.json.gz" if compress else "log.json")
    expected = write_cloudtrail(path, 20_000, form=form, compress=compress)
    part = _scan(path)
    assert part.stats.records == 20_000
    # Counted by the API operation each group's records named (s3:ListBuckets is denied as s3:ListAllMyBuckets).
    by_operation: Counter[str] = Counter()
    for group in part.aggregator.groups.values():
        by_operation[str(group.facts["operation"])] += group.count
    assert dict(by_operation) == dict(expected)
    assert set(expected) == set(DENIAL_NAMES)


def test_scan_jobs_split_a_large_json_lines_file_and_add_up_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.jsonl"
    write_cloudtrail(path, 6_000)
    monkeypatch.setattr(engine, "SPLIT_BYTES", 1024 * 1024)  # ~7 MB: cut into ranges of 1-2 MB
    assert len(engine.plan([str(path)], jobs=2)) > 2
    one = scan_files([str(path)], jobs=1)
    two = scan_files([str(path)], jobs=2)
    assert two.sources[0][1].records == one.sources[0][1].records == 6_000
    summary = {k: (g.count, g.first_seen, g.last_seen) for k, g in one.aggregator.groups.items()}
    assert {k: (g.count, g.first_seen, g.last_seen) for k, g in two.aggregator.groups.items()} == summary


_PEAK = "import resource, sys; from api.cli import main; main(sys.argv[1:]); print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)"


def _peak_kb(path: Path) -> int:
    done = subprocess.run(
        [sys.executable, "-c", _PEAK, "scan", str(path), "--json"], capture_output=True, cwd=ROOT, timeout=600
    )
    assert done.returncode == 0, done.stderr
    return int(done.stderr.decode().strip().splitlines()[-1])


def test_scan_memory_stays_flat_when_the_file_doubles(tmp_path: Path) -> None:
    small, large = tmp_path / "small.json", tmp_path / "large.json"
    write_cloudtrail(small, 25_000, form="records")
    write_cloudtrail(large, 50_000, form="records")
    grown_mb = (large.stat().st_size - small.stat().st_size) / 1e6
    assert grown_mb > 25
    small_kb, large_kb = _peak_kb(small), _peak_kb(large)
    # Reading the file whole would add its size (and several times that, parsed); streaming adds nothing.
    assert large_kb - small_kb < 8 * 1024, (small_kb, large_kb, grown_mb)


# --- the command: stdin, errors, secrets -----------------------------------------------------------


def test_scan_cli_reads_gzip_from_stdin() -> None:
    done = _cli("-", "--json", stdin=TRAIL.read_bytes())
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["denials"] == 413 and report["sources"][0]["name"] == "<stdin>"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x00\x01\x02binary\x00", "a binary file"),
        (TRAIL.read_bytes()[:50_000], "gzip data is damaged or cut short"),
        (b'{"Records": [{"eventName": "GetObject", "errorCode": "AccessDenied"}, {"eventName": ', "cut short"),
        (b'[{"a": 1} {"b": 2}]', "expected , or ] between records"),
    ],
    ids=["binary", "truncated-gzip", "truncated-json", "bad-json"],
)
def test_scan_cli_says_why_input_is_not_a_log(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "input.log"
    path.write_bytes(content)
    done = _cli(str(path))
    assert done.returncode == 2
    assert message in done.stderr.decode() and str(path) in done.stderr.decode()


def test_scan_cli_missing_file_is_a_usage_error() -> None:
    done = _cli("/nonexistent/trail.json")
    assert done.returncode == 2 and b"No such file" in done.stderr


SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ3aHlkZW5pZWQtdGVzdCJ9.c2lnbmF0dXJlLW9mLXRoZS10b2tlbi1oZXJl"


def test_scan_never_prints_a_secret_from_a_record(tmp_path: Path) -> None:
    record = next(r for r in _records(TRAIL) if r.get("eventName") == "GetLaunchTemplateData")
    leaky = {
        **record,
        "errorMessage": f"{record['errorMessage']} aws_secret_access_key={SECRET_KEY}",
        "requestID": f"Bearer {JWT}",
        "userIdentity": {**record["userIdentity"], "arn": f"arn:aws:iam::111111111111:user/x?token={JWT}"},
    }
    path = tmp_path / "leaky.jsonl"
    path.write_text(json.dumps(leaky) + "\n" + f"2026-12-01T00:00:00Z ERROR AccessDenied Authorization: Bearer {JWT}\n")
    for form in ("--json", "--markdown", None):
        done = _cli(str(path), *([form] if form else []))
        assert done.returncode == 0, done.stderr
        out = done.stdout.decode()
        assert "GetLaunchTemplateData" in out
        assert SECRET_KEY not in out and JWT not in out and "eyJzdWIi" not in out, form


def test_scan_cli_rejects_a_time_that_is_not_iso() -> None:
    done = _cli(str(GCP), "--since", "yesterday")
    assert done.returncode == 2 and b"not an ISO time: 'yesterday'" in done.stderr


def test_scan_cli_markdown_and_top(tmp_path: Path) -> None:
    done = _cli(str(TRAIL), "--markdown", "--top", "2")
    assert done.returncode == 0, done.stderr
    out = done.stdout.decode()
    assert out.startswith("# Access denials") and "## 1. " in out and "## 2. " in out and "## 3. " not in out


def test_scan_reads_every_json_shape_the_same(tmp_path: Path) -> None:
    # One pretty-printed record per file (the console's "download event"), GCP entries as JSON lines
    # (an exported sink), and the same entries as a pretty-printed array: each read whole.
    record = next(r for r in _records(TRAIL) if r.get("eventName") == "GetLaunchTemplateData")
    single = tmp_path / "event.json"
    single.write_text(json.dumps(record, indent=4))
    part = _scan(single)
    assert (part.stats.format, part.stats.records, part.aggregator.denials) == ("json", 1, 1)
    entries = _records(GCP)
    lines = tmp_path / "sink.jsonl"
    lines.write_text("".join(json.dumps(e) + "\n" for e in entries))
    as_lines = _scan(lines)
    assert (as_lines.stats.format, as_lines.stats.records) == ("json-lines", 154)
    as_array = _scan(GCP)
    assert {k: g.count for k, g in as_lines.aggregator.groups.items()} == {
        k: g.count for k, g in as_array.aggregator.groups.items()
    }


@pytest.mark.parametrize("indent", [None, 2], ids=["compact", "pretty"])
def test_scan_records_larger_than_the_read_buffer_are_read_whole_and_counted_once(
    tmp_path: Path, indent: int | None
) -> None:
    # Real records, with every 40th padded past the reader's 1 MiB chunk (a huge requestParameters,
    # as a CloudFormation template or a policy document gives): a record cut at a buffer's end is
    # read again whole, never skipped or counted twice, whether the denial is big or small.
    records = _records(TRAIL)
    padded = [
        {**record, "requestParameters": {"template": "x" * (1_100_000 + n)}} if n % 40 == 0 else record
        for n, record in enumerate(records)
    ]
    path = tmp_path / "big.json.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        json.dump({"Records": padded}, handle, indent=indent, separators=None if indent else (",", ":"))
    plain = _scan(TRAIL)
    part = _scan(path)
    assert part.stats.records == len(records) == plain.stats.records
    assert part.stats.unreadable == 0
    assert part.aggregator.denials == plain.aggregator.denials > 0
    assert {k: g.count for k, g in part.aggregator.groups.items()} == {
        k: g.count for k, g in plain.aggregator.groups.items()
    }
