"""RFC 9457 problem details: one exception type, one installer, and the OpenAPI declarations.

Every error the service returns is `application/problem+json` with type, title, status and
detail; validation failures add `errors` (the field errors, without echoing the input).
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_TYPE_BASE: Final = "https://whydenied.dev/problems/"
MEDIA_TYPE: Final = "application/problem+json"
# Exceptions that mean "cannot reach the database" (a 503), as opposed to bugs (a 500).
UNAVAILABLE: Final = (OperationalError, InterfaceError, PoolTimeoutError)


class ProblemResponse(BaseModel):
    """The RFC 9457 body, as OpenAPI shows it."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, Any]] | None = None


class Problem(Exception):
    """Raise to answer with a problem document."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(detail)
        self.headers = headers or {}
        self.status, self.slug, self.title, self.detail, self.errors = (
            status,
            slug,
            title,
            detail,
            errors,
        )


def problem_response(problem: Problem, app: Any = None) -> JSONResponse:
    """Render a Problem as an application/problem+json response (counted in the app's metrics)."""
    metrics = getattr(getattr(app, "state", None), "metrics", None)
    if metrics is not None:
        metrics.errors.labels(str(problem.status)).inc()
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + problem.slug,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
    }
    if problem.errors is not None:
        body["errors"] = problem.errors
    return JSONResponse(body, status_code=problem.status, media_type=MEDIA_TYPE, headers=problem.headers)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Return the `responses=` mapping that documents these problem statuses in OpenAPI."""
    schema = ProblemResponse.model_json_schema()
    return {
        status: {"description": _TITLES.get(status, "Error"), "content": {MEDIA_TYPE: {"schema": schema}}}
        for status in statuses
    }


_TITLES: Final = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Request does not fit the contract",
    429: "Too many requests",
    500: "Internal error",
    503: "Database unavailable",
}


def install(app: FastAPI) -> None:
    """Make every error the app raises a problem document."""

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return problem_response(exc, app=request.app)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = list(exc.errors())
        if any(error.get("type") == "json_invalid" for error in errors):
            return problem_response(
                Problem(415, "not-json", "Unsupported media type", "The request body is not valid JSON."),
                app=request.app,
            )
        return problem_response(
            Problem(
                422,
                "invalid-request",
                _TITLES[422],
                "The request does not fit the contract (see errors).",
                _safe_errors(errors),
            ),
            app=request.app,
        )

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        title = _TITLES.get(exc.status_code, "Error")
        detail = exc.detail if isinstance(exc.detail, str) else title
        response = problem_response(
            Problem(exc.status_code, title.lower().replace(" ", "-"), title, detail), app=request.app
        )
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    async def on_unavailable(request: Request, _exc: Exception) -> JSONResponse:
        # The database is unreachable: say so, and when to retry; diagnosing does not need it.
        return problem_response(
            Problem(
                503,
                "database-unavailable",
                _TITLES[503],
                "The database is unreachable; diagnosing still works. Retry this request shortly.",
                headers={"Retry-After": "5"},
            ),
            app=request.app,
        )

    async def on_unexpected(request: Request, _exc: Exception) -> JSONResponse:
        # Last resort: never leak a traceback or echo input. Tests assert no input reaches this.
        return problem_response(
            Problem(500, "internal", _TITLES[500], "The service failed on this request."), app=request.app
        )

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    for unavailable in UNAVAILABLE:
        app.add_exception_handler(unavailable, on_unavailable)
    app.add_exception_handler(Exception, on_unexpected)


def _safe_errors(errors: list[Any]) -> list[dict[str, Any]]:
    """Keep location, message and type; drop `input` and `ctx`, which may echo a pasted secret."""
    return [
        {
            "loc": [str(part) for part in error.get("loc", ())],
            "msg": str(error.get("msg", "")),
            "type": str(error.get("type", "")),
        }
        for error in errors[:50]
    ]
