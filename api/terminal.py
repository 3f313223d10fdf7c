"""Render a diagnosis for a terminal: the verdict card first, the facts as a table, then the playbook.

Colour only when writing to a TTY and NO_COLOR is unset (https://no-color.org). Commands are
printed on lines of their own, indented, so they copy cleanly. Nothing here imports the web stack.
Every value loses its C0 and C1 control characters (newline and tab excepted) before it is printed:
adapters already strip them from facts, and this is the second guard for anything else a response
carries (ESC ]52 writes the clipboard in many terminals, ESC [2J erases the screen, CR rewrites a line).
"""

from __future__ import annotations

import os
import re
import textwrap
from typing import Any, Final, TextIO

from api.formats import md_code, md_fenced, md_text, to_markdown
from api.verdict import Verdict, build

_BACKTICKS: Final = re.compile(r"`+")
_LINE_ENDING: Final = re.compile(r"\r\n?|\n")
# C0 and C1 controls and DEL, except newline and tab, which commands and lists need.
_CONTROLS: Final = dict.fromkeys(c for c in [*range(0x20), *range(0x7F, 0xA0)] if chr(c) not in "\n\t")

_SECTIONS: Final = (
    ("causes", "Likely causes"),
    ("diagnosis", "Diagnose"),
    ("fix", "Fix"),
    ("verify", "Verify"),
    ("prevent", "Prevent"),
    ("pitfalls", "Pitfalls"),
)


class Style:
    """ANSI styles, or nothing when colour is off."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def _wrap(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.enabled else text

    def bold(self, text: str) -> str:
        """Bold text."""
        return self._wrap("1", text)

    def dim(self, text: str) -> str:
        """Dimmed text."""
        return self._wrap("2", text)

    def verdict(self, text: str, category: str) -> str:
        """Colour a verdict by category: red for authorization, yellow for authentication."""
        code = {"authorization": "1;31", "authentication": "1;33"}.get(category, "1;36")
        return self._wrap(code, text)


def colour_wanted(stream: TextIO) -> bool:
    """Tell whether to colour output for this stream (a TTY, and NO_COLOR not set)."""
    return stream.isatty() and "NO_COLOR" not in os.environ


def printable(value: Any) -> Any:
    """Return the value with every string in it (keys too) stripped of control characters."""
    if isinstance(value, str):
        return value.translate(_CONTROLS)
    if isinstance(value, dict):
        return {printable(key): printable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [printable(item) for item in value]
    return value


def render_text(response: dict[str, Any], style: Style) -> str:
    """Return the diagnosis as terminal text."""
    response = printable(response)
    lines: list[str] = []
    reason = response.get("reason")
    category = str(response.get("category"))
    provider = response.get("provider") or "unknown provider"
    confidence = float(response.get("confidence") or 0)
    guidance = response.get("guidance") or {}
    lines += _card(build(response), style)
    lines += _identity((response.get("guidance") or {}).get("identity"), style)
    lines += _trace((response.get("guidance") or {}).get("trace") or [], str(provider), style)
    if reason:
        title = guidance.get("title", reason)
        lines.append(style.verdict(f"{provider} · {category} · {title}", category))
        lines.append(style.dim(f"reason {reason} · confidence {confidence:.2f}"))
    else:
        lines.append(style.bold(f"{provider}: not an access failure whydenied covers"))
        if response.get("note"):
            lines.append(str(response["note"]))
    facts = response.get("facts") or {}
    if facts:
        lines.append("")
        width = max(len(key) for key in facts)
        lines += [f"  {key.ljust(width)}  {value}" for key, value in facts.items()]
    if guidance:
        lines += ["", str(guidance.get("summary", "")).strip()]
        lines += _sections(guidance, style)
        extra = guidance.get("least_privilege") or guidance.get("role_suggestion")
        if extra:
            lines += ["", style.bold("Suggested grant") + (" [changes state]" if extra.get("changes") else "")]
            if "command" in extra:
                lines.append(f"    {extra['command']}")
            if extra.get("as_of"):
                lines.append(
                    style.dim(f"    roles from {extra.get('source', 'the role table')}, as of {extra['as_of']}")
                )
            if "policy" in extra:
                import json

                lines += ["    " + line for line in json.dumps(extra["policy"], indent=2).splitlines()]
        if guidance.get("references"):
            lines += ["", style.bold("References")] + [f"  {url}" for url in guidance["references"]]
    return "\n".join(lines).rstrip() + "\n"


_TRACE_MARKS: Final = {"denied": "SAID NO", "passed": "did not", "unknown": "not shown"}


def _identity(section: dict[str, Any] | None, style: Style) -> list[str]:
    """The identity context: one line an item (label, value, evidence), the why wrapped under it, then the
    command that shows who the local credentials are."""
    items = (section or {}).get("items") or []
    if not items:
        return []
    lines = [style.bold("Who made the call")]
    width = max(len(str(item.get("label", ""))) for item in items)
    for item in items:
        label = str(item.get("label", "")).ljust(width)
        lines.append(f"  {style.bold(label)}  {item.get('value', '')}  " + style.dim(f"({item.get('evidence', '')})"))
        lines += textwrap.wrap(
            str(item.get("why", "")), 84, initial_indent=" " * (width + 4), subsequent_indent=" " * (width + 4)
        )
    if section and section.get("command"):
        note = textwrap.wrap(str(section.get("command_note", "")), 86, initial_indent="  ", subsequent_indent="  ")
        lines += [*(style.dim(line) for line in note), f"      {section['command']}"]
    return [*lines, ""]


def _trace(layers: list[dict[str, Any]], provider: str, style: Style) -> list[str]:
    """The policy evaluation trace: one line a layer in the provider's order, the denied one's command under it."""
    if not layers:
        return []
    lines = [style.bold(f"Policy evaluation, in {provider.upper()}'s order")]
    for number, layer in enumerate(layers, 1):
        mark = _TRACE_MARKS.get(str(layer.get("verdict")), str(layer.get("verdict")))
        text = f"  {number}. {mark.ljust(13)} {layer.get('name', '')}"
        lines.append(style.bold(text) if layer.get("verdict") == "denied" else text)
        if layer.get("verdict") == "denied":
            lines += textwrap.wrap(
                str(layer.get("proves", "")), 84, initial_indent="       ", subsequent_indent="       "
            )
            if layer.get("inspect"):
                lines += [*(f"         {line}" for line in str(layer["inspect"]).splitlines())]
    return [*lines, ""]


def _card(verdict: Verdict, style: Style) -> list[str]:
    """The verdict card: the category in capitals, the layer that said no, who, what, where, and the
    first step with its command; a rule under it, then the full playbook."""
    width = 88
    lines = [style.verdict(f"{verdict.headline}  ·  {verdict.provider}", verdict.category), verdict.meaning]
    rows = [("Who said no", verdict.layer)] if verdict.layer else []
    rows += verdict.rows
    if rows:
        label_width = max(len(label) for label, _ in rows)
        lines.append("")
        lines += [f"  {style.bold(label.ljust(label_width))}  {value}" for label, value in rows]
    step = verdict.first_step
    if step:
        lines += ["", style.bold("First thing to do") + (" [changes state]" if step.changes else "")]
        lines += textwrap.wrap(step.text, width, initial_indent="  ", subsequent_indent="  ")
        if step.command:
            lines += ["", *(f"      {line}" for line in step.command.splitlines())]
    return [*lines, "", style.dim("─" * width), ""]


def _sections(guidance: dict[str, Any], style: Style) -> list[str]:
    lines: list[str] = []
    for key, heading in _SECTIONS:
        items = guidance.get(key) or []
        if not items:
            continue
        lines += ["", style.bold(heading)]
        for number, item in enumerate(items, 1):
            if isinstance(item, str):
                lines.append(f"  - {item.strip()}")
                continue
            changes = style.bold("[changes state] ") if item.get("changes") else ""
            lines.append(f"  {number}. {changes}{item['text'].strip()}")
            if item.get("variables"):
                fill = ", ".join(f"{var['name']} (the {var['label']})" for var in item["variables"])
                lines.append(style.dim(f"     (the paste did not say: set {fill} first)"))
            if item.get("command"):
                lines += ["", *(f"      {line}" for line in item["command"].splitlines()), ""]
            if item.get("expect"):
                lines.append(style.dim(f"     expect: {item['expect'].strip()}"))
    return lines


def render_markdown(response: dict[str, Any]) -> str:
    """Return the diagnosis as Markdown for a ticket: the verdict card, the facts, then the playbook."""
    response = printable(response)
    reason = response.get("reason")
    guidance_part = response.get("guidance") or {}
    card = [
        *_md_card(build(response)),
        *_md_identity(guidance_part.get("identity")),
        *_md_trace(guidance_part.get("trace") or []),
    ]
    head = [*card, f"**{response.get('provider')}** · {response.get('category')} · `{reason}` "
            f"(confidence {float(response.get('confidence') or 0):.2f})", ""]  # fmt: skip
    facts = response.get("facts") or {}
    if facts:
        head += ["| fact | value |", "|---|---|"]
        head += [f"| {key} | {_md_cell(str(value))} |" for key, value in facts.items()]
        head.append("")
    guidance = response.get("guidance")
    if not guidance:
        # the note quotes the paste's error code: escaped, so it cannot become a link or HTML in the ticket
        note = md_text(str(response["note"])) if response.get("note") else "Not an access failure whydenied covers."
        return "\n".join([*head, note]) + "\n"
    return "\n".join(head) + "\n" + to_markdown(guidance)


def _md_identity(section: dict[str, Any] | None) -> list[str]:
    """The identity context in Markdown: a list, each value (the paste's) a code span no backtick can close;
    the label, evidence and why are api/services/identity.py's words. Then the command, fenced."""
    items = (section or {}).get("items") or []
    if not items:
        return []
    lines = ["## Who made the call", ""]
    for item in items:
        value = md_code(str(item.get("value", ""))[:300])
        lines.append(f"- **{item.get('label', '')}:** {value} ({item.get('evidence', '')}). {item.get('why', '')}")
    if section and section.get("command"):
        lines += ["", str(section.get("command_note", "")), *md_fenced(str(section["command"]))]
    return [*lines, ""]


def _md_trace(layers: list[dict[str, Any]]) -> list[str]:
    """The trace in Markdown: a numbered list, the denied layer in bold with its inspection command (fenced,
    each line indented into the list item so no renderer ends the block early)."""
    if not layers:
        return []
    lines = ["## Policy evaluation", ""]
    for number, layer in enumerate(layers, 1):
        marker = f"{number}. "
        mark = _TRACE_MARKS.get(str(layer.get("verdict")), str(layer.get("verdict")))
        name = str(layer.get("name", ""))  # the layer's name and proof are api/services/trace.py's words
        denied = layer.get("verdict") == "denied"
        lines.append(f"{marker}**{mark}**: {name}" if denied else f"{marker}{mark}: {name}")
        if denied:
            body = [str(layer.get("proves", "")), *md_fenced(layer.get("inspect"))]
            lines += [" " * len(marker) + line if line else line for line in ["", *body]]
    return [*lines, ""]


def _md_card(verdict: Verdict) -> list[str]:
    """The verdict card in Markdown: values from the paste are code spans no backtick can close, the
    first step's command a fence longer than any backtick run in it. The provider is escaped: an
    unknown one is the paste's hint."""
    # the headline, meaning and layer are this module's own words (api/verdict.py), not the paste's
    lines = [f"# {verdict.headline} · {md_text(verdict.provider)}", "", verdict.meaning, ""]
    rows = [("Who said no", verdict.layer)] if verdict.layer else []
    rows += [(label, md_code(value)) for label, value in verdict.rows]
    lines += [f"**{label}:** {value}  " for label, value in rows]
    if rows:
        lines[-1] = lines[-1].rstrip()  # no hard break after the last row
        lines.append("")
    step = verdict.first_step
    if step:
        changes = " **Changes state.**" if step.changes else ""
        lines += [f"**First thing to do:**{changes} {step.text}", ""]
        if step.command:
            lines += [*_fence(step.command), ""]
    return [*lines, "---", ""]


def _fence(command: str) -> list[str]:
    longest = max((len(run) for run in _BACKTICKS.findall(command)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}sh", *_LINE_ENDING.split(command), fence]


def _md_cell(value: str) -> str:
    """Keep a fact whole inside its table cell and code span: backticks cannot close it, pipes are escaped."""
    return md_code(value[:300]).replace("|", "\\|")
