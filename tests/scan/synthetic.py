"""Write large CloudTrail logs made of real records, with denial counts known by construction.

Successes are the real success records of the panther-analysis fixture, denials five real denials of
the TrailDiscover fixture (tests/scan/fixtures/SOURCES.md); each copy gets its own time, request id
and event id. Record i is a denial when i % every == 0, of template (i // every) % len(DENIALS):
so the expected count of each group is arithmetic, not read back from the scanner. Used by the tests
(tens of thousands of records) and bench/run.py (up to a gigabyte).
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any, Final, Literal

FIXTURES: Final = Path(__file__).parent / "fixtures"
START: Final = datetime(2026, 11, 1, tzinfo=UTC)
# (eventName, errorCode) of the five TrailDiscover denials copied: distinct principal/action pairs
DENIAL_NAMES: Final = ("GetLaunchTemplateData", "CreateApiKey", "CreateKeyPair", "AssumeRole", "ListBuckets")


def _templates() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    with gzip.open(FIXTURES / "cloudtrail_traildiscover.json.gz", "rt", encoding="utf-8") as handle:
        trail = json.load(handle)["Records"]
    denials = []
    for name in DENIAL_NAMES:
        denials.append(next(r for r in trail if r.get("eventName") == name and r.get("errorCode")))
    with (FIXTURES / "cloudtrail_panther.jsonl").open(encoding="utf-8") as handle:
        successes = [r for line in handle if "errorCode" not in (r := json.loads(line))]
    return denials, successes


def write_cloudtrail(
    path: Path,
    records: int,
    every: int = 33,
    form: Literal["jsonl", "records"] = "jsonl",
    compress: bool = False,
) -> Counter[str]:
    """Write the log; return how many denials of each template (by eventName) it holds."""
    denials, successes = _templates()
    expected: Counter[str] = Counter()
    opener = gzip.open if compress else open
    with opener(path, "wt", encoding="utf-8") as out:
        handle: IO[str] = out
        if form == "records":
            handle.write('{"Records":[')
        for i in range(records):
            if i % every == 0:
                template = denials[(i // every) % len(denials)]
                expected[str(template["eventName"])] += 1
            else:
                template = successes[i % len(successes)]
            record = dict(template)
            record["eventTime"] = (START + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
            record["requestID"] = f"REQ{i:012d}"
            record["eventID"] = f"00000000-0000-4000-8000-{i:012d}"
            line = json.dumps(record, separators=(",", ":"))
            if form == "records":
                handle.write(("," if i else "") + line)
            else:
                handle.write(line + "\n")
        if form == "records":
            handle.write("]}")
    return expected
