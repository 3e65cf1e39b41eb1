"""After its retention period a closed file holds no personal data (file, person, paper form, trail texts,
mail), each outcome on its own configured period, and the reports still count it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from scheduler.runner import run_job
from screening.applications.models import Application, ConsentDocument, InfoAttachment
from screening.audit.models import AuditEntry
from screening.db import db
from screening.notifications.models import OutboxMessage
from screening.people.models import Person
from screening.reports.operations import operations_figures, organisation_figures
from tests.conftest import fresh

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PERIODS = {"closed_days": 100, "final_negative_days": 200, "positive_days": 300}


def _personal_data_left(application_id: int) -> list[str]:
    """Every place personal data of this file could still be, that still holds some."""
    fresh()
    application = db.session.get(Application, application_id)
    person = db.session.get(Person, application.person_id)
    left = []
    for name in ("grounds", "disclosed_grounds", "officer_notes", "info_request", "info_response", "withdrawal_reason"):
        if getattr(application, name):
            left.append(f"application.{name}")
    for name in ("national_number_encrypted", "national_number_masked", "document_number_encrypted", "email"):
        if getattr(person, name):
            left.append(f"person.{name}")
    if person.family_name != "erased" or person.given_names != "erased" or person.date_of_birth.month != 1:
        left.append("person.name or birth date")
    if db.session.scalar(select(ConsentDocument.id).where(ConsentDocument.application_id == application_id)):
        left.append("paper consent form")
    if db.session.scalar(select(InfoAttachment.id).where(InfoAttachment.application_id == application_id)):
        left.append("documents attached to an answer")
    trail = db.session.execute(
        select(AuditEntry.reason, AuditEntry.client_address).where(
            AuditEntry.object_type == "application", AuditEntry.object_id == application_id,
            AuditEntry.action != "erase",
        )
    ).all()  # fmt: skip
    if any(reason or address for reason, address in trail):
        left.append("audit texts or addresses")
    mail = db.session.scalars(
        select(OutboxMessage.body).where(OutboxMessage.idempotency_key.like(f"%:{application_id}:%"))
    )
    if any(person_name in body for body in mail for person_name in ("Given", "Family")):
        left.append("mail")
    return left


def test_closed_files_are_erased_on_their_own_periods_and_still_counted(make_app):
    from tests.conftest import Factory, data_context

    app = make_app(retention=PERIODS)
    with data_context(app):
        factory = Factory(app)
        requester = factory.user("requester")
        refused = factory.application("consent_refused", requester=requester, now=T0, mail=True)
        negative = factory.application("final_negative", requester=requester, now=T0, mail=True)
        fresh()
        stored = db.session.get(Application, negative.id)
        stored.officer_notes = "note about the person"
        db.session.add(
            ConsentDocument(application_id=negative.id, media_type="application/pdf", size=5, sha256="0" * 64,
                            content=b"%PDF-", uploaded_at=T0)
        )  # fmt: skip
        db.session.add(
            InfoAttachment(application_id=negative.id, filename="diploma.pdf", media_type="application/pdf", size=5,
                           sha256="0" * 64, content=b"%PDF-", uploaded_at=T0)
        )  # fmt: skip
        db.session.commit()
        start, end = date(2026, 3, 1), date(2026, 4, 1)
        before = organisation_figures([requester.organisation_id], T0 + timedelta(days=1), start, end)
        weekly_before = operations_figures(T0 + timedelta(days=1), start, end)
        assert _personal_data_left(negative.id) != []

        # the closed period is over, not the final negative one
        assert run_job(app, "retention_purge", holder="t", now=T0 + timedelta(days=101)).status == "done"
        assert _personal_data_left(refused.id) == []
        assert "application.grounds" in _personal_data_left(negative.id)
        assert run_job(app, "retention_purge", holder="t", now=T0 + timedelta(days=201)).status == "done"
        assert _personal_data_left(negative.id) == []

        # the statistics of the period are what they were
        fresh()
        after = organisation_figures([requester.organisation_id], T0 + timedelta(days=1), start, end)
        assert after == before
        assert after[requester.organisation_id]["applications"]["final_negative"] == 1
        assert after[requester.organisation_id]["applications"]["consent_refused"] == 1
        assert after[requester.organisation_id]["decisions"]["negative"] == 1
        assert operations_figures(T0 + timedelta(days=1), start, end)["decisions"] == weekly_before["decisions"]
