"""The smallest predefined GCP role for a denied permission (content/data/gcp_permission_roles.json).

Loaded and validated with the catalogue at start-up; a lookup is a dict access. The command to
grant it is scoped to the narrowest resource the role can be granted on, when the facts name it.
"""

from __future__ import annotations

import datetime as dt
import json
from importlib.resources.abc import Traversable
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

ROLES_FILE: Final = "data/gcp_permission_roles.json"  # JSON: 1,600 rows parse in ~2 ms, YAML in ~110
PERMISSION_PATTERN: Final = r"^[a-z][A-Za-z0-9]{1,40}(?:\.[A-Za-z0-9]{1,80}){1,4}$"

GrantOn = Literal[
    "organization", "folder", "project", "bucket", "dataset", "table", "topic", "subscription", "secret",
    "repository", "service", "function", "key", "keyring", "service_account", "instance", "cluster", "billing_account",
]  # fmt: skip


class PermissionRoles(BaseModel):
    """The roles that grant one permission, smallest first, and where they can be granted."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    roles: Annotated[list[Annotated[str, Field(pattern=r"^roles/[A-Za-z0-9_.]{3,120}$")]], Field(min_length=1)]
    grant_on: GrantOn


class RoleTable(BaseModel):
    """The whole table: content's reviewed file, or one built from Google's role list (the cache)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    about: str = ""  # how the table was made (the file's header)
    sources: Annotated[list[HttpUrl], Field(min_length=1)]
    last_reviewed: dt.date
    origin: Literal["content", "google"] = "content"
    permissions: dict[Annotated[str, Field(pattern=PERMISSION_PATTERN)], PermissionRoles]

    def suggest(self, permission: str) -> dict[str, Any] | None:
        """Return the role suggestion for a permission: roles and where to grant them (commands: api/grants.py)."""
        entry = self.permissions.get(permission)
        if entry is None:
            return None
        return {
            "permission": permission,
            "roles": list(entry.roles),
            "grant_on": entry.grant_on,
            # Where the roles come from and how fresh: the reviewed table, or Google's list as refreshed.
            "source": "whydenied's reviewed table" if self.origin == "content" else "Google's role list",
            "as_of": self.last_reviewed.isoformat(),
        }


# Where a permission's role is best granted, by prefix (first match wins). Creating or listing a
# resource is granted on its parent, so those come first; anything unlisted is granted on the project,
# which always works (bindings are inherited) but is broader.
_GRANT_LEVELS: Final[tuple[tuple[str, GrantOn], ...]] = (
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
