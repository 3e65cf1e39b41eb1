"""The API driven as an HR system would: 100 files created with idempotency keys (each request sent twice, as
a retry after a lost answer), submitted, followed to a decision, and the certificate fetched; the trail
names the token for every change and the export."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
from sqlalchemy import func, select

from screening.actors import Actor
from screening.applications import operations
from screening.applications.models import Application
from screening.audit.models import AuditEntry
from screening.db import db
from screening.extensions import settings
from tests.api.conftest import ApiClient, person_body
from tests.conftest import Factory, data_context


@pytest.fixture
def hr_app(make_app: Any) -> Any:
    from screening.certificates.signing import generate_keypair

    app = make_app(certificates={"private_key": generate_keypair().private_pem.decode()})
    with data_context(app):
        yield app


@pytest.mark.slow
def test_an_hr_system_creates_submits_and_fetches_a_certificate(hr_app: Any, tmp_path: Any) -> None:
    from screening.api.operations import create_token

    factory = Factory(hr_app)
    requester = factory.user("requester")
    function = factory.function()
    _token, secret = create_token(Actor.of(requester), name="SAP HR", scopes=("read", "write"))
    db.session.commit()
    client = ApiClient(hr_app.test_client(), secret)

    created: dict[str, dict[str, Any]] = {}
    for n in range(100):
        body = person_body(factory, function, external_id=f"PERS-{n:04d}")
        first = client.post("/api/v1/applications", json=body, headers={"Idempotency-Key": f"create-{n}"})
        retry = client.post("/api/v1/applications", json=body, headers={"Idempotency-Key": f"create-{n}"})
        assert first.status_code == retry.status_code == 201, first.json
        assert retry.json == first.json and retry.headers["Idempotent-Replayed"] == "true"
        created[body["external_id"]] = first.json
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Application)) == 100

    for file in created.values():
        headers = {"If-Match": f'"v{file["version"]}"', "Idempotency-Key": f"submit-{file['id']}"}
        first = client.post(f"/api/v1/applications/{file['id']}/submit", headers=headers)
        retry = client.post(f"/api/v1/applications/{file['id']}/submit", headers=headers)
        assert first.status_code == retry.status_code == 200, first.json
        assert first.json["state"] == retry.json["state"] == "awaiting_consent"

    # The whole list, page by page through the cursor: every file once, in the state the API said.
    seen: list[dict[str, Any]] = []
    cursor = ""
    while True:
        page = client.get(f"/api/v1/applications?limit=30{'&cursor=' + cursor if cursor else ''}").json
        seen += page["items"]
        if not page["next_cursor"]:
            break
        cursor = page["next_cursor"]
    assert sorted(item["external_id"] for item in seen) == sorted(created)
    assert {item["state"] for item in seen} == {"awaiting_consent"}

    # The person consents, an officer advises positively; the HR system sees it and prints the certificate.
    one = created["PERS-0007"]
    db.session.rollback()  # a fresh snapshot: the requests moved the files
    application = db.session.get(Application, one["id"])
    officer = Actor(label="officer", role="officer")
    operations.fire(application, "consent", Actor.person(application.person_id), settings().deadlines)
    operations.fire(application, "start_review", officer, settings().deadlines)
    operations.fire(application, "advise_positive", officer, settings().deadlines, reason="nothing found")
    db.session.commit()
    decided = client.get(f"/api/v1/applications/{one['id']}").json
    assert decided["state"] == "positive" and decided["advice"] == "positive"
    clearance_id = decided["clearance"]["id"]
    listed = client.get("/api/v1/clearances").json["items"]
    assert [c["id"] for c in listed] == [clearance_id]
    pdf = client.post(f"/api/v1/clearances/{clearance_id}/certificate", headers={"Idempotency-Key": "cert-1"})
    assert pdf.status_code == 200 and pdf.content_type == "application/pdf"
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf.data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert decided["clearance"]["reference"] in text
    assert decided["person"]["family_name"] in text

    db.session.rollback()
    label = f"{requester.username} (API token: SAP HR)"
    actions = dict(
        db.session.execute(
            select(AuditEntry.action, func.count()).where(AuditEntry.actor == label).group_by(AuditEntry.action)
        ).all()
    )
    assert actions == {"create": 100, "submit": 100, "export_certificate": 1}
