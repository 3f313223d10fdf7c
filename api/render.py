"""Render an entry for one diagnosis: choose the steps that apply, fill their commands, shell-quoted.

A template's `{fact_key}` (a key from the taxonomy) is replaced by `shell_quote(value)`, one literal
word in bash, dash, zsh and fish alike. A value the payload did not state and nothing derives
becomes a shell variable the user must set, `"${ROLE_NAME:?set ROLE_NAME to the role name}"`: pasted
as is, the command stops with that message and runs nothing (a `<role_name>` would have been a
redirect from a file). A value holding a control character (a line break, tab or escape) is never
placed either: it becomes such a variable and is listed in `refused_facts`. Any other brace is
literal (jq filters, JSON). Templates are split into parts once, at start-up.

A step applies when its `when` holds for the facts (a role-only command is not shown for an IAM
user; the Access Troubleshooter step only with an authorization id); a step that does not apply is
left out. A `grant` step takes its command from the provider's table for the resource type
(api/grants.py).

Which steps apply and what each lacks depend only on which facts are known (and refused) and on the
few values a `when` compares: that is planned once per such case and kept with the entry, and each
diagnosis only places its values into the plan's commands (a server sees the same few shapes of
paste with ever different values).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any, Final, Protocol

from adapters.derived import derived_facts
from api.grants import aws_resource_policy, gcp_binding

if TYPE_CHECKING:  # the models only: the CLI renders from a plain snapshot (api/plain_catalog.py), without pydantic
    from api.entries import AnyEntry, Step

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


# What people type in place of a value they hid or did not know: <account-id>, <<role name>>, ?, xxx, ****
# (and MY_PROJECT_ID, YOUR_BUCKET, PROJECT_ID: no real project id, bucket or account is upper case like that)
_STAND_IN = re.compile(
    r"<[^<>\s][^<>]{0,60}>|^\?+$|^[Xx]{3,}$|\*{3,}|^REDACTED$|^\.\.\.$|^(?:MY|YOUR)_[A-Z0-9_]{1,40}$|^[A-Z]{1,20}_(?:ID|NAME|ARN)$"
)

# The first character of every whole-value stand-in above that is not a capital letter.
_STAND_IN_FIRST: Final = frozenset("?xX.")

# Keys whose real values are always lower case (GCP ids and names): an upper-case one is a stand-in.
# (Not secrets, topics, subscriptions, key rings, keys or datasets: their ids may hold capitals.)
_LOWER_CASE_KEYS = frozenset({"project", "bucket", "location", "repository", "run_service", "region"})


def placeable(value: str | int, key: str | None = None) -> bool:
    """Tell whether a fact may go into a command: no control character (a line break would end a
    heredoc or the command when pasted, a tab completes, an escape drives the terminal), and not a
    stand-in the paster typed for a hidden value (`<accountid>`, `?`, `xxx`): quoted, it would run
    against an account or project named "<accountid>"; as a variable, the user is asked for it."""
    text = str(value)
    # (islower: some letter and none upper case, the usual id, answered without the walk)
    if key in _LOWER_CASE_KEYS and not text.islower() and any(char.isupper() for char in text):
        return False  # PROJECT-NAME, REGION, MY_PROJECT: GCP ids are lower case
    if not text.isprintable() and _CONTROL.search(text) is not None:  # printable: no control character
        return False
    # A stand-in has a "<" or "***", or is the whole value (so starts with "?", "x", "X", "." or a capital;
    # one that starts with a capital is REDACTED or has a "_"): any other value is placeable without
    # running the pattern (this runs for every fact of a diagnosis; ListRoles, AccessDenied are common).
    first = text[:1]
    if "<" in text or "***" in text or first in _STAND_IN_FIRST:
        return _STAND_IN.search(text) is None
    if "A" <= first <= "Z" and ("_" in text or text == "REDACTED"):
        return _STAND_IN.search(text) is None
    return True


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
        """Return the command with facts shell-quoted, and missing or unplaceable ones as variables."""
        out: list[str] = []
        for index, part in enumerate(self.parts):
            if index % 2 == 0:
                out.append(part)
            elif part in facts and placeable(facts[part], part):
                out.append(shell_quote(str(facts[part])))
            else:
                out.append(variable(part))
        return "".join(out)

    def filling(self, present: Collection[str]) -> str:
        """The command as a `str.format_map` string, for facts all known placeable (`QuotedFacts`).

        Each fact in `present` becomes a `{key}` field, filled with its shell-quoted value; the others
        are their variables already; every other brace is doubled, so it stays literal. Filled, it
        equals `render` of the same facts.
        """
        out: list[str] = []
        for index, part in enumerate(self.parts):
            if index % 2 == 1 and part in present:
                out.append(f"{{{part}}}")
            else:
                text = part if index % 2 == 0 else variable(part)
                out.append(text.replace("{", "{{").replace("}", "}}"))
        return "".join(out)


@lru_cache(maxsize=256)
def compiled_template(command: str, fact_keys: frozenset[str]) -> CommandTemplate:
    """A table command (api/grants.py) compiled once, not on every diagnosis that suggests it."""
    return CommandTemplate.compile(command, fact_keys)


def variable_name(fact_key: str) -> str:
    """The shell variable that stands for an unfilled fact: role_name -> ROLE_NAME."""
    return fact_key.upper()


def fact_label(fact_key: str) -> str:
    """A fact key as words: role_arn -> "role ARN" (for the message of an unfilled variable)."""
    return " ".join(_LABEL_WORDS.get(word, word) for word in fact_key.split("_"))


_LABEL_WORDS = {"arn": "ARN", "id": "ID", "url": "URL", "kms": "KMS", "iam": "IAM", "gcs": "GCS"}


def variable(fact_key: str) -> str:
    """The expansion for an unfilled fact: stops the command, saying what to set, when it is unset."""
    name = variable_name(fact_key)
    return f'"${{{name}:?set {name} to the {fact_label(fact_key)}}}"'


def placeholders_in(command: str) -> tuple[str, ...]:
    """Return every `{name}` in a command, known fact key or not (for the content lint)."""
    return tuple(match.group(1) for match in _PLACEHOLDER.finditer(command))


# Commands that show who the caller is: the first step of most entries, never a layer's inspection.
WHO_AM_I: Final = (
    "aws sts get-caller-identity", "gcloud auth list", "gcloud config get", "gcloud auth print", "az account show",
    "kubectl auth whoami",
    "printf 'data = \"access_token=",  # Google's tokeninfo: whose token, which scopes
)  # fmt: skip


class StepCondition(Protocol):
    """A step's `when` (api.entries.When, or its plain copy in a CLI snapshot): what `applies` reads."""

    @property
    def principal_kind(self) -> Sequence[str] | None: ...
    @property
    def resource_type(self) -> Sequence[str] | None: ...
    @property
    def service(self) -> Sequence[str] | None: ...
    @property
    def facts(self) -> Sequence[str] | None: ...
    @property
    def absent(self) -> Sequence[str] | None: ...
    @property
    def platform(self) -> Sequence[str] | None: ...


class CompiledEntry:
    """An entry with its command templates compiled, ready to render for any facts."""

    def __init__(self, entry: AnyEntry, fact_keys: Collection[str]) -> None:
        from api.entries import GuideEntry  # loaded already: `entry` is one of its models

        self.entry = entry
        self.fact_keys = fact_keys
        self.document: dict[str, Any] = entry.model_dump(mode="json", exclude={"examples", "not_this"})
        self._templates: dict[str, CommandTemplate] = {}
        for step in self._steps():
            if step.command is not None:
                self._templates[step.command] = CommandTemplate.compile(step.command, fact_keys)
        # Each step's condition, validated once here rather than for every diagnosis.
        self._whens: dict[str, list[StepCondition | None]] = (
            {}
            if isinstance(entry, GuideEntry)
            else {
                section: [step.when for step in getattr(entry, section)] for section in ("diagnosis", "fix", "verify")
            }
        )
        # The diagnosis steps that may inspect a policy layer (the trace): a read-only command, not
        # the caller's identity; chosen once here, filtered by the facts per diagnosis.
        self._inspection_steps: list[tuple[str, StepCondition | None]] = (
            []
            if isinstance(entry, GuideEntry)
            else [
                (step.command, when)
                for step, when in zip(entry.diagnosis, self._whens["diagnosis"], strict=True)
                if step.command is not None and not step.changes and not step.command.lstrip().startswith(WHO_AM_I)
            ]
        )

    def _steps(self) -> list[Step]:
        from api.entries import GuideEntry

        if isinstance(self.entry, GuideEntry):
            return []
        return [*self.entry.diagnosis, *self.entry.fix, *self.entry.verify]

    def _template(self, command: str) -> CommandTemplate:
        template = self._templates.get(command)
        if template is None:  # a grant command from the provider table: compiled once, on first use
            template = self._templates[command] = CommandTemplate.compile(command, self.fact_keys)
        return template

    def inspection(
        self, known: Mapping[str, str | int], placed: PlacedFacts | None = None
    ) -> tuple[str, list[str]] | None:
        """Return the first read-only diagnosis command that applies to these facts, filled, and what it lacks.

        A step whose facts are all known wins over an earlier one that still needs some; a step that
        changes state is never an inspection. `known` holds the facts and derived values together;
        `placed`, when given, is `placed_facts(known)`, worked out once by a caller that asks several entries.
        """
        placed = placed if placed is not None else placed_facts(known)
        chosen = self.inspection_plan(placed.usable, placed.case)
        return (chosen[0].format_map(placed.quoted), list(chosen[1])) if chosen is not None else None

    def inspection_plan(
        self, usable: Mapping[str, str | int], case: tuple[object, ...]
    ) -> tuple[str, tuple[str, ...]] | None:
        """`inspection` before the values are placed: the chosen command's `filling` and what it lacks.

        `case` is `case_of(usable)`; the choice depends on nothing else, so it is made once per case.
        """
        cached = self._inspections.get(case, _UNPLANNED)
        if cached is not _UNPLANNED:
            return cached  # type: ignore[return-value]
        best: tuple[str, tuple[str, ...]] | None = None
        for command, when in self._inspection_steps:
            if when is not None and not applies(when, usable):
                continue
            template = self._template(command)
            absent = tuple(sorted(key for key in template.fact_keys if key not in usable))
            if not absent:
                best = (template.filling(usable), ())
                break
            if best is None:
                best = (template.filling(usable), absent)
        if len(self._inspections) >= _MAX_PLANS:  # bounded, as the render plans are
            self._inspections.clear()
        self._inspections[case] = best
        return best

    def render(
        self,
        facts: Mapping[str, str | int],
        extra: Mapping[str, str] | None = None,
        *,
        for_case: bool = True,
        derived: Mapping[str, str] | None = None,
        placed: PlacedFacts | None = None,
    ) -> dict[str, Any]:
        """Return the entry as a guidance object for these facts: the steps that apply, commands filled.

        `extra` holds values the service looked up (a GCP role, where to grant it); stated facts win
        over both it and the derived values. `for_case=False` is an entry shown on its own page (a docs
        site, an export): no case, so every step is kept. A diagnosis always chooses, even when the paste
        stated nothing: a step that needs a fact it lacks is left out. `derived` may pass the derived
        values when the caller has them already; `placed`, `placed_facts` of all of them (derived, extra
        and facts, facts winning), when the caller shares it with the trace.
        """
        if placed is None:
            placed = placed_facts({**(derived_facts(facts) if derived is None else derived), **(extra or {}), **facts})
        plan = self._plan(placed, for_case)
        quoted = placed.quoted
        document = dict(self.document)
        for section, steps in plan.sections:
            rendered = []
            for planned, filling in steps:
                step = dict(planned)
                if filling is not None:  # fresh lists: the plan serves every diagnosis of this case
                    step["command"] = filling.format_map(quoted)
                    step["missing"] = list(planned["missing"])
                    step["variables"] = [dict(variable) for variable in planned["variables"]]
                rendered.append(step)
            document[section] = rendered
        document["missing_facts"] = list(plan.missing)
        if plan.refused:  # given, but not placed: say so, or a client reads them as never given
            document["refused_facts"] = list(plan.refused)
        return document

    def _plan(self, placed: PlacedFacts, for_case: bool) -> _RenderPlan:
        """The rendering for this case, made once per case: which steps apply, what each lacks.

        Everything but the placed values depends only on which facts are known and refused and on the
        few values `applies` and the grant tables compare, so pastes that differ only in their values
        (another user, another bucket) share one plan, and each diagnosis only fills in the values.
        """
        key = (placed.case, placed.usable.get("grant_on"), placed.refused, for_case)
        plan = self._plans.get(key)
        if plan is None:
            if len(self._plans) >= _MAX_PLANS:  # bounded whatever the traffic: a rebuild costs one walk
                self._plans.clear()
            plan = self._plans[key] = self._walk(placed.usable, placed.refused, for_case)
        return plan

    def _walk(self, known: Mapping[str, str | int], refused: frozenset[str], for_case: bool) -> _RenderPlan:
        sections: list[tuple[str, tuple[tuple[dict[str, Any], str | None], ...]]] = []
        missing: set[str] = set()
        for section in ("diagnosis", "fix", "verify"):
            if section not in self.document:
                continue
            steps: list[tuple[dict[str, Any], str | None]] = []
            for raw, when in zip(self.document[section], self._whens[section], strict=True):
                step = dict(raw)
                step.pop("when", None)
                if when is not None and for_case and not applies(when, known):
                    continue
                if step.get("changes"):
                    step["changes_state"] = True  # the contract's name (API.md) for the same flag
                grant = step.pop("grant", None)
                if grant is not None:
                    step["command"] = _grant_command(grant, known)
                command = step.get("command")
                filling = None
                if command is not None:
                    template = self._template(command)
                    absent = sorted({key for key in template.fact_keys if key not in known})
                    missing.update(absent)
                    # `missing`: the facts this step still needs, so a client can mark it "fill in first";
                    # `variables`: the shell variables standing for them in the command.
                    filling = template.filling(known)
                    step["command"] = filling  # keeps the key's place; replaced by the filled command
                    step["missing"] = absent
                    step["variables"] = [
                        {"name": variable_name(key), "fact": key, "label": fact_label(key)} for key in absent
                    ]
                steps.append((step, filling))
            sections.append((section, tuple(steps)))
        return _RenderPlan(tuple(sections), tuple(sorted(missing)), tuple(sorted(refused & missing)))

    @cached_property
    def _plans(self) -> dict[tuple[object, ...], _RenderPlan]:
        return {}

    @cached_property
    def _inspections(self) -> dict[tuple[object, ...], tuple[str, tuple[str, ...]] | None]:
        return {}


# Cases kept per entry: a few shapes of paste per reason in practice; past the bound, a rebuild per
# diagnosis (the walk's own cost). A plan is ~10 KB: at most ~10 MB for the catalogue, whatever the traffic.
_MAX_PLANS: Final = 16
_UNPLANNED: Final = object()  # not in the cache (None is a cached answer: no step inspects)


@dataclass(frozen=True, slots=True)
class _RenderPlan:
    """An entry rendered for one case, values not yet placed: each section's steps, with the
    `str.format_map` filling of each command (None: no command), and the facts lacking and refused."""

    sections: tuple[tuple[str, tuple[tuple[dict[str, Any], str | None], ...]], ...]
    missing: tuple[str, ...]
    refused: tuple[str, ...]


class QuotedFacts(dict[str, str]):
    """Placeable facts, each shell-quoted when a command first uses it (once per diagnosis, not per use).

    The mapping `CommandTemplate.filling` strings are filled from (`filling.format_map(quoted)`).
    """

    __slots__ = ("_facts",)

    def __init__(self, facts: Mapping[str, str | int]) -> None:
        super().__init__()
        self._facts = facts

    def __missing__(self, key: str) -> str:
        quoted = self[key] = shell_quote(str(self._facts[key]))
        return quoted


@dataclass(slots=True)  # not frozen: one is made per diagnosis, and a frozen one costs twice as much to make
class PlacedFacts:
    """One diagnosis's facts as its commands take them, worked out once for the guidance and the trace.

    `usable` holds the placeable facts (`placeable`), `refused` the keys of the others, `case` is
    `case_of(usable)` (what the plans are kept by), and `quoted` fills the plans' commands, quoting
    each value once whichever command uses it first.
    """

    usable: dict[str, str | int]
    refused: frozenset[str]
    case: tuple[object, ...]
    quoted: QuotedFacts


def placed_facts(known: Mapping[str, str | int]) -> PlacedFacts:
    """Split the known facts and derived values into those a command may hold and those it may not."""
    usable: dict[str, str | int] = {}
    refused: list[str] = []
    for key, value in known.items():
        if placeable(value, key):
            usable[key] = value
        else:
            refused.append(key)
    return PlacedFacts(usable, frozenset(refused), case_of(usable), QuotedFacts(usable))


def case_of(known: Mapping[str, str | int]) -> tuple[object, ...]:
    """What decides which steps apply to a diagnosis and what they lack (see `applies`): the facts
    known, and the few values compared (principal kind, resource type, platform, denied service)."""
    return (
        frozenset(known),
        known.get("principal_kind"),
        known.get("resource_type"),
        known.get("platform"),
        denied_service(known),
    )


def denied_service(facts: Mapping[str, str | int]) -> str | None:
    """The service that said no: the action's prefix (s3), the permission's (storage), or the fact."""
    for key in ("action", "permission"):
        value = str(facts.get(key, ""))
        if ":" in value:
            return value.split(":", 1)[0].lower()
        if "." in value:
            return value.split(".", 1)[0]
    service = str(facts.get("service", ""))
    return service.split(".", 1)[0] or None


def applies(when: StepCondition, known: Mapping[str, str | int]) -> bool:
    """Tell whether a step's conditions hold for these facts (an unknown kind or type never excludes)."""
    if when.facts and not all(key in known for key in when.facts):
        return False
    if when.absent and any(key in known for key in when.absent):
        return False
    kind = known.get("principal_kind")
    if when.principal_kind and kind is not None and kind not in when.principal_kind:
        return False
    resource_type = known.get("resource_type")
    if when.resource_type and resource_type is not None and resource_type not in when.resource_type:
        return False
    platform = known.get("platform")
    if when.platform and platform is not None and platform not in when.platform:
        return False
    service = denied_service(known)
    return not (when.service and service is not None and service not in when.service)


def _grant_command(grant: str, known: Mapping[str, str | int]) -> str | None:
    """The command of a `grant` step, from the provider's table for the resource type."""
    resource_type = str(known["resource_type"]) if "resource_type" in known else None
    if grant == "gcp_role":
        grant_on = str(known["grant_on"]) if "grant_on" in known else None
        return gcp_binding(grant_on, resource_type)
    return aws_resource_policy(resource_type)
