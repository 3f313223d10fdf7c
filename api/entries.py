"""The content file format: pydantic models for reason entries, guides and playbooks.

One YAML file per entry under content/; unknown keys are rejected so a typo fails the load.
`content/schema.json` is generated from these models (`whydenied content schema`).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, TypeAdapter

EntryId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{2,120}$")]
Status = Literal["preview", "stable", "deprecated"]
Sentence = Annotated[str, Field(min_length=3, max_length=4000)]


class _Strict(BaseModel):
    # defer_build: the schema is built on first validation, so the CLI, which reads entries from its
    # compiled snapshot (api/catalog_snapshot.py) and never validates one, does not pay ~0.05 s for it.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


FactName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,40}$")]
Kind = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]


class When(_Strict):
    """When a step applies. Each listed condition must hold; an unknown kind or type does not exclude.

    `principal_kind` and `resource_type` are derived from the facts (adapters/derived.py): a step for
    IAM users is left out for a role session, but shown when the paste named no principal at all.
    `facts` must all be known (stated or derived); `absent` must all be unknown; `service` is the
    denied service (the action's or permission's prefix, or the `service` fact); `platform` is the
    managed Kubernetes service the paste points to (eks, gke, aks).
    """

    principal_kind: list[Kind] | None = None
    resource_type: list[Kind] | None = None
    service: list[Kind] | None = None
    facts: list[FactName] | None = None
    absent: list[FactName] | None = None
    platform: list[Kind] | None = None


class Step(_Strict):
    """One ordered step: what to do, optionally a command template, optionally what to expect.

    `changes: true` marks a step whose command changes state (a grant, a policy write, a config
    change); every surface shows it as such. `grant` names a command from the provider's table of
    resource-policy edits and grants, chosen by the resource type (api/grants.py), in place of
    `command`.
    """

    text: Sentence
    command: Annotated[str, Field(min_length=1, max_length=2000)] | None = None
    grant: Literal["gcp_role", "aws_resource_policy"] | None = None
    expect: Sentence | None = None
    changes: bool = False
    when: When | None = None


class Example(_Strict):
    """A real payload that must diagnose to this entry, with the facts it must yield."""

    input: dict[str, Any]  # exactly a POST /v1/diagnose body
    facts: dict[str, str | int] = Field(default_factory=dict)
    source: HttpUrl | Literal["synthetic"]
    note: str | None = None


class NearMiss(_Strict):
    """A payload that looks like this entry's but must land elsewhere (or nowhere: None)."""

    input: dict[str, Any]
    expect: str | None
    source: HttpUrl | Literal["synthetic"]
    note: str | None = None


class Section(_Strict):
    """A guide's section: a heading, plain-text paragraphs, an optional command."""

    heading: Sentence
    body: Sentence
    command: str | None = None


class _Common(_Strict):
    id: EntryId
    status: Status = "stable"
    title: Annotated[str, Field(min_length=3, max_length=200)]
    summary: Sentence
    references: Annotated[list[HttpUrl], Field(min_length=1)]
    related: list[EntryId] = Field(default_factory=list)
    last_reviewed: dt.date


class _Runbook(_Common):
    meaning: Sentence
    causes: Annotated[list[Sentence], Field(min_length=1)]
    diagnosis: Annotated[list[Step], Field(min_length=1)]
    fix: Annotated[list[Step], Field(min_length=1)]
    verify: Annotated[list[Step], Field(min_length=1)]
    prevent: list[Sentence] = Field(default_factory=list)
    pitfalls: list[Sentence] = Field(default_factory=list)


class ReasonEntry(_Runbook):
    """Guidance for one taxonomy reason; its id is the reason id."""

    kind: Literal["reason"] = "reason"
    category: Literal["authentication", "authorization", "other"]
    examples: Annotated[list[Example], Field(min_length=1)]
    not_this: list[NearMiss] = Field(default_factory=list)


class PlaybookEntry(_Runbook):
    """An end-to-end procedure that spans several reasons."""

    kind: Literal["playbook"]
    applies_to: Annotated[list[EntryId], Field(min_length=1)]
    examples: list[Example] = Field(default_factory=list)
    not_this: list[NearMiss] = Field(default_factory=list)


class GuideEntry(_Common):
    """A comparison or explanation, read as sections."""

    kind: Literal["guide"]
    sections: Annotated[list[Section], Field(min_length=1)]


AnyEntry = ReasonEntry | PlaybookEntry | GuideEntry
Entry = Annotated[AnyEntry, Field(discriminator="kind")]


@lru_cache(maxsize=1)
def entry_adapter() -> TypeAdapter[ReasonEntry | PlaybookEntry | GuideEntry]:
    """The validator of an entry file, built when first needed (not by the CLI's snapshot path)."""
    return TypeAdapter(Entry)


def parse_entry(raw: Any) -> ReasonEntry | PlaybookEntry | GuideEntry:
    """Validate one loaded YAML document as an entry (a missing `kind` means a reason)."""
    if isinstance(raw, dict) and "kind" not in raw:
        raw = {**raw, "kind": "reason"}
    return entry_adapter().validate_python(raw)


def entry_json_schema() -> dict[str, Any]:
    """Return the JSON Schema of a content file, as written to content/schema.json."""
    schema = entry_adapter().json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "whydenied content entry"
    return schema
