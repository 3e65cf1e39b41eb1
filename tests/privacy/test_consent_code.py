"""The consent letter and its short code: the letter is in the person's language, without the application's
chrome, with a QR code of the consent link, a short code typed at a short URL and a signature block whose
form code the upload step checks. The code works once and guessing it is throttled per address (an IPv6
address by its /64) and from everywhere together; bad input gets a clear answer, never a 500."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from screening.applications.models import Application
from screening.db import db
from screening.person_link.models import ConsentCodeAttempt
from tests.conftest import csrf_token, fresh

FIRST, SECOND = "10.0.0.1", "10.0.0.2"


def _letter(client, application_id: int) -> str:
    response = client.get(f"/applications/{application_id}/letter")
    assert response.status_code == 200
    return response.text


def _code(letter: str) -> str:
    return re.search(r'id="consent-code">([0-9A-Z]{4}-[0-9A-Z]{4})<', letter).group(1)


def _type(client, code: str, address: str = FIRST):
    env = {"REMOTE_ADDR": address}
    page = client.get("/c", environ_base=env)
    token = csrf_token(page.text) if page.status_code == 200 else csrf_token(client.get("/login").text)
    return client.post("/c", data={"csrf_token": token, "code": code}, environ_base=env)


def _consent(client, link: str):
    page = client.get(link)
    return client.post(f"{link}/consent", data={"csrf_token": csrf_token(page.text), "email": "me@own.example"})


def _failures() -> int:
    fresh()
    return db.session.scalar(select(func.count()).select_from(ConsentCodeAttempt))


def _wrong(code: str) -> str:
    """Another well-formed code: the same with its first character changed."""
    return ("1" if code[0] != "1" else "2") + code[1:]


def test_the_code_opens_the_consent_page_once(as_role, factory, app):
    client, requester = as_role("requester")
    application = factory.application("awaiting_consent", requester=requester)
    code = _code(_letter(client, application.id))
    person = app.test_client()
    for typed in (code.lower(), code.replace("-", ""), f"  {code[:4]} {code[5:]} "):  # as people type it
        response = _type(person, typed)
        assert response.status_code == 302 and "/p/" in response.headers["Location"], typed
    assert _failures() == 0
    link = _type(person, code).headers["Location"]
    assert application.reference in person.get(link).text
    assert _consent(person, link).status_code == 302
    again = _type(person, code)
    assert again.status_code == 422 and "not valid, or it has already been used" in again.text
    assert application.reference not in again.text
    fresh()
    assert db.session.get(Application, application.id).state == "submitted"


@pytest.mark.parametrize(
    "typed",
    ["", "ABC", "UUUU-UUUU", "\x00\x00\x00\x00\x00\x00\x00\x00", "18446744073709551616", "A" * 10_000, "é" * 8],
)
def test_malformed_codes_get_a_clear_answer(app, typed):
    response = _type(app.test_client(), typed)
    assert response.status_code == 422
    assert "is-invalid" in response.text or "Type the code" in response.text
    assert _failures() == 0  # no lookup was made: nothing to count


def test_guessing_is_throttled_per_address(as_role, factory, app):
    client, requester = as_role("requester")
    application = factory.application("awaiting_consent", requester=requester)
    code = _code(_letter(client, application.id))
    limit = app.extensions["screening.config"].security.consent_code_attempts
    attacker = app.test_client()
    for _n in range(limit):
        assert _type(attacker, _wrong(code)).status_code == 422
    assert _failures() == limit
    blocked = _type(attacker, code)  # even the right code: the address is throttled
    assert blocked.status_code == 429 and "Retry-After" in blocked.headers
    assert _failures() == limit  # a refused attempt is not counted again, nor looked up
    assert _type(app.test_client(), code, SECOND).status_code == 302  # the person, elsewhere, is not locked out
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=61), tick=False):
        assert _type(attacker, code).status_code == 302
    fresh()
    assert db.session.get(Application, application.id).state == "awaiting_consent"


def test_an_ipv6_network_is_one_address(app, factory):
    limit = app.extensions["screening.config"].security.consent_code_attempts
    attacker = app.test_client()
    for n in range(limit):
        assert _type(attacker, "ZZZZ-ZZZ0", f"2001:db8:1:2::{n + 1:x}").status_code == 422
    assert _type(attacker, "ZZZZ-ZZZ0", "2001:db8:1:2:ffff::1").status_code == 429  # same /64
    assert _type(attacker, "ZZZZ-ZZZ0", "2001:db8:1:3::1").status_code == 422  # another network


def test_guessing_from_many_addresses_pauses_the_code_page(make_app):
    from tests.conftest import Factory, data_context, sign_in

    app = make_app(security={"consent_code_global_attempts": 5})
    with data_context(app):
        factory = Factory(app)
        requester = factory.user("requester")
        application = factory.application("awaiting_consent", requester=requester)
        code = _code(_letter(sign_in(app.test_client(), requester), application.id))
        attacker = app.test_client()
        for n in range(5):
            assert _type(attacker, _wrong(code), f"192.0.2.{n + 1}").status_code == 422
        paused = _type(app.test_client(), code, "198.51.100.7")
        assert paused.status_code == 429 and "scan the QR code" in paused.text


def test_the_letter_is_in_the_persons_language_without_the_applications_chrome(as_role, factory, app):
    client, requester = as_role("requester")
    dutch = factory.application("awaiting_consent", requester=requester, person=factory.person_details(locale="nl"))
    french = factory.application("awaiting_consent", requester=requester, person=factory.person_details(locale="fr"))
    letter = _letter(client, dutch.id)  # the requester's own interface is English
    assert '<html lang="nl">' in letter and "Veiligheidsverificatie: uw toestemming wordt gevraagd" in letter
    assert "navbar" not in letter and "Sign out" not in letter and "bootstrap" not in letter
    assert "letter.css" in letter and "<script" not in letter
    assert "Handtekening" in letter and re.search(r'id="form-code">F2-[0-9A-Z]{6}<', letter)
    assert app.extensions["screening.config"].app.base_url.rstrip("/") + "/c" in letter
    assert '<html lang="fr">' in _letter(client, french.id)
    with client.get("/static/letter.css") as response:
        css = response.text
    assert "@media print" in css and ".no-print" in css


def test_the_qr_code_is_the_consent_link(as_role, factory, app):
    """The QR code's modules are those of the consent link (the same second, so the same signature)."""
    from screening.certificates.document.qr import qr_matrix
    from screening.person_link.views import link_for

    client, requester = as_role("requester")
    application = factory.application("awaiting_consent", requester=requester)
    with time_machine.travel(datetime.now(UTC), tick=False):
        letter = _letter(client, application.id)
        fresh()
        with app.test_request_context():
            link = link_for(db.session.get(Application, application.id))
    path = re.search(r'<path fill="#000" d="([^"]+)"', letter).group(1)
    dark = {(int(x), int(y)) for x, y in re.findall(r"M(\d+) (\d+)h", path)}
    matrix = qr_matrix(link)
    starts = {
        (x + 4, y + 4) for y, row in enumerate(matrix) for x, on in enumerate(row) if on and (x == 0 or not row[x - 1])
    }
    assert dark == starts
