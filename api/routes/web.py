"""The web page: paste an error, get the diagnosis and the playbook; browse and search the guidance.

Server-rendered with Jinja2 (autoescape on): everything from the paste is escaped. Works without
JavaScript (a plain form post); with it, the result is fetched and swapped in without a reload.
Pasted text travels only in POST bodies, never in a URL. A strict CSP allows no inline script.
"""

from __future__ import annotations

import re
from collections import defaultdict
from importlib.resources import files
from typing import Annotated, Any, Final
from urllib.parse import parse_qs

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from pydantic import ValidationError
from starlette.types import Receive, Scope, Send

from adapters.redact import redact
from api.deps import CatalogDep, DatabaseDep, IamIndexDep, retry_after
from api.problems import Problem
from api.routes.diagnose import ON_LOOP_BYTES
from api.schemas import DiagnoseRequest
from api.search import SearchIndex
from api.services.diagnosis import diagnose_request
from api.verdict import build as build_verdict

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(files("api") / "web" / "templates"))
# "${ROLE_NAME:?set ROLE_NAME to the role name}", as api/render.py writes an unfilled value (escaped first)
_INLINE_CODE = re.compile(r"`([^`\n]{1,200})`")
_VARIABLE = re.compile(r"&#34;\$\{[A-Z][A-Z0-9_]{0,40}:\?[^}&]{1,120}\}&#34;")


def mark_variables(command: str) -> Markup:
    """Escape a command and highlight the variables it still needs (the copy button copies the text)."""
    escaped = str(escape(command))
    return Markup(_VARIABLE.sub(lambda match: f'<mark class="var">{match.group(0)}</mark>', escaped))  # noqa: S704


def inline_code(text: str) -> Markup:
    """Escape prose and show its `code spans` (as the content writes them) as code, not as backticks."""
    return Markup(_INLINE_CODE.sub(r"<code>\1</code>", str(escape(text))))  # noqa: S704  (escaped first)


templates.env.filters["mark_variables"] = mark_variables
templates.env.filters["inline_code"] = inline_code

SECURITY_HEADERS: Final = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_PROVIDER_ORDER: Final = ("aws", "gcp", "azure", "kubernetes", "http", "guide", "playbook")


def _page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    response = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers.update(SECURITY_HEADERS)
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    """The diagnose form."""
    return _page(request, "index.html", {"form": {}})


@router.post("/", response_class=HTMLResponse)
async def diagnose_form(request: Request, catalog: CatalogDep, iam_index: IamIndexDep) -> HTMLResponse:
    """Diagnose a form post; answer the whole page, or only the result when the page's script asks."""
    fields = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
    form = {key: fields.get(key, "") for key in ("error", "status_code", "headers")}
    fragment = request.headers.get("x-fragment") == "1"
    # The page shows the paste again, for editing: redacted, like everything else we echo.
    context: dict[str, Any] = {"form": {key: redact(value) for key, value in form.items()}}
    status = 200
    try:
        wait = await retry_after(request)
    except Problem as unavailable:  # the shared limit is down and set to fail closed
        context["problem"] = unavailable.detail
        return _page(request, "problem.html" if fragment else "index.html", context, unavailable.status)
    if wait:
        context["problem"] = f"Too many diagnoses from this address; try again in {wait} seconds."
        response = _page(request, "problem.html" if fragment else "index.html", context, 429)
        response.headers["Retry-After"] = str(wait)
        return response
    try:
        body = DiagnoseRequest(
            error=form["error"],
            status_code=int(form["status_code"]) if form["status_code"].strip() else None,
            headers=_headers(form["headers"]) or None,
        )
        if len(form["error"]) <= ON_LOOP_BYTES:
            context["result"] = diagnose_request(body, catalog, iam_index).model_dump(mode="json")
        else:  # as the API does: a long paste in a worker thread, not on the event loop
            diagnosis = await run_in_threadpool(diagnose_request, body, catalog, iam_index)
            context["result"] = diagnosis.model_dump(mode="json")
        context["verdict"] = build_verdict(context["result"])
    except (ValidationError, ValueError) as exc:
        context["problem"] = _problem_text(exc)
        status = 422
    if fragment:
        template = "result.html" if "result" in context else "problem.html"
        return _page(request, template, context, status)
    return _page(request, "index.html", context, status)


async def too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    """Answer an oversized form post (refused before parsing) with the page, or its problem fragment."""
    request = Request(scope, receive)
    context: dict[str, Any] = {
        "form": {},
        "problem": (
            f"The paste is larger than {limit // 1024} KB, more than any one error needs. Paste only the "
            "error itself (its first lines, with the request id) and try again."
        ),
    }
    fragment = request.headers.get("x-fragment") == "1"
    response = _page(request, "problem.html" if fragment else "index.html", context, 413)
    response.headers["Connection"] = "close"  # the rest of the body was not read
    await response(scope, receive, send)


def _headers(text: str) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in text.splitlines()[:100]:
        name, sep, value = line.partition(":")
        if sep and name.strip():
            headers[name.strip()[:256]] = value.strip()[:8192]
    return headers


def _problem_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = str(first["loc"][-1]) if first["loc"] else "input"
        return f"Check the {where.replace('_', ' ')}: {first['msg']}."
    return "The HTTP status must be a number between 100 and 599."


@router.get("/entries", response_class=HTMLResponse)
async def entries_page(
    request: Request, catalog: CatalogDep, db: DatabaseDep, q: Annotated[str | None, Query(max_length=500)] = None
) -> HTMLResponse:
    """The knowledge index grouped by provider and category, or search results."""
    if q:
        index: SearchIndex = request.app.state.search
        hits = await db.run(lambda _session: index.search(q, limit=20))
        return _page(request, "entries.html", {"query": q, "hits": hits})
    groups: dict[str, dict[str, list[dict[str, str]]]] = defaultdict(lambda: defaultdict(list))
    for entry_id, compiled in sorted(catalog.entries.items()):
        entry = compiled.entry
        provider = entry_id.split(".", 1)[0]
        category = getattr(entry, "category", None) or {"guide": "guides", "playbook": "playbooks"}[entry.kind]
        groups[provider][category].append({"id": entry_id, "title": entry.title})
    ordered = sorted(groups.items(), key=lambda kv: _PROVIDER_ORDER.index(kv[0]) if kv[0] in _PROVIDER_ORDER else 99)
    index_view = [(provider, sorted(cats.items())) for provider, cats in ordered]
    return _page(request, "entries.html", {"index": index_view})


@router.get("/entries/{entry_id}", response_class=HTMLResponse)
def entry_page(
    request: Request,
    catalog: CatalogDep,
    entry_id: Annotated[str, Path(max_length=128, pattern=r"^[a-z0-9][a-z0-9_.-]*$")],
) -> Response:
    """One entry, guide or playbook as a page (commands show <fact> placeholders)."""
    compiled = catalog.get(entry_id)
    if compiled is None:
        raise Problem(404, "not-found", "Not found", f"No entry has the id {entry_id!r}.")
    return _page(request, "entry.html", {"document": compiled.render({}, for_case=False)})
