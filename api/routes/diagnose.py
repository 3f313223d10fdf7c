"""POST /v1/diagnose: the one endpoint every client calls."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CatalogDep, IamIndexDep
from api.problems import problem_responses
from api.schemas import DiagnoseRequest, DiagnoseResponse
from api.services.diagnosis import diagnose_request

router = APIRouter(prefix="/v1", tags=["diagnose"])


@router.post(
    "/diagnose",
    response_model=DiagnoseResponse,
    responses=problem_responses(400, 413, 415, 422),
    summary="Diagnose a pasted access failure",
)
def diagnose(body: DiagnoseRequest, catalog: CatalogDep, iam_index: IamIndexDep) -> DiagnoseResponse:
    """Classify the failure and return the guidance rendered for the facts read from it."""
    return diagnose_request(body, catalog, iam_index)
