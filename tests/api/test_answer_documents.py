"""An HR system answers a request for information with documents through the API (``multipart/form-data``),
under the page's own rules: the same limits and messages, stored and audited as the page stores them, seen
by the officer as on the page; a refused document stores nothing, a retried key stores nothing twice."""

from __future__ import annotations

import io
from typing import Any

import pytest
from reportlab.pdfgen import canvas
from sqlalchemy import select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from screening.applications.models import Application, InfoAttachment
from screening.audit.models import AuditEntry
from screening.db import db
from tests.conftest import fresh, sign_in

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _pdf() -> bytes:
    """A real one-page PDF, as a scanner or a word processor would send it."""
    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.drawString(72, 720, "Diploma of Jan Peeters, 2019")
    page.save()
    return out.getvalue()


def _answer(client: Any, application: Any, text: str | None, *files: tuple[bytes, str], **headers: str) -> Any:
    fields: list[tuple[str, Any]] = [] if text is None else [("answer", text)]
    fields += [("documents", FileStorage(io.BytesIO(content), name)) for content, name in files]
    boundary, body = encode_multipart(MultiDict(fields))  # in memory: the test client spools large bodies
    return client.post(
        f"/api/v1/applications/{application.id}/answer", data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        headers={"If-Match": f'"v{application.version}"', **headers},
    )  # fmt: skip


def _stored(application_id: int) -> list[InfoAttachment]:
    fresh()
    return list(db.session.scalars(select(InfoAttachment).where(InfoAttachment.application_id == application_id)))


def test_a_pdf_attached_through_the_api_reaches_the_officer_as_from_the_page(app, api, factory):
    client, requester = api()
    asked = factory.application("info_requested", requester=requester)
    pdf = _pdf()
    response = _answer(client, asked, "The diploma is attached.", (pdf, "diploma 2019.pdf"), (PNG, "id.png"))
    assert response.status_code == 200, response.json
    assert response.json["state"] == "in_review"
    assert response.json["information_request"]["answer"] == "The diploma is attached."
    stored = _stored(asked.id)
    assert sorted((d.filename, d.media_type, d.uploaded_by_id) for d in stored) == [
        ("diploma 2019.pdf", "application/pdf", requester.id), ("id.png", "image/png", requester.id),
    ]  # fmt: skip
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "provide_info"))
    assert entry.actor == f"{requester.username} (API token: HR system)"
    assert entry.reason == "The diploma is attached."

    officer = sign_in(app.test_client(), factory.user("officer"))
    assert "diploma 2019.pdf" in officer.get(f"/applications/{asked.id}").text
    document = next(d for d in stored if d.media_type == "application/pdf")
    download = officer.get(f"/applications/{asked.id}/documents/{document.id}")
    assert download.status_code == 200 and download.data == pdf and download.mimetype == "application/pdf"


@pytest.mark.parametrize(
    ("content", "name", "detail"),
    [
        (b"\x00" * 6 * 1024 * 1024, "big.pdf", "The document big.pdf is larger than 5 MB."),
        (b"%PDF-" + b"\x00" * (5 * 1024 * 1024), "big.pdf", "The document big.pdf is larger than 5 MB."),
        (b"MZ\x90\x00 not a pdf", "diploma.pdf", "The document diploma.pdf is not a PDF, JPEG or PNG file."),
        (b"", "empty.pdf", "The document empty.pdf is empty."),
        (
            b"%PDF-1.4 fine",
            "dip\x00loma.pdf",
            "The name of the document dip_loma.pdf contains control characters (such as a NUL): rename the file.",
        ),
    ],
)
def test_a_refused_document_is_a_problem_at_the_field_and_nothing_is_stored(api, factory, content, name, detail):
    client, requester = api()
    asked = factory.application("info_requested", requester=requester)
    response = _answer(client, asked, "Here.", (_pdf(), "good.pdf"), (content, name))
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert response.json["errors"] == [{"field": "documents", "detail": detail}]
    assert _stored(asked.id) == []
    assert db.session.get(Application, asked.id).state == "info_requested"


def test_too_many_documents_and_unknown_parts_are_refused(api, factory):
    client, requester = api()
    asked = factory.application("info_requested", requester=requester)
    many = _answer(client, asked, "All.", *[(PNG, f"p{n}.png") for n in range(5)])
    assert many.status_code == 422 and many.json["errors"] == [
        {"field": "documents", "detail": "Attach at most 4 documents."}
    ]
    boundary, body = encode_multipart(MultiDict([("answer", "x"), ("attachment", FileStorage(io.BytesIO(PNG), "a"))]))
    unknown = client.post(
        f"/api/v1/applications/{asked.id}/answer", data=body, content_type=f"multipart/form-data; boundary={boundary}",
        headers={"If-Match": f'"v{asked.version}"'},
    )  # fmt: skip
    assert unknown.status_code == 400 and unknown.json["errors"][0]["field"] == "attachment"
    nameless = client.post(  # a part named "" (schemathesis found it): the body is at fault, never field null
        f"/api/v1/applications/{asked.id}/answer", content_type=f"multipart/form-data; boundary={boundary}",
        data=f'--{boundary}\r\nContent-Disposition: form-data; name=""\r\n\r\nx\r\n--{boundary}--\r\n',
        headers={"If-Match": f'"v{asked.version}"'},
    )  # fmt: skip
    assert nameless.status_code == 400 and nameless.json["errors"][0]["field"] == "body", nameless.json
    no_text = _answer(client, asked, None, (PNG, "p.png"))
    assert no_text.status_code == 422 and no_text.json["errors"][0]["field"] == "answer"
    assert _stored(asked.id) == []


def test_messages_follow_accept_language(api, factory):
    client, requester = api()
    asked = factory.application("info_requested", requester=requester)
    response = _answer(client, asked, "Hier.", (b"GIF89a", "x.gif"), **{"Accept-Language": "nl"})
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "documents"
    assert "x.gif" in response.json["detail"] and "is not a PDF" not in response.json["detail"]


def test_a_retry_with_the_same_key_replays_and_stores_the_file_once(api, factory):
    client, requester = api()
    asked = factory.application("info_requested", requester=requester)
    pdf = _pdf()
    first = _answer(client, asked, "Attached.", (pdf, "diploma.pdf"), **{"Idempotency-Key": "answer-1"})
    # a retry: a new boundary (encode_multipart draws one per call), the same parts
    second = _answer(client, asked, "Attached.", (pdf, "diploma.pdf"), **{"Idempotency-Key": "answer-1"})
    assert first.status_code == second.status_code == 200
    assert second.headers["Idempotent-Replayed"] == "true" and second.json == first.json
    assert len(_stored(asked.id)) == 1
    other = _answer(client, asked, "Attached.", (_pdf() + b"%", "diploma.pdf"), **{"Idempotency-Key": "answer-1"})
    assert other.status_code == 422 and other.json["errors"][0]["field"] == "Idempotency-Key"
    assert len(_stored(asked.id)) == 1


def test_another_organisations_file_is_404_and_stores_nothing(api, factory):
    _owner, requester = api()
    asked = factory.application("info_requested", requester=requester)
    stranger, _other = api()
    response = _answer(stranger, asked, "Mine?", (_pdf(), "diploma.pdf"))
    assert response.status_code == 404 and response.content_type == "application/problem+json"
    assert _stored(asked.id) == []
    assert db.session.get(Application, asked.id).state == "info_requested"


def test_json_answers_still_work(api, factory):
    client, requester = api()
    asked = factory.application("info_requested", requester=requester)
    response = client.post(
        f"/api/v1/applications/{asked.id}/answer", json={"answer": "No documents."},
        headers={"If-Match": f'"v{asked.version}"'},
    )  # fmt: skip
    assert response.status_code == 200 and response.json["state"] == "in_review"
    assert _stored(asked.id) == []


def test_the_document_describes_the_multipart_body(app, client):
    spec = client.get("/api/v1/openapi.json").json
    body = spec["paths"]["/api/v1/applications/{application_id}/answer"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "multipart/form-data"}
    documents = body["multipart/form-data"]["schema"]["properties"]["documents"]
    assert documents["items"]["format"] == "binary"
