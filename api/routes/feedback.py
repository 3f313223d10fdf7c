"""POST /v1/feedback: was the guidance helpful? Comments are bounded and redacted before storage."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlmodel import Session

from adapters.redact import redact
from api.deps import CatalogDep, DatabaseDep, enforce_rate_limit
from api.models import FeedbackRecord
from api.problems import Problem, problem_responses
from api.schemas import FeedbackRequest, FeedbackResponse

router = APIRouter(prefix="/v1", tags=["feedback"])


@router.post(
    "/feedback",
    response_model=FeedbackResponse,
    status_code=201,
    responses=problem_responses(413, 415, 422, 429, 503),
    dependencies=[Depends(enforce_rate_limit)],  # unauthenticated writes: the same per-client limit
    summary="Say whether the guidance helped",
    operation_id="feedback",
)
async def feedback(body: FeedbackRequest, db: DatabaseDep, catalog: CatalogDep) -> FeedbackResponse:
    """Store one piece of feedback about a diagnosis or a reason."""
    if body.diagnosis_id is None and body.reason is None:
        raise Problem(422, "invalid-request", "Request does not fit the contract", "Give a diagnosis_id or a reason.")
    if body.reason is not None and body.reason not in catalog.taxonomy.reasons and catalog.get(body.reason) is None:
        raise Problem(422, "invalid-request", "Request does not fit the contract", "reason is not a known entry id.")
    record = FeedbackRecord(
        diagnosis_id=body.diagnosis_id,
        reason=body.reason,
        helpful=body.helpful,
        comment=storable_comment(body.comment),
    )

    def store(session: Session) -> int:
        session.add(record)
        session.flush()  # assigns the id; no refresh, which would hold the connection for another query
        record_id = record.id
        session.commit()
        assert record_id is not None
        return record_id

    return FeedbackResponse(id=await db.run(store))


def storable_comment(comment: str | None) -> str | None:
    """Redacted, bounded, and without NUL, which PostgreSQL refuses in text (security review F9)."""
    if not comment:
        return None
    return redact(comment.replace("\x00", ""))[:2000] or None
