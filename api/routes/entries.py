"""GET /v1/entries and /v1/entries/{id}: the guidance entries, as stored in the database."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlmodel import col, select

from api.catalog import Catalog
from api.deps import CatalogDep, DatabaseDep
from api.formats import to_html, to_markdown
from api.models import EntryRecord
from api.problems import Problem, problem_responses
from api.routes.web import SECURITY_HEADERS
from api.schemas import EntrySummaryResponse

router = APIRouter(prefix="/v1", tags=["entries"])

EntryIdPath = Annotated[str, Path(max_length=128, pattern=r"^[a-z0-9][a-z0-9_.-]*$")]


@router.get(
    "/entries",
    response_model=list[EntrySummaryResponse],
    responses=problem_responses(422, 503),
    summary="List guidance entries",
    operation_id="list_entries",
)
async def list_entries(
    db: DatabaseDep,
    kind: Annotated[Literal["reason", "guide", "playbook"] | None, Query()] = None,
    provider: Annotated[str | None, Query(max_length=32)] = None,
    category: Annotated[Literal["authentication", "authorization", "other"] | None, Query()] = None,
) -> list[EntrySummaryResponse]:
    """Return every entry's id, kind, status, category, title and summary, sorted by id."""
    if provider is not None and not provider.isprintable():  # NUL and friends: PostgreSQL refuses them (F9)
        raise Problem(422, "invalid-request", "Request does not fit the contract", "provider is not a provider name.")
    query = select(EntryRecord).order_by(col(EntryRecord.id))
    if kind is not None:
        query = query.where(EntryRecord.kind == kind)
    if provider is not None:
        query = query.where(EntryRecord.provider == provider)
    if category is not None:
        query = query.where(EntryRecord.category == category)
    return await db.run(
        lambda session: [
            EntrySummaryResponse.model_validate(row, from_attributes=True) for row in session.exec(query).all()
        ]
    )


_MEDIA_TYPES: Final = {"markdown": "text/markdown", "html": "text/html", "json": "application/json"}
_FORMATS: Final = {"md": "markdown", "markdown": "markdown", "html": "html", "json": "json"}
MAX_FACT_CHARS: Final = 1024
# Every answer is read only as the type it says (no Markdown or JSON sniffed as HTML)
_NOSNIFF: Final = {"X-Content-Type-Options": "nosniff"}
_HTML_HEADERS: Final = {"Content-Security-Policy": SECURITY_HEADERS["Content-Security-Policy"]}


@router.get(
    "/entries/{entry_id}",
    operation_id="get_entry",
    responses={
        200: {
            "description": "The entry: JSON by default; Markdown or HTML by `format` or the Accept header. "
            "Fact query parameters (principal, action, resource, permission, ...) fill its commands.",
            "content": {"application/json": {}, "text/markdown": {}, "text/html": {}},
        },
        304: {"description": "Not modified (If-None-Match matched the ETag)."},
        **problem_responses(404, 422, 503),
    },
    summary="Get one guidance entry",
)
async def get_entry(
    request: Request,
    entry_id: EntryIdPath,
    db: DatabaseDep,
    catalog: CatalogDep,
    format: Annotated[Literal["json", "markdown", "md", "html"] | None, Query()] = None,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    """Return the whole entry, for embedding: commands show <fact> placeholders unless facts are given."""
    row = await db.run(lambda session: session.get(EntryRecord, entry_id))
    if row is None:
        raise Problem(404, "not-found", "Not found", f"No entry has the id {entry_id!r}.")
    chosen = _FORMATS[format] if format else _from_accept(accept)
    facts = _facts_from_query(request, catalog)
    etag = _etag(row.content_hash, chosen, facts)
    headers = {"ETag": etag, "Cache-Control": "public, max-age=300", "Vary": "Accept", **_NOSNIFF}
    if etag in _if_none_match(request.headers.get("if-none-match")):
        return Response(status_code=304, headers=headers)
    compiled = catalog.get(entry_id)
    if chosen == "json" and (not facts or compiled is None):
        return JSONResponse(dict(row.document), headers=headers)
    document: dict[str, Any] = compiled.render(facts, for_case=bool(facts)) if compiled else dict(row.document)
    if chosen == "json":
        return JSONResponse(document, headers=headers)
    if chosen == "markdown":
        body = to_markdown(document)
    else:  # opened directly, the fragment is a page of ours: the pages' CSP (no script runs at all)
        body, headers = to_html(document), {**headers, **_HTML_HEADERS}
    return Response(body, media_type=f"{_MEDIA_TYPES[chosen]}; charset=utf-8", headers=headers)


def _facts_from_query(request: Request, catalog: Catalog) -> dict[str, str | int]:
    """Return the fact query parameters (known fact keys only, bounded); the rest are ignored."""
    return {
        key: value[:MAX_FACT_CHARS]
        for key, value in request.query_params.items()
        if key in catalog.taxonomy.facts and value
    }


def _etag(content_hash: str, chosen: str, facts: dict[str, str | int]) -> str:
    material = json.dumps([content_hash, chosen, sorted(facts.items())], default=str)
    return '"' + hashlib.sha256(material.encode("utf-8")).hexdigest()[:32] + '"'


def _if_none_match(value: str | None) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in (value or "").split(",") if tag.strip()}


def _from_accept(accept: str | None) -> str:
    """Pick the first of JSON, Markdown, HTML that the Accept header names (JSON by default)."""
    for part in (accept or "").split(","):
        media = part.split(";", 1)[0].strip().lower()
        for name, media_type in _MEDIA_TYPES.items():
            if media == media_type:
                return name
    return "json"
