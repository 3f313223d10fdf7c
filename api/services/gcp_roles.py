"""The smallest predefined GCP role for a denied permission (content/data/gcp_permission_roles.json).

Loaded and validated with the catalogue at start-up; a lookup is a dict access. The command to
grant it is scoped to the narrowest resource the role can be granted on, when the facts name it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from typing import Annotated, Any, Final, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator

from api.content_files import ROLES_FILE as ROLES_FILE
from api.plain_catalog import role_suggestion

PERMISSION_PATTERN: Final = r"^[a-z][A-Za-z0-9]{1,40}(?:\.[A-Za-z0-9]{1,80}){1,4}$"

GrantOn = Literal[
    "organization", "folder", "project", "bucket", "dataset", "table", "topic", "subscription", "secret",
    "repository", "service", "function", "key", "keyring", "service_account", "instance", "cluster", "billing_account",
]  # fmt: skip


_ROLE_NAME: Final = re.compile(r"^roles/[A-Za-z0-9_.]{3,120}$")
_PERMISSION_NAME: Final = re.compile(PERMISSION_PATTERN)
_LEVELS: Final = frozenset(get_args(GrantOn))


@dataclass(frozen=True, slots=True)
class PermissionRoles:
    """The roles that grant one permission, smallest first, and where they can be granted.

    A slotted dataclass checked by hand, not a pydantic model: the table has ~14,000 rows, and a
    model per row cost 0.3 s and 20 MB at every start-up.
    """

    roles: tuple[str, ...]
    grant_on: GrantOn

    def __post_init__(self) -> None:
        if not self.roles or not all(isinstance(r, str) and _ROLE_NAME.match(r) for r in self.roles):
            raise ValueError(f"roles must be predefined role names: {self.roles!r}")
        if self.grant_on not in _LEVELS:
            raise ValueError(f"unknown grant level {self.grant_on!r}")

    def __reduce__(self) -> tuple[Any, tuple[tuple[str, ...], str]]:
        # Unpickling (the CLI's catalogue snapshot) restores 14,000 rows; the default slotted-dataclass
        # path costs ~7 us a row, this one ~1 us. Rows were checked when the snapshot was built.
        return _restore_row, (self.roles, self.grant_on)


def _restore_row(roles: tuple[str, ...], grant_on: GrantOn) -> PermissionRoles:
    row = object.__new__(PermissionRoles)
    object.__setattr__(row, "roles", roles)
    object.__setattr__(row, "grant_on", grant_on)
    return row


def _row(permission: object, row: object) -> tuple[str, PermissionRoles]:
    """Check one raw table row and return it interned (role names repeat across thousands of rows)."""
    if not isinstance(permission, str) or not _PERMISSION_NAME.match(permission):
        raise ValueError(f"not a permission name: {permission!r}")
    if isinstance(row, PermissionRoles):
        return permission, row
    if not isinstance(row, dict) or set(row) != {"roles", "grant_on"} or not isinstance(row["roles"], list):
        raise ValueError(f"{permission}: a row is {{roles: [...], grant_on: level}}")
    return permission, PermissionRoles(tuple(sys.intern(str(r)) for r in row["roles"]), row["grant_on"])


class RoleTable(BaseModel):
    """The whole table: content's reviewed file, or one built from Google's role list (the cache)."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    about: str = ""  # how the table was made (the file's header)
    sources: Annotated[list[HttpUrl], Field(min_length=1)]
    last_reviewed: dt.date
    origin: Literal["content", "google"] = "content"
    data_commit: str | None = None  # the dataset commit the role definitions were read at
    data_date: dt.date | None = None  # when that data was current (Google's roles as of this day)
    role_count: int | None = None  # how many predefined role definitions the table was built from
    permissions: dict[str, PermissionRoles]

    @field_validator("permissions", mode="before")
    @classmethod
    def _rows(cls, value: object) -> dict[str, PermissionRoles]:
        if not isinstance(value, dict):
            raise ValueError("permissions is an object: permission -> row")
        # One object per distinct row: ~14,000 permissions share ~2,000 role lists (saves ~2 MB resident).
        shared: dict[tuple[tuple[str, ...], str], PermissionRoles] = {}
        rows = {}
        for permission, row in value.items():
            name, checked = _row(permission, row)
            rows[name] = shared.setdefault((checked.roles, checked.grant_on), checked)
        return rows

    def suggest(self, permission: str) -> dict[str, Any] | None:
        """Return the role suggestion for a permission: roles and where to grant them (commands: api/grants.py)."""
        entry = self.permissions.get(permission)
        if entry is None:
            return None
        as_of = (self.data_date or self.last_reviewed).isoformat()
        return role_suggestion(permission, entry.roles, entry.grant_on, self.origin, as_of)


# Where a permission's role is best granted, by prefix (first match wins). Creating or listing a
# resource is granted on its parent, so those come first; anything unlisted is granted on the project,
# which always works (bindings are inherited) but is broader.
_GRANT_LEVELS: Final[tuple[tuple[str, GrantOn], ...]] = (
    # Resources that live above projects: a project binding never reaches them.
    ("resourcemanager.organizations.", "organization"), ("accesscontextmanager.", "organization"),
    ("orgpolicy.customConstraints.", "organization"), ("resourcemanager.folders.", "folder"),
    # a billing account is created in an organization: Billing Account Creator is granted there
    ("billing.accounts.create", "organization"), ("billing.accounts.", "billing_account"),
    ("billing.budgets.", "billing_account"),
    ("billing.billingAccount", "billing_account"),
    ("storage.buckets.create", "project"), ("storage.buckets.list", "project"), ("storage.buckets.restore", "project"),
    ("storage.hmacKeys.", "project"), ("storage.", "bucket"),
    ("pubsub.topics.create", "project"), ("pubsub.topics.list", "project"), ("pubsub.topics.", "topic"),
    ("pubsub.subscriptions.create", "project"), ("pubsub.subscriptions.list", "project"),
    ("pubsub.subscriptions.", "subscription"),
    ("secretmanager.secrets.create", "project"), ("secretmanager.secrets.list", "project"),
    ("secretmanager.secrets.", "secret"), ("secretmanager.versions.", "secret"),
    ("iam.serviceAccounts.create", "project"), ("iam.serviceAccounts.list", "project"),
    ("iam.serviceAccounts.", "service_account"), ("iam.serviceAccountKeys.", "service_account"),
    ("run.services.create", "project"), ("run.services.list", "project"), ("run.services.", "service"),
    ("cloudfunctions.functions.create", "project"), ("cloudfunctions.functions.list", "project"),
    ("cloudfunctions.functions.", "function"),
    ("artifactregistry.repositories.create", "project"), ("artifactregistry.repositories.list", "project"),
    ("artifactregistry.repositories.", "repository"), ("artifactregistry.dockerimages.", "repository"),
    ("artifactregistry.files.", "repository"), ("artifactregistry.packages.", "repository"),
    ("artifactregistry.tags.", "repository"), ("artifactregistry.versions.", "repository"),
    ("cloudkms.cryptoKeyVersions.", "key"), ("cloudkms.cryptoKeys.create", "keyring"),
    ("cloudkms.cryptoKeys.list", "keyring"), ("cloudkms.cryptoKeys.", "key"),
    ("bigquery.tables.create", "dataset"), ("bigquery.tables.list", "dataset"), ("bigquery.tables.", "table"),
    ("bigquery.datasets.create", "project"), ("bigquery.datasets.", "dataset"),
)  # fmt: skip


def infer_grant_on(permission: str) -> GrantOn:
    """Return the narrowest level a role holding this permission is usually granted on."""
    for prefix, level in _GRANT_LEVELS:
        if permission.startswith(prefix):
            return level
    return "project"


def load_role_table(root: Traversable) -> RoleTable:
    """Read and validate the permission → role table."""
    raw = json.loads((root / ROLES_FILE).read_text(encoding="utf-8"))
    return RoleTable.model_validate(raw)
