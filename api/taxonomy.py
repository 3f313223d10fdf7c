"""The reason ids and fact keys the service may return (content/taxonomy.yaml, the contract)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources.abc import Traversable
from typing import Any

from api.yamldoc import parse_yaml


@dataclass(frozen=True)
class ReasonInfo:
    """One taxonomy reason: its category and the example wordings that stand for it."""

    id: str
    category: str
    examples: tuple[str, ...]

    @property
    def provider(self) -> str:
        """Return the provider part of the id (aws, gcp, http, ...)."""
        return self.id.split(".", 1)[0]


@dataclass(frozen=True)
class Taxonomy:
    """All reasons and fact keys, in file order."""

    reasons: dict[str, ReasonInfo]
    facts: dict[str, str]
    categories: tuple[str, ...]
    derived: dict[str, str]  # values computed from facts, usable in command templates only

    @property
    def placeholder_keys(self) -> frozenset[str]:
        """Return every name a command template may use: fact keys and derived keys."""
        return frozenset(self.facts) | frozenset(self.derived)


def load_taxonomy(path: Traversable) -> Taxonomy:
    """Read and check taxonomy.yaml."""
    raw: Any = parse_yaml(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: not a mapping")
    categories = tuple(raw["categories"])
    reasons: dict[str, ReasonInfo] = {}
    for reason_id, body in raw["reasons"].items():
        if body["category"] not in categories:
            raise ValueError(f"{path}: {reason_id} has unknown category {body['category']!r}")
        reasons[reason_id] = ReasonInfo(reason_id, body["category"], tuple(body.get("examples", ())))
    facts = {str(key): str(text) for key, text in raw["facts"].items()}
    derived = {str(key): str(text) for key, text in (raw.get("derived") or {}).items()}
    return Taxonomy(reasons=reasons, facts=facts, categories=categories, derived=derived)
