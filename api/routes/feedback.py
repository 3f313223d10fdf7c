"""POST /v1/feedback: was the guidance helpful? Comments are bounded and redacted before storage."""

from __future__ import annotations

from fastapi import APIRouter

from adapters.redact import redact
from api.deps import CatalogDep, SessionDep
from api.models import FeedbackRecord
from api.problems import Problem, problem_responses
from api.schemas import FeedbackRequest, FeedbackResponse

router = APIRouter(prefix="/v1", tags=["feedback"])


@router.post(
    "/feedback",
    response_model=FeedbackResponse,
    status_code=201,
    responses=problem_responses(413, 415, 422, 503),
    summary="Say whether the guidance helped",
    operation_id="feedback",
)
def feedback(body: FeedbackRequest, session: SessionDep, catalog: CatalogDep) -> FeedbackResponse:
    """Store one piece of feedback about a diagnosis or a reason."""
    if body.diagnosis_id is None and body.reason is None:
        raise Problem(422, "invalid-request", "Request does not fit the contract", "Give a diagnosis_id or a reason.")
    if body.reason is not None and body.reason not in catalog.taxonomy.reasons and catalog.get(body.reason) is None:
        raise Problem(422, "invalid-request", "Request does not fit the contract", "reason is not a known entry id.")
    record = FeedbackRecord(
        diagnosis_id=body.diagnosis_id,
        reason=body.reason,
        helpful=body.helpful,
        comment=redact(body.comment)[:2000] if body.comment else None,
    )
    session.add(record)
    session.commit()
    session.refresh(record)
    assert record.id is not None
    return FeedbackResponse(id=record.id)
