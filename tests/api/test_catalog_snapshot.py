"""The CLI's compiled catalogue snapshot: the same catalogue as plain data, never reused after any content change."""

from __future__ import annotations

import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import content
from api.catalog import ContentError, load_catalog
from api.catalog_snapshot import load_catalog_snapshot, snapshot_key
from api.plain_catalog import PlainCatalog

REASON = "aws.authz.explicit_deny.scp"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A private copy of the content tree, to edit."""
    root = tmp_path / "content"
    shutil.copytree(Path(content.__file__).parent, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def _snapshots(directory: Path) -> list[Path]:
    return sorted(directory.glob("catalog-*.pickle"))


def _summary(catalog: PlainCatalog) -> dict[str, object]:
    facts = {"action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "account_id": "123456789012"}
    return {
        "entries": {key: (compiled.title, compiled.document) for key, compiled in catalog.entries.items()},
        "rendered": {key: compiled.render(facts, None, derived={}) for key, compiled in catalog.entries.items()},
        "shown": {key: compiled.render({}, for_case=False) for key, compiled in catalog.entries.items()},
        "inspections": {key: compiled.inspection(facts) for key, compiled in catalog.entries.items()},
        "roles": catalog.gcp_roles.rows if catalog.gcp_roles else None,
        "placeholders": sorted(catalog.placeholder_keys),
    }


def test_the_snapshot_is_the_catalogue_a_full_load_gives(tree: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = load_catalog_snapshot(tree, cache)
    assert len(_snapshots(cache)) == 1
    second = load_catalog_snapshot(tree, cache)  # from the snapshot this time
    assert _summary(second) == _summary(first) == _summary(PlainCatalog.of(load_catalog(tree, check=False)))


def test_a_content_change_is_never_answered_from_the_old_snapshot(tree: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    load_catalog_snapshot(tree, cache)
    old = _snapshots(cache)
    stale = old[0].read_bytes()
    entry = tree / "aws" / f"{REASON}.yaml"
    text = entry.read_text(encoding="utf-8")
    title = next(line for line in text.splitlines() if line.startswith("title:"))
    entry.write_text(text.replace(title, "title: A title edited after the snapshot was written"), encoding="utf-8")

    catalog = load_catalog_snapshot(tree, cache)
    assert catalog.entries[REASON].title == "A title edited after the snapshot was written"
    assert _snapshots(cache) == old and old[0].read_bytes() != stale  # rewritten in place


def test_a_snapshot_whose_stored_key_differs_is_not_trusted(tree: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    load_catalog_snapshot(tree, cache)
    [path] = _snapshots(cache)
    forged = PlainCatalog.of(load_catalog(tree, check=False))
    forged.entries[REASON].title = "forged"
    path.write_bytes(b"".join(pickle.dumps(part) for part in (None, "not the key", forged)))  # no stamp
    assert load_catalog_snapshot(tree, cache).entries[REASON].title != "forged"


@pytest.mark.parametrize("damage", [b"", b"not a pickle", b"\x80\x05truncated"])
def test_a_damaged_snapshot_is_rebuilt(tree: Path, tmp_path: Path, damage: bytes) -> None:
    cache = tmp_path / "cache"
    load_catalog_snapshot(tree, cache)
    [path] = _snapshots(cache)
    path.write_bytes(damage)
    assert REASON in load_catalog_snapshot(tree, cache).entries
    assert path.read_bytes().startswith(b"\x80") and len(path.read_bytes()) > 1000  # rewritten whole


def test_an_unwritable_cache_directory_only_costs_the_snapshot(tree: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("the cache directory cannot be created under a file")
    assert REASON in load_catalog_snapshot(tree, blocker / "cache").entries


def test_a_tree_with_lint_errors_raises_and_writes_nothing(tree: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    (tree / "aws" / "aws.not.a.reason.yaml").write_text("id: aws.not.a.reason\n", encoding="utf-8")
    with pytest.raises(ContentError):
        load_catalog_snapshot(tree, cache)
    assert _snapshots(cache) == []


def test_the_key_covers_every_entry_file(tree: Path) -> None:
    before = snapshot_key(tree)
    (tree / "guides" / "extra.yaml").write_text("# a new file\n", encoding="utf-8")
    assert snapshot_key(tree) != before


def test_a_matching_stamp_spares_reading_the_content(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import api.catalog_snapshot as snapshot

    cache = tmp_path / "cache"
    monkeypatch.setattr(snapshot, "_SETTLED_NS", 0)  # the tree was copied just now: stamp it all the same
    load_catalog_snapshot(tree, cache)

    def no_hashing(_root: object) -> str:
        raise AssertionError("the content was hashed although no input changed")

    monkeypatch.setattr(snapshot, "snapshot_key", no_hashing)
    assert REASON in load_catalog_snapshot(tree, cache).entries


def test_a_touched_but_unchanged_tree_is_answered_from_the_snapshot_and_restamped(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import api.catalog_snapshot as snapshot

    cache = tmp_path / "cache"
    monkeypatch.setattr(snapshot, "_SETTLED_NS", 0)
    load_catalog_snapshot(tree, cache)
    [path] = _snapshots(cache)
    before = path.read_bytes()
    entry = tree / "aws" / f"{REASON}.yaml"
    entry.write_bytes(entry.read_bytes())  # as a checkout does: same bytes, new times

    def no_full_load(_root: object) -> PlainCatalog:
        raise AssertionError("rebuilt although the content did not change")

    monkeypatch.setattr(snapshot, "_full_load", no_full_load)
    assert REASON in load_catalog_snapshot(tree, cache).entries
    assert path.read_bytes() != before  # the new stamp
    monkeypatch.setattr(snapshot, "snapshot_key", lambda _root: pytest.fail("hashed again"))
    assert REASON in load_catalog_snapshot(tree, cache).entries


def test_inputs_changed_in_the_last_seconds_are_not_stamped(tree: Path) -> None:
    # A file system with coarse timestamps could show an edit made in the same tick as unchanged.
    import time

    from api.catalog_snapshot import _settled, input_stamp

    stamp = input_stamp(tree)
    assert stamp is not None
    assert _settled(stamp, time.time_ns()) is None  # the tree was copied just now
    assert _settled(stamp, time.time_ns() + 3_000_000_000) == stamp


def test_a_warm_snapshot_is_read_without_pydantic(tree: Path, tmp_path: Path) -> None:
    # The point of the plain format: `whydenied explain` pays for pydantic only when content changed.
    cache = tmp_path / "cache"
    load_catalog_snapshot(tree, cache)
    probe = (
        "import sys\n"
        "from pathlib import Path\n"
        "from api.catalog_snapshot import load_catalog_snapshot\n"
        f"catalog = load_catalog_snapshot(Path({str(tree)!r}), Path({str(cache)!r}))\n"
        f"print({REASON!r} in catalog.entries, sorted({{m.split('.')[0] for m in sys.modules}} & {{'pydantic', 'yaml'}}))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert result.stdout.split() == ["True", "[]"]


def test_the_key_covers_the_source_of_the_modules_that_build_the_snapshot(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import api.catalog_snapshot as snapshot

    # Read from their files, not from sys.modules: a warm call never imports them (they load pydantic).
    sources = tmp_path / "sources"
    for name in snapshot._MODEL_MODULES:
        relative = Path(*name.split(".")).with_suffix(".py")
        assert (snapshot._PACKAGE_ROOT / relative).is_file(), name
        (sources / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(snapshot._PACKAGE_ROOT / relative, sources / relative)
    monkeypatch.setattr(snapshot, "_PACKAGE_ROOT", sources)
    before = snapshot_key(tree)
    with (sources / "api" / "render.py").open("a", encoding="utf-8") as source:
        source.write("# an edit to how entries render\n")
    assert snapshot_key(tree) != before
