"""Reading decisions: the history of a file or a clearance, oldest first, in one statement."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Row, Select, bindparam, select
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
    subject = "application" if application_id is not None else "clearance"
    return list(db.session.execute(_history_statement(subject), {"subject_id": application_id or clearance_id}))


@cache
def _history_statement(subject: str) -> Select[Any]:
    """:func:`history`'s statement for a file's or a clearance's decisions, built once: on a file page,
    building it (two aliases adapted into the joins) cost more than running it."""
    recorder = aliased(User)
    decision = aliased(Decision, name="decision")
    column = decision.application_id if subject == "application" else decision.clearance_id
    return (
        select(
            decision,
            recorder.display_name.label("recorded_by"),
            DecisionDocument.id.label("document_id"),
            DecisionDocument.media_type.label("document_type"),
            DecisionDocument.size.label("document_size"),
        )
        .outerjoin(recorder, recorder.id == decision.recorded_by_id)
        .outerjoin(DecisionDocument, DecisionDocument.decision_id == decision.id)
        .where(column == bindparam("subject_id"))
        .order_by(decision.id)
    )


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
