"""Monthly fee statements: counted from the recorded advice at the fee in force on each advice's day, shown to
the employer (its own organisation only) and to the authority, as PDF and CSV, every export audited."""

from __future__ import annotations

import csv
import io
import subprocess
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import event, select

from screening.actors import Actor
from screening.audit.models import AuditEntry
from screening.config import ConfigError, parse_config
from screening.db import db
from screening.fees.statement import monthly_statement, port_overview
from tests.conftest import fresh, sign_in

#: 50 euro, 60 euro from 15 November 2026; a negative advice costs 75 euro from the same day.
FEES = {
    "schedule": ["2025-01-01=5000", "2026-11-15=6000"],
    "by_advice_type": ["negative:2025-01-01=5000", "negative:2026-11-15=7500"],
}


@pytest.fixture
def app(make_app):
    from tests.conftest import data_context

    application = make_app(fees=FEES)
    with data_context(application):
        yield application


def _at(day: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, 10, tzinfo=UTC)


def _warning(factory, requester, now):
    """A file advised positive with an administrative warning (the factory's paths end in plain positive)."""
    from screening.applications import operations
    from screening.extensions import settings

    application = factory.application("in_review", requester=requester, now=now)
    operations.fire(
        application, "advise_positive_with_warning", Actor(label="officer-x", role="officer"), settings().deadlines,
        reason="grounds", now=now,
    )  # fmt: skip
    factory.commit()
    return application


@pytest.fixture
def world(factory):
    acme, other, idle = factory.organisation(name="Acme NV"), factory.organisation(), factory.organisation()
    requester, other_requester = factory.user("requester", acme), factory.user("requester", other)
    factory.application("positive", requester=requester, now=_at(3))
    factory.application("positive", requester=requester, now=_at(14))
    factory.application("positive", requester=requester, now=_at(15))  # the new fee's first day
    factory.application("negative", requester=requester, now=_at(20))
    factory.application("final_negative", requester=requester, now=_at(2))  # charged once, as a negative advice
    _warning(factory, requester, _at(28))
    factory.application("positive", requester=requester, now=_at(30, 10))  # October: another month
    factory.application("in_review", requester=requester, now=_at(5))  # no advice, nothing charged
    factory.application("positive", requester=other_requester, now=_at(10))
    return {"acme": acme, "other": other, "idle": idle, "requester": requester}


def _lines(statement):
    return [(line.advice_type, line.unit_cents, line.count) for line in statement.lines]


def test_amounts_follow_the_fee_in_force_on_each_advice_day(app, world):
    from screening.extensions import settings

    statement = monthly_statement(world["acme"].id, date(2026, 11, 1), settings().fees)
    assert _lines(statement) == [
        ("positive", 5000, 2), ("positive", 6000, 1), ("positive_with_warning", 6000, 1),
        ("negative", 5000, 1), ("negative", 7500, 1),
    ]  # fmt: skip
    assert (statement.count, statement.total_cents) == (6, 5000 * 2 + 6000 + 6000 + 5000 + 7500)
    assert _lines(monthly_statement(world["acme"].id, date(2026, 10, 1), settings().fees)) == [("positive", 5000, 1)]
    nothing = monthly_statement(world["idle"].id, date(2026, 11, 1), settings().fees)
    assert (nothing.lines, nothing.count, nothing.total_cents) == ((), 0, 0)


def test_a_statement_and_the_overview_are_one_query_each(app, world):
    from screening.extensions import settings

    statements: list[str] = []
    engine = db.session.get_bind()

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        monthly_statement(world["acme"].id, date(2026, 11, 1), settings().fees)
        overview = port_overview(date(2026, 11, 1), settings().fees)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 2
    assert set(overview) == {world["acme"].id, world["other"].id}
    assert overview[world["other"].id].total_cents == 5000


def test_employer_sees_its_own_statement_only(app, world, factory):
    client = sign_in(app.test_client(), world["requester"])
    page = client.get(f"/fees/{world['acme'].id}?month=2026-11")
    assert page.status_code == 200
    assert "€345.00" in page.text
    assert client.get("/fees?month=2026-11").location.endswith(f"/fees/{world['acme'].id}?month=2026-11")
    for path in (f"/fees/{world['other'].id}?month=2026-11", f"/fees/{world['other'].id}.pdf?month=2026-11",
                 f"/fees/{world['other'].id}.csv?month=2026-11", "/fees/99999999999?month=2026-11",
                 f"/fees/{world['acme'].id}?month=2026-13", f"/fees/{world['acme'].id}.xls?month=2026-11"):  # fmt: skip
        assert client.get(path).status_code == 404, path
    hr = sign_in(app.test_client(), factory.user("hr", world["acme"]))
    assert hr.get(f"/fees/{world['acme'].id}.csv?month=2026-11").status_code == 200


def test_authority_overview_and_any_statement(app, world, factory):
    officer = sign_in(app.test_client(), factory.user("officer"))
    overview = officer.get("/fees?month=2026-11", headers={"Accept-Language": "nl"})
    assert overview.status_code == 200
    assert "Acme NV" in overview.text
    assert "€\xa0395,00" in overview.text  # 345 for Acme and 50 for the other organisation
    page = officer.get(f"/fees/{world['other'].id}?month=2026-11", headers={"Accept-Language": "fr"})
    assert "50,00\xa0€" in page.text and "Avis positif" in page.text
    assert sign_in(app.test_client(), factory.user("admin")).get("/fees").status_code == 403


def test_pdf_reads_back_and_the_export_is_audited(app, world, factory):
    auditor = sign_in(app.test_client(), factory.user("auditor"))
    response = auditor.get(f"/fees/{world['acme'].id}.pdf?month=2026-11", headers={"Accept-Language": "nl"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "Acme NV" in text
    assert "november 2026" in text
    assert "75,00" in text and "345,00" in text
    fresh()
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "export_fee_statement")).one()
    assert (entry.object_id, entry.reason) == (world["acme"].id, "2026-11 pdf")


def test_pdf_of_an_organisation_with_nothing_through_pdftotext(app, world, factory, tmp_path):
    officer = sign_in(app.test_client(), factory.user("officer"))
    response = officer.get(f"/fees/{world['idle'].id}.pdf?month=2026-11")
    path = tmp_path / "statement.pdf"
    path.write_bytes(response.data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "No advice this month" in text
    assert "€0.00" in text


def test_csv_in_cents_with_the_organisation_name_defused(app, factory):
    hostile = factory.organisation(name='=HYPERLINK("http://x")')
    requester = factory.user("requester", hostile)
    factory.application("positive", requester=requester, now=_at(3))
    client = sign_in(app.test_client(), requester)
    response = client.get(f"/fees/{hostile.id}.csv?month=2026-11")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8"))))
    assert rows[0] == ["organisation", "month", "advice_type", "unit_fee_cents", "count", "amount_cents"]
    assert rows[1] == ['\'=HYPERLINK("http://x")', "2026-11", "positive", "5000", "1", "5000"]
    assert rows[-1][2:] == ["total", "", "1", "5000"]


@pytest.mark.parametrize(
    "fees",
    [{"schedule": ["2025-01-01=50.00"]}, {"schedule": ["2025-13-01=5000"]}, {"schedule": ["2025-01-01=-1"]},
     {"schedule": ["2025-01-01=5000", "2025-01-01=6000"]}, {"by_advice_type": ["warning:2025-01-01=5000"]}],
)  # fmt: skip
def test_a_bad_fee_schedule_stops_the_start_naming_the_key(fees):
    base = {"app": {"secret_key": "s"}, "database": {"url": "sqlite://"},
            "security": {"identifier_keys": ["A" * 43 + "="], "lookup_key": "k"}}  # fmt: skip
    with pytest.raises(ConfigError, match=r"fees\."):
        parse_config({**base, "fees": fees}, env={}).check()


def test_the_monthly_report_mail_links_the_fee_statement(app, world):
    from sqlalchemy import update

    from screening.extensions import settings
    from screening.notifications.models import OutboxMessage
    from screening.organisations.models import Organisation
    from screening.reports.operations import build_organisation_reports

    db.session.execute(
        update(Organisation).where(Organisation.id == world["acme"].id).values(contact_email="fees@acme.example")
    )
    build_organisation_reports(datetime(2026, 12, 2, 6, tzinfo=UTC), settings())
    db.session.commit()
    body = db.session.scalars(select(OutboxMessage.body).where(OutboxMessage.recipient == "fees@acme.example")).one()
    assert "(6 advice charged)" in body
    assert f"/fees/{world['acme'].id}?month=2026-11" in body
