"""Load the content tree once, validate it, lint it, and hold it compiled in memory.

The tree is `content/` as a package resource (so it is found from a checkout and from an
installed wheel) or a directory given in settings. Lint codes are stable; each has a failing
fixture under tests/content/fixtures/. A tree with any lint error does not load.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Final

from pydantic import ValidationError

from adapters.derived import PRINCIPAL_KINDS
from api.command_lints import quoted_placeholders, state_change
from api.content_files import ENTRY_FOLDERS as ENTRY_FOLDERS
from api.content_files import TAXONOMY_FILE as TAXONOMY_FILE
from api.entries import AnyEntry, GuideEntry, PlaybookEntry, ReasonEntry, Step, entry_json_schema, parse_entry
from api.render import CompiledEntry, placeholders_in
from api.services.gcp_roles import ROLES_FILE, RoleTable, load_role_table
from api.taxonomy import Taxonomy, load_taxonomy
from api.yamldoc import parse_yaml, yaml_error

SCHEMA_FILE: Final = "schema.json"
PUBLISHED_FILE: Final = "published.txt"

# Stable lint codes: never renumber; retire a code rather than reuse it.
LINTS: Final[dict[str, str]] = {
    "WD001": "the file cannot be read or does not validate as an entry",
    "WD002": "the file stem differs from the entry id",
    "WD003": "a reason entry's id is not a taxonomy reason",
    "WD004": "a reason entry's category disagrees with the taxonomy",
    "WD005": "an example input is not a valid POST /v1/diagnose body",
    "WD006": "the same example input is listed under two entries",
    "WD007": "a reference is not an https URL",
    "WD008": "a related or applies_to id names no entry or reason",
    "WD009": "a command placeholder names no taxonomy fact or derived key",
    "WD010": "an example's facts use a key that is not a taxonomy fact key",
    "WD011": "a not_this expectation names no taxonomy reason",
    "WD012": "an id once published (published.txt) has no entry",
    "WD013": "an entry is not listed in published.txt",
    "WD014": "schema.json is not what the entry models generate",
    "WD015": "two files declare the same id",
    "WD016": "a data table (content/data/) is missing or does not validate",
    "WD017": "a command placeholder sits inside quotes or a heredoc (a fact must be one shell word)",
    "WD018": "a command that changes state is in a step not marked `changes: true`",
    "WD019": "a step's `when` names an unknown principal kind or fact key",
    "WD020": "a `grant` step also has a command, or is not marked `changes: true`",
}


def _lint_step(step: Step, path: str, placeholder_keys: frozenset[str]) -> Iterator[LintIssue]:
    """The command rules: facts as whole words, state changes marked, `when` and `grant` well-formed."""
    command = step.command or ""
    for name in quoted_placeholders(command):
        yield LintIssue("WD017", path, f"{{{name}}} is inside quotes or a heredoc: {command[:80]}")
    if (change := state_change(command)) and not step.changes:
        yield LintIssue("WD018", path, f"`{change}` changes state; mark the step `changes: true`")
    if step.when is not None:
        kinds = set(step.when.principal_kind or ()) - PRINCIPAL_KINDS
        keys = set(step.when.facts or ()) | set(step.when.absent or ())
        if kinds or keys - placeholder_keys:
            yield LintIssue("WD019", path, f"`when` names {sorted(kinds | (keys - placeholder_keys))}")
    if step.grant is not None and (step.command is not None or not step.changes):
        yield LintIssue("WD020", path, f"grant {step.grant}: no `command`, and `changes: true`")


@dataclass(frozen=True)
class LintIssue:
    """One content problem, with its stable code and the file it is in."""

    code: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.code} {self.message}"


class ContentError(Exception):
    """The content tree has lint errors; the service refuses to start on it."""

    def __init__(self, issues: list[LintIssue]) -> None:
        self.issues = issues
        lines = "\n".join(f"  {issue}" for issue in issues[:50])
        super().__init__(f"content has {len(issues)} problem(s):\n{lines}")


@dataclass
class Catalog:
    """Every entry, validated and compiled, with the taxonomy it answers to."""

    taxonomy: Taxonomy
    entries: dict[str, CompiledEntry] = field(default_factory=dict)
    gcp_roles: RoleTable | None = None
    hashes: dict[str, str] = field(default_factory=dict)
    issues: list[LintIssue] = field(default_factory=list)

    def get(self, entry_id: str) -> CompiledEntry | None:
        """Return one compiled entry by id."""
        return self.entries.get(entry_id)

    @property
    def placeholder_keys(self) -> frozenset[str]:
        """Return every name a command template may use (the taxonomy's fact and derived keys)."""
        return self.taxonomy.placeholder_keys

    def reason_entries(self) -> Iterator[ReasonEntry]:
        """Yield the per-reason entries."""
        for compiled in self.entries.values():
            if isinstance(compiled.entry, ReasonEntry):
                yield compiled.entry


def content_root(directory: Path | None = None) -> Traversable:
    """Return the content tree: a given directory, or the installed `content` package."""
    return directory if directory is not None else files("content")


def load_catalog(root: Traversable | None = None, check: bool = True) -> Catalog:
    """Load, validate, lint and compile the content tree; raise ContentError on any problem.

    `check=False` skips the repository-hygiene lints (published ids, schema freshness) that the
    service and the test suite run: the CLI's explain path loads faster without them.
    """
    catalog = read_catalog(root, check=check)
    if catalog.issues:
        raise ContentError(catalog.issues)
    return catalog


def read_catalog(root: Traversable | None = None, check: bool = True) -> Catalog:
    """Load and lint the tree, keeping every problem found (for `whydenied content lint`)."""
    root = root if root is not None else content_root()
    taxonomy = load_taxonomy(root / TAXONOMY_FILE)
    catalog = Catalog(taxonomy=taxonomy)
    seen_inputs: dict[str, str] = {}
    for path, raw in _entry_files(root, catalog.issues):
        entry = _validate(path, raw, catalog.issues)
        if entry is None:
            continue
        if entry.id in catalog.entries:
            catalog.issues.append(LintIssue("WD015", path, f"id {entry.id} is also declared elsewhere"))
            continue
        catalog.issues.extend(_lint_entry(path, entry, taxonomy, seen_inputs))
        catalog.entries[entry.id] = CompiledEntry(entry, taxonomy.placeholder_keys)
        catalog.hashes[entry.id] = _content_hash(raw)
    catalog.issues.extend(_lint_links(catalog))
    try:
        catalog.gcp_roles = load_role_table(root)
    except (OSError, ValueError, ValidationError) as exc:  # json.JSONDecodeError is a ValueError
        catalog.issues.append(LintIssue("WD016", ROLES_FILE, f"cannot load: {str(exc)[:300]}"))
    if check:
        catalog.issues.extend(_lint_published(root, catalog))
        catalog.issues.extend(_lint_schema(root))
    return catalog


def _entry_files(root: Traversable, issues: list[LintIssue]) -> Iterator[tuple[str, Any]]:
    for folder_name in ENTRY_FOLDERS:
        folder = root / folder_name
        if not folder.is_dir():
            continue
        for item in sorted(folder.iterdir(), key=lambda t: t.name):
            if not item.name.endswith(".yaml"):
                continue
            path = f"{folder_name}/{item.name}"
            try:
                yield path, parse_yaml(item.read_text(encoding="utf-8"))
            except (yaml_error(), UnicodeDecodeError) as exc:
                issues.append(LintIssue("WD001", path, f"not valid YAML: {exc}"))


def _validate(path: str, raw: Any, issues: list[LintIssue]) -> AnyEntry | None:
    try:
        entry = parse_entry(raw)
    except ValidationError as exc:
        for error in exc.errors()[:10]:
            where = ".".join(str(part) for part in error["loc"])
            issues.append(LintIssue("WD001", path, f"{where}: {error['msg']}"))
        return None
    stem = path.rsplit("/", 1)[-1].removesuffix(".yaml")
    if stem != entry.id:
        issues.append(LintIssue("WD002", path, f"file stem {stem!r} but id {entry.id!r}"))
    return entry


def _lint_entry(path: str, entry: AnyEntry, taxonomy: Taxonomy, seen_inputs: dict[str, str]) -> Iterator[LintIssue]:
    from api.schemas import DiagnoseRequest  # the wire model is the example's contract

    for url in entry.references:
        if url.scheme != "https":
            yield LintIssue("WD007", path, f"reference {url} is not https")
    if isinstance(entry, GuideEntry):
        return
    if isinstance(entry, ReasonEntry):
        info = taxonomy.reasons.get(entry.id)
        if info is None:
            yield LintIssue("WD003", path, f"{entry.id} is not a reason in taxonomy.yaml")
        elif info.category != entry.category:
            yield LintIssue("WD004", path, f"category {entry.category} but taxonomy says {info.category}")
    for step in [*entry.diagnosis, *entry.fix, *entry.verify]:
        for name in placeholders_in(step.command or ""):
            if name not in taxonomy.placeholder_keys:
                yield LintIssue("WD009", path, f"placeholder {{{name}}} is not a fact or derived key")
        yield from _lint_step(step, path, taxonomy.placeholder_keys)
    for index, example in enumerate(entry.examples):
        try:
            DiagnoseRequest.model_validate(example.input)
        except ValidationError as exc:
            yield LintIssue("WD005", path, f"examples[{index}]: {exc.errors()[0]['msg']}")
        unknown = sorted(set(example.facts) - set(taxonomy.facts))
        if unknown:
            yield LintIssue("WD010", path, f"examples[{index}] facts use unknown keys {unknown}")
        key = json.dumps(example.input, sort_keys=True)
        if key in seen_inputs and seen_inputs[key] != entry.id:
            yield LintIssue("WD006", path, f"examples[{index}] is also an example of {seen_inputs[key]}")
        seen_inputs.setdefault(key, entry.id)
    for index, miss in enumerate(entry.not_this):
        if miss.expect is not None and miss.expect not in taxonomy.reasons:
            yield LintIssue("WD011", path, f"not_this[{index}] expects unknown reason {miss.expect}")


def _lint_links(catalog: Catalog) -> Iterator[LintIssue]:
    known = set(catalog.entries) | set(catalog.taxonomy.reasons)
    for entry_id, compiled in catalog.entries.items():
        entry = compiled.entry
        targets = list(entry.related)
        if isinstance(entry, PlaybookEntry):
            targets += entry.applies_to
        for target in targets:
            if target not in known:
                yield LintIssue("WD008", _path_of(entry), f"{entry_id} links to unknown id {target}")


def _lint_published(root: Traversable, catalog: Catalog) -> Iterator[LintIssue]:
    published_file = root / PUBLISHED_FILE
    text = published_file.read_text(encoding="utf-8") if published_file.is_file() else ""
    published = {line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")}
    for entry_id in sorted(published - set(catalog.entries)):
        yield LintIssue(
            "WD012",
            PUBLISHED_FILE,
            f"{entry_id} was published and must keep an entry (deprecate it instead)",
        )
    for entry_id in sorted(set(catalog.entries) - published):
        yield LintIssue(
            "WD013",
            _path_of(catalog.entries[entry_id].entry),
            f"{entry_id} is missing from {PUBLISHED_FILE}",
        )


def _lint_schema(root: Traversable) -> Iterator[LintIssue]:
    schema_file = root / SCHEMA_FILE
    current = schema_file.read_text(encoding="utf-8") if schema_file.is_file() else ""
    if current != render_schema():
        yield LintIssue("WD014", SCHEMA_FILE, "stale: run `whydenied content schema` to regenerate it")


def render_schema() -> str:
    """Return the text content/schema.json must have."""
    return json.dumps(entry_json_schema(), indent=2, sort_keys=True) + "\n"


def _path_of(entry: AnyEntry) -> str:
    if isinstance(entry, GuideEntry):
        return f"guides/{entry.id}.yaml"
    if isinstance(entry, PlaybookEntry):
        return f"playbooks/{entry.id}.yaml"
    return f"{entry.id.split('.', 1)[0]}/{entry.id}.yaml"


def _content_hash(raw: Any) -> str:
    canonical = json.dumps(raw, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
