"""GET /v1/entries and /v1/entries/{id}: the guidance entries, as stored in the database."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Path, Query
from fastapi.responses import JSONResponse, Response
from sqlmodel import col, select

from api.deps import CatalogDep, SessionDep
from api.formats import to_html, to_markdown
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


_MEDIA_TYPES = {"markdown": "text/markdown", "html": "text/html", "json": "application/json"}


@router.get(
    "/entries/{entry_id}",
    responses={
        200: {
            "description": "The entry: JSON by default; Markdown or HTML by `format` or the Accept header.",
            "content": {"application/json": {}, "text/markdown": {}, "text/html": {}},
        },
        **problem_responses(404, 422),
    },
    summary="Get one guidance entry",
)
def get_entry(
    entry_id: EntryIdPath,
    session: SessionDep,
    catalog: CatalogDep,
    format: Annotated[Literal["json", "markdown", "html"] | None, Query()] = None,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    """Return the whole entry; command placeholders show as <fact> for the reader to fill."""
    row = session.get(EntryRecord, entry_id)
    if row is None:
        raise Problem(404, "not-found", "Not found", f"No entry has the id {entry_id!r}.")
    chosen = format or _from_accept(accept)
    if chosen == "json":
        return JSONResponse(dict(row.document))
    compiled = catalog.get(entry_id)
    document: dict[str, Any] = compiled.render({}) if compiled else dict(row.document)
    body = to_markdown(document) if chosen == "markdown" else to_html(document)
    return Response(body, media_type=f"{_MEDIA_TYPES[chosen]}; charset=utf-8")


def _from_accept(accept: str | None) -> str:
    """Pick the first of JSON, Markdown, HTML that the Accept header names (JSON by default)."""
    for part in (accept or "").split(","):
        media = part.split(";", 1)[0].strip().lower()
        for name, media_type in _MEDIA_TYPES.items():
            if media == media_type:
                return name
    return "json"
