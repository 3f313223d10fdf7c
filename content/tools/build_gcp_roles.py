"""Rebuild the GCP role data from Google's complete set of predefined role definitions.

Input: the `gcp/roles/` folder of iann0036/iam-dataset (one `roles.get` answer per predefined role:
name, title, stage, includedPermissions), at a known commit. Output:

- `content/data/gcp_predefined_roles.json.gz`: every role definition as read (the evidence: tests
  check every table row against it, offline);
- `content/data/gcp_permission_roles.json`: for every permission any suggestible role holds, up to
  three roles to grant, ranked without privilege escalation (api/live/gcp_match.py), and the level
  to grant them on (api/services/gcp_roles.py `infer_grant_on`, raised to the role's own lowest
  level when only an organization-, folder- or billing-account-level role holds it).

    git -C iam-dataset archive COMMIT gcp/roles | tar -x -C /tmp/roles
    python3 content/tools/build_gcp_roles.py /tmp/roles/gcp/roles --commit COMMIT --date YYYY-MM-DD

After a change to the ranking or the grant levels (api/live/gcp_match.py), rebuild the table from the
definitions already recorded, at their commit and date, without the dataset:

    python3 content/tools/build_gcp_roles.py --from-evidence
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import re
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from api.live.gcp_match import ABOVE_PROJECT, holders_by_permission, lowest_level, smallest_roles
from api.services.gcp_roles import PERMISSION_PATTERN, infer_grant_on

DATA = Path(__file__).resolve().parents[1] / "data"
TABLE, ROLES = DATA / "gcp_permission_roles.json", DATA / "gcp_predefined_roles.json.gz"
DATASET = "https://github.com/iann0036/iam-dataset"
SOURCES = [
    DATASET,
    "https://cloud.google.com/iam/docs/roles-permissions",
    "https://cloud.google.com/iam/docs/reference/rest/v1/roles/get",
]
HEADER = (
    "Permission -> up to three predefined roles to grant for it, and the level to grant them on. Written by "
    "content/tools/build_gcp_roles.py from the complete set of Google's predefined role definitions "
    "(iann0036/iam-dataset's copies of roles.get, at data_commit, current as of data_date), kept beside it as "
    "gcp_predefined_roles.json.gz; tests check every row against those definitions. Every permission any "
    "suggestible role holds is listed. Never suggested: basic roles, service agents' roles, "
    "roles/storage.legacy*, ALPHA/EAP/DEPRECATED/DISABLED roles, a role that could raise its own access "
    "(setIamPolicy, actAs, token or key creation, role editing) unless no other role holds the permission, "
    "and a role that cannot be granted at the row's level. Order: the permission's own service first, viewer "
    "roles first for a read, then fewest permissions (api/live/gcp_match.py). The service can refresh this "
    "from Google's live role list (`whydenied data refresh-gcp-roles`)."
)


def read_roles(role_dir: Path) -> dict[str, dict[str, Any]]:
    """Return role name -> {stage, title, permissions} for every definition file in the folder."""
    roles = {}
    for path in sorted(role_dir.glob("*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        roles[raw["name"]] = {
            "stage": raw.get("stage", "GA"),
            "title": raw.get("title", ""),
            "permissions": sorted(raw.get("includedPermissions") or []),
        }
    return roles


def build_table(roles: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Return permission -> {roles, grant_on} over every permission a suggestible role holds."""
    valid = re.compile(PERMISSION_PATTERN)
    holders = holders_by_permission(
        ((name, role["stage"], role["permissions"]) for name, role in roles.items()), lambda p: bool(valid.match(p))
    )
    table = {}
    for permission in sorted(holders):
        grant_on: str = infer_grant_on(permission)
        chosen = [name for name, _ in smallest_roles(holders[permission], permission=permission, grant_on=grant_on)]
        # Only roles granted above the project qualify: grant there, and rank again for that level.
        levels = {lowest_level(name, roles[name]["permissions"]) for name in chosen}
        if None not in levels and grant_on not in ABOVE_PROJECT:
            grant_on = min((level for level in levels if level), key=ABOVE_PROJECT.index)
            chosen = [n for n, _ in smallest_roles(holders[permission], permission=permission, grant_on=grant_on)]
        table[permission] = {"roles": chosen, "grant_on": grant_on}
    return table


def main() -> None:
    """Write both files."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("role_dir", type=Path, nargs="?")
    parser.add_argument("--commit", help="the iam-dataset commit the files were read at")
    parser.add_argument("--date", type=dt.date.fromisoformat, help="the commit's date")
    parser.add_argument(
        "--from-evidence", action="store_true", help=f"read the definitions recorded in {ROLES.name} instead"
    )
    args = parser.parse_args()
    if args.from_evidence:
        recorded = json.loads(gzip.decompress(ROLES.read_bytes()))
        roles, args.commit, args.date = recorded["roles"], recorded["commit"], dt.date.fromisoformat(recorded["date"])
    elif args.role_dir is None or args.commit is None or args.date is None:
        parser.error("give the role folder, --commit and --date, or --from-evidence")
    else:
        roles = read_roles(args.role_dir)
    table = build_table(roles)
    evidence = {"source": DATASET, "commit": args.commit, "date": args.date.isoformat(), "roles": roles}
    ROLES.write_bytes(gzip.compress(json.dumps(evidence, sort_keys=True, separators=(",", ":")).encode(), mtime=0))
    # One row a line, so a change reads as a diff of the permissions it touches.
    rows = ",\n".join(f"    {json.dumps(p)}: {json.dumps(e, separators=(', ', ': '))}" for p, e in table.items())
    head = {
        "about": HEADER,
        "sources": SOURCES,
        "last_reviewed": dt.date.today().isoformat(),
        "data_commit": args.commit,
        "data_date": args.date.isoformat(),
        "role_count": len(roles),
    }
    head_text = json.dumps(head, indent=2, ensure_ascii=False)[:-2]  # drop the closing "\n}"
    TABLE.write_text(f'{head_text},\n  "permissions": {{\n{rows}\n  }}\n}}\n', encoding="utf-8")
    print(f"{len(table)} permissions from {len(roles)} roles")


if __name__ == "__main__":
    main()
