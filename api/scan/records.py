"""Turn a log record into a denial event, or skip it fast: successes are never classified.

Each kind of record has a reader (RECORD_KINDS, in order; the first that claims a record decides):
  CloudTrail   a record with eventSource and eventName; a denial has an access-failure errorCode
  GCP audit    a LogEntry with a protoPayload; a denial has status.code 7 (PERMISSION_DENIED) or
               16 (UNAUTHENTICATED)
Any other JSON record, and every text candidate, is a denial only if the adapters say so.

To add a kind (Azure Activity Log exports: `{"records": [...]}` whose entries carry
`operationName`, `resultType` and `properties.statusCode`), write a class with `claims()` and
`denial()` like CloudTrailKind and add it to RECORD_KINDS: the readers already stream `records`.

A denial event carries a *reduced* record: only the fields the adapters read to classify it, so
identical denials (same code, message, caller) share one cached diagnosis; the per-record details
(time, request id) travel beside it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, Final, Protocol

from adapters.aws.codes import AUTHN_CODES, DENIAL_CODES

_DENIED_STATUS: Final = frozenset({7, 16})  # google.rpc.Code PERMISSION_DENIED, UNAUTHENTICATED
_MAX_AUTHORIZATION_INFO: Final = 10
# Words in codes no table lists: "CloudTrailInvalidClientTokenIdException", "KMSForbiddenException"
_ACCESS_WORDS: Final = ("AccessDenied", "Unauthorized", "Forbidden", "InvalidClientTokenId", "SignatureDoesNotMatch")
_MAX_GENERIC_CHARS: Final = 64 * 1024
# "2024-08-18T14:32:07Z", "2019-12-19T00:44:25.051Z", "2024-08-18 14:32:07.000" at a line's start
_TEXT_TIME: Final = re.compile(
    r"^\W{0,3}(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?)"
)
# Athena renders userIdentity as a struct: "{type=IAMUser, principalid=AIDA..., arn=arn:aws:iam::1:user/x, ...}"
_STRUCT_FIELD: Final = re.compile(r"\b(type|arn|accountid|username)=([^,{}\s]{1,2048})")


@dataclass(frozen=True)
class DenialEvent:
    """One failure found in a log: what to classify, and what only this record says."""

    subject: Mapping[str, Any] | str  # handed to adapters.registry.diagnose
    key: str  # the cache key: equal keys classify the same
    provider: str | None
    time: datetime | None
    request_id: str | None
    principal: str | None = None  # used when the diagnosis names none
    action: str | None = None
    resource: str | None = None


class RecordKind(Protocol):
    """A kind of log record: claims its own records and reads the denials among them."""

    name: ClassVar[str]

    def claims(self, record: dict[str, Any]) -> bool:
        """Tell whether the record is of this kind."""
        ...

    def denial(self, record: dict[str, Any]) -> DenialEvent | None:
        """Return the denial the record holds, or None for a success or a failure of another sort."""
        ...


def is_access_code(code: str) -> bool:
    """Tell whether a CloudTrail errorCode is an access failure (Client.UnauthorizedOperation, AccessDenied, ...)."""
    bare = code.removeprefix("Client.").removeprefix("Server.")
    return (
        bare in DENIAL_CODES
        or bare in AUTHN_CODES
        or bare.endswith(("AccessDenied", "AccessDeniedException"))
        or any(word in bare for word in _ACCESS_WORDS)
    )


class CloudTrailKind:
    """AWS CloudTrail records (the Records array, JSON lines, Lake and Athena exports)."""

    name: ClassVar[str] = "cloudtrail"

    def claims(self, record: dict[str, Any]) -> bool:
        return "eventSource" in record and "eventName" in record

    def denial(self, record: dict[str, Any]) -> DenialEvent | None:
        code = record.get("errorCode")
        if not isinstance(code, str) or not is_access_code(code):
            return None
        identity = _dict(record.get("userIdentity"))
        reduced = {
            "eventSource": record.get("eventSource"),
            "eventName": record.get("eventName"),
            "errorCode": code,
            "errorMessage": _text(record.get("errorMessage")),
            "userIdentity": {key: identity[key] for key in ("type", "arn", "accountId") if _text(identity.get(key))},
            "recipientAccountId": _text(record.get("recipientAccountId")),
        }
        response = record.get("responseElements")
        if isinstance(response, dict) and _text(response.get("message")):
            # AppSync, EKS and GuardDuty put the denial message in the response, not in errorMessage.
            reduced["responseElements"] = {"message": response["message"]}
        source = _text(record.get("eventSource")) or ""
        operation = _text(record.get("eventName"))
        return DenialEvent(
            subject=reduced,
            key=json.dumps(reduced, sort_keys=True),
            provider="aws",
            time=parse_time(record.get("eventTime")),
            request_id=_text(record.get("requestID")) or _text(record.get("eventID")),
            principal=_text(identity.get("arn"))
            or _text(identity.get("userName"))
            or _text(identity.get("invokedBy"))
            or _text(identity.get("type")),
            action=f"{source.split('.', 1)[0]}:{operation}" if source and operation else None,
            resource=_cloudtrail_resource(record),
        )


class GcpAuditKind:
    """Google Cloud audit-log entries (gcloud logging read --format=json, exported sinks)."""

    name: ClassVar[str] = "gcp-audit"

    def claims(self, record: dict[str, Any]) -> bool:
        return isinstance(record.get("protoPayload"), dict)

    def denial(self, record: dict[str, Any]) -> DenialEvent | None:
        payload: dict[str, Any] = record["protoPayload"]
        status = _dict(payload.get("status"))
        if status.get("code") not in _DENIED_STATUS:
            return None
        authn = _dict(payload.get("authenticationInfo"))
        infos = payload.get("authorizationInfo")
        reduced_payload = {
            "status": status,
            "authenticationInfo": {k: authn[k] for k in ("principalEmail", "principalSubject") if _text(authn.get(k))},
            "authorizationInfo": infos[:_MAX_AUTHORIZATION_INFO] if isinstance(infos, list) else [],
            "methodName": _text(payload.get("methodName")),
            "serviceName": _text(payload.get("serviceName")),
            "resourceName": _text(payload.get("resourceName")),
            "metadata": _dict(payload.get("metadata")),
        }
        # The entry's logName and monitored resource name the project; kept in the entry's own order,
        # since the adapter takes the first project the text names.
        reduced = {
            key: reduced_payload if key == "protoPayload" else record[key]
            for key in record
            if key in ("protoPayload", "logName", "resource")
        }
        operation = _dict(record.get("operation"))
        return DenialEvent(
            subject=reduced,
            key=json.dumps(reduced, sort_keys=True, default=str),
            provider="gcp",
            time=parse_time(record.get("timestamp") or record.get("receiveTimestamp")),
            request_id=_text(record.get("insertId")) or _text(operation.get("id")),
            principal=_text(authn.get("principalEmail")) or _text(authn.get("principalSubject")),
            action=_text(payload.get("methodName")),
            resource=_text(payload.get("resourceName")),
        )


RECORD_KINDS: Final[tuple[RecordKind, ...]] = (CloudTrailKind(), GcpAuditKind())
_CLOUDTRAIL: Final = CloudTrailKind()


def denial_in(item: dict[str, Any] | str) -> DenialEvent | None:
    """Return the denial an item holds, or None: the one entry point the scanner calls per record."""
    if type(item) is dict and "eventSource" in item:  # CloudTrail, by far the most common: fast
        return _CLOUDTRAIL.denial(item) if "errorCode" in item and "eventName" in item else None
    if isinstance(item, str):
        return _text_denial(item)
    if "__csv__" in item:
        return _CLOUDTRAIL.denial(cloudtrail_from_csv(item["__csv__"]))
    for kind in RECORD_KINDS:
        if kind.claims(item):
            return kind.denial(item)
    return _generic_denial(item)


def _text_denial(text: str) -> DenialEvent:
    match = _TEXT_TIME.match(text)
    # The leading timestamp never changes a diagnosis: without it, repeated failures share one.
    body = text[match.end() :] if match else text
    return DenialEvent(
        subject=text, key=body, provider=None, time=parse_time(match.group(1)) if match else None, request_id=None
    )


def _generic_denial(record: dict[str, Any]) -> DenialEvent | None:
    """Any other JSON record (an application's log line): the adapters decide whether it is a failure."""
    try:
        key = json.dumps(record, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return None
    if len(key) > _MAX_GENERIC_CHARS:
        return None
    when = next((record[k] for k in ("timestamp", "time", "@timestamp", "eventTime", "ts") if k in record), None)
    return DenialEvent(subject=record, key=key, provider=None, time=parse_time(when), request_id=None)


def cloudtrail_from_csv(row: Mapping[str, str]) -> dict[str, Any]:
    """Build a CloudTrail record from a CloudTrail Lake or Athena CSV row (column names lower-cased)."""

    def column(*names: str) -> str | None:
        for name in names:
            value = row.get(name)
            if value and value.lower() not in ("null", "none"):
                return value
        return None

    identity: dict[str, Any] = {}
    cell = column("useridentity")
    if cell and cell.startswith("{"):
        try:
            parsed = json.loads(cell)
            identity = parsed if isinstance(parsed, dict) else {}
        except ValueError:
            for name, value in _STRUCT_FIELD.findall(cell):
                identity.setdefault({"accountid": "accountId", "username": "userName"}.get(name, name), value)
    for key, names in (
        ("arn", ("useridentity.arn", "useridentityarn", "arn", "principal")),
        ("type", ("useridentity.type", "useridentitytype")),
        ("accountId", ("useridentity.accountid", "useridentityaccountid", "accountid")),
        ("userName", ("useridentity.username", "useridentityusername", "username")),
    ):
        if key not in identity and (value := column(*names)):
            identity[key] = value
    record: dict[str, Any] = {"userIdentity": identity}
    columns: tuple[tuple[str, tuple[str, ...]], ...] = (
        ("eventTime", ("eventtime",)),
        ("eventSource", ("eventsource",)),
        ("eventName", ("eventname",)),
        ("errorCode", ("errorcode",)),
        ("errorMessage", ("errormessage",)),
        ("requestID", ("requestid",)),
        ("eventID", ("eventid",)),
        ("recipientAccountId", ("recipientaccountid",)),
        ("awsRegion", ("awsregion",)),
    )
    for field_name, column_names in columns:
        if (value := column(*column_names)) is not None:
            record[field_name] = value
    return record


def parse_time(value: Any) -> datetime | None:
    """Read an ISO 8601 time (naive ones are UTC); None when absent or unreadable."""
    if not isinstance(value, str) or not 10 <= len(value) <= 40:
        return None
    try:
        when = datetime.fromisoformat(value.replace(",", "."))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _cloudtrail_resource(record: dict[str, Any]) -> str | None:
    resources = record.get("resources")
    if isinstance(resources, list) and resources and isinstance(resources[0], dict):
        arn = _text(resources[0].get("ARN")) or _text(resources[0].get("arn"))
        if arn:
            return arn
    parameters = _dict(record.get("requestParameters"))
    bucket = _text(parameters.get("bucketName"))
    if bucket:
        key = _text(parameters.get("key"))
        return f"arn:aws:s3:::{bucket}/{key}" if key else f"arn:aws:s3:::{bucket}"
    return None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
