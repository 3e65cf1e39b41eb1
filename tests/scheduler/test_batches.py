"""Jobs work in batches, committing each: several batches cover every due row once, a file that cannot
move is skipped rather than retried for ever, and every organisation gets its report."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update

from screening.applications.models import Application
from screening.db import db
from screening.organisations.models import Organisation
from screening.reports.models import Report
from tests.conftest import data_context, fresh
from tests.scheduler.conftest import T0, World, count, days, outbox, run


def test_small_batches_cover_every_due_row_once(make_app, smtp_port):
    app = make_app(scheduler={"batch_size": 2})
    with data_context(app):
        world = World(app)
        requester = world.requester()
        for _ in range(5):
            world.application("awaiting_consent", requester=requester)
        assert run(app, "consent_reminders", T0 + days(7)).items == 5
        assert len({m.idempotency_key for m in outbox("consent_reminder")}) == 5
        assert run(app, "consent_expiry", T0 + days(30)).items == 5
        fresh()
        assert set(db.session.scalars(select(Application.state))) == {"consent_expired"}

        for _ in range(3):
            world.organisation()
        run(app, "monthly_reports", datetime(2026, 4, 1, 4, 0, tzinfo=UTC))
        assert count(Report) == count(Organisation) == 4  # three pages of two


def test_a_file_that_cannot_move_is_skipped_not_retried_for_ever(make_app, monkeypatch):
    from screening.applications import deadlines

    app = make_app(scheduler={"batch_size": 2})
    with data_context(app):
        world = World(app)
        files = [world.application("awaiting_consent") for _ in range(3)]
        stuck = files[1].id
        real_fire_many = deadlines.fire_many

        def fire_many(applications, event, *args, **kwargs):
            # The person consents at that very moment: the row changes under the job's loaded copy.
            db.session.execute(
                update(Application)
                .where(Application.id == stuck)
                .values(state="submitted", version=Application.version + 1)
                .execution_options(synchronize_session=False)
            )
            return real_fire_many(applications, event, *args, **kwargs)

        monkeypatch.setattr(deadlines, "fire_many", fire_many)
        assert run(app, "consent_expiry", T0 + days(30)).items == 2
        fresh()
        states = dict(db.session.execute(select(Application.id, Application.state)).all())
        assert states[stuck] == "submitted"
        assert [s for i, s in states.items() if i != stuck] == ["consent_expired", "consent_expired"]


def test_a_batched_transition_bumps_the_version_and_is_sealed_in_the_log(make_app):
    """The batch writes its rows itself (one statement for all): the version still moves, so a page loaded
    before gets its conflict, and each file's audit entry is sealed into the verified log."""
    from screening.audit.models import AuditEntry
    from screening.audit.setup import audit_keys
    from screening.audit.verify import verify

    app = make_app()
    with data_context(app):
        world = World(app)
        files = [world.application("negative") for _ in range(3)]
        versions = {a.id: a.version for a in files}
        run(app, "appeal_windows", T0 + days(20))
        rows = db.session.execute(select(Application.id, Application.state, Application.version)).all()
        assert {(i, s, v - versions[i]) for i, s, v in rows} == {(a.id, "final_negative", 1) for a in files}
        closing = db.session.scalars(select(AuditEntry.object_id).where(AuditEntry.action == "close_appeal_window"))
        assert sorted(closing) == sorted(versions)
        fresh()
        assert run(app, "seal_audit_log", T0 + days(20)).items >= 3
        with db.engine.connect() as connection:
            report = verify(connection, audit_keys().public_keys)
        assert report.ok and report.unsealed == 0, report


def test_consent_expiry_reads_once_per_batch_not_once_per_file(make_app):
    """Ending files without consent checks each person's clearance (a covered person's file is not ended):
    one read for the whole batch, so two files and six cost the same number of SELECTs."""
    from sqlalchemy import event

    app = make_app()
    with data_context(app):
        world = World(app)
        requester = world.requester()
        selects = []
        for files in (2, 6):
            for _ in range(files):
                world.application("awaiting_consent", requester=requester)
            seen = []

            def _count(_conn, _cursor, statement, *_args, seen=seen):
                seen.append(statement.lstrip().split(None, 1)[0].upper())

            engine = app.extensions["screening.engine"]
            event.listen(engine, "before_cursor_execute", _count)
            try:
                assert run(app, "consent_expiry", T0 + days(30 + files)).items == files
            finally:
                event.remove(engine, "before_cursor_execute", _count)
            selects.append(seen.count("SELECT"))
        assert selects[0] == selects[1], selects
