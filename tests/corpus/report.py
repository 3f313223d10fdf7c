"""Print the corpus figures: reason, category and fact accuracy per provider, dev and held-out.

    python -m tests.corpus.report            # the table (Markdown)
    python -m tests.corpus.report --misses   # also list the dev misses (held-out misses stay unlisted)

Held-out misses are not printed on purpose: reading them turns held-out sources into dev sources.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from tests.corpus.load import load_corpus
from tests.corpus.scoring import Tally, tally
from tests.corpus.split import SALT


def diagnose_in_process() -> Any:
    """Return a function that sends an item through the real app (no history, SQLite in memory)."""
    from fastapi.testclient import TestClient

    from api.main import create_app
    from api.settings import Settings

    client = TestClient(create_app(Settings(database_url="sqlite://")))
    client.__enter__()

    def run(item: dict[str, Any]) -> dict[str, Any]:
        response = client.post("/v1/diagnose", json=item["input"])
        if response.status_code != 200:
            return {"provider": None, "reason": f"HTTP {response.status_code}", "category": None, "facts": {}}
        body: dict[str, Any] = response.json()
        return body

    return run


def table(tallies: dict[tuple[str, str], Tally]) -> str:
    """Return the figures as a Markdown table."""
    lines = [
        f"Corpus split salt `{SALT}` (one source in three held out).",
        "",
        "| split | group | pastes | reason | category | facts |",
        "|---|---|---|---|---|---|",
    ]
    for (split, group), counts in sorted(tallies.items(), key=lambda kv: (kv[0][0], kv[0][1] == "all", kv[0][1])):
        rates = counts.rates()
        lines.append(
            f"| {split} | {group} | {counts.items} | {rates['reason']:.2f} | {rates['category']:.2f} | {rates['facts']:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    """Score the corpus and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--misses", action="store_true", help="list the dev misses")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    tallies = tally(load_corpus(), diagnose_in_process())
    if args.json:
        print(
            json.dumps(
                {f"{split}/{group}": {"pastes": t.items, **t.rates()} for (split, group), t in tallies.items()},
                indent=2,
            )
        )
        return
    print(table(tallies))
    if args.misses:
        for (split, group), counts in sorted(tallies.items()):
            if split == "dev" and group != "all":
                for miss in counts.misses:
                    print(f"- {miss}")


if __name__ == "__main__":
    main()
