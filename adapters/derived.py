"""Values derived from stated facts, for filling guidance commands (never returned as facts).

`facts` hold only what a payload states; commands often need a neighbour of a fact: the role
behind an assumed-role session ARN, the bucket in an S3 object ARN. Pure string work.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

# arn:aws:sts::123456789012:assumed-role/Deploy/session-name
_ASSUMED_ROLE = re.compile(r"^arn:(aws[a-z-]{0,10}):sts::(\d{12}):assumed-role/([\w+=,.@-]{1,64})/[^\s]{1,128}$")
# arn:aws:iam::123456789012:role/path/to/Name, arn:aws:iam::123456789012:user/Name
_IAM_ENTITY = re.compile(r"^arn:aws[a-z-]{0,10}:iam::\d{12}:(role|user)/(?:[\w+=,.@/-]{0,512}/)?([\w+=,.@-]{1,128})$")
# arn:aws:s3:::bucket-name/key/parts
_S3_ARN = re.compile(r"^arn:aws[a-z-]{0,10}:s3:::([a-z0-9][a-z0-9.-]{1,62})(?:/.*)?$")

# "user:jane@example.com", "serviceAccount:ci@p.iam.gserviceaccount.com", or a bare email
_MEMBER = re.compile(r"^(?:(user|serviceAccount|group|principal|principalSet):)?([^\s:@]{1,128}@[A-Za-z0-9.-]{1,253})$")
# GCS: "my-bucket", "my-bucket/path/obj", "projects/_/buckets/my-bucket/objects/o", "gs://my-bucket/o"
_GCS_BUCKET = re.compile(r"^(?:gs://|projects/_/buckets/)?([a-z0-9](?:[a-z0-9._-]{0,220}[a-z0-9])?)(?:/.*)?$")
# a relative name "projects/p/topics/t"
_RELATIVE_NAME = re.compile(r"^(?:projects|organizations|folders|billingAccounts)/[^\s]{1,1024}$")

DERIVED_KEYS: Final = (
    "role_arn", "role_name", "user_name", "resource_role_name", "bucket",
    "principal_email", "member", "full_resource_name",
)  # fmt: skip


def derived_facts(facts: Mapping[str, str | int]) -> dict[str, str]:
    """Return the derived values the facts allow (see DERIVED_KEYS)."""
    derived: dict[str, str] = {}
    principal = str(facts.get("principal", ""))
    if match := _ASSUMED_ROLE.match(principal):
        partition, account, role = match.groups()
        # The session ARN drops the role's path; a role with a path needs it added by hand.
        derived["role_arn"] = f"arn:{partition}:iam::{account}:role/{role}"
        derived["role_name"] = role
    elif match := _IAM_ENTITY.match(principal):
        kind, name = match.groups()
        if kind == "role":
            derived["role_arn"], derived["role_name"] = principal, name
        else:
            derived["user_name"] = name
    resource = str(facts.get("resource", ""))
    if (match := _IAM_ENTITY.match(resource)) and match.group(1) == "role":
        derived["resource_role_name"] = match.group(2)
    if match := _S3_ARN.match(resource):
        derived["bucket"] = match.group(1)
    derived.update(_gcp_derived(facts, principal, resource))
    return derived


def _gcp_derived(facts: Mapping[str, str | int], principal: str, resource: str) -> dict[str, str]:
    derived: dict[str, str] = {}
    if match := _MEMBER.match(principal):
        kind, email = match.groups()
        derived["principal_email"] = email
        # A bare email is a user unless it is a service account's address.
        derived["member"] = (
            f"{kind or ('serviceAccount' if email.endswith('.gserviceaccount.com') else 'user')}:{email}"
        )
    service = str(facts.get("service", ""))
    permission = str(facts.get("permission", ""))
    if permission.startswith("storage.") and (match := _GCS_BUCKET.match(resource)):
        # gsutil names the bucket bare ("access to my-bucket"); the troubleshooter wants the full name
        derived["bucket"] = match.group(1)
        derived["full_resource_name"] = f"//storage.googleapis.com/projects/_/buckets/{match.group(1)}"
    if resource.startswith("//"):
        derived["full_resource_name"] = resource
    elif _RELATIVE_NAME.match(resource) and service.endswith(".googleapis.com"):
        derived["full_resource_name"] = f"//{service}/{resource}"
    return derived
