"""Writing decisions: each one is inserted once, in the transaction of the step that takes it, and never
changed (see :mod:`screening.decisions.models`). Called by the applications' and clearances' operations."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, delete, select, update

from screening.actors import Actor
from screening.db import db
from screening.decisions.models import Decision, DecisionDocument
from screening.errors import InvalidInput
from screening.uploads import MAX_BYTES, sniff


@dataclass(frozen=True)
class Letter:
    """An uploaded document, checked (:func:`check_letter`) before anything is written."""

    content: bytes
    media_type: str


def check_letter(content: bytes | None, *, required: bool) -> Letter | None:
    """The appeal letter as uploaded: refused with a field message when empty (if required), too large, or not
    a PDF, JPEG or PNG by its bytes."""
    if not content:
        if required:
            raise InvalidInput("Attach the appeal letter (PDF, JPEG or PNG).", field="letter")
        return None
    if len(content) > MAX_BYTES:
        raise InvalidInput("The file is larger than %(size)d MB.", field="letter", size=MAX_BYTES // (1024 * 1024))
    media_type = sniff(content)
    if media_type is None:
        raise InvalidInput("Upload the appeal letter as a PDF, JPEG or PNG file.", field="letter")
    return Letter(content, media_type)


def record_decision(
    actor: Actor,
    *,
    kind: str,
    event: str,
    outcome: str | None,
    decided_on: date,
    now: datetime,
    application_id: int | None = None,
    clearance_id: int | None = None,
    grounds: str | None = None,
    disclosed_grounds: str | None = None,
    valid_from: date | None = None,
    valid_until: date | None = None,
    ends: Decision | None = None,
    end_reason: str | None = None,
    letter: Letter | None = None,
) -> Decision:
    """Insert one decision (and the letter filed with it); flushed, so its id can be linked at once."""
    decision = Decision(
        application_id=application_id,
        clearance_id=clearance_id,
        kind=kind,
        event=event,
        outcome=outcome,
        decided_on=decided_on,
        recorded_at=now,
        recorded_by_id=actor.user_id,
        grounds=(grounds or "").strip() or None,
        disclosed_grounds=(disclosed_grounds or "").strip() or None,
        valid_from=valid_from,
        valid_until=valid_until,
        ends_id=ends.id if ends is not None else None,
        end_reason=end_reason if ends is not None else None,
    )
    db.session.add(decision)
    db.session.flush()
    if letter is not None:
        db.session.add(
            DecisionDocument(
                decision_id=decision.id,
                media_type=letter.media_type,
                size=len(letter.content),
                sha256=hashlib.sha256(letter.content).hexdigest(),
                content=letter.content,
                uploaded_by_id=actor.user_id,
                uploaded_at=now,
            )  # fmt: skip
        )
    return decision


def erase_decision_texts(condition: ColumnElement[bool]) -> None:
    """The retention purge's only change to decisions (by law, not by a later decision): the grounds and what
    the person was told are blanked and the letters deleted; kind, dates and outcome stay for the statistics.
    ``condition`` is on :class:`Decision` (e.g. ``Decision.application_id.in_(ids)``)."""
    table = Decision.__table__
    chosen = select(Decision.id).where(condition)
    db.session.execute(
        delete(DecisionDocument)
        .where(DecisionDocument.decision_id.in_(chosen))
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(table).where(condition).values(grounds=None, disclosed_grounds=None)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
