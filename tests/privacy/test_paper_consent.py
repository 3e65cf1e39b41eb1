"""A requester records a signed paper consent form instead of the link: the type is read from the bytes,
the size is limited, bad files are refused at the field and change nothing, and the consent is a
transition in the workflow and the audit trail with the requester as actor."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from screening.applications.models import Application, ConsentDocument
from screening.applications.paper import MAX_BYTES
from screening.audit.models import AuditEntry
from screening.db import db
from tests.conftest import csrf_token, fresh

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def _upload(client, application_id: int, content: bytes, name: str):
    path = f"/applications/{application_id}/consent-form"
    page = client.get(path)
    assert page.status_code == 200
    version = page.text.split('id="version"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    data = {
        "csrf_token": csrf_token(page.text),
        "version": version,
        "document": FileStorage(io.BytesIO(content), filename=name),
    }
    boundary, body = encode_multipart(data)  # in memory: the test client would spool a big body to a file
    return client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def _state(application_id: int) -> str:
    fresh()
    return db.session.get(Application, application_id).state


@pytest.mark.parametrize(
    ("content", "media_type"), [(PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg")]
)
def test_a_signed_form_records_the_consent(as_role, factory, content, media_type):
    client, requester = as_role("requester")
    application = factory.application("awaiting_consent", requester=requester)
    assert "Record a signed paper consent form" in client.get(f"/applications/{application.id}").text
    response = _upload(client, application.id, content, "scan.bin")
    assert response.status_code == 302
    assert _state(application.id) == "submitted"
    document = db.session.scalars(select(ConsentDocument)).one()
    assert (document.application_id, document.media_type, document.size) == (application.id, media_type, len(content))
    assert document.content == content
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "consent")).one()
    assert (entry.actor, entry.role, entry.reason) == (requester.username, "requester", "signed paper form")
    # the step is done: the page is gone, a second upload changes nothing
    assert client.get(f"/applications/{application.id}/consent-form").status_code == 404


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"MZ\x90\x00 this is a program", "form.pdf", "Upload a PDF, JPEG or PNG scan of the signed form."),
        (b"<html><script>alert(1)</script>", "form.png", "Upload a PDF, JPEG or PNG scan of the signed form."),
        (b"%PDF-" + b"0" * MAX_BYTES, "big.pdf", "The file is larger than 5 MB."),
    ],
)
def test_bad_files_are_refused_at_the_field_and_change_nothing(as_role, factory, content, name, message):
    client, requester = as_role("requester")
    application = factory.application("awaiting_consent", requester=requester)
    response = _upload(client, application.id, content, name)
    assert response.status_code == 422
    assert message in response.text and "is-invalid" in response.text
    assert _state(application.id) == "awaiting_consent"
    assert db.session.scalar(select(func.count()).select_from(ConsentDocument)) == 0


def test_only_the_files_own_requester_may_upload(as_role, factory):
    _client, requester = as_role("requester")
    application = factory.application("awaiting_consent", requester=requester)
    other, _ = as_role("requester")
    assert other.get(f"/applications/{application.id}/consent-form").status_code == 404
    officer, _ = as_role("officer")
    assert officer.get(f"/applications/{application.id}/consent-form").status_code == 403


def test_the_form_is_erased_with_the_file(factory, as_role):
    from datetime import timedelta

    from screening.actors import Actor
    from screening.applications.operations import fire
    from screening.clock import utcnow
    from screening.extensions import settings
    from screening.retention.operations import purge_due

    client, requester = as_role("requester")
    application = factory.application("awaiting_consent", requester=requester)
    assert _upload(client, application.id, PDF, "scan.pdf").status_code == 302
    fresh()
    stored = db.session.get(Application, application.id)
    fire(stored, "withdraw", Actor.of(requester), settings().deadlines, reason="the job was filled")
    db.session.commit()
    purge_due(utcnow() + timedelta(days=400), settings().retention)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(ConsentDocument)) == 0
