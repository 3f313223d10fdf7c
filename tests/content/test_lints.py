"""Every content lint code has a failing fixture, the real tree is clean, and the taxonomy is covered.

A fixture is a minimal valid tree (taxonomy, schema, three real entries that only link to each
other or to taxonomy reasons, published.txt) with one mutation applied.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import pytest
import yaml

from api.catalog import (
    LINTS,
    PUBLISHED_FILE,
    SCHEMA_FILE,
    TAXONOMY_FILE,
    Catalog,
    ContentError,
    content_root,
    load_catalog,
    read_catalog,
)
from api.services.gcp_roles import ROLES_FILE
from api.taxonomy import load_taxonomy

ENTRY = "http/http.authz.forbidden.yaml"
# The entry links to the guide, the guide to the playbook: together they link to nothing missing.
FIXTURE_FILES: Final = (ENTRY, "guides/guide.http_401_vs_403.yaml", "playbooks/playbook.cors.yaml")
PROVIDERS_WITHOUT_ENTRIES: Final[tuple[str, ...]] = ()

Mutation = Callable[[Path], object]


def _build_tree(root: Path) -> Path:
    source = Path(str(content_root()))
    root.mkdir()
    for name in (TAXONOMY_FILE, SCHEMA_FILE, ROLES_FILE, *FIXTURE_FILES):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / name, root / name)
    ids = sorted(Path(name).stem for name in FIXTURE_FILES)
    (root / PUBLISHED_FILE).write_text("# published ids\n" + "\n".join(ids) + "\n", encoding="utf-8")
    return root


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """Return a minimal content tree that lints clean."""
    return _build_tree(tmp_path / "content")


def _edit_yaml(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def _edit_entry(change: Callable[[dict[str, Any]], None]) -> Mutation:
    return lambda root: _edit_yaml(root / ENTRY, change)


def _publish(root: Path, entry_id: str) -> None:
    with (root / PUBLISHED_FILE).open("a", encoding="utf-8") as published:
        published.write(entry_id + "\n")


def _second_entry_same_examples(root: Path) -> None:
    """Copy the entry under another taxonomy reason, examples and all."""
    other = "http.authz.insufficient_scope"
    data = yaml.safe_load((root / ENTRY).read_text(encoding="utf-8"))
    data["id"] = other
    (root / "http" / f"{other}.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    _publish(root, other)


def _remove_from_taxonomy(root: Path) -> None:
    path = root / TAXONOMY_FILE
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if not line.lstrip().startswith("http.authz.forbidden:")]
    assert len(kept) == len(lines) - 1
    path.write_text("".join(kept), encoding="utf-8")


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data[key] = value

    return change


def _first(section: str, key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data[section][0][key] = value

    return change


def _add_fact(data: dict[str, Any]) -> None:
    data["examples"][0]["facts"]["favourite_colour"] = "blue"


MUTATIONS: Final[dict[str, Mutation]] = {
    "WD001": _edit_entry(lambda data: data.pop("summary")),
    "WD002": lambda root: (root / ENTRY).rename(root / "http" / "http.authz.forbidden_v2.yaml"),
    "WD003": _remove_from_taxonomy,
    "WD004": _edit_entry(_set("category", "authentication")),
    "WD005": _edit_entry(_first("examples", "input", {"eror": "HTTP/1.1 403 Forbidden"})),
    "WD006": _second_entry_same_examples,
    "WD007": _edit_entry(_set("references", ["http://www.rfc-editor.org/rfc/rfc9110"])),
    "WD008": _edit_entry(_set("related", ["http.authz.no_such_entry"])),
    "WD009": _edit_entry(_first("diagnosis", "command", "curl -sS {endpoint_url}")),
    "WD010": _edit_entry(_add_fact),
    "WD011": _edit_entry(_first("not_this", "expect", "http.authz.no_such_reason")),
    "WD012": lambda root: _publish(root, "http.authz.retired_once"),
    "WD013": lambda root: (root / PUBLISHED_FILE).write_text("# nothing published\n", encoding="utf-8"),
    "WD014": lambda root: (root / SCHEMA_FILE).write_text('{"stale": true}\n', encoding="utf-8"),
    "WD015": lambda root: shutil.copytree(root / "http", root / "aws"),
    "WD016": lambda root: (root / ROLES_FILE).write_text(
        '{"sources": ["https://cloud.google.com/iam/docs/roles-permissions"], "last_reviewed": "2026-11-27",'
        ' "permissions": {"storage.objects.get": {"roles": ["owner"], "grant_on": "bucket"}}}\n',
        encoding="utf-8",
    ),
    # A fact inside a quoted string: quoted twice when filled, never expanded when not.
    "WD017": _edit_entry(_first("diagnosis", "command", 'curl -sS "{url}"')),
    # A write that does not say so.
    "WD018": _edit_entry(_first("fix", "command", "gcloud projects add-iam-policy-binding {project} --role=x")),
    "WD019": _edit_entry(_first("diagnosis", "when", {"principal_kind": ["iam_superuser"]})),
    "WD020": _edit_entry(_first("fix", "grant", "gcp_role")),
}


# Codes a mutation must also raise: an entry that fails to validate leaves its published id orphaned.
ALSO_REPORTED: Final[dict[str, set[str]]] = {"WD001": {"WD012"}}


def test_lint_real_content_tree_is_clean() -> None:
    catalog = read_catalog()

    assert [str(issue) for issue in catalog.issues] == []
    assert catalog.entries


def test_lint_fixture_tree_is_clean(tree: Path) -> None:
    catalog = read_catalog(tree)

    assert [str(issue) for issue in catalog.issues] == []
    assert sorted(catalog.entries) == sorted(Path(name).stem for name in FIXTURE_FILES)


def test_lint_mutations_cover_every_code() -> None:
    assert set(MUTATIONS) == set(LINTS)


@pytest.mark.parametrize("code", [pytest.param(code, id=code) for code in MUTATIONS])
def test_lint_reports_its_code_for_its_fixture(tree: Path, code: str) -> None:
    MUTATIONS[code](tree)

    issues = read_catalog(tree).issues

    # Exactly this code (and its consequences): a lint firing on a valid neighbour is a bug too.
    assert {issue.code for issue in issues} == {code, *ALSO_REPORTED.get(code, set())}, [str(issue) for issue in issues]
    issue = next(issue for issue in issues if issue.code == code)
    assert issue.message
    assert issue.path


def test_load_catalog_refuses_a_broken_tree(tree: Path) -> None:
    MUTATIONS["WD007"](tree)

    with pytest.raises(ContentError) as raised:
        load_catalog(tree)

    assert "WD007" in {issue.code for issue in raised.value.issues}
    assert "WD007" in str(raised.value)


def _reason_ids() -> list[Any]:
    taxonomy = load_taxonomy(content_root() / TAXONOMY_FILE)
    cases = []
    for reason_id, info in taxonomy.reasons.items():
        if info.provider in PROVIDERS_WITHOUT_ENTRIES:
            mark = pytest.mark.xfail(strict=True, reason=f"entries for {info.provider} come with its issue")
            cases.append(pytest.param(reason_id, marks=mark, id=reason_id))
        else:
            cases.append(pytest.param(reason_id, id=reason_id))
    return cases


@pytest.mark.parametrize("reason_id", _reason_ids())
def test_taxonomy_reason_has_an_entry(catalog: Catalog, reason_id: str) -> None:
    compiled = catalog.get(reason_id)

    assert compiled is not None, f"no content entry for {reason_id}"
    assert compiled.entry.kind == "reason"
