"""Score diagnoses against labels: reason, category and fact accuracy per provider and split."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Tally:
    """Hits over a group of items."""

    items: int = 0
    reason: int = 0
    category: int = 0
    facts_total: int = 0
    facts_hit: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, item: dict[str, Any], body: dict[str, Any]) -> None:
        """Count one diagnosed item."""
        expect = item["expect"]
        self.items += 1
        reason_ok = body.get("reason") == expect["reason"] and body.get("provider") == expect["provider"]
        self.reason += reason_ok
        self.category += body.get("category") == expect["category"]
        for key, value in (expect.get("facts") or {}).items():
            self.facts_total += 1
            self.facts_hit += (body.get("facts") or {}).get(key) == value
        if not reason_ok:
            self.misses.append(
                f"{item['id']}: want {expect['provider']}/{expect['reason']}, got {body.get('provider')}/{body.get('reason')}"
            )

    def rates(self) -> dict[str, float]:
        """Return reason and category accuracy and fact recall (1.0 over nothing)."""
        count = max(self.items, 1)
        return {
            "reason": self.reason / count,
            "category": self.category / count,
            "facts": self.facts_hit / self.facts_total if self.facts_total else 1.0,
        }


def group_of(item: dict[str, Any]) -> str:
    """Return the report row of an item: its expected provider, or `none` for non-access payloads."""
    if item["expect"]["reason"] is None:
        return "not access"
    return str(item["expect"]["provider"])


def tally(
    items: Iterable[dict[str, Any]], diagnose: Callable[[dict[str, Any]], dict[str, Any]]
) -> dict[tuple[str, str], Tally]:
    """Diagnose every item; return tallies keyed by (split, group), with `all` rows added."""
    tallies: dict[tuple[str, str], Tally] = defaultdict(Tally)
    for item in items:
        body = diagnose(item)
        for key in ((item["split"], group_of(item)), (item["split"], "all")):
            tallies[key].add(item, body)
    return dict(tallies)
