"""FastAPI dependencies: the loaded catalogue and a database session, as Annotated aliases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from api.catalog import Catalog


def get_catalog(request: Request) -> Catalog:
    """Return the catalogue the lifespan loaded."""
    catalog: Catalog = request.app.state.catalog
    return catalog


def get_session(request: Request) -> Iterator[Session]:
    """Yield a session on the app's engine, closed after the request."""
    with Session(request.app.state.engine) as session:
        yield session


CatalogDep = Annotated[Catalog, Depends(get_catalog)]
SessionDep = Annotated[Session, Depends(get_session)]
