"""The values every adapter shares: the normalised Payload in, the Diagnosis out.

    raw request ─► normalize.normalize() ─► Payload
                      ─► registry.diagnose(): ADAPTERS in order; the first parse() that
                         returns a Diagnosis wins (http last) ─► Diagnosis

Adapters are pure functions of a Payload: no I/O, no web, database or cloud-SDK imports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final, Literal, Protocol

Category = Literal["authentication", "authorization", "other"]
Evidence = Literal["reported", "inferred"]
FactValue = str | int

CATEGORIES: Final = ("authentication", "authorization", "other")


@dataclass(frozen=True)
class Payload:
    """One pasted failure after normalisation; every adapter reads this and nothing else."""

    text: str  # normalised text: CRLF, ANSI, gutters, escapes undone; secrets redacted
    flat: str  # `text` with every run of whitespace folded to one space, for wrapped messages
    data: Any = None  # the JSON document in the payload (object given, string parsed, or embedded)
    xml: Mapping[str, str] = field(default_factory=dict)  # first text of each XML element
    status_code: int | None = None  # from the request field or an HTTP status line in the text
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-cased names
    provider_hint: str | None = None

    def header(self, name: str) -> str | None:
        """Return a header's value by case-insensitive name."""
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class Finding:
    """One thing the adapter concluded, and whether the payload said it or it was deduced."""

    field: str  # "reason" or a fact key
    value: FactValue
    evidence: Evidence  # reported: the payload states it; inferred: deduced from a code or shape
    basis: str  # the words or shape it came from, for the user to check


@dataclass(frozen=True)
class Diagnosis:
    """What an adapter made of a payload."""

    provider: str | None
    reason: str | None
    category: Category
    confidence: float
    findings: tuple[Finding, ...] = ()
    note: str | None = None  # for reason None: what the failure is instead (a rate limit, ...)
    variant: str | None = None  # a finer name for the failed check, e.g. MDN's CORS error id

    @property
    def facts(self) -> dict[str, FactValue]:
        """Return the facts (every finding except the reason), first finding per key wins."""
        facts: dict[str, FactValue] = {}
        for finding in self.findings:
            if finding.field != "reason":
                facts.setdefault(finding.field, finding.value)
        return facts


UNRECOGNISED: Final = Diagnosis(provider=None, reason=None, category="other", confidence=0.0)


class Adapter(Protocol):
    """A provider's reader: `parse` returns a Diagnosis when the payload is its own, else None."""

    name: ClassVar[str]

    def parse(self, payload: Payload) -> Diagnosis | None:
        """Classify the payload, or return None to let the next adapter try."""
        ...


_CONTROL_CHARACTERS: Final = dict.fromkeys([*range(0x20), *range(0x7F, 0xA0)])


class FindingsBuilder:
    """Collects findings in order; the first value recorded for a field wins."""

    def __init__(self) -> None:
        self._findings: dict[str, Finding] = {}

    def add(self, field: str, value: FactValue | None, evidence: Evidence, basis: str) -> None:
        """Record a finding unless the value is empty or the field is already known."""
        if value is None or field in self._findings:
            return  # most calls: a value the payload lacks, or a field an earlier reading filled
        if isinstance(value, str) and not value.isprintable():
            # Every fact ends up in a terminal, a log line or a command: no control characters
            # (ESC c resets a terminal, BEL, backspace rewrites what is shown), whichever adapter read it.
            # (A printable value has none: the check is ~10x cheaper than the translation it spares.)
            value = value.translate(_CONTROL_CHARACTERS)
        if value is None or value == "" or field in self._findings:
            return
        self._findings[field] = Finding(field, value, evidence, basis)

    def has(self, field: str) -> bool:
        """Tell whether a field has been found."""
        return field in self._findings

    def build(self) -> tuple[Finding, ...]:
        """Return the findings, reason first."""
        ordered = sorted(self._findings.values(), key=lambda f: f.field != "reason")
        return tuple(ordered)
