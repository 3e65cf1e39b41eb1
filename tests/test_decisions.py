"""Decisions are records, never overwritten: an advice, its appeal and the ruling are three rows, the advice's
grounds and date intact after the ruling; a revocation ends the positive decision and can be appealed while
its window is open; the upgrade carries the decisions already taken over from the old columns."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import create_engine, select, text

from screening import migrate
from screening.actors import Actor
from screening.applications import operations
from screening.applications.models import Application
from screening.clearances.models import Clearance
from screening.clearances.operations import fire_clearance
from screening.clock import local_date
from screening.db import db, make_engine
from screening.decisions.models import Decision, DecisionChanged, DecisionDocument
from screening.decisions.operations import check_letter
from screening.decisions.queries import history
from screening.errors import Conflict, InvalidInput
from screening.extensions import settings
from tests.conftest import fresh

PDF = b"%PDF-1.4\n% the appeal letter\n"
OFFICER = Actor(label="officer-x", role="officer")


def _decisions(application_id: int) -> list[Decision]:
    fresh()
    return list(db.session.scalars(select(Decision).where(Decision.application_id == application_id)))


def test_the_advice_its_appeal_and_the_ruling_are_three_records(app, factory):
    application = factory.application("negative")
    advice = _decisions(application.id)[0]
    assert (advice.kind, advice.outcome, advice.grounds) == ("advice", "negative", "text for advise_negative")
    application = db.session.get(Application, application.id)
    lodged = local_date(datetime.now(UTC)) - timedelta(days=2)
    operations.fire(
        application, "lodge_appeal", OFFICER, settings().deadlines, lodged_on=lodged,
        letter=check_letter(PDF, required=True),
    )  # fmt: skip
    assert application.due_on == lodged + timedelta(days=settings().deadlines.appeal_ruling_days)  # ruling due
    operations.fire(
        application, "appeal_upheld", OFFICER, settings().deadlines, reason="the facts were not established",
        disclosed_grounds="the facts were not established",
    )  # fmt: skip
    db.session.commit()

    advice, appeal, ruling = _decisions(application.id)
    assert (advice.kind, advice.outcome, advice.grounds) == ("advice", "negative", "text for advise_negative")
    assert (appeal.kind, appeal.outcome, appeal.decided_on) == ("appeal", None, lodged)
    assert (ruling.kind, ruling.outcome, ruling.grounds) == ("ruling", "upheld", "the facts were not established")
    assert (ruling.ends_id, ruling.end_reason) == (advice.id, "annulled_on_appeal")
    letter = db.session.scalar(select(DecisionDocument).where(DecisionDocument.decision_id == appeal.id))
    assert (letter.media_type, letter.content) == ("application/pdf", PDF)
    application = db.session.get(Application, application.id)
    assert (application.state, application.decision_id, application.grounds) == (
        "positive", ruling.id, "the facts were not established",
    )  # fmt: skip
    assert ruling.valid_until == db.session.get(Clearance, application.clearance_id).valid_until
    assert [row.decision.kind for row in history(application_id=application.id)] == ["advice", "appeal", "ruling"]


def test_a_decision_is_never_updated(app, factory):
    application = factory.application("positive")
    (advice,) = _decisions(application.id)
    advice.grounds = "rewritten"
    with pytest.raises(DecisionChanged):
        db.session.flush()
    db.session.rollback()
    assert _decisions(application.id)[0].grounds == "text for advise_positive"


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "Attach the appeal letter"), (b"MZ\x90\x00 not a letter", "PDF, JPEG or PNG"),
     (b"%PDF-" + b"x" * (5 * 1024 * 1024), "larger than 5 MB")],
)  # fmt: skip
def test_a_letter_that_is_not_a_pdf_jpeg_or_png_is_refused_at_its_field(content, message):
    with pytest.raises(InvalidInput, match=message) as refused:
        check_letter(content, required=True)
    assert refused.value.field == "letter"


def test_an_appeal_lodged_in_the_future_is_refused_and_changes_nothing(app, factory):
    application = factory.application("negative")
    with pytest.raises(InvalidInput) as refused:
        operations.fire(
            application, "lodge_appeal", OFFICER, settings().deadlines,
            lodged_on=local_date(datetime.now(UTC)) + timedelta(days=1),
        )  # fmt: skip
    assert refused.value.field == "lodged_on"
    db.session.rollback()
    assert [d.kind for d in _decisions(application.id)] == ["advice"]


def test_an_appeal_against_a_missing_advice_needs_the_legal_term_passed(app, factory):
    now = datetime.now(UTC)
    on_time = factory.application("in_review", now=now)
    with pytest.raises(Conflict):
        operations.fire(on_time, "lodge_appeal_missed_term", OFFICER, settings().deadlines, now=now)
    db.session.rollback()
    late = factory.application("in_review", now=now - timedelta(days=31))
    operations.fire(late, "lodge_appeal_missed_term", OFFICER, settings().deadlines, now=now)
    operations.fire(late, "appeal_rejected", OFFICER, settings().deadlines, reason="no clearance", now=now)
    db.session.commit()
    appeal, ruling = _decisions(late.id)
    assert (appeal.kind, ruling.kind, ruling.outcome, ruling.ends_id) == ("appeal", "ruling", "rejected", None)
    late = db.session.get(Application, late.id)
    assert (late.state, late.advice_type) == ("final_negative", "negative")
    too_late = factory.application("in_review", now=now - timedelta(days=61))  # 30 days term + 30 days to appeal
    with pytest.raises(Conflict):
        operations.fire(too_late, "lodge_appeal_missed_term", OFFICER, settings().deadlines, now=now)
    db.session.rollback()


def _revoked(factory, now):
    application = factory.application("positive", now=now)
    clearance = db.session.get(Clearance, application.clearance_id)
    fire_clearance(clearance, "start_reevaluation", OFFICER, reason="new facts", now=now)
    fire_clearance(clearance, "revoke", OFFICER, deadlines=settings().deadlines, reason="the facts", now=now)
    db.session.commit()
    return application, clearance


def test_a_revocation_ends_the_advice_and_its_appeal_can_annul_it(app, factory):
    now = datetime.now(UTC)
    application, clearance = _revoked(factory, now)
    fresh()
    (advice,) = _decisions(application.id)
    revocation = db.session.scalar(select(Decision).where(Decision.clearance_id == clearance.id))
    assert (revocation.kind, revocation.grounds, revocation.ends_id, revocation.end_reason) == (
        "revocation", "the facts", advice.id, "revoked",
    )  # fmt: skip
    clearance = db.session.get(Clearance, clearance.id)
    fire_clearance(
        clearance, "lodge_revocation_appeal", OFFICER, deadlines=settings().deadlines,
        lodged_on=local_date(now), letter=check_letter(PDF, required=True), now=now,
    )  # fmt: skip
    fire_clearance(clearance, "revocation_appeal_upheld", OFFICER, reason="disproportionate", now=now)
    db.session.commit()
    fresh()
    clearance = db.session.get(Clearance, clearance.id)
    assert (clearance.state, clearance.revoked_at) == ("valid", None)
    rows = [row.decision for row in history(clearance_id=clearance.id)]
    assert [(d.kind, d.outcome) for d in rows] == [("revocation", "revoked"), ("appeal", None), ("ruling", "upheld")]
    assert (rows[2].ends_id, rows[2].end_reason, rows[0].grounds) == (rows[0].id, "annulled_revocation", "the facts")


def test_a_revocation_appeal_is_refused_after_its_window_and_after_a_ruling(app, factory):
    now = datetime.now(UTC)
    _application, clearance = _revoked(factory, now - timedelta(days=30))
    with pytest.raises(Conflict):
        fire_clearance(clearance, "lodge_revocation_appeal", OFFICER, deadlines=settings().deadlines, now=now)
    db.session.rollback()
    _application, clearance = _revoked(factory, now)
    fire_clearance(clearance, "lodge_revocation_appeal", OFFICER, deadlines=settings().deadlines, now=now)
    fire_clearance(clearance, "revocation_appeal_rejected", OFFICER, reason="stands", now=now)
    assert clearance.state == "revoked"
    with pytest.raises(Conflict):  # one appeal per revocation
        fire_clearance(clearance, "lodge_revocation_appeal", OFFICER, deadlines=settings().deadlines, now=now)
    db.session.rollback()


@pytest.mark.nodb
def test_the_upgrade_carries_the_decisions_already_taken_over(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    bare = create_engine(url)  # without the application's foreign keys: bare rows
    migrate.upgrade(bare, "0016")
    decided, notified, appealed = "2026-03-10 10:00:00", "2026-03-02 09:00:00", "2026-03-05 12:00:00"
    files = [  # id, state, advice_type, decided_at, notified_at, appealed_at, grounds, disclosed
        (1, "positive", "positive_with_warning", decided, decided, None, "warning grounds", "told"),
        (2, "appealed", "negative", notified, notified, appealed, "advice grounds", "told of advice"),
        (3, "positive", "positive", decided, notified, appealed, "ruling grounds", None),
        (4, "in_review", None, None, None, None, None, None),
    ]
    with bare.begin() as connection:
        for row in files:
            connection.execute(
                text(
                    "INSERT INTO applications (id, reference, organisation_id, person_id, function_id, state, version, "
                    "created_at, state_changed_at, advice_type, decided_at, notified_at, appealed_at, grounds, "
                    "disclosed_grounds) VALUES (:id, :ref, 1, 1, 1, :state, 1, :at, :at, :advice, :decided, "
                    ":notified, :appealed, :grounds, :disclosed)"
                ),
                dict(zip(("id", "state", "advice", "decided", "notified", "appealed", "grounds", "disclosed"), row,
                         strict=True), ref=f"SCR-{row[0]}", at=notified),
            )  # fmt: skip
        connection.execute(
            text(
                "INSERT INTO clearances (id, reference, person_id, application_id, advice_type, state, version, "
                "valid_from, valid_until, created_at, state_changed_at, revoked_at) VALUES "
                "(1, 'CLR-1', 1, 3, 'positive', 'revoked', 1, '2026-03-10', '2031-03-09', :at, :at, :at)"
            ),
            {"at": decided},
        )
        connection.execute(
            text(
                "INSERT INTO audit_entries (id, at, actor, role, action, object_type, object_id, reason, "
                "redactable_digest) VALUES (1, :at, 'officer', 'officer', 'revoke', 'clearance', 1, 'revoked for', 'x')"
            ),
            {"at": decided},
        )
    enforced = make_engine(url)  # foreign keys enforced, as `screening db upgrade` runs it
    migrate.upgrade(enforced)
    enforced.dispose()
    with bare.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT application_id, clearance_id, kind, event, outcome, decided_on, grounds, disclosed_grounds, "
                "ends_id, end_reason, id FROM decisions ORDER BY id"
            )
        ).all()
        in_force = dict(connection.execute(text("SELECT id, decision_id FROM applications")).all())
    assert [tuple(r[:10]) for r in rows] == [
        (1, None, "advice", "advise_positive_with_warning", "positive_with_warning", "2026-03-10", "warning grounds",
         "told", None, None),
        (2, None, "advice", "advise_negative", "negative", "2026-03-02", "advice grounds", "told of advice", None,
         None),
        (2, None, "appeal", "lodge_appeal", None, "2026-03-05", None, None, None, None),
        # the ruling had overwritten the advice's grounds and date: the advice comes over by its notification
        (3, None, "advice", "advise_negative", "negative", "2026-03-02", None, None, None, None),
        (3, None, "appeal", "lodge_appeal", None, "2026-03-05", None, None, None, None),
        (3, None, "ruling", "appeal_upheld", "upheld", "2026-03-10", "ruling grounds", None, 4, "annulled_on_appeal"),
        (None, 1, "revocation", "revoke", "revoked", "2026-03-10", "revoked for", None, None, None),
    ]  # fmt: skip
    assert in_force == {1: 1, 2: 2, 3: 6, 4: None}
    migrate.downgrade(bare, "0016")
    with bare.connect() as connection:
        grounds = dict(connection.execute(text("SELECT id, grounds FROM applications")).all())
    assert grounds == {1: "warning grounds", 2: "advice grounds", 3: "ruling grounds", 4: None}
    bare.dispose()


def test_the_files_grounds_are_the_decisions_and_retention_erases_them(app, factory):
    from screening.retention.operations import erase_files

    application = factory.application("negative")
    operations.fire(application, "lodge_appeal", OFFICER, settings().deadlines, letter=check_letter(PDF, required=True))
    db.session.commit()
    erase_files([application.id], Actor.system("test"), datetime.now(UTC))
    db.session.commit()
    rows = _decisions(application.id)
    assert [(d.kind, d.grounds, d.disclosed_grounds) for d in rows] == [("advice", None, None), ("appeal", None, None)]
    assert db.session.scalar(select(DecisionDocument.id).where(DecisionDocument.decision_id == rows[1].id)) is None
    assert rows[0].decided_on <= date.today()
