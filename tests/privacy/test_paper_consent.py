"""A requester records a signed paper consent form instead of the link: the type is read from the bytes,
the size is limited, bad files are refused at the field and change nothing, and the consent is a
transition in the workflow and the audit trail with the requester as actor."""

from __future__ import annotations

import io
import re

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


def printed_form_code(client, application_id: int) -> str:
    """The form code in the signature block of the letter the person signed."""
    letter = client.get(f"/applications/{application_id}/letter").text
    return re.search(r'id="form-code">([^<]+)<', letter).group(1)


def _upload(client, application_id: int, content: bytes, name: str, form_code: str | None = None, **fields: str):
    path = f"/applications/{application_id}/consent-form"
    code = form_code if form_code is not None else printed_form_code(client, application_id)
    page = client.get(path)
    assert page.status_code == 200
    version = page.text.split('id="version"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    data = {
        "csrf_token": csrf_token(page.text),
        "version": version,
        "form_code": code,
        "document": FileStorage(io.BytesIO(content), filename=name),
        **fields,
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


def _nothing_recorded(application_id: int) -> None:
    assert _state(application_id) == "awaiting_consent"
    assert db.session.scalar(select(func.count()).select_from(ConsentDocument)) == 0
    assert db.session.scalar(select(func.count()).where(AuditEntry.action == "consent")) == 0


def test_the_form_code_must_be_this_files_current_one(as_role, factory):
    client, requester = as_role("requester")
    application = factory.application("awaiting_consent", requester=requester)
    other = factory.application("awaiting_consent", requester=requester)
    own = printed_form_code(client, application.id)
    older_version = "F1-" + own.split("-", 1)[1]
    for code in (printed_form_code(client, other.id), older_version, "", "F2-\x00\x00", "9" * 20):
        response = _upload(client, application.id, PDF, "scan.pdf", form_code=code)
        assert response.status_code == 422, code
        assert "is-invalid" in response.text
        _nothing_recorded(application.id)
    # typed as people type it: lower case, without the hyphen
    assert _upload(client, application.id, PDF, "scan.pdf", form_code=own.lower().replace("-", "")).status_code == 302
    assert _state(application.id) == "submitted"


def test_the_version_check_is_strict(as_role, factory):
    client, requester = as_role("requester")
    application = factory.application("awaiting_consent", requester=requester)
    for version in ("", "x", "99999999999999999999", str(application.version + 5)):
        response = _upload(client, application.id, PDF, "scan.pdf", version=version)
        assert response.status_code in (409, 422), version
        _nothing_recorded(application.id)


def test_a_covered_person_signs_on_paper(as_role, factory):
    cleared = factory.person_details()
    factory.application("positive", person=cleared)
    client, requester = as_role("requester")
    application = factory.application("awaiting_consent", requester=requester, person=cleared)
    response = _upload(client, application.id, PDF, "scan.pdf")
    assert response.status_code == 302
    assert _state(application.id) == "covered"
    assert "no new screening is needed" in client.get(response.headers["Location"]).text
