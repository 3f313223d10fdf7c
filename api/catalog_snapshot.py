"""A compiled catalogue snapshot for the CLI: parse and validate the content tree once, not per call.

`whydenied explain` would spend most of its own time reading ~60 YAML files and validating them and
the 14,000-row GCP role table. The validated catalogue is copied into plain data (api/plain_catalog.py:
no pydantic model, so reading it back needs no pydantic either) and pickled to the user's cache
directory under a key that hashes every input it was built from: the content files' bytes, the source
of the modules that define, validate or copy the entries, and the Python and format versions. Any
change gives a new key, so a snapshot is never used across a change; a mismatch, a corrupt file or an
unwritable cache directory falls back to the full load (which then writes the snapshot). Only a
catalogue with no lint issue is ever written. The file also keeps the adapters' patterns compiled
(adapters/lazyre.py `compiled_table`): Python's regex compiler is pure Python, and an AWS paste
compiles some 60 patterns.

Hashing 2.5 MB of content on every call cost more than reading the snapshot, so the file also holds
a stamp of its inputs as `git status` compares them: each file's size, inode, modification and
change times (a write to a file always moves its change time, which no tool can set back). While
the stamp matches, the content is not read at all; when it differs (a checkout that touched the
files, an edit) the content key decides, and a snapshot whose content is unchanged is re-stamped.
A stamp is written only for inputs last changed more than two seconds before it, so an edit in the
same clock tick as the snapshot (coarse file-system timestamps) is still hashed.

The snapshot lives in the user's own cache directory (created 0700): whoever can write there can
already run code as the user, so unpickling it trusts no one new.
"""

from __future__ import annotations

import os
import pickle
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from adapters.lazyre import compiled_table, use_compiled_table
from api.content_files import ENTRY_FOLDERS, ROLES_FILE, TAXONOMY_FILE
from api.plain_catalog import PlainCatalog

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

FORMAT: Final = 3  # bump when the snapshot's layout changes (2: plain data, 3: and compiled regexes)
SNAPSHOT_FILE: Final = f"catalog-v{FORMAT}.pickle"
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
_SETTLED_NS: Final = 2_000_000_000  # inputs changed this recently are not stamped (see the docstring)

Stamp = tuple[Any, ...]


def cache_dir() -> Path:
    """Return where snapshots go: $WHYDENIED_CACHE_DIR, else the XDG cache directory."""
    explicit = os.environ.get("WHYDENIED_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "whydenied"


def _model_sources() -> list[tuple[str, Path]]:
    return [(name, _PACKAGE_ROOT.joinpath(*name.split(".")).with_suffix(".py")) for name in _MODEL_MODULES]


def _content_inputs(root: Traversable) -> list[tuple[str, Traversable]]:
    inputs: list[tuple[str, Traversable]] = [(TAXONOMY_FILE, root / TAXONOMY_FILE), (ROLES_FILE, root / ROLES_FILE)]
    for folder_name in ENTRY_FOLDERS:
        folder = root / folder_name
        if folder.is_dir():
            inputs += [(f"{folder_name}/{item.name}", item) for item in folder.iterdir() if item.name.endswith(".yaml")]
    return sorted(inputs, key=lambda pair: pair[0])


def snapshot_key(root: Traversable) -> str:
    """Hash every input of the catalogue: content files, model source, interpreter and pickle format."""
    import hashlib  # here: a matching stamp (the usual case) needs no hash, and OpenSSL costs ~3 ms to load

    digest = hashlib.sha256(f"{FORMAT} {sys.version} {pickle.HIGHEST_PROTOCOL}".encode())
    for name, source in _model_sources():
        digest.update(name.encode() + b"\0" + (source.read_bytes() if source.is_file() else b"?") + b"\0")
    for path, item in _content_inputs(root):
        data = item.read_bytes() if item.is_file() else b""
        digest.update(f"{path}\0{len(data)}\0".encode() + data)
    return digest.hexdigest()


def input_stamp(root: Traversable) -> Stamp | None:
    """Return the inputs' file metadata (None when the tree is not plain files, e.g. inside a zip)."""
    if not isinstance(root, Path):
        return None
    files = [*_model_sources(), *((name, Path(str(item))) for name, item in _content_inputs(root))]
    rows: list[tuple[Any, ...]] = [(FORMAT, sys.version, pickle.HIGHEST_PROTOCOL, str(root), str(_PACKAGE_ROOT))]
    for name, path in files:
        try:
            meta = path.stat()
        except OSError:
            rows.append((name, None))
            continue
        rows.append((name, meta.st_size, meta.st_mtime_ns, meta.st_ctime_ns, meta.st_ino, meta.st_dev))
    return tuple(rows)


def _settled(stamp: Stamp | None, now_ns: int) -> Stamp | None:
    """The stamp, if every input last changed well before now; else None (hash the content next time)."""
    if stamp is None:
        return None
    changed = max((row[3] for row in stamp[1:] if len(row) > 2), default=0)  # ctime >= mtime
    return stamp if changed < now_ns - _SETTLED_NS else None


def load_catalog_snapshot(root: Traversable | None = None, directory: Path | None = None) -> PlainCatalog:
    """Return the catalogue `load_catalog(root, check=False)` would, as plain data, from a snapshot when one matches.

    On a miss the full load runs (it raises ContentError on lint issues: nothing is written then).
    """
    root = root if root is not None else _content_root()
    directory = directory if directory is not None else cache_dir()
    path = directory / SNAPSHOT_FILE
    try:
        stamp = input_stamp(root)
        with path.open("rb") as handle:
            stored_stamp = pickle.load(handle)  # noqa: S301  (our own cache dir; see the docstring)
            if stamp is not None and stored_stamp == stamp:
                pickle.load(handle)  # noqa: S301  the content key, not needed: nothing changed
                catalog = _checked(pickle.load(handle))  # noqa: S301
                use_compiled_table(*pickle.load(handle))  # noqa: S301
                return catalog
            key = snapshot_key(root)
            if pickle.load(handle) == key:  # noqa: S301  touched, not changed: re-stamp it
                catalog = _checked(pickle.load(handle))  # noqa: S301
                use_compiled_table(*pickle.load(handle))  # noqa: S301
                if stamp is not None and stamp != stored_stamp:
                    _write(directory, path, key, stamp, catalog)
                return catalog
    except Exception:  # noqa: S110  no snapshot yet, a truncated or foreign file, an unreadable tree: rebuild
        pass
    try:
        stamp = input_stamp(root)
        key = snapshot_key(root)
    except OSError:
        return _full_load(root)
    catalog = _full_load(root)
    _write(directory, path, key, stamp, catalog)
    return catalog


def _checked(catalog: object) -> PlainCatalog:
    if not isinstance(catalog, PlainCatalog):
        raise TypeError("not a catalogue snapshot")
    return catalog


def _content_root() -> Traversable:
    """The installed `content` package: its folder when it is one (importlib.resources costs ~5 ms to load)."""
    import content

    origin = getattr(content, "__file__", None)
    if origin and Path(origin).is_file():
        return Path(origin).parent
    from importlib.resources import files

    return files("content")


def _full_load(root: Traversable) -> PlainCatalog:
    from api.catalog import load_catalog  # pydantic, the YAML files, validation: only on a miss

    return PlainCatalog.of(load_catalog(root, check=False))


def _regex_table() -> tuple[int, dict[Any, Any]]:
    """Every adapter pattern, compiled (adapters/lazyre.py): a warm explain then compiles none itself."""
    import adapters.registry  # noqa: F401  every adapter's patterns exist once it is imported

    return compiled_table()


def _write(directory: Path, path: Path, key: str, stamp: Stamp | None, catalog: PlainCatalog) -> None:
    """Write atomically (a reader never sees half a file); a read-only cache just means no snapshot."""
    import tempfile  # here: only the first call after a change writes (tempfile pulls in random)

    stamp = _settled(stamp, time.time_ns())
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=directory)
        try:
            with os.fdopen(handle, "wb") as out:
                for part in (stamp, key, catalog, _regex_table()):
                    pickle.dump(part, out, protocol=pickle.HIGHEST_PROTOCOL)
            Path(temporary).replace(path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        for old in directory.glob(f"{_PREFIX}*.pickle"):
            if old != path:
                old.unlink(missing_ok=True)  # snapshots of an older format are never read again
    except (OSError, pickle.PicklingError):
        return
