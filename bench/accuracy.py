"""Recognition accuracy: the fixture figure (pastes the grammars were written from) next to the held-out one.

    .venv/bin/python bench/accuracy.py          print both tables and append them to bench/RESULTS.md

Fixtures: tests/adapters/*/payloads*.yaml. Corpus: tests/corpus/<provider>/*.yaml, split by source
(tests/corpus/split.py): dev sources may be tuned on, held-out sources are only measured. A grammar
tuned to its own cases scores 1.0 on them and says nothing; the held-out row is the one to read.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.corpus.load import load_corpus  # noqa: E402 - after the path is set
from tests.corpus.report import diagnose_in_process, table  # noqa: E402
from tests.corpus.scoring import tally  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS.md"
TARGETS = "held-out targets (issue 14): reason ≥ 0.93, category ≥ 0.97, GCP reason ≥ 0.90"


def fixtures() -> list[dict[str, Any]]:
    """Every payload-table item, marked as the `fixtures` split."""
    import yaml

    items = []
    for path in sorted(ROOT.glob("tests/adapters/*/payloads*.yaml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            items.append({**item, "split": "fixtures"})
    return items


def main() -> None:
    """Score fixtures and corpus with one app; print and record the table."""
    run = diagnose_in_process()
    rows = tally([*fixtures(), *load_corpus()], run)
    text = f"## Accuracy {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC\n\n{TARGETS}\n\n{table(rows)}\n\n"
    print(text)
    with RESULTS.open("a", encoding="utf-8") as handle:
        handle.write(text)


if __name__ == "__main__":
    main()
