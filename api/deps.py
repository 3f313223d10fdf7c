"""FastAPI dependencies: the loaded catalogue and a database session, as Annotated aliases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from api.catalog import Catalog
from api.services.least_privilege import IamActionIndex


def get_catalog(request: Request) -> Catalog:
    """Return the catalogue the lifespan loaded."""
    catalog: Catalog = request.app.state.catalog
    return catalog


def get_iam_index(request: Request) -> IamActionIndex:
    """Return the IAM action index the lifespan loaded."""
    index: IamActionIndex = request.app.state.iam_index
    return index


def get_session(request: Request) -> Iterator[Session]:
    """Yield a session on the app's engine, closed after the request."""
    with Session(request.app.state.engine) as session:
        yield session


CatalogDep = Annotated[Catalog, Depends(get_catalog)]
IamIndexDep = Annotated[IamActionIndex, Depends(get_iam_index)]
SessionDep = Annotated[Session, Depends(get_session)]
