"""GET /v1/entries and /v1/entries/{id}: the guidance entries, as stored in the database."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from sqlmodel import col, select

from api.deps import SessionDep
from api.models import EntryRecord
from api.problems import Problem, problem_responses
from api.schemas import EntrySummaryResponse

router = APIRouter(prefix="/v1", tags=["entries"])

EntryIdPath = Annotated[str, Path(max_length=128, pattern=r"^[a-z0-9][a-z0-9_.-]*$")]


@router.get("/entries", response_model=list[EntrySummaryResponse], summary="List guidance entries")
def list_entries(
    session: SessionDep,
    kind: Annotated[Literal["reason", "guide", "playbook"] | None, Query()] = None,
    provider: Annotated[str | None, Query(max_length=32)] = None,
    category: Annotated[Literal["authentication", "authorization", "other"] | None, Query()] = None,
) -> list[EntrySummaryResponse]:
    """Return every entry's id, kind, status, category, title and summary, sorted by id."""
    query = select(EntryRecord).order_by(col(EntryRecord.id))
    if kind is not None:
        query = query.where(EntryRecord.kind == kind)
    if provider is not None:
        query = query.where(EntryRecord.provider == provider)
    if category is not None:
        query = query.where(EntryRecord.category == category)
    return [EntrySummaryResponse.model_validate(row, from_attributes=True) for row in session.exec(query).all()]


@router.get(
    "/entries/{entry_id}",
    responses=problem_responses(404, 422),
    summary="Get one guidance entry",
)
def get_entry(entry_id: EntryIdPath, session: SessionDep) -> dict[str, Any]:
    """Return the whole entry (JSON), with command templates unfilled."""
    row = session.get(EntryRecord, entry_id)
    if row is None:
        raise Problem(404, "not-found", "Not found", f"No entry has the id {entry_id!r}.")
    return dict(row.document)
