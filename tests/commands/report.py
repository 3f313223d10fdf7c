"""Print the issue's numbers for the current commands: `python -m tests.commands.report`.

Renders every command for every fixture payload, runs every check (the real aws and gcloud CLIs,
shellcheck, the semantic checks) and prints one line per measure with its threshold, the entries
that fail it most, and a few failing commands. Options: --no-cli (skip the CLIs, ~10 s instead of
~1 min), --examples N (failing commands shown per measure, default 3), --json (the counts as JSON).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter

from tests.commands import checks, clis


def main(argv: list[str] | None = None) -> int:
    """Run the checks and print the report; exit 0 (the numbers are the output, not a verdict)."""
    parser = argparse.ArgumentParser(prog="python -m tests.commands.report", description=__doc__)
    parser.add_argument("--no-cli", action="store_true", help="skip the aws and gcloud checks")
    parser.add_argument("--examples", type=int, default=3, help="failing commands shown per measure")
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")
    args = parser.parse_args(argv)
    outcome = checks.run(cli=not args.no_cli)
    counts = {m.name: checks.measure(outcome, m.name) for m in checks.MEASURES}
    if args.json:
        print(json.dumps(_as_json(outcome, counts), indent=2))
        return 0
    rendered = outcome.rendered
    sources = {item.source for item in rendered}
    print(f"commands rendered: {len(rendered)} ({len({i.command for i in rendered})} distinct), "
          f"from {len(sources)} payloads with guidance commands")  # fmt: skip
    for name, reason in outcome.skipped.items():
        print(f"  not checked: {name}: {reason}")
    print()
    print(f"{'measure':<58} {'commands':>8} {'share':>7} {'distinct':>8}  limit   ok")
    for count in counts.values():
        needs = count.measure.needs
        if needs and needs in outcome.skipped:
            print(f"{count.measure.label:<58} {'-':>8} {'':>7} {'':>8}  (not checked)")
            continue
        limit = f"{count.measure.limit:.0%}" if count.measure.fraction else "0"
        print(f"{count.measure.label:<58} {count.failing:>8} {count.share:>7.1%} {count.distinct:>8}  "
              f"{limit:<6}  {'yes' if count.passes else 'NO'}")  # fmt: skip
    if outcome.shellcheck is not None:
        advice = Counter(f.label for fs in outcome.shellcheck.values() for f in fs if not f.gated)
        print("shellcheck advice (info, style; not gated), distinct blocks: "
              + (", ".join(f"{label} {n}" for label, n in advice.most_common(8)) or "none"))  # fmt: skip
    if outcome.cli is not None:
        print()
        _cli_summary(outcome)
    print()
    print("seconds: " + ", ".join(f"{name} {value:.1f}" for name, value in outcome.seconds.items()))
    for name, count in counts.items():
        if count.failing == 0 or (count.measure.needs and count.measure.needs in outcome.skipped):
            continue
        print(f"\n== {count.measure.label}: {count.failing}")
        print("   top entries: " + ", ".join(f"{entry} {n}" for entry, n in count.entries.most_common(6)))
        for item, reason in checks.examples(outcome, name, args.examples):
            first = item.command.splitlines()[0]
            more = " ..." if len(first) > 160 or len(item.command) > len(first) else ""
            print(f"   - {item.where} [{item.source}]")
            print(f"     $ {first[:160]}{more}")
            print(f"     {reason[:300]}")
    return 0


def _cli_summary(outcome: checks.Outcome) -> None:
    results = outcome.cli or {}
    by_tool: dict[str, Counter[str]] = {}
    for _command, call in clis.verdicts(results):
        by_tool.setdefault(call.tool, Counter())[call.verdict] += 1
    for tool, verdicts in sorted(by_tool.items()):
        print(f"{tool} calls: " + ", ".join(f"{v} {n}" for v, n in verdicts.most_common()))
    unreached = sum(1 for r in results.values() if r.unreached)
    timed_out = sum(1 for r in results.values() if r.timed_out)
    print(f"blocks run: {len(results)}; with a CLI never reached: {unreached}; timed out: {timed_out}")
    unknown = [(c, call) for c, call in clis.verdicts(results) if call.verdict == "unknown"]
    for _command, call in unknown[:5]:
        print(f"  unknown: {' '.join(call.argv[:4])} -> exit {call.code}: {call.why[:160]}")


def _as_json(outcome: checks.Outcome, counts: dict[str, checks.Count]) -> dict[str, object]:
    return {
        "rendered": len(outcome.rendered),
        "distinct": len({item.command for item in outcome.rendered}),
        "skipped": outcome.skipped,
        "seconds": {name: round(value, 1) for name, value in outcome.seconds.items()},
        "measures": {
            name: {
                "failing": count.failing,
                "share": round(count.share, 4),
                "distinct": count.distinct,
                "passes": count.passes,
                "top_entries": dict(count.entries.most_common(6)),
            }
            for name, count in counts.items()
        },
    }


if __name__ == "__main__":
    sys.exit(main())
