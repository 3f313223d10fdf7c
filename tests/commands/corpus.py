"""Every command whydenied renders for every fixture payload, through the real diagnose path.

Sources: each item of tests/adapters/*/payloads*.yaml (real pasted failures) and each content entry's
`examples`. Each is diagnosed by `api.services.diagnosis.diagnose_request` with the shipped catalogue,
as the API does, and every step's command is collected with where it came from. Fields the command
model is gaining (`changes`, `missing`, the response's `derived`) are read defensively.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from api.catalog import Catalog, load_catalog
from api.render import placeable
from api.schemas import DiagnoseRequest
from api.services.diagnosis import diagnose_request
from api.services.least_privilege import load_iam_index

ROOT = Path(__file__).resolve().parents[2]
PAYLOAD_GLOB = "tests/adapters/*/payloads*.yaml"
# Providers whose real pastes live only in the held-out corpus (tests/corpus/<provider>/): rendering a
# command tunes nothing, so their commands are checked on those pastes too.
CORPUS_GLOBS = ("tests/corpus/kubernetes/*.yaml",)
SECTIONS = ("diagnosis", "fix", "verify")


@dataclass(frozen=True)
class Case:
    """One fixture payload: where it came from and its POST /v1/diagnose body."""

    source: str  # "tests/adapters/aws/payloads_sdk.yaml#s3-get-object" or "content:aws.authz...#2"
    input: dict[str, Any]


@dataclass(frozen=True)
class Rendered:
    """One rendered command with its context: the case, the diagnosis and the step."""

    source: str
    entry: str  # the guidance entry id (the reason)
    section: str  # diagnosis, fix, verify, or role_suggestion
    index: int
    command: str
    changes: bool | None  # the step's `changes` flag, None while the renderer does not set it
    missing: tuple[str, ...]
    facts: dict[str, Any] = field(hash=False, compare=False)
    derived: dict[str, Any] = field(hash=False, compare=False)
    text: str = ""  # the step's prose, for the report

    @property
    def provider(self) -> str:
        """aws, gcp, http, ... (the entry id's first part)."""
        return self.entry.split(".", 1)[0]

    @property
    def where(self) -> str:
        """A short locator for messages: entry, section, step."""
        return f"{self.entry} {self.section}[{self.index}]"


def cases(catalog: Catalog) -> list[Case]:
    """Return every fixture payload: the adapters' real-payload tables, the Kubernetes corpus, the entries' examples."""
    found: list[Case] = []
    for path in [*sorted(ROOT.glob(PAYLOAD_GLOB)), *(p for g in CORPUS_GLOBS for p in sorted(ROOT.glob(g)))]:
        relative = path.relative_to(ROOT).as_posix()
        for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            found.append(Case(f"{relative}#{item['id']}", item["input"]))
    for entry_id, compiled in sorted(catalog.entries.items()):
        for number, example in enumerate(getattr(compiled.entry, "examples", None) or []):
            found.append(Case(f"content:{entry_id}#{number}", dict(example.input)))
    return found


def render_case(case: Case, catalog: Catalog) -> Iterator[Rendered]:
    """Diagnose one case and yield each command its response carries."""
    response = diagnose_request(DiagnoseRequest.model_validate(case.input), catalog, load_iam_index)
    body = response.model_dump(mode="json")
    guidance = body.get("guidance")
    if not guidance:
        return
    # A fact the renderer would not place (a control character, a stand-in such as `<accountid>` or
    # `?` that the paster typed) is not a usable value: a variable for it is right, not a miss.
    facts = {key: value for key, value in (body.get("facts") or {}).items() if placeable(value, key)}
    derived = {key: value for key, value in (body.get("derived") or {}).items() if placeable(value, key)}
    entry = str(guidance.get("id", body.get("reason")))
    for section in SECTIONS:
        for index, step in enumerate(guidance.get(section) or []):
            command = step.get("command")
            if not command:
                continue
            yield Rendered(
                source=case.source,
                entry=entry,
                section=section,
                index=index,
                command=command,
                changes=step.get("changes"),
                missing=tuple(step.get("missing") or ()),
                facts=facts,
                derived=derived,
                text=str(step.get("text", "")),
            )
    suggestion = guidance.get("role_suggestion") or {}
    shown = {step.get("command") for section in SECTIONS for step in guidance.get(section) or []}
    # The suggestion repeats the fix's grant step when the entry has one: the same command, counted once.
    if suggestion.get("command") and suggestion["command"] not in shown:
        yield Rendered(
            source=case.source,
            entry=entry,
            section="role_suggestion",
            index=0,
            command=suggestion["command"],
            changes=suggestion.get("changes"),  # a grant: the unmarked-change check wants it marked
            missing=tuple(suggestion.get("missing") or ()),
            facts=facts,
            derived=derived,
            text="role suggestion",
        )
    # The trace's inspect commands: each layer's own entry rendered for this case's facts.
    for index, layer in enumerate(guidance.get("trace") or []):
        if layer.get("inspect") and layer["inspect"] not in shown:
            yield Rendered(
                source=case.source,
                entry=str(layer.get("entry") or entry),
                section="trace",
                index=index,
                command=layer["inspect"],
                changes=False,  # an inspection: the unmarked-change check holds it to that
                missing=tuple(layer.get("missing") or ()),
                facts=facts,
                derived=derived,
                text=f"trace: {layer.get('name', '')}",
            )
    # The identity section's command: the read-only one that names the local caller.
    caller = guidance.get("identity") or {}
    if caller.get("command") and caller["command"] not in shown:
        yield Rendered(
            source=case.source,
            entry=entry,
            section="identity",
            index=0,
            command=caller["command"],
            changes=False,  # it only reads who the credentials are
            missing=(),
            facts=facts,
            derived=derived,
            text="identity: who your credentials are",
        )


@cache
def corpus() -> tuple[Rendered, ...]:
    """Return every rendered command of every case (computed once per process)."""
    catalog = load_catalog(check=False)
    return tuple(command for case in cases(catalog) for command in render_case(case, catalog))


def unique_commands(rendered: tuple[Rendered, ...] | None = None) -> dict[str, list[Rendered]]:
    """Return each distinct command text with every place it was rendered (expensive checks run once each)."""
    grouped: dict[str, list[Rendered]] = {}
    for item in rendered if rendered is not None else corpus():
        grouped.setdefault(item.command, []).append(item)
    return grouped
