"""The scan's answer: the groups, largest first, each with the fix rendered for its facts; and its forms.

`build_report` renders, per group, the first fix step of the guidance entry for the group's shared
facts (api/render.py shell-quotes them; a fact the members do not share becomes a shell variable to
set). Everything that leaves (JSON, table, Markdown) is redacted again here: facts were redacted by
the adapters, but the fallbacks read from records (a principal, a request id) were not.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from adapters.redact import redact_json
from api.formats import md_code, md_text
from api.plain_catalog import DiagnosisCatalog
from api.scan.groups import Aggregator, Group
from api.scan.readers import ReadStats


class ScanFix(BaseModel):
    """The first fix step of the group's guidance entry, rendered for the group's facts."""

    text: str
    command: str | None = None
    changes: bool = False
    missing: list[str] = Field(default_factory=list, description="facts the command still needs (shell variables)")


class ScanGroup(BaseModel):
    """Denials of one kind: who, what, where, why, how often, and the first thing to do."""

    provider: str | None
    reason: str
    category: str
    title: str | None = Field(None, description="the guidance entry's title: the layer that said no, in words")
    principal: str
    action: str
    resource: str = Field(description="the one resource every denial named, else its pattern (ids as *)")
    count: int
    first_seen: datetime | None
    last_seen: datetime | None
    example_request_id: str | None
    facts: dict[str, str | int] = Field(description="the facts every denial in the group shares")
    fix: ScanFix | None


class ScanSource(BaseModel):
    """One input: its name, the format read, and how many records (or text lines) it held."""

    name: str
    format: str
    records: int
    unreadable: int = Field(description="records or lines that were not valid JSON (or CSV rows of the wrong width)")


class ScanResponse(BaseModel):
    """What `whydenied scan` and POST /v1/scan answer."""

    records: int = Field(description="records (or text lines) read")
    denials: int = Field(description="access failures found (after --since/--until)")
    not_access: int = Field(description="failures recognised but not access failures (throttling, not found, ...)")
    outside_window: int = Field(0, description="denials outside --since/--until")
    ungrouped: int = Field(0, description="denials past the group limit: counted, not grouped")
    groups_total: int = Field(description="distinct groups before --top")
    groups: list[ScanGroup]
    sources: list[ScanSource]


def build_report(
    aggregator: Aggregator,
    sources: list[tuple[str, ReadStats]],
    catalog: DiagnosisCatalog | None,
    top: int | None = None,
    outside_window: int = 0,
) -> ScanResponse:
    """Rank the groups (count, then the latest), keep the top ones and render each one's fix."""
    ranked = sorted(
        aggregator.groups.values(),
        key=lambda g: (-g.count, -(g.last_seen.timestamp() if g.last_seen else 0.0), g.reason, g.principal),
    )
    kept = ranked[:top] if top is not None else ranked
    groups = [_group(group, catalog) for group in kept]
    response = ScanResponse(
        records=sum(stats.records for _, stats in sources),
        denials=aggregator.denials,
        not_access=aggregator.not_access,
        outside_window=outside_window,
        ungrouped=aggregator.ungrouped,
        groups_total=len(ranked),
        groups=groups,
        sources=[
            ScanSource(name=name, format=stats.format, records=stats.records, unreadable=stats.unreadable)
            for name, stats in sources
        ],
    )
    # One last pass over everything that leaves: values read from records without the adapters.
    return ScanResponse.model_validate(redact_json(response.model_dump(mode="json")))


def _group(group: Group, catalog: DiagnosisCatalog | None) -> ScanGroup:
    compiled = catalog.get(group.reason) if catalog else None
    fix: ScanFix | None = None
    if compiled is not None:
        permission = group.facts.get("permission")
        roles = (
            catalog.gcp_roles.suggest(permission)
            if catalog and catalog.gcp_roles and isinstance(permission, str)
            else None
        )
        extra = {"role": roles["roles"][0], "grant_on": roles["grant_on"]} if roles else None
        steps = compiled.render(group.facts, extra).get("fix") or []
        if steps:
            step = steps[0]
            fix = ScanFix(
                text=str(step.get("text", "")).strip(),
                command=step.get("command"),
                changes=bool(step.get("changes")),
                missing=list(step.get("missing") or []),
            )
    return ScanGroup(
        provider=group.provider,
        reason=group.reason,
        category=group.category,
        title=compiled.document["title"] if compiled is not None else None,
        principal=group.principal,
        action=group.action,
        resource=group.resource,
        count=group.count,
        first_seen=group.first_seen,
        last_seen=group.last_seen,
        example_request_id=group.example_request_id,
        facts=dict(group.facts),
        fix=fix,
    )


def render_table(report: ScanResponse, width: int = 120) -> str:
    """Return the report as terminal text: a summary line, then each group with its fix."""
    from api.terminal import printable

    data: dict[str, Any] = printable(report.model_dump(mode="json"))
    head = (
        f"{data['records']:,} records, {data['denials']:,} denials in {data['groups_total']:,} groups"
        + (f" (showing {len(data['groups'])})" if len(data["groups"]) < data["groups_total"] else "")
        + (f"; {data['outside_window']:,} outside the time window" if data["outside_window"] else "")
        + (f"; {data['ungrouped']:,} past the group limit" if data["ungrouped"] else "")
    )
    out = [head]
    for source in data["sources"]:
        if source["unreadable"]:
            out.append(f"  {source['name']}: {source['unreadable']:,} records could not be read ({source['format']})")
    if not data["groups"]:
        return "\n".join([*out, "No access denials found."]) + "\n"
    count_width = max(len(f"{g['count']:,}") for g in data["groups"])
    for group in data["groups"]:
        seen = _seen(group)
        out += [
            "",
            f"{group['count']:>{count_width},}  {group['reason']}  ({group['title'] or group['category']})",
            f"{'':>{count_width}}  who   {group['principal']}",
            f"{'':>{count_width}}  what  {group['action']}",
        ]
        if group["resource"]:
            out.append(f"{'':>{count_width}}  on    {_clip(group['resource'], width - count_width - 8)}")
        if seen:
            out.append(f"{'':>{count_width}}  seen  {seen}")
        fix = group.get("fix")
        if fix:
            first = _first_sentence(fix["text"])  # the whole text is in --json and --markdown
            out.append(f"{'':>{count_width}}  fix   {first}" + ("  [changes state]" if fix["changes"] else ""))
            if fix["command"]:
                out += [f"{'':>{count_width}}        $ {line}" for line in fix["command"].splitlines()]
    return "\n".join(out) + "\n"


def render_markdown(report: ScanResponse) -> str:
    """Return the report as Markdown: a table of the groups, then each group's fix."""
    data = report.model_dump(mode="json")
    out = [
        "# Access denials",
        "",
        f"{data['records']:,} records, {data['denials']:,} denials in {data['groups_total']:,} groups.",
        "",
        "| # | count | reason | principal | action | resource | last seen |",
        "|---|---|---|---|---|---|---|",
    ]
    for number, group in enumerate(data["groups"], 1):
        cells = [str(number), str(group["count"]), _cell(group["reason"]), _cell(group["principal"]),
                 _cell(group["action"]), _cell(group["resource"] or "-"), _cell(group["last_seen"] or "-")]  # fmt: skip
        out.append("| " + " | ".join(cells) + " |")
    for number, group in enumerate(data["groups"], 1):
        fix = group.get("fix")
        out += ["", f"## {number}. {md_text(group['title'] or group['reason'])}", ""]
        out.append(
            f"{group['count']} denials, {md_text(_seen(group) or 'time unknown')}; "
            f"example request {_cell(group['example_request_id'] or '-')}."
        )
        if fix:
            out += ["", md_text(fix["text"]) + (" (changes state)" if fix["changes"] else "")]
            if fix["command"]:
                fence = "`" * max(3, _longest_backticks(fix["command"]) + 1)
                out += ["", f"{fence}sh", fix["command"], fence]
    return "\n".join(out) + "\n"


def _longest_backticks(text: str) -> int:
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    return longest


def _cell(value: str) -> str:
    """A value inside a table cell: a code span no backtick can close, pipes escaped."""
    return md_code(value[:300]).replace("|", "\\|")


def _seen(group: dict[str, Any]) -> str:
    first, last = group.get("first_seen"), group.get("last_seen")
    if not first:
        return ""
    return first if first == last else f"{first} .. {last}"


def _first_sentence(text: str) -> str:
    end = text.find(". ")
    return text if end == -1 else text[: end + 1]


def _clip(text: str, width: int) -> str:
    return text if len(text) <= max(width, 20) else text[: max(width, 20) - 3] + "..."
