"""Rebuild content/data/gcp_permission_roles.json and its evidence from Google role definitions.

Input: a folder of role files, one per predefined role, each
`{"role", "title", "stage", "commit", "source", "includedPermissions"}` as read from Google's role
reference (here: the iann0036/iam-dataset copies of `roles.get`, each with the commit it was read
at). Output: the permission → smallest roles table (up to 3 roles, fewest permissions first) for the
permissions most often denied in the services the issue names, and `gcp_role_evidence.yaml`, which
records for every role its source, stage, size and which table permissions it holds, so the table
is checked by tests without the network. Grant levels already chosen by hand are kept.

    python3 content/tools/build_gcp_roles.py /path/to/role-files
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from api.live.gcp_match import holders_by_permission, smallest_roles
from api.services.gcp_roles import PERMISSION_PATTERN, infer_grant_on

DATA = Path(__file__).resolve().parents[1] / "data"
TABLE, EVIDENCE = DATA / "gcp_permission_roles.json", DATA / "gcp_role_evidence.yaml"
SERVICES = {
    "storage", "bigquery", "pubsub", "compute", "container", "secretmanager", "run", "cloudfunctions",
    "artifactregistry", "cloudkms", "iam", "resourcemanager", "logging", "monitoring", "aiplatform", "datastore",
    "serviceusage", "cloudbuild", "cloudsql", "orgpolicy", "iap", "cloudtasks", "cloudscheduler", "dataflow",
    "billing", "apikeys",
}  # fmt: skip
# In the largest services, only the resource types developers meet every day ("most often denied").
RESOURCE_TYPES = {
    "compute": {
        "instances", "disks", "images", "snapshots", "networks", "subnetworks", "firewalls", "addresses",
        "globalAddresses", "instanceGroups", "instanceGroupManagers", "instanceTemplates", "machineTypes", "zones",
        "regions", "projects", "zoneOperations", "regionOperations", "globalOperations", "routes", "routers",
        "forwardingRules", "globalForwardingRules", "backendServices", "healthChecks", "sslCertificates", "urlMaps",
        "targetHttpProxies", "targetHttpsProxies", "targetPools", "autoscalers", "diskTypes", "acceleratorTypes",
        "resourcePolicies", "reservations",
    },
    "container": {
        "clusters", "operations", "pods", "deployments", "services", "secrets", "configMaps", "namespaces", "nodes",
        "jobs", "cronJobs", "replicaSets", "statefulSets", "daemonSets", "ingresses", "roles", "roleBindings",
        "clusterRoles", "clusterRoleBindings", "serviceAccounts", "persistentVolumeClaims", "persistentVolumes",
        "events", "horizontalPodAutoscalers", "networkPolicies", "customResourceDefinitions", "endpoints",
    },
    "aiplatform": {
        "endpoints", "models", "customJobs", "datasets", "pipelineJobs", "batchPredictionJobs", "trainingPipelines",
        "hyperparameterTuningJobs", "locations", "operations", "notebookRuntimes", "notebookRuntimeTemplates",
        "indexes", "indexEndpoints", "tuningJobs", "cachedContents", "reasoningEngines", "schedules",
    },
}  # fmt: skip
SOURCES = [
    "https://github.com/iann0036/iam-dataset",
    "https://cloud.google.com/iam/docs/roles-permissions",
    "https://cloud.google.com/iam/docs/reference/rest/v1/roles/get",
]
HEADER = (
    "Permission -> the smallest predefined roles that contain it (up to 3) and the narrowest level to grant them "
    "on. Written by content/tools/build_gcp_roles.py from Google's role definitions (iann0036/iam-dataset's "
    "copies of roles.get, one file per role, at the commit recorded for each role in gcp_role_evidence.yaml); "
    "tests check every row against that evidence. Basic roles, service agents' roles, roles/storage.legacy*, and "
    "ALPHA, DEPRECATED or DISABLED roles are never listed. 'Smallest' is among the roles read, which cover each "
    "service's viewer, user, editor, admin and single-purpose roles. Order: the permission's own service first, "
    "viewer roles first for a read, then fewest permissions, and a role that can set IAM policy only after every "
    "role that cannot (api/live/gcp_match.py). The service can refresh "
    "this from Google's live role list (`whydenied data refresh-gcp-roles`)."
)


def _wanted(permission: str) -> bool:
    if not re.match(PERMISSION_PATTERN, permission):  # a few files also list v2 names (iam.googleapis.com/...)
        return False
    service, _, rest = permission.partition(".")
    if service not in SERVICES:
        return False
    types = RESOURCE_TYPES.get(service)
    return types is None or rest.split(".", 1)[0] in types


def build(role_dir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the new table's permissions and the evidence, from the role files in `role_dir`."""
    roles = [json.loads(path.read_text(encoding="utf-8")) for path in sorted(role_dir.glob("*.json"))]
    holders = holders_by_permission(((r["role"], r["stage"], r["includedPermissions"]) for r in roles), _wanted)
    current = json.loads(TABLE.read_text(encoding="utf-8"))["permissions"] if TABLE.exists() else {}
    table = {}
    for permission in sorted(holders):
        grant_on = current[permission]["grant_on"] if permission in current else infer_grant_on(permission)
        table[permission] = {
            "roles": [name for name, _ in smallest_roles(holders[permission], permission=permission)],
            "grant_on": grant_on,
        }
    listed = {name for entry in table.values() for name in entry["roles"]}
    evidence = {
        role["role"]: {
            "source": role["source"],
            "stage": role["stage"],
            "permission_count": len(role["includedPermissions"]),
            "holds": sorted(p for p in role["includedPermissions"] if p in table and role["role"] in table[p]["roles"]),
        }
        for role in roles
        if role["role"] in listed
    }
    return table, evidence


def _write(path: Path, header: str, document: dict[str, Any]) -> None:
    body = yaml.safe_dump(document, sort_keys=False, width=200, default_flow_style=None)
    path.write_text(header + body, encoding="utf-8")


def main() -> None:
    """Write both files."""
    table, evidence = build(Path(sys.argv[1]))
    # One row a line, so a change reads as a diff of the permissions it touches.
    rows = ",\n".join(f"    {json.dumps(p)}: {json.dumps(e, separators=(', ', ': '))}" for p, e in table.items())
    head = {"about": HEADER, "sources": SOURCES, "last_reviewed": dt.date.today().isoformat()}
    head_text = json.dumps(head, indent=2, ensure_ascii=False)[:-2]  # drop the closing "\n}"
    TABLE.write_text(f'{head_text},\n  "permissions": {{\n{rows}\n  }}\n}}\n', encoding="utf-8")
    _write(
        EVIDENCE,
        "# Evidence for gcp_permission_roles.json, written by content/tools/build_gcp_roles.py: for every role the\n"
        "# table lists, where its definition was read (Google's role reference as copied in iann0036/iam-dataset, at\n"
        "# the commit shown), its launch stage, how many permissions it holds, and which table permissions it holds.\n",
        {"roles": dict(sorted(evidence.items()))},
    )
    print(f"{len(table)} permissions, {len(evidence)} roles")


if __name__ == "__main__":
    main()
