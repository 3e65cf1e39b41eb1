"""A signed paper consent form, scanned and uploaded by the requester: the only way an employer records the
person's consent (there is no bare "Record consent" button; :func:`~screening.applications.operations.fire`
refuses the requester's ``consent`` without the form).

The type is read from the file's first bytes, never from its name or the browser's claim: only PDF, JPEG
and PNG are taken, up to :data:`MAX_BYTES`. Recording it fires the workflow's ``consent`` transition with
the requester as actor (audited like every transition) and stores the file in the same transaction; the
retention purge and the erasure tool delete it with the file's other personal data.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from screening.actors import Actor
from screening.applications.models import Application, ConsentDocument
from screening.applications.operations import fire
from screening.clock import utcnow
from screening.config import DeadlinesConfig
from screening.db import db
from screening.errors import InvalidInput, NotAllowed
from screening.uploads import MAX_BYTES, sniff

__all__ = ["MAX_BYTES", "record_paper_consent", "sniff"]


def record_paper_consent(
    application: Application,
    actor: Actor,
    content: bytes,
    deadlines: DeadlinesConfig,
    *,
    expected_version: int,
    now: datetime | None = None,
) -> ConsentDocument:
    """Store the signed form and record the consent it gives; nothing is stored if either fails."""
    if actor.role != "requester":
        raise NotAllowed("Only the employer's screening manager records a paper consent form.")
    if not content:
        raise InvalidInput("Choose the file of the signed consent form.", field="document")
    if len(content) > MAX_BYTES:
        raise InvalidInput("The file is larger than %(size)d MB.", field="document", size=MAX_BYTES // (1024 * 1024))
    media_type = sniff(content)
    if media_type is None:
        raise InvalidInput("Upload a PDF, JPEG or PNG scan of the signed form.", field="document")
    now = now or utcnow()
    fire(
        application, "consent", actor, deadlines, reason="signed paper form", expected_version=expected_version,
        paper_form=True, now=now,
    )  # fmt: skip
    document = ConsentDocument(
        application_id=application.id,
        media_type=media_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        uploaded_by_id=actor.user_id,
        uploaded_at=now,
    )
    db.session.add(document)
    db.session.flush()
    return document
