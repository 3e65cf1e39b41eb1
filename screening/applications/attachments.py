"""Documents the requester attaches to an answer to a request for information (a diploma, a contract).

Checked like the signed consent form (:mod:`screening.applications.paper`): the type is read from the
file's first bytes (PDF, JPEG, PNG only), never from its name or the browser's claim, each within the size
of ``[documents] attachment_max_mb`` and at most ``attachments_per_answer`` of them. They are stored in the
transaction of the answer itself, so an answer that fails stores none; officers only may read them (each
download is in the audit trail), and the retention purge and the erasure tool delete them with the file's
other personal data.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import defer
from werkzeug.datastructures import FileStorage

from screening.actors import Actor
from screening.applications.models import Application, InfoAttachment
from screening.applications.operations import fire
from screening.applications.paper import sniff
from screening.clock import utcnow
from screening.config import DeadlinesConfig, DocumentsConfig
from screening.db import db
from screening.errors import InvalidInput, NotAllowed
from screening.inputs import text_problem

#: What each accepted type is saved as when an officer downloads it.
EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


@dataclass(frozen=True)
class Upload:
    """One file as the browser sent it: the name it gave (shown to officers, never trusted) and the bytes."""

    filename: str
    content: bytes


def read_uploads(files: Iterable[FileStorage], documents: DocumentsConfig) -> list[Upload]:
    """The files as sent (``request.files``), each read up to one byte beyond the size limit (enough to
    refuse it), at most one beyond the number allowed; each is closed at once (a large one is a temporary
    file)."""
    max_bytes = documents.attachment_max_mb * 1024 * 1024
    uploads = []
    for number, sent in enumerate(files):
        try:
            if number <= documents.attachments_per_answer:
                uploads.append(Upload(sent.filename or "", sent.stream.read(max_bytes + 1)))
        finally:
            sent.close()
    return uploads


def display_name(filename: str) -> str:
    """The sender's file name, safe to show and to put in a header: letters, digits, ``.-_ `` only."""
    name = unicodedata.normalize("NFKC", filename).rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    name = re.sub(r"[^\w.\- ]", "_", name, flags=re.ASCII).strip(" .")
    return name[:100] or "document"


def check_uploads(uploads: Sequence[Upload], max_bytes: int, max_files: int) -> list[tuple[Upload, str]]:
    """Each upload with its sniffed type; :class:`InvalidInput` on the ``documents`` field otherwise."""
    uploads = [u for u in uploads if u.content or u.filename]
    if len(uploads) > max_files:
        raise InvalidInput("Attach at most %(count)d documents.", field="documents", count=max_files)
    checked = []
    for upload in uploads:
        if text_problem(upload.filename, format_controls=False) is not None:  # a NUL, a line break, a tab
            raise InvalidInput(
                "The name of the document %(name)s contains control characters (such as a NUL): rename the file.",
                field="documents", name=display_name(upload.filename),
            )  # fmt: skip
        if not upload.content:
            raise InvalidInput("The document %(name)s is empty.", field="documents", name=display_name(upload.filename))
        if len(upload.content) > max_bytes:
            raise InvalidInput(
                "The document %(name)s is larger than %(size)d MB.", field="documents",
                name=display_name(upload.filename), size=max_bytes // (1024 * 1024),
            )  # fmt: skip
        media_type = sniff(upload.content)
        if media_type is None:
            raise InvalidInput(
                "The document %(name)s is not a PDF, JPEG or PNG file.", field="documents",
                name=display_name(upload.filename),
            )  # fmt: skip
        checked.append((upload, media_type))
    return checked


def provide_info(
    application: Application,
    actor: Actor,
    answer: str | None,
    uploads: Sequence[Upload],
    deadlines: DeadlinesConfig,
    *,
    max_bytes: int,
    max_files: int,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> list[InfoAttachment]:
    """Answer the officer's question with its documents: the documents are checked first, stored with the
    answer's time, and the answer's transition (with its mail to the officer, who is told how many documents
    came) is fired in the same transaction."""
    if actor.role != "requester" or actor.organisation_id != application.organisation_id:
        raise NotAllowed("Only the employer's screening manager answers a request for information.")
    checked = check_uploads(uploads, max_bytes, max_files)
    now = now or utcnow()
    stored = [
        InfoAttachment(
            application_id=application.id, filename=display_name(upload.filename), media_type=media_type,
            size=len(upload.content), sha256=hashlib.sha256(upload.content).hexdigest(), content=upload.content,
            uploaded_by_id=actor.user_id, uploaded_at=now,
        )
        for upload, media_type in checked
    ]  # fmt: skip
    db.session.add_all(stored)
    db.session.flush()  # before the transition: its mail counts them
    fire(application, "provide_info", actor, deadlines, reason=answer, expected_version=expected_version, now=now)
    return stored


def answer_with_documents(
    application: Application,
    actor: Actor,
    answer: str | None,
    files: Iterable[FileStorage],
    documents: DocumentsConfig,
    deadlines: DeadlinesConfig,
    *,
    expected_version: int | None,
) -> list[InfoAttachment]:
    """The answer as the page and the API take it: the sent files read and checked within ``[documents]``,
    then :func:`provide_info`."""
    return provide_info(
        application, actor, answer, read_uploads(files, documents), deadlines,
        max_bytes=documents.attachment_max_mb * 1024 * 1024, max_files=documents.attachments_per_answer,
        expected_version=expected_version,
    )  # fmt: skip


def attachments_of(application_id: int) -> list[InfoAttachment]:
    """The file's attached documents, without their bytes (the list on the officer's page)."""
    return list(db.session.scalars(_attachments_statement(), {"application_id": application_id}))


@cache
def _attachments_statement() -> Select[tuple[InfoAttachment]]:
    """:func:`attachments_of`'s statement, built once (an officer's file page reads it on every view)."""
    return (
        select(InfoAttachment)
        .where(InfoAttachment.application_id == bindparam("application_id"))
        .options(defer(InfoAttachment.content))
        .order_by(InfoAttachment.id)
    )
