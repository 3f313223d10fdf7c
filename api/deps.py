"""FastAPI dependencies: the loaded catalogue, database access, the rate limit and the API key check.

Endpoints never receive a session: a session held across the thread hops of a sync endpoint was the
deadlock of security review F1. They `await db.run(work)` instead (api/db_access.py).
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import Depends, Request

from api.catalog import Catalog
from api.db_access import DatabaseAccess
from api.problems import Problem
from api.ratelimit import Limiter, RateLimitUnavailable, client_key
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


async def get_db(request: Request) -> DatabaseAccess:
    """Return the app's database access (one request at a time per slot; see api/db_access.py)."""
    db: DatabaseAccess = request.app.state.db
    return db


async def retry_after(request: Request) -> int:
    """Take a token from the client's bucket; return 0 when allowed, else the seconds to wait.

    Raises Problem 503 when the shared limit cannot be checked and the limiter fails closed.
    """
    limiter: Limiter | None = request.app.state.rate_limiter
    if limiter is None:
        return 0
    # The socket's peer, or the client a trusted load balancer names (WHYDENIED_FORWARDED_ALLOW_IPS).
    try:
        return await limiter.acquire_async(client_key(request.client.host if request.client else None))
    except RateLimitUnavailable:
        raise Problem(
            503,
            "rate-limit-unavailable",
            "Service unavailable",
            "The shared rate limit cannot be checked right now; retry shortly.",
            headers={"Retry-After": "2"},
        ) from None


async def enforce_rate_limit(request: Request) -> None:
    """Answer 429 with Retry-After when the client is over its diagnoses per minute."""
    wait = await retry_after(request)
    if wait:
        raise Problem(
            429,
            "rate-limited",
            "Too many requests",
            f"This client is over its diagnoses per minute; retry after {wait} seconds.",
            headers={"Retry-After": str(wait)},
        )


_REALM: Final = 'Bearer realm="whydenied"'


async def require_api_key(request: Request) -> None:
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
    db: DatabaseAccess = request.app.state.db
    key = presented.strip()
    if not await db.run(lambda session: is_valid_key(session, key)):
        raise Problem(
            401,
            "invalid-api-key",
            "Authentication required",
            "The API key is unknown or revoked.",
            headers={"WWW-Authenticate": f'{_REALM}, error="invalid_token", error_description="unknown or revoked"'},
        )


CatalogDep = Annotated[Catalog, Depends(get_catalog)]
IamIndexDep = Annotated[IamActionIndex, Depends(get_iam_index)]
DatabaseDep = Annotated[DatabaseAccess, Depends(get_db)]
