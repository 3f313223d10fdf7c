"""Classify denial events (one diagnosis per distinct denial, cached) and group them.

A group is (reason, principal, action or permission, resource pattern): the sessions of one role
are one principal (`assumed-role/R/*`), and the ids in a resource collapse to `*` (S3 object keys,
GCS object names, instance and key ids), so a thousand GetObject denials on one bucket are one
line. Per group: count, first and last seen, one example request id, and the facts every member
shares (a fact that differs between members is dropped; a resource that differs keeps its pattern).
Groups merge, so parts of a log scanned in other processes add up to the same answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from adapters.base import Diagnosis, FactValue
from adapters.registry import diagnose
from api.scan.readers import ScanError
from api.scan.records import DenialEvent

CACHE_SIZE: Final = 4096
MAX_GROUPS: Final = 20_000  # more distinct groups than this are counted, not kept (bounded memory)

# "arn:aws:sts::123456789012:assumed-role/ci-deploy/i-0abc123" -> "arn:aws:sts::123456789012:assumed-role/ci-deploy/*"
_SESSION: Final = re.compile(r"^(arn:aws[a-z-]{0,12}:sts::\d{12}:assumed-role/[^/]{1,128})/[^/]{1,256}$")
# "arn:aws:s3:::bucket/any/key.csv" -> "arn:aws:s3:::bucket/*"
_S3_OBJECT: Final = re.compile(r"^(arn:aws[a-z-]{0,12}:s3:::[^/]{1,255})/.+$")
# "projects/_/buckets/b/objects/2026/12/file.csv" -> "projects/_/buckets/b/objects/*"
_GCS_OBJECT: Final = re.compile(r"^(.{0,300}/buckets/[^/]{1,222}/objects)/.+$")
# Segments that are ids, not names: UUIDs, "i-0abc...", long hex or digit runs, random tokens
_ID_SEGMENT: Final = re.compile(
    r"^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|[a-z]{1,12}-[0-9a-f]{8,17}|\d{5,}|[0-9a-fA-F]{16,}|(?=[A-Za-z0-9_-]{24,}$)[A-Za-z0-9_-]*\d[A-Za-z0-9_-]*)$"
)
_ARN_PARTS: Final = 6


def principal_pattern(principal: str) -> str:
    """The principal as grouped: an assumed role's session name becomes `*`."""
    match = _SESSION.match(principal)
    return f"{match.group(1)}/*" if match else principal


def resource_pattern(resource: str) -> str:
    """The resource as grouped: object keys and ids become `*`, names stay."""
    for pattern in (_S3_OBJECT, _GCS_OBJECT):
        if (match := pattern.match(resource)) is not None:
            return f"{match.group(1)}/*"
    prefix, body = "", resource
    if resource.startswith("arn:"):
        parts = resource.split(":", _ARN_PARTS - 1)
        if len(parts) == _ARN_PARTS:
            prefix, body = ":".join(parts[:5]) + ":", parts[5]
    segments = re.split(r"([/:])", body)
    return prefix + "".join("*" if _ID_SEGMENT.match(s) else s for s in segments)


class Classifier:
    """adapters.registry.diagnose, remembered for the last CACHE_SIZE distinct denials."""

    def __init__(self, size: int = CACHE_SIZE, max_calls: int | None = None) -> None:
        self._cache: dict[str, Diagnosis] = {}
        self._size = size
        self._max_calls = max_calls
        self.calls = 0

    def classify(self, event: DenialEvent) -> Diagnosis:
        """Return the diagnosis of an event, from the cache when an equal denial was seen."""
        found = self._cache.get(event.key)
        if found is None:
            self.calls += 1
            if self._max_calls is not None and self.calls > self._max_calls:
                raise ScanError(
                    f"more than {self._max_calls} distinct failures to classify in one request; "
                    "scan a log this varied with `whydenied scan`"
                )
            found = diagnose(event.subject if isinstance(event.subject, str) else dict(event.subject))
            if len(self._cache) >= self._size:
                del self._cache[next(iter(self._cache))]  # the oldest: dicts keep insertion order
            self._cache[event.key] = found
        return found


GroupKey = tuple[str, str, str, str]  # reason, principal, action, resource pattern


@dataclass
class Group:
    """One kind of denial and how often it happened."""

    provider: str | None
    reason: str
    category: str
    principal: str
    action: str
    resource: str  # the one resource all members named, else the pattern
    count: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    example_request_id: str | None = None
    facts: dict[str, FactValue] = field(default_factory=dict)
    _resources: set[str] = field(default_factory=set)  # up to two distinct, to know "one" from "many"

    def add(self, count: int, first: datetime | None, last: datetime | None, request_id: str | None) -> None:
        """Count members seen between first and last."""
        self.count += count
        if first is not None and (self.first_seen is None or first < self.first_seen):
            self.first_seen = first
        if last is not None and (self.last_seen is None or last > self.last_seen):
            self.last_seen = last
        if self.example_request_id is None:
            self.example_request_id = request_id

    def share(self, facts: Mapping[str, FactValue], resource: str | None) -> None:
        """Keep only the facts this member shares with the others; track whether the resource varies."""
        if self.count == 0 and not self.facts:
            self.facts = dict(facts)
        else:
            self.facts = {k: v for k, v in self.facts.items() if facts.get(k) == v}
        if resource is not None and len(self._resources) < 2:
            self._resources.add(resource)
        if len(self._resources) > 1:
            self.resource = resource_pattern(next(iter(self._resources)))
            self.facts["resource"] = self.resource


@dataclass
class Aggregator:
    """The groups of one scan (or one part of it), mergeable with another part's."""

    groups: dict[GroupKey, Group] = field(default_factory=dict)
    denials: int = 0
    ungrouped: int = 0  # denials past MAX_GROUPS distinct groups
    not_access: int = 0  # failures the adapters recognised but that are not access failures

    def add(self, event: DenialEvent, diagnosis: Diagnosis) -> None:
        """Count one classified event in its group."""
        reason = diagnosis.reason
        if reason is None:
            self.not_access += 1
            return
        facts = diagnosis.facts
        principal = str(facts.get("principal") or event.principal or "?")
        action = str(facts.get("action") or facts.get("permission") or event.action or "?")
        resource = str(facts["resource"]) if "resource" in facts else event.resource
        key = (reason, principal_pattern(principal), action, resource_pattern(resource) if resource else "")
        self.denials += 1
        group = self.groups.get(key)
        if group is None:
            if len(self.groups) >= MAX_GROUPS:
                self.ungrouped += 1
                return
            group = self.groups[key] = Group(
                provider=diagnosis.provider,
                reason=reason,
                category=diagnosis.category,
                principal=key[1],
                action=action,
                resource=resource or "",
            )
            if key[1] != principal:
                facts = {**facts, "principal": key[1]}
        elif key[1] != principal:
            facts = {**facts, "principal": key[1]}
        group.share(facts, resource)
        group.add(1, event.time, event.time, event.request_id)

    def merge(self, other: Aggregator) -> None:
        """Add another part's groups and counts to these."""
        self.denials += other.denials
        self.ungrouped += other.ungrouped
        self.not_access += other.not_access
        for key, theirs in other.groups.items():
            mine = self.groups.get(key)
            if mine is None:
                if len(self.groups) >= MAX_GROUPS:
                    self.ungrouped += theirs.count
                    continue
                self.groups[key] = theirs
                continue
            mine.share(theirs.facts, None)
            for resource in theirs._resources:
                mine.share(mine.facts, resource)
            mine.add(theirs.count, theirs.first_seen, theirs.last_seen, theirs.example_request_id)
