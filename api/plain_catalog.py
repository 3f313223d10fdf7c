"""The catalogue as plain data: what a diagnosis reads, without the pydantic models it was validated with.

`whydenied explain` runs once per call (IDE plugins, MCP stdio clients): importing pydantic and
building the entry models cost it more than the diagnosis. The validated catalogue (api/catalog.py)
is copied here into plain objects once, when the CLI writes its snapshot (api/catalog_snapshot.py):
each entry's rendered document, its compiled command templates and its step conditions, the
taxonomy's placeholder keys and the GCP role table's rows. Rendering is CompiledEntry's own code, so
the guidance is the same as the service's; tests/api/test_plain_catalog.py compares the two on every
payload and example.

This module must not import pydantic, nor any module that does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from api.render import CommandTemplate, CompiledEntry, StepCondition

if TYPE_CHECKING:
    from api.catalog import Catalog


class EntryLookup(Protocol):
    """What the trace reads of a catalogue: the compiled entry for an id (api/catalog.py or PlainCatalog)."""

    def get(self, entry_id: str) -> CompiledEntry | None:
        """Return one compiled entry by id."""


class RoleSuggester(Protocol):
    """A GCP role table: the validated RoleTable (api/services/gcp_roles.py) or PlainRoleTable."""

    def suggest(self, permission: str) -> dict[str, Any] | None:
        """Return the role suggestion for a denied permission, or None."""


class DiagnosisCatalog(EntryLookup, Protocol):
    """What a diagnosis reads of a catalogue: entries, the GCP role table, the placeholder keys."""

    @property
    def gcp_roles(self) -> RoleSuggester | None:
        """The permission -> role table, when content has one."""

    @property
    def placeholder_keys(self) -> frozenset[str]:
        """Every name a command template may use."""


class PlainWhen:
    """A step's `when`, copied from api.entries.When: the same six conditions, as tuples."""

    __slots__ = ("absent", "facts", "platform", "principal_kind", "resource_type", "service")

    def __init__(
        self,
        principal_kind: Sequence[str] | None = None,
        resource_type: Sequence[str] | None = None,
        service: Sequence[str] | None = None,
        facts: Sequence[str] | None = None,
        absent: Sequence[str] | None = None,
        platform: Sequence[str] | None = None,
    ) -> None:
        self.principal_kind = _frozen(principal_kind)
        self.resource_type = _frozen(resource_type)
        self.service = _frozen(service)
        self.facts = _frozen(facts)
        self.absent = _frozen(absent)
        self.platform = _frozen(platform)

    @classmethod
    def of(cls, when: StepCondition | None) -> PlainWhen | None:
        """Copy a validated condition (None stays None: the step always applies)."""
        if when is None:
            return None
        return cls(when.principal_kind, when.resource_type, when.service, when.facts, when.absent, when.platform)

    def __reduce__(self) -> tuple[type[PlainWhen], tuple[tuple[str, ...] | None, ...]]:
        return PlainWhen, (
            self.principal_kind,
            self.resource_type,
            self.service,
            self.facts,
            self.absent,
            self.platform,
        )


def _frozen(values: Sequence[str] | None) -> tuple[str, ...] | None:
    return None if values is None else tuple(values)


class PlainEntry(CompiledEntry):
    """A compiled entry without its model: renders and inspects exactly as the CompiledEntry it copies.

    `entry` (the pydantic model) is not kept; `title` is what the CLI's listing shows.
    """

    def __init__(self, compiled: CompiledEntry, fact_keys: frozenset[str]) -> None:
        # No super().__init__: that compiles from the model; this copies what it compiled.
        self.title: str = compiled.document["title"]
        self.fact_keys = fact_keys  # one set shared by every entry (each compiled entry held an equal copy)
        self.document = compiled.document
        self._templates: dict[str, CommandTemplate] = dict(compiled._templates)
        self._whens = {section: [PlainWhen.of(when) for when in whens] for section, whens in compiled._whens.items()}
        self._inspection_steps = [(command, PlainWhen.of(when)) for command, when in compiled._inspection_steps]

    def pack(self) -> bytes:
        """Return the entry pickled without the shared fact keys (see `unpack`)."""
        import pickle

        state = (self.title, self.document, self._templates, self._whens, self._inspection_steps)
        return pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def unpack(cls, packed: bytes, fact_keys: frozenset[str]) -> PlainEntry:
        """Return the entry `pack` packed, with the catalogue's fact keys."""
        import pickle

        entry = cls.__new__(cls)
        state = pickle.loads(packed)  # noqa: S301  packed by `pack`, in our own snapshot
        entry.title, entry.document, entry._templates, entry._whens, entry._inspection_steps = state
        entry.fact_keys = fact_keys
        return entry


def role_suggestion(permission: str, roles: Sequence[str], grant_on: str, origin: str, as_of: str) -> dict[str, Any]:
    """The role suggestion for a denied permission: the roles, where to grant them, and where they come from."""
    return {
        "permission": permission,
        "roles": list(roles),
        "grant_on": grant_on,
        # Where the roles come from and how fresh: the reviewed table, or Google's list as refreshed.
        "source": "whydenied's reviewed table" if origin == "content" else "Google's role list",
        "as_of": as_of,
    }


class PlainRoleTable:
    """The GCP permission -> roles table as plain rows: (roles, grant_on), one tuple per distinct row.

    A snapshot keeps the rows packed (pickled bytes) and unpacks them on the first lookup: only a GCP
    permission denial asks, and unpacking 14,000 rows costs ~3 ms that an AWS paste need not pay.
    """

    __slots__ = ("_packed", "_rows", "as_of", "origin")

    def __init__(
        self, rows: dict[str, tuple[tuple[str, ...], str]] | None, origin: str, as_of: str, packed: bytes = b""
    ) -> None:
        self._rows = rows
        self._packed = packed
        self.origin = origin
        self.as_of = as_of

    @property
    def rows(self) -> dict[str, tuple[tuple[str, ...], str]]:
        """Return permission -> (roles, grant_on), unpacking them on first use."""
        if self._rows is None:
            import pickle

            self._rows = pickle.loads(self._packed)  # noqa: S301  packed by __reduce__ below, in our own snapshot
        return self._rows

    def suggest(self, permission: str) -> dict[str, Any] | None:
        """Return what api.services.gcp_roles.RoleTable.suggest returns for the same table."""
        row = self.rows.get(permission)
        if row is None:
            return None
        return role_suggestion(permission, row[0], row[1], self.origin, self.as_of)

    def __reduce__(self) -> tuple[type[PlainRoleTable], tuple[Any, ...]]:
        import pickle

        packed = self._packed or pickle.dumps(self.rows, protocol=pickle.HIGHEST_PROTOCOL)
        return PlainRoleTable, (None, self.origin, self.as_of, packed)


class PlainCatalog:
    """What a diagnosis reads of the catalogue (api/services/diagnosis.py, trace.py), as plain data.

    Pickled, each entry stays packed until it is asked for: a diagnosis reads its reason's entry and
    the trace's few, not all 80 (~4 ms of unpickling saved per explain).
    """

    __slots__ = ("_entries", "_packed", "gcp_roles", "placeholder_keys")

    def __init__(
        self,
        entries: dict[str, PlainEntry] | None,
        placeholder_keys: frozenset[str],
        gcp_roles: PlainRoleTable | None,
        packed: dict[str, bytes] | None = None,
    ) -> None:
        self._entries = entries if entries is not None else {}
        self._packed = packed or {}
        self.placeholder_keys = placeholder_keys
        self.gcp_roles = gcp_roles

    @property
    def entries(self) -> dict[str, PlainEntry]:
        """Return every entry by id, in the catalogue's order (unpacking all of them)."""
        if not self._packed:
            return self._entries
        for entry_id in self._packed:
            self.get(entry_id)
        return {entry_id: self._entries[entry_id] for entry_id in self._packed}

    def get(self, entry_id: str) -> PlainEntry | None:
        """Return one compiled entry by id."""
        entry = self._entries.get(entry_id)
        if entry is None and entry_id in self._packed:
            entry = self._entries[entry_id] = PlainEntry.unpack(self._packed[entry_id], self.placeholder_keys)
        return entry

    def __reduce__(self) -> tuple[type[PlainCatalog], tuple[Any, ...]]:
        packed = {**self._packed, **{entry_id: entry.pack() for entry_id, entry in self._entries.items()}}
        return PlainCatalog, (None, self.placeholder_keys, self.gcp_roles, packed)

    @classmethod
    def of(cls, catalog: Catalog) -> PlainCatalog:
        """Copy a validated catalogue (api/catalog.py) into plain data."""
        keys = catalog.placeholder_keys
        entries = {entry_id: PlainEntry(compiled, keys) for entry_id, compiled in catalog.entries.items()}
        roles = None
        if (table := catalog.gcp_roles) is not None:
            shared: dict[tuple[tuple[str, ...], str], tuple[tuple[str, ...], str]] = {}
            rows = {
                permission: shared.setdefault((row.roles, row.grant_on), (row.roles, row.grant_on))
                for permission, row in table.permissions.items()
            }
            roles = PlainRoleTable(rows, table.origin, (table.data_date or table.last_reviewed).isoformat())
        return cls(entries, keys, roles)
