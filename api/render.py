"""Render an entry for one diagnosis: fill command templates with the facts, shell-quoted.

A template's `{fact_key}` (a key from the taxonomy) is replaced by `shell_quote(value)`, one literal
word in bash, dash, zsh and fish alike; a fact the payload did not state stays visible as
`<fact_key>` so the user sees what to fill in. A value holding a control character (a line break,
tab or escape) is never placed either: it stays `<fact_key>` and is listed in `refused_facts`. Any
other brace is literal (jq filters, JSON). Templates are split into parts once, at start-up.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from adapters.derived import derived_facts
from api.entries import GuideEntry, PlaybookEntry, ReasonEntry, Step

AnyEntry = ReasonEntry | PlaybookEntry | GuideEntry

# "aws organizations list-policies-for-target --target-id {account_id}"; never curl's
# write-out "%{http_code}" nor a shell's "${TOKEN}", which stay literal
_PLACEHOLDER = re.compile(r"(?<![%$])\{([a-z][a-z0-9_]{0,40})\}")

# Left bare, as shlex.quote does, but not "%" first (fish expands %self) nor "=" first (zsh's =cmd).
_BARE = re.compile(r"[A-Za-z0-9_@+:,./-][A-Za-z0-9_@%+=:,./-]*")
_QUOTE_OR_BACKSLASH = re.compile(r"(['\\])")
# C0 (line break, tab: completion on paste, ESC), DEL and C1: never placed in a command
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def shell_quote(value: str) -> str:
    r"""Return the value as one word that bash, dash, zsh and fish all read back unchanged.

    POSIX single quotes keep everything literal, but fish reads \' and \\ inside them as escapes:
    shlex.quote("x\") gives 'x\', an unclosed quote in fish, and whatever follows runs. So each ' and \
    goes outside the quotes, backslash-escaped, which all four shells read as that one character.
    """
    if _BARE.fullmatch(value):
        return value
    parts = _QUOTE_OR_BACKSLASH.split(value)
    return "".join(f"\\{part}" if part in ("'", "\\") else f"'{part}'" for part in parts if part) or "''"


def placeable(value: str | int) -> bool:
    """Tell whether a fact may go into a command: no control character (a line break would end a
    heredoc or the command when pasted, a tab completes, an escape drives the terminal)."""
    return _CONTROL.search(str(value)) is None


@dataclass(frozen=True)
class CommandTemplate:
    """A command split into literal text and fact names: ("aws iam get-role --role-name ", "role")."""

    parts: tuple[str, ...]  # even indexes literal, odd indexes fact keys

    @classmethod
    def compile(cls, command: str, fact_keys: Collection[str]) -> CommandTemplate:
        """Split a command on the placeholders that name known fact keys."""
        parts: list[str] = []
        literal_start = 0
        for match in _PLACEHOLDER.finditer(command):
            if match.group(1) not in fact_keys:
                continue
            parts.append(command[literal_start : match.start()])
            parts.append(match.group(1))
            literal_start = match.end()
        parts.append(command[literal_start:])
        return cls(tuple(parts))

    @property
    def fact_keys(self) -> tuple[str, ...]:
        """Return the facts this command uses."""
        return self.parts[1::2]

    def render(self, facts: Mapping[str, str | int]) -> str:
        """Return the command with facts shell-quoted, and missing or unplaceable ones as <name>."""
        out: list[str] = []
        for index, part in enumerate(self.parts):
            if index % 2 == 0:
                out.append(part)
            elif part in facts and placeable(facts[part]):
                out.append(shell_quote(str(facts[part])))
            else:
                out.append(f"<{part}>")
        return "".join(out)


def placeholders_in(command: str) -> tuple[str, ...]:
    """Return every `{name}` in a command, known fact key or not (for the content lint)."""
    return tuple(match.group(1) for match in _PLACEHOLDER.finditer(command))


class CompiledEntry:
    """An entry with its command templates compiled, ready to render for any facts."""

    def __init__(self, entry: AnyEntry, fact_keys: Collection[str]) -> None:
        self.entry = entry
        self.document: dict[str, Any] = entry.model_dump(mode="json", exclude={"examples", "not_this"})
        self._templates: dict[str, CommandTemplate] = {}
        for step in self._steps():
            if step.command is not None:
                self._templates[step.command] = CommandTemplate.compile(step.command, fact_keys)

    def _steps(self) -> list[Step]:
        if isinstance(self.entry, GuideEntry):
            return []
        return [*self.entry.diagnosis, *self.entry.fix, *self.entry.verify]

    def render(self, facts: Mapping[str, str | int], extra: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Return the entry as a guidance object with its commands filled from the facts.

        `extra` holds values the service looked up (a GCP role); stated facts win over both.
        """
        facts = {**derived_facts(facts), **(extra or {}), **facts}
        refused = {key for key, value in facts.items() if not placeable(value)}
        facts = {key: value for key, value in facts.items() if key not in refused}
        document = dict(self.document)
        missing: set[str] = set()
        for section in ("diagnosis", "fix", "verify"):
            if section not in document:
                continue
            rendered = []
            for step in document[section]:
                command = step.get("command")
                if command is not None:
                    template = self._templates[command]
                    absent = sorted({key for key in template.fact_keys if key not in facts})
                    missing.update(absent)
                    # `missing`: the facts this step still needs, so a client can mark it "fill in first"
                    step = {**step, "command": template.render(facts), "missing": absent}
                rendered.append(step)
            document[section] = rendered
        document["missing_facts"] = sorted(missing)
        if refused & missing:  # given, but not placed: say so, or a client reads them as never given
            document["refused_facts"] = sorted(refused & missing)
        return document
