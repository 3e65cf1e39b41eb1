"""The requester answers a request for information with documents: type sniffed from the bytes, size and
number limited, stored with the answer or not at all, read by officers only (each download audited, never
cached), and the officer who asked is told, with how many documents came."""

from __future__ import annotations

import io
from typing import Any

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from screening.applications.models import Application, InfoAttachment
from screening.audit.models import AuditEntry
from screening.db import db
from tests.conftest import csrf_token, fresh, sign_in
from tests.handover.test_handover_mail import _client, _deliver, _fire_on_page, _now
from tests.scheduler.conftest import SMTPServer, World, subject

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def _answer(client: Any, application_id: int, text: str, *files: tuple[bytes, str]) -> Any:
    path = f"/applications/{application_id}"
    page = client.get(path)
    fresh()
    version = db.session.get(Application, application_id).version
    data = MultiDict([
        ("provide_info-csrf_token", csrf_token(page.text)), ("provide_info-version", str(version)),
        ("provide_info-reason", text),
        *(("provide_info-documents", FileStorage(io.BytesIO(content), name)) for content, name in files),
    ])  # fmt: skip
    # encoded in memory: the test client would spool a large body to a temporary file it never closes
    boundary, body = encode_multipart(data)
    response = client.post(f"{path}/provide_info", data=body, content_type=f"multipart/form-data; boundary={boundary}")
    fresh()
    return response


def _stored(application_id: int) -> list[InfoAttachment]:
    fresh()
    return list(db.session.scalars(select(InfoAttachment).where(InfoAttachment.application_id == application_id)))


def _asked(world: World, requester: Any, officer: Any) -> Any:
    application = world.application("in_review", now=_now(), requester=requester)
    response = _fire_on_page(_client(world.app, officer), application.id, "request_info", reason="Diploma?")
    assert response.status_code == 302
    return application


def test_an_answer_with_documents_reaches_the_officer_who_asked(world: World, smtp: SMTPServer):
    requester = world.requester(email="hr@employer.example", locale="nl")
    officer = world.user("officer", email="asker@authority.example", locale="en")
    application = _asked(world, requester, officer)
    client = _client(world.app, requester)
    response = _answer(client, application.id, "Zie bijlagen.", (PDF, "diploma.pdf"), (PNG, "id.png"))
    assert response.status_code == 302
    stored = _stored(application.id)
    assert sorted((d.media_type, d.filename) for d in stored) == [
        ("application/pdf", "diploma.pdf"), ("image/png", "id.png"),
    ]  # fmt: skip
    _deliver(world)
    told = [m for m in smtp.to("asker@authority.example") if subject(m).startswith("Information provided")]
    assert len(told) == 1
    assert "with 2 attached document(s)" in told[0].get_content()

    officer_client = _client(world.app, officer)
    page = officer_client.get(f"/applications/{application.id}")
    assert "diploma.pdf" in page.text
    pdf = next(d for d in stored if d.media_type == "application/pdf")
    download = officer_client.get(f"/applications/{application.id}/documents/{pdf.id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.mimetype == "application/pdf"
    assert download.headers["Cache-Control"] == "no-store"
    assert download.headers["Content-Disposition"] == f'attachment; filename="{application.reference}-{pdf.id}.pdf"'
    fresh()
    reads = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "read_attachment")).all()
    assert [(r.object_type, r.object_id, r.actor_user_id) for r in reads] == [("info_attachment", pdf.id, officer.id)]


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"MZ\x90\x00 not a pdf", "diploma.pdf", "is not a PDF, JPEG or PNG file"),  # a name does not make a type
        (b"<html><script>", "x.png", "is not a PDF, JPEG or PNG file"),
        (b"", "empty.pdf", "is empty"),
        (PDF + b"\x00" * (5 * 1024 * 1024), "big.pdf", "is larger than 5 MB"),
        (PDF, "dip\x00loma.pdf", "dip_loma.pdf contains control characters (such as a NUL)"),
    ],
)
def test_a_bad_document_is_refused_and_nothing_is_stored_nor_answered(world: World, content, name, message):
    requester = world.requester(email="r@employer.example")
    officer = world.user("officer", email="o@authority.example")
    application = _asked(world, requester, officer)
    response = _answer(_client(world.app, requester), application.id, "Here.", (PDF, "good.pdf"), (content, name))
    assert response.status_code == 422
    assert message in response.text.replace("&#39;", "'")
    assert _stored(application.id) == []
    assert db.session.get(Application, application.id).state == "info_requested"


def test_too_many_documents_are_refused(world: World):
    requester = world.requester(email="r2@employer.example")
    officer = world.user("officer", email="o2@authority.example")
    application = _asked(world, requester, officer)
    response = _answer(_client(world.app, requester), application.id, "All.", *[(JPEG, f"p{n}.jpg") for n in range(5)])
    assert response.status_code == 422
    assert "Attach at most 4 documents." in response.text
    assert _stored(application.id) == []


def test_the_file_name_is_cleaned_and_never_names_the_download(world: World):
    requester = world.requester(email="r3@employer.example")
    officer = world.user("officer", email="o3@authority.example")
    application = _asked(world, requester, officer)
    _answer(_client(world.app, requester), application.id, "x", (PDF, "../../etc/<b>ab;c\u202e.pdf"))
    (stored,) = _stored(application.id)
    assert stored.filename == "_b_ab_c_.pdf"


def test_documents_are_for_officers_only(world: World):
    requester = world.requester(email="r4@employer.example")
    officer = world.user("officer", email="o4@authority.example")
    application = _asked(world, requester, officer)
    _answer(_client(world.app, requester), application.id, "x", (PDF, "secret.pdf"))
    (stored,) = _stored(application.id)
    path = f"/applications/{application.id}/documents/{stored.id}"
    from screening.organisations.models import Organisation

    hr = world.user("hr", db.session.get(Organisation, db.session.get(Application, application.id).organisation_id))
    others = (requester, hr, world.user("auditor"), world.user("admin"))
    other = world.application("in_review", now=_now())
    for user in others:
        client = sign_in(world.app.test_client(), user)
        assert client.get(path).status_code in (403, 404), user.role
        assert "secret.pdf" not in client.get(f"/applications/{application.id}").text
    # another file's id, or an id beyond any column, finds nothing
    officer_client = _client(world.app, officer)
    assert officer_client.get(f"/applications/{other.id}/documents/{stored.id}").status_code == 404
    assert officer_client.get(f"/applications/{application.id}/documents/{2**63}").status_code == 404
    fresh()
    reads = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "read_attachment")
    assert db.session.scalar(reads) == 0


def test_an_answer_without_documents_still_works(world: World, smtp: SMTPServer):
    requester = world.requester(email="r5@employer.example")
    officer = world.user("officer", email="o5@authority.example")
    application = _asked(world, requester, officer)
    assert _answer(_client(world.app, requester), application.id, "Plain answer.").status_code == 302
    assert _stored(application.id) == []
    _deliver(world)
    (told,) = [m for m in smtp.to("o5@authority.example") if subject(m).startswith("Information provided")]
    assert "attached" not in told.get_content()
