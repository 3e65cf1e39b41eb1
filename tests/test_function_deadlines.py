"""The catalogue's deadlines per function: set by the admin, audited, and the two dates they answer."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from screening.audit.models import AuditEntry
from screening.catalogue.deadlines import deadline_for, renewal_starts_on, required_at_once, terms_for
from screening.catalogue.models import CriticalFunction
from screening.db import db
from tests.conftest import csrf_token, fresh

FORM = {"code": "dock", "name_en": "Dockworker", "name_nl": "Havenarbeider", "name_fr": "Docker", "category": "1"}


def _post(client, url: str, data: dict):
    page = client.get(url)
    assert page.status_code == 200
    return client.post(url, data={**data, "csrf_token": csrf_token(page.text)})


def test_admin_sets_the_deadline_and_renewal_period_and_the_trail_names_the_change(as_role):
    client, _ = as_role("admin")
    created = _post(client, "/admin/functions/new", {**FORM, "required_from": "2027-07-01", "renewal_days": "120"})
    assert created.status_code == 302
    fresh()
    function = db.session.scalars(select(CriticalFunction)).one()
    assert (function.required_from, function.renewal_days) == (date(2027, 7, 1), 120)
    listing = client.get("/admin/functions").text
    assert "1 Jul 2027" in listing
    assert "120 days before the end" in listing

    cleared = _post(client, f"/admin/functions/{function.id}", {**FORM, "required_from": "", "renewal_days": "90"})
    assert cleared.status_code == 302
    fresh()
    function = db.session.get(CriticalFunction, function.id)
    assert function.required_from is None
    assert function.renewal_days == 90
    assert "at once" in client.get("/admin/functions").text
    assert _post(client, f"/admin/functions/{function.id}", {**FORM, "renewal_days": ""}).status_code == 302
    fresh()
    assert db.session.get(CriticalFunction, function.id).renewal_days == 180  # empty: the default
    reasons = db.session.scalars(
        select(AuditEntry.reason).where(AuditEntry.action == "update_function").order_by(AuditEntry.id)
    ).all()
    assert reasons == ["required_from: 2027-07-01 -> none; renewal_days: 120 -> 90", "renewal_days: 90 -> 180"]


@pytest.mark.parametrize(
    ("required_from", "renewal_days"),
    [("2027-02-30", "180"), ("not a date", "180"), ("2027-07-01", "-1"), ("2027-07-01", "1827"),
     ("2027-07-01", "9223372036854775808"), ("2027-07-01", "12x"), ("1900-01-01", "180")],
)  # fmt: skip
def test_bad_terms_are_refused_at_the_field_and_nothing_is_stored(as_role, required_from, renewal_days):
    client, _ = as_role("admin")
    terms = {"required_from": required_from, "renewal_days": renewal_days}
    answer = _post(client, "/admin/functions/new", {**FORM, **terms})
    assert answer.status_code == 422
    assert "invalid-feedback" in answer.text
    fresh()
    assert db.session.scalar(select(CriticalFunction.id)) is None


def test_french_form_labels(as_role):
    client, _ = as_role("admin")
    page = client.get("/admin/functions/new", headers={"Accept-Language": "fr"}).text
    assert "Avis positif requis à partir du" in page
    page = client.get("/admin/functions/new", headers={"Accept-Language": "nl"}).text
    assert "Positief advies vereist vanaf" in page


def test_deadline_and_renewal_arithmetic(factory):
    later = factory.function(required_from=date(2027, 7, 1), renewal_days=120)
    at_once = factory.function()
    assert not required_at_once(later)
    assert required_at_once(at_once)
    # Someone already at work before the transition deadline may work until it; a later joiner needs it first.
    assert deadline_for(later, date(2025, 3, 1)) == date(2027, 7, 1)
    assert deadline_for(later, date(2028, 1, 15)) == date(2028, 1, 15)
    assert deadline_for(at_once, date(2025, 3, 1)) == date(2025, 3, 1)
    assert renewal_starts_on(later, date(2030, 6, 30)) == date(2030, 3, 2)
    assert renewal_starts_on(at_once, date(2030, 6, 30)) == date(2030, 1, 1)  # the default: 180 days
    terms = terms_for([later.id, at_once.id, later.id])
    assert terms[later.id].required_from == date(2027, 7, 1)
    assert deadline_for(terms[later.id], date(2025, 1, 1)) == date(2027, 7, 1)
    assert renewal_starts_on(terms[at_once.id], date(2030, 6, 30)) == date(2030, 1, 1)
    assert terms_for([]) == {}
