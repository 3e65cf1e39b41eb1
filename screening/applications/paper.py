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
import hmac
from datetime import datetime

from screening.actors import Actor
from screening.applications.models import Application, ConsentDocument
from screening.applications.operations import fire
from screening.clock import utcnow
from screening.config import DeadlinesConfig
from screening.db import db
from screening.errors import InvalidInput, NotAllowed
from screening.person_link.tokens import form_code as printed_form_code
from screening.uploads import MAX_BYTES, sniff

__all__ = ["MAX_BYTES", "PAPER_FORM_VERSION", "record_paper_consent", "sniff"]

#: The version of the printed form (the letter's signature block). Its code on the paper, with a check of the
#: file and its request for consent (:func:`~screening.person_link.tokens.form_code`), must be typed in at
#: upload: a form of another file, of an earlier request or of an older version is refused.
PAPER_FORM_VERSION = 2


def record_paper_consent(
    application: Application,
    actor: Actor,
    content: bytes,
    deadlines: DeadlinesConfig,
    *,
    expected_version: int,
    form_code: str,
    secret_key: str,
    now: datetime | None = None,
) -> ConsentDocument:
    """Store the signed form and record the consent it gives; nothing is stored if either fails.

    Strict: ``expected_version`` is the file as the user saw it, and ``form_code`` the code printed on the
    signed form, which must be that of this file's current request for consent and form version."""
    if actor.role != "requester":
        raise NotAllowed("Only the employer's screening manager records a paper consent form.")
    if not content:
        raise InvalidInput("Choose the file of the signed consent form.", field="document")
    if len(content) > MAX_BYTES:
        raise InvalidInput("The file is larger than %(size)d MB.", field="document", size=MAX_BYTES // (1024 * 1024))
    media_type = sniff(content)
    if media_type is None:
        raise InvalidInput("Upload a PDF, JPEG or PNG scan of the signed form.", field="document")
    expected = printed_form_code(secret_key, application.id, application.state_changed_at, PAPER_FORM_VERSION)
    typed = "".join(char for char in form_code.upper() if char.isalnum())
    if not hmac.compare_digest(typed.encode(), expected.replace("-", "").encode()):
        raise InvalidInput(
            "This is not the form code printed on this file's current consent letter. Print the letter again "
            "and have it signed.",
            field="form_code",
        )
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
