"""Wire models: what clients send and receive (API.md is the contract; fields only get added)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.request_limits import (
    MAX_HEADER_NAME,
    MAX_HEADER_VALUE,
    MAX_HEADERS,
    MAX_PROVIDER,
    MAX_STATUS,
    MIN_STATUS,
    PROVIDER_PATTERN,
)
from api.request_limits import MAX_JSON_DEPTH as MAX_JSON_DEPTH  # api/limits.py reads it here

Category = Literal["authentication", "authorization", "other"]


class DiagnoseRequest(BaseModel):
    """A pasted failure, as text or as a parsed body, with optional status and headers."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "error": "HTTP/1.1 401 Unauthorized",
                    "status_code": 401,
                    "headers": {"WWW-Authenticate": 'Bearer realm="api", error="invalid_token"'},
                }
            ]
        },
    )

    error: Annotated[
        str | dict[str, Any] | list[Any],
        Field(
            description="The failure as pasted (text), a parsed JSON error body (object), or a JSON array "
            "(a list of CloudTrail records or Cloud Audit Log entries)."
        ),
    ]
    status_code: Annotated[
        int | None, Field(ge=MIN_STATUS, le=MAX_STATUS, description="The HTTP status, where known.")
    ] = None
    headers: Annotated[
        dict[Annotated[str, Field(max_length=MAX_HEADER_NAME)], Annotated[str, Field(max_length=MAX_HEADER_VALUE)]]
        | None,
        Field(description="Response headers, where known; names are case-insensitive."),
    ] = None
    provider: Annotated[
        str | None,
        Field(max_length=MAX_PROVIDER, pattern=PROVIDER_PATTERN, description="A hint: aws, gcp, http, ..."),
    ] = None
    live: bool = Field(
        default=False,
        description="Also run live checks with the server's credentials: only when the operator enabled them, "
        "and only with an API key.",
    )

    @field_validator("error")
    @classmethod
    def _error_not_empty_nor_too_deep(cls, value: str | dict[str, Any] | list[Any]) -> str | dict[str, Any] | list[Any]:
        if isinstance(value, str):
            if not value.strip():
                raise ValueError("must not be empty")
            return value
        if not value:
            raise ValueError("must not be an empty object or array")
        if _depth(value) > MAX_JSON_DEPTH:
            raise ValueError(f"nests deeper than {MAX_JSON_DEPTH} levels")
        return value

    @field_validator("headers")
    @classmethod
    def _not_too_many_headers(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value is not None and len(value) > MAX_HEADERS:
            raise ValueError(f"more than {MAX_HEADERS} headers")
        return value


def _depth(value: Any) -> int:
    """Return how deeply a JSON value nests, without recursion (a hostile body can be deep)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_JSON_DEPTH:
            return level
        if isinstance(node, dict):
            stack.extend((child, level + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, level + 1) for child in node)
    return deepest


class FindingResponse(BaseModel):
    """One conclusion and whether the payload stated it (`reported`) or it was deduced (`inferred`)."""

    field: str
    value: str | int
    evidence: Literal["reported", "inferred"]
    basis: str


class LiveCheckResponse(BaseModel):
    """One live check: verified, simulated, contradicted, not permitted, unavailable or refused.

    `refused`: not run, because its target (a role, principal, resource, account or project named
    by the paste) is outside the credentials' own account or project.
    """

    check: str
    outcome: str
    summary: str
    details: dict[str, Any] | None = None
    needs: str | None = Field(default=None, description="The permission the check itself needs.")
    denial_reason: str | None = Field(default=None, description="Our reading of the check's own denial.")


class DiagnoseResponse(BaseModel):
    """The diagnosis: provider, category, reason, confidence, facts, and rendered guidance."""

    provider: str | None
    category: Category
    reason: str | None
    confidence: Annotated[float, Field(ge=0, le=1)]
    facts: dict[str, str | int]
    guidance: dict[str, Any] | None
    derived: dict[str, str] = Field(
        default_factory=dict,
        description="Values derived from the facts (principal_kind, resource_type, role_name, bucket, queue_url, "
        "...; see the taxonomy's `derived`): never stated by the paste, each also a finding with evidence "
        "`inferred`. The guidance's commands use them.",
    )
    findings: list[FindingResponse] = Field(
        default_factory=list, description="Each conclusion with its evidence label and basis."
    )
    variant: str | None = Field(default=None, description="A finer name for the failed check.")
    id: str | None = Field(default=None, description="The diagnosis id, when history is enabled (for feedback).")
    note: str | None = Field(default=None, description="What a non-access failure is instead.")
    live: list[LiveCheckResponse] | None = Field(default=None, description="Live check outcomes, when asked for.")


class ReasonResponse(BaseModel):
    """One taxonomy reason and whether guidance exists for it."""

    id: str
    category: Category
    provider: str
    has_entry: bool


class EntrySummaryResponse(BaseModel):
    """One entry in the listing."""

    id: str
    kind: Literal["reason", "guide", "playbook"]
    status: Literal["preview", "stable", "deprecated"]
    category: Category | None
    title: str
    summary: str


class SearchHitResponse(BaseModel):
    """One search result, best first."""

    id: str
    kind: Literal["reason", "guide", "playbook"]
    title: str
    summary: str
    score: float


class FeedbackRequest(BaseModel):
    """Was the guidance for a diagnosis (or a reason) helpful?"""

    model_config = ConfigDict(extra="forbid")

    diagnosis_id: Annotated[str | None, Field(max_length=36, pattern=r"^[0-9a-f-]{36}$")] = None
    reason: Annotated[str | None, Field(max_length=128, pattern=r"^[a-z0-9][a-z0-9_.-]*$")] = None
    helpful: bool
    comment: Annotated[str | None, Field(max_length=2000)] = None


class FeedbackResponse(BaseModel):
    """The stored feedback's id."""

    id: int


class CountResponse(BaseModel):
    """One value and how often it was seen."""

    value: str
    count: int


class DayCountResponse(BaseModel):
    """Diagnoses on one day."""

    day: str
    count: int


class StatsResponse(BaseModel):
    """Aggregated diagnosis history (history must be enabled to collect it)."""

    since: str
    total: int
    reasons: list[CountResponse]
    actions: list[CountResponse]
    services: list[CountResponse]
    principals: list[CountResponse] = Field(description="Keyed hashes of the principals, never the principals.")
    per_day: list[DayCountResponse]


class HealthResponse(BaseModel):
    """Liveness and what was loaded."""

    status: Literal["ok"]
    entries: int
    reasons: int
    version: str
