"""A compiled catalogue snapshot for the CLI: parse and validate the content tree once, not per call.

`whydenied explain` would spend most of its own time reading ~60 YAML files and validating them and
the 14,000-row GCP role table. The validated catalogue is copied into plain data (api/plain_catalog.py:
no pydantic model, so reading it back needs no pydantic either) and pickled to the user's cache
directory under a key that hashes every input it was built from: the content files' bytes, the source
of the modules that define, validate or copy the entries, and the Python and format versions. Any
change gives a new key, so a snapshot is never used across a change; a mismatch, a corrupt file or an
unwritable cache directory falls back to the full load (which then writes the snapshot). Only a
catalogue with no lint issue is ever written.

The snapshot lives in the user's own cache directory (created 0700): whoever can write there can
already run code as the user, so unpickling it trusts no one new.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Final

from api.content_files import ENTRY_FOLDERS, ROLES_FILE, TAXONOMY_FILE
from api.plain_catalog import PlainCatalog

FORMAT: Final = 2  # bump when the snapshot's layout changes (2: plain data, api/plain_catalog.py)
_PREFIX: Final = "catalog-"
# The modules whose classes a snapshot holds or whose rules built it: a change to any of them
# changes what the snapshot would hold. Read as source files, not imported (they load pydantic).
_MODEL_MODULES: Final = (
    "api.catalog",
    "api.content_files",
    "api.entries",
    "api.render",
    "api.plain_catalog",
    "api.taxonomy",
    "api.command_lints",
    "api.services.gcp_roles",
    "adapters.derived",
)
_PACKAGE_ROOT: Final = Path(__file__).resolve().parent.parent  # holds api/ and adapters/


def cache_dir() -> Path:
    """Return where snapshots go: $WHYDENIED_CACHE_DIR, else the XDG cache directory."""
    explicit = os.environ.get("WHYDENIED_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "whydenied"


def snapshot_key(root: Traversable) -> str:
    """Hash every input of the catalogue: content files, model source, interpreter and pickle format."""
    digest = hashlib.sha256(f"{FORMAT} {sys.version} {pickle.HIGHEST_PROTOCOL}".encode())
    for name in _MODEL_MODULES:
        source = _PACKAGE_ROOT.joinpath(*name.split(".")).with_suffix(".py")
        digest.update(name.encode() + b"\0" + (source.read_bytes() if source.is_file() else b"?") + b"\0")
    inputs: list[tuple[str, Traversable]] = [(TAXONOMY_FILE, root / TAXONOMY_FILE), (ROLES_FILE, root / ROLES_FILE)]
    for folder_name in ENTRY_FOLDERS:
        folder = root / folder_name
        if folder.is_dir():
            inputs += [(f"{folder_name}/{item.name}", item) for item in folder.iterdir() if item.name.endswith(".yaml")]
    for path, item in sorted(inputs, key=lambda pair: pair[0]):
        data = item.read_bytes() if item.is_file() else b""
        digest.update(f"{path}\0{len(data)}\0".encode() + data)
    return digest.hexdigest()


def load_catalog_snapshot(root: Traversable | None = None, directory: Path | None = None) -> PlainCatalog:
    """Return the catalogue `load_catalog(root, check=False)` would, as plain data, from a snapshot when one matches.

    On a miss the full load runs (it raises ContentError on lint issues: nothing is written then).
    """
    root = root if root is not None else _content_root()
    directory = directory if directory is not None else cache_dir()
    try:
        key = snapshot_key(root)
    except OSError:
        return _full_load(root)
    path = directory / f"{_PREFIX}{key[:40]}.pickle"
    cached = _read(path, key)
    if cached is not None:
        return cached
    catalog = _full_load(root)
    _write(directory, path, key, catalog)
    return catalog


def _content_root() -> Traversable:
    from importlib.resources import files

    return files("content")


def _full_load(root: Traversable) -> PlainCatalog:
    from api.catalog import load_catalog  # pydantic, the YAML files, validation: only on a miss

    return PlainCatalog.of(load_catalog(root, check=False))


def _read(path: Path, key: str) -> PlainCatalog | None:
    try:
        with path.open("rb") as handle:
            stored_key, catalog = pickle.load(handle)  # noqa: S301  (our own cache dir; see the docstring)
    except FileNotFoundError:
        return None
    except Exception:  # a truncated or foreign file: rebuild it
        return None
    if stored_key != key or not isinstance(catalog, PlainCatalog):
        return None
    return catalog


def _write(directory: Path, path: Path, key: str, catalog: PlainCatalog) -> None:
    """Write atomically (a reader never sees half a file); a read-only cache just means no snapshot."""
    import tempfile  # here: only the first call after a change writes (tempfile pulls in random)

    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=directory)
        try:
            with os.fdopen(handle, "wb") as out:
                pickle.dump((key, catalog), out, protocol=pickle.HIGHEST_PROTOCOL)
            Path(temporary).replace(path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        for old in directory.glob(f"{_PREFIX}*.pickle"):
            if old != path:
                old.unlink(missing_ok=True)  # snapshots of older content are never valid again
    except (OSError, pickle.PicklingError):
        return
