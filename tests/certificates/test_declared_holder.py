"""A clearance's holder, as each employer sees them: the names its own file declared (issue 12 item 1), on
the clearances pages, the export page, the CSV register, the certificate PDF and the expiry notice; the
authority sees its record."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from screening.actors import Actor
from screening.applications import operations
from screening.certificates.signing import GeneratedKeyPair, generate_keypair
from screening.clearances.deadlines import notify_clearance_expiry
from screening.clearances.models import Clearance
from screening.db import db
from screening.extensions import settings
from screening.notifications.models import OutboxMessage
from screening.organisations.models import Organisation
from screening.people.identifiers import make_national_number
from tests.conftest import csrf_token, data_context, fresh

BORN = date(1979, 4, 12)
NUMBER = make_national_number(BORN, 218)


@pytest.fixture(scope="session")
def signing_pair() -> GeneratedKeyPair:
    return generate_keypair()


@pytest.fixture
def app(make_app: Callable[..., Flask], signing_pair: GeneratedKeyPair) -> Iterator[Flask]:
    application = make_app(certificates={"private_key": signing_pair.private_pem.decode()})
    with data_context(application):
        yield application


def _two_employers(factory: Any) -> tuple[Any, Any, Clearance]:
    """Employer A's file cleared the person; employer B declared the same number with other names, and the
    person consented to B relying on the clearance (covered)."""
    a_org, b_org = factory.organisation(), factory.organisation()
    a_details = factory.person_details(
        given_names="Annelies", family_name="Vandenbroucke", date_of_birth=BORN, national_number=NUMBER
    )
    first = factory.application("positive", requester=factory.user("requester", a_org), person=a_details)
    b_details = factory.person_details(
        given_names="Xavier", family_name="Probe", date_of_birth=BORN, national_number=NUMBER
    )
    second = factory.application("awaiting_consent", requester=factory.user("requester", b_org), person=b_details)
    operations.fire(second, "consent", Actor.person(second.person_id), settings().deadlines)
    db.session.commit()
    assert second.state == "covered" and second.clearance_id == first.clearance_id
    return a_org, b_org, db.session.get(Clearance, first.clearance_id)


def test_each_employer_sees_the_holder_it_declared(as_role, factory, tmp_path: Path, pdftotext):
    a_org, b_org, clearance = _two_employers(factory)
    hr_b, _ = as_role("hr", b_org)
    pages = [
        hr_b.get("/clearances").text,
        hr_b.get(f"/clearances/{clearance.id}").text,
        hr_b.get("/certificates").text,
        hr_b.get(f"/certificates/clearances/{clearance.id}").text,
    ]
    token = csrf_token(pages[2])
    register = hr_b.post("/certificates/register.csv", data={"csrf_token": token})
    assert register.status_code == 200
    (row,) = list(csv.DictReader(io.StringIO(register.data.decode("utf-8-sig"))))
    assert (row["Family name"], row["Given names"]) == ("Probe", "Xavier")
    pdf = hr_b.post(f"/certificates/clearances/{clearance.id}.pdf", data={"csrf_token": csrf_token(pages[3])})
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf.data)
    pages.append(pdftotext(path))
    for page in pages:
        assert "Xavier" in page and "Probe" in page
        assert "Annelies" not in page and "Vandenbroucke" not in page

    hr_a, _ = as_role("hr", a_org)
    for url in ("/clearances", f"/clearances/{clearance.id}", "/certificates"):
        page = hr_a.get(url).text
        assert "Vandenbroucke" in page and "Probe" not in page
    officer, _ = as_role("officer")
    page = officer.get(f"/clearances/{clearance.id}").text
    assert "Vandenbroucke" in page.split("Holder", 1)[1].split("</dd>", 1)[0]


def test_the_expiry_notice_names_the_holder_as_each_employer_declared(app, factory):
    a_org, b_org, clearance = _two_employers(factory)
    for org, address in ((a_org, "hr@a.example"), (b_org, "hr@b.example")):
        db.session.execute(update(Organisation).where(Organisation.id == org.id).values(contact_email=address))
    db.session.commit()
    notice_day = clearance.valid_until - timedelta(days=20)
    notify_clearance_expiry(datetime.combine(notice_day, time(9), tzinfo=UTC), settings().deadlines)
    db.session.commit()
    fresh()
    by_address = {
        mail.recipient: mail
        for mail in db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "clearance_expiry_notice"))
    }
    assert "Xavier Probe" in by_address["hr@b.example"].body
    assert "Vandenbroucke" not in by_address["hr@b.example"].body
    assert "Annelies Vandenbroucke" in by_address["hr@a.example"].body
