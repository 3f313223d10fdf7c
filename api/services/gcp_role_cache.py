"""Google's predefined-role list, cached in the database, as a fresher permission → role table.

`whydenied data refresh-gcp-roles` reads every predefined role with its permissions
(iam.roles.list, view FULL, with the user's credentials) and replaces the `gcp_role` rows in one
transaction, with the time it read them. The service builds its table from those rows once, when
it syncs the database at start-up; diagnosing stays in memory. Without rows (never refreshed, or
the database down) the reviewed table in content/ is used, and the response says which it was.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from pydantic import ValidationError
from sqlalchemy import Engine, delete
from sqlmodel import Session, select

from api.live.gcp_match import holders_by_permission, smallest_roles
from api.models import GcpRoleRecord
from api.services.gcp_roles import PERMISSION_PATTERN, PermissionRoles, RoleTable, infer_grant_on

ROLE_LIST_DOC: Final = "https://cloud.google.com/iam/docs/reference/rest/v1/roles/list"
_MAX_ROLES: Final = 10_000  # about 2,000 exist; a bound on a broken or hostile answer
_MAX_PERMISSIONS_PER_ROLE: Final = 20_000
_PERMISSION: Final = re.compile(PERMISSION_PATTERN)


@dataclass(frozen=True)
class FetchedRole:
    """A predefined role as the API listed it."""

    name: str
    title: str
    stage: str
    permissions: tuple[str, ...]


def fetch_predefined_roles(iam_client: Any, timeout: float) -> list[FetchedRole]:
    """List every active predefined role with its permissions (google-cloud-iam's IAMClient)."""
    from google.cloud.iam_admin_v1 import RoleView

    pager = iam_client.list_roles(
        request={"view": RoleView.FULL, "page_size": 1000, "show_deleted": False}, timeout=timeout, retry=None
    )
    roles = []
    for count, role in enumerate(pager):
        if count >= _MAX_ROLES:
            break
        permissions = tuple(role.included_permissions)[:_MAX_PERMISSIONS_PER_ROLE]
        roles.append(FetchedRole(role.name, role.title, role.stage.name, permissions))
    return roles


def store_roles(engine: Engine, roles: Iterable[FetchedRole], fetched_at: dt.datetime) -> int:
    """Replace the cached roles with these, in one transaction; return how many were stored."""
    rows = [
        GcpRoleRecord(name=r.name[:256], title=r.title[:512], stage=r.stage[:32], permissions=list(r.permissions),
                      fetched_at=fetched_at)
        for r in roles
        if r.name.startswith("roles/")
    ]  # fmt: skip
    with Session(engine) as session:
        session.exec(delete(GcpRoleRecord))
        session.add_all(rows)
        session.commit()
    return len(rows)


def cached_role_table(engine: Engine, reviewed: RoleTable | None) -> RoleTable | None:
    """Build the permission → smallest roles table from the cached rows; None when there are none.

    Where the reviewed table knows a permission, its grant level is kept (it was chosen by hand).
    """
    with Session(engine) as session:
        rows = session.exec(select(GcpRoleRecord)).all()
    if not rows:
        return None
    holders = holders_by_permission((row.name, row.stage, row.permissions) for row in rows)
    known = reviewed.permissions if reviewed is not None else {}
    permissions: dict[str, PermissionRoles] = {}
    for permission, roles in holders.items():
        if not _PERMISSION.match(permission):  # a name the table refuses: leave it out rather than fail
            continue
        grant_on = known[permission].grant_on if permission in known else infer_grant_on(permission)
        try:
            permissions[permission] = PermissionRoles(
                tuple(n for n, _ in smallest_roles(roles, permission=permission, grant_on=grant_on)), grant_on
            )
        except ValueError:  # a role name the table's pattern refuses
            continue
    try:
        return RoleTable(
            sources=[ROLE_LIST_DOC],
            last_reviewed=min(row.fetched_at for row in rows).date(),
            origin="google",
            permissions=permissions,
        )
    except ValidationError:
        return None
