"""Reading decisions: the history of a file or a clearance, oldest first, in one statement."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import aliased

from screening.auth.models import User
from screening.db import db
from screening.decisions.models import Decision, DecisionDocument


def history(*, application_id: int | None = None, clearance_id: int | None = None) -> list[Row[Any]]:
    """The decisions about one file or clearance, oldest first, each with who recorded it and its document
    (``decision``, ``recorded_by``, ``document_id``, ``document_type``, ``document_size``). The grounds are in
    the rows: only an authority's page may show them, and it audits the read."""
    if (application_id is None) == (clearance_id is None):
        raise ValueError("history of an application or of a clearance")
    recorder = aliased(User)
    decision = aliased(Decision, name="decision")
    if application_id is not None:
        subject = decision.application_id == application_id
    else:
        subject = decision.clearance_id == clearance_id
    statement = (
        select(
            decision,
            recorder.display_name.label("recorded_by"),
            DecisionDocument.id.label("document_id"),
            DecisionDocument.media_type.label("document_type"),
            DecisionDocument.size.label("document_size"),
        )
        .outerjoin(recorder, recorder.id == decision.recorded_by_id)
        .outerjoin(DecisionDocument, DecisionDocument.decision_id == decision.id)
        .where(subject)
        .order_by(decision.id)
    )
    return list(db.session.execute(statement))


def latest(
    *,
    application_id: int | None = None,
    clearance_id: int | None = None,
    kinds: tuple[str, ...],
    outcomes: tuple[str, ...] | None = None,
) -> Decision | None:
    """The most recent decision of these kinds (and outcomes) about the file or clearance."""
    statement = select(Decision).where(Decision.kind.in_(kinds))
    if application_id is not None:
        statement = statement.where(Decision.application_id == application_id)
    if clearance_id is not None:
        statement = statement.where(Decision.clearance_id == clearance_id)
    if outcomes is not None:
        statement = statement.where(Decision.outcome.in_(outcomes))
    return db.session.scalar(statement.order_by(Decision.id.desc()).limit(1))


def document(decision_id: int) -> DecisionDocument | None:
    return db.session.scalar(select(DecisionDocument).where(DecisionDocument.decision_id == decision_id))
