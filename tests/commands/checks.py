"""All checks over the whole corpus, and the issue's numbers from them (used by the tests and the report).

`run()` renders every command (corpus), then: the semantic checks on every rendered command,
shellcheck on every distinct block, and the real CLIs on every distinct block that calls one. The
expensive two run once per distinct command; their verdicts count for every place it was rendered.
`measure()` turns an outcome into the counts the issue's "Done when" lists.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from api.catalog import load_catalog
from tests.commands import clis, semantic, shellcheck
from tests.commands.corpus import Rendered, corpus, unique_commands


@dataclass
class Outcome:
    """Every finding of one run."""

    rendered: tuple[Rendered, ...]
    keys: frozenset[str]
    problems: list[list[semantic.Problem]]  # parallel to `rendered`
    shellcheck: dict[str, list[shellcheck.Finding]] | None  # None: shellcheck not installed
    cli: dict[str, clis.BlockResult] | None  # None: not run
    skipped: dict[str, str] = field(default_factory=dict)  # check -> why it did not run
    seconds: dict[str, float] = field(default_factory=dict)


def run(cli: bool = True, lint: bool = True) -> Outcome:
    """Render everything and run every available check."""
    started = time.monotonic()
    rendered = corpus()
    keys = load_catalog(check=False).taxonomy.placeholder_keys
    distinct = unique_commands(rendered)
    seconds = {"render": time.monotonic() - started}
    started = time.monotonic()
    shared = semantic.shared_policy_names(rendered)
    problems = [semantic.check(item, keys, shared) for item in rendered]
    seconds["semantic"] = time.monotonic() - started
    skipped: dict[str, str] = {}
    findings = None
    if lint and shellcheck.available():
        started = time.monotonic()
        findings = shellcheck.check(distinct)
        seconds["shellcheck"] = time.monotonic() - started
    elif lint:
        skipped["shellcheck"] = "shellcheck is not installed (Debian package shellcheck; .ci/run installs it)"
    results = None
    if not cli:
        skipped.update({tool: "not run (cli=False)" for tool in ("aws", "gcloud", "kubectl", "az")})
    else:
        for tool in ("aws", "gcloud", "kubectl", "az"):
            if reason := clis.missing_reason(tool):
                skipped[tool] = reason
        started = time.monotonic()
        # one run per distinct command; the provider and pasted values of its first rendering
        blocks = [(command, items[0].entry, semantic.pasted_values(items[0])) for command, items in distinct.items()]
        results = clis.check_blocks(blocks)
        seconds["cli"] = time.monotonic() - started
    return Outcome(rendered, keys, problems, findings, results, skipped, seconds)


# The measures, each a predicate on one rendered command. Thresholds: 0, but `unfilled`.
Predicate = Callable[[Outcome, int], bool]


def _problem(*names: str) -> Predicate:
    return lambda outcome, index: any(p.check in names for p in outcome.problems[index])


def _refused(tool: str) -> Predicate:
    def refused(outcome: Outcome, index: int) -> bool:
        result = (outcome.cli or {}).get(outcome.rendered[index].command)
        return result is not None and any(c.tool == tool and c.verdict == "refused" for c in result.calls)

    return refused


def _shellcheck(outcome: Outcome, index: int) -> bool:
    return any(f.gated for f in (outcome.shellcheck or {}).get(outcome.rendered[index].command, ()))


def _unfilled(outcome: Outcome, index: int) -> bool:
    return semantic.unfilled(outcome.rendered[index], outcome.keys)


@dataclass(frozen=True)
class Measure:
    """One number of the issue's "Done when", and its threshold (a fraction for `unfilled`)."""

    name: str
    label: str
    predicate: Predicate
    limit: float  # at most this many commands (or this fraction, when `fraction`)
    fraction: bool = False
    needs: str | None = None  # the check it rests on: shellcheck, aws, gcloud


MEASURES: Final = (
    Measure("unfilled", "commands with any unfilled value", _unfilled, 0.15, fraction=True),
    Measure("refused_aws", "commands the aws CLI refuses", _refused("aws"), 0, needs="aws"),
    Measure("refused_gcloud", "commands gcloud refuses", _refused("gcloud"), 0, needs="gcloud"),
    Measure("refused_kubectl", "commands kubectl refuses", _refused("kubectl"), 0, needs="kubectl"),
    Measure("refused_az", "commands az refuses", _refused("az"), 0, needs="az"),
    Measure("shellcheck", "commands with shellcheck errors or warnings", _shellcheck, 0, needs="shellcheck"),
    Measure("service", "service mismatches", _problem("service"), 0),
    Measure(
        "credential", "credentials in argv or to a foreign host", _problem("credential_argv", "credential_host"), 0
    ),
    Measure("known_placeholder", "placeholders for a stated or derivable fact", _problem("known_placeholder"), 0),
    Measure("placeholder", "commands with a <placeholder> (a redirect when pasted)", _problem("placeholder"), 0),
    Measure("unsafe", "unsafe whole-policy writes, shared inline policy names", _problem("unsafe"), 0),
    Measure("principal", "commands for the wrong kind of principal", _problem("principal"), 0),
    Measure("gcp_role", "GCP grants of a role lacking the permission, or IAM-admin", _problem("gcp_role"), 0),
    Measure(
        "kubernetes_rule",
        "Kubernetes rules or checks for another verb or resource than the denied one",
        _problem("kubernetes_rule"),
        0,
    ),
    Measure("unmarked_change", "state changes in a step not marked changes: true", _problem("unmarked_change"), 0),
)
BY_NAME: Final = {measure.name: measure for measure in MEASURES}


@dataclass(frozen=True)
class Count:
    """How many rendered commands (and distinct ones) fail a measure, and the entries they come from."""

    measure: Measure
    failing: int
    total: int
    distinct: int
    entries: Counter[str]

    @property
    def share(self) -> float:
        """The failing fraction of all rendered commands."""
        return self.failing / self.total if self.total else 0.0

    @property
    def passes(self) -> bool:
        """Tell whether the measure meets its threshold."""
        return self.share <= self.measure.limit if self.measure.fraction else self.failing <= self.measure.limit


def measure(outcome: Outcome, name: str) -> Count:
    """Count one measure over the outcome."""
    chosen = BY_NAME[name]
    failing = [i for i in range(len(outcome.rendered)) if chosen.predicate(outcome, i)]
    entries = Counter(outcome.rendered[i].entry for i in failing)
    distinct = len({outcome.rendered[i].command for i in failing})
    return Count(chosen, len(failing), len(outcome.rendered), distinct, entries)


def examples(outcome: Outcome, name: str, limit: int = 5) -> list[tuple[Rendered, str]]:
    """Return up to `limit` distinct failing commands with what is wrong, for messages and the report."""
    chosen = BY_NAME[name]
    found: list[tuple[Rendered, str]] = []
    seen: set[str] = set()
    for index, item in enumerate(outcome.rendered):
        if item.command in seen or not chosen.predicate(outcome, index):
            continue
        seen.add(item.command)
        found.append((item, why(outcome, index, name)))
        if len(found) >= limit:
            break
    return found


def why(outcome: Outcome, index: int, name: str) -> str:
    """Say what a measure found in one rendered command."""
    command = outcome.rendered[index].command
    if name.startswith("refused_"):
        result = (outcome.cli or {}).get(command)
        calls = [c for c in (result.calls if result else ()) if c.verdict == "refused"]
        return "; ".join(f"{' '.join(c.argv[:3])}: {c.why}" for c in calls[:2])
    if name == "shellcheck":
        gated = [f for f in (outcome.shellcheck or {}).get(command, []) if f.gated]
        return "; ".join(f"{f.label} line {f.line}: {f.message}" for f in gated[:3])
    if name == "unfilled":
        return "values to fill in: " + ", ".join(outcome.rendered[index].missing or ("see command",))
    checks = {"credential": ("credential_argv", "credential_host")}.get(name, (name,))
    return "; ".join(p.detail for p in outcome.problems[index] if p.check in checks)
