"""FastAPI dependencies: the loaded catalogue and a database session, as Annotated aliases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Final

from fastapi import Depends, Request
from sqlmodel import Session

from api.catalog import Catalog
from api.problems import Problem
from api.ratelimit import RateLimiter
from api.services.api_keys import is_valid_key
from api.services.least_privilege import IamActionIndex


# The cheap dependencies are async: a sync one costs a thread-pool hop per request.
async def get_catalog(request: Request) -> Catalog:
    """Return the catalogue the lifespan loaded."""
    catalog: Catalog = request.app.state.catalog
    return catalog


async def get_iam_index(request: Request) -> IamActionIndex:
    """Return the IAM action index the lifespan loaded."""
    index: IamActionIndex = request.app.state.iam_index
    return index


def get_session(request: Request) -> Iterator[Session]:
    """Yield a session on the app's engine, closed after the request."""
    request.app.state.storage.ensure_ready()  # after an outage: sync before the first query
    with Session(request.app.state.engine) as session:
        yield session


def retry_after(request: Request) -> int:
    """Take a token from the client's bucket; return 0 when allowed, else the seconds to wait."""
    limiter: RateLimiter | None = request.app.state.rate_limiter
    if limiter is None:
        return 0
    return limiter.acquire(request.client.host if request.client else "unknown")


async def enforce_rate_limit(request: Request) -> None:
    """Answer 429 with Retry-After when the client is over its diagnoses per minute."""
    wait = retry_after(request)
    if wait:
        raise Problem(
            429,
            "rate-limited",
            "Too many requests",
            f"This client is over its diagnoses per minute; retry after {wait} seconds.",
            headers={"Retry-After": str(wait)},
        )


_REALM: Final = 'Bearer realm="whydenied"'


def require_api_key(request: Request, session: Annotated[Session, Depends(get_session)]) -> None:
    """Let the request through only with a live key: `Authorization: Bearer wdk_...` (RFC 6750)."""
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise Problem(
            401,
            "api-key-required",
            "Authentication required",
            "This endpoint needs an API key: send `Authorization: Bearer <key>` "
            "(make one with `whydenied keys create`).",
            headers={"WWW-Authenticate": _REALM},
        )
    if not is_valid_key(session, presented.strip()):
        raise Problem(
            401,
            "invalid-api-key",
            "Authentication required",
            "The API key is unknown or revoked.",
            headers={"WWW-Authenticate": f'{_REALM}, error="invalid_token", error_description="unknown or revoked"'},
        )


CatalogDep = Annotated[Catalog, Depends(get_catalog)]
IamIndexDep = Annotated[IamActionIndex, Depends(get_iam_index)]
SessionDep = Annotated[Session, Depends(get_session)]
