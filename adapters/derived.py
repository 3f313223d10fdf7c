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

DERIVED_KEYS: Final = ("role_arn", "role_name", "user_name", "resource_role_name", "bucket")


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
    return derived
