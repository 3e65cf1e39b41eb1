"""The person can act on a notice: a PDF in their own language with the appeal body's address and the
form an appeal takes, downloaded through their link; the officer sees which language the person reads."""

from __future__ import annotations

import io
from typing import Any

import pytest
from pypdf import PdfReader

from screening.actors import Actor
from screening.applications import operations
from screening.applications.models import Application
from screening.db import db
from screening.extensions import settings
from tests.conftest import fresh


def _link(app: Any, application: Any) -> str:
    """The person's own file link (the notice is never behind the consent link)."""
    from screening.person_link.tokens import make_file_token

    fresh()
    current = db.session.get(Application, application.id)
    return f"/my/{make_file_token(app.config['SECRET_KEY'], current.id, current.person_id)}"


def _text(pdf: bytes) -> str:
    return " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(pdf)).pages)


def _negative(factory: Any, locale: str = "nl", disclosed: str = "U verzweeg een veroordeling.") -> Any:
    person = factory.person_details(locale=locale)
    application = factory.application("in_review", person=person)
    operations.fire(
        application, "advise_negative", Actor(label="officer-x", role="officer"), settings().deadlines,
        reason="Secret file 12: informant says so", disclosed_grounds=disclosed,
    )  # fmt: skip
    factory.commit()
    return application


def test_a_dutch_person_downloads_the_notice_in_dutch_with_the_appeal_address(app, factory):
    application = _negative(factory)
    response = app.test_client().get(_link(app, application) + "/notice.pdf", headers={"Accept-Language": "fr"})
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    assert "attachment" in response.headers["Content-Disposition"]
    text = _text(response.data)
    assert "Negatief veiligheidsadvies" in text  # the person's language, not the browser's French
    assert "Beroepsorgaan inzake veiligheidsmachtigingen, -attesten en -adviezen" in text
    assert "Leuvenseweg 48 bus 5" in text and "1000 Brussel" in text
    assert "info@beroepsorgaan.be" in text
    assert "beroepsakte" in text and application.reference in text
    assert "U verzweeg een veroordeling." in text
    assert "informant" not in text  # the authority's grounds never leave it


def test_the_appeal_body_comes_from_the_settings(make_app):
    from tests.conftest import Factory, data_context

    app = make_app(appeal={"name": {"fr": "Organe de test"}, "address": {"fr": "Rue X 1\n9999 Testville"}, "email": ""})
    with data_context(app):
        application = _negative(Factory(app), locale="fr", disclosed="")
        text = _text(app.test_client().get(_link(app, application) + "/notice.pdf").data)
    assert "Avis de sécurité négatif" in text
    assert "Organe de test" in text and "9999 Testville" in text
    assert "beroepsorgaan.be" in text  # the website default stays; the e-mail was emptied
    assert "Courriel" not in text and "E-mail" not in text
    assert "La loi ne permet pas" in text  # nothing disclosed: the person is told why there are no grounds


def test_the_persons_page_shows_the_address_and_the_download(app, factory):
    application = _negative(factory)
    page = app.test_client().get(_link(app, application), headers={"Accept-Language": "nl"})
    assert "Leuvenseweg 48 bus 5" in page.text
    assert "/notice.pdf" in page.text


@pytest.mark.parametrize("state", ["draft", "awaiting_consent", "in_review", "withdrawn"])
def test_no_notice_before_an_advice(app, factory, state):
    application = factory.application(state)
    assert app.test_client().get(_link(app, application) + "/notice.pdf").status_code == 404


def test_a_forged_or_foreign_link_gets_no_notice(app, factory):
    application = _negative(factory)
    other = _negative(factory)
    link = _link(app, application)
    client = app.test_client()
    assert client.get(link[:-3] + "xyz/notice.pdf").status_code == 404
    token = link.rsplit("/", 1)[1]
    # a token signed for another file's person does not open this one
    from screening.person_link.tokens import make_file_token, make_link_token

    fresh()
    mixed = make_file_token(app.config["SECRET_KEY"], application.id, other.person_id)
    assert client.get(f"/my/{mixed}/notice.pdf").status_code == 404
    assert client.get(f"/my/{token}%00/notice.pdf").status_code in (400, 404, 410)
    consent = make_link_token(app.config["SECRET_KEY"], application.id, application.person_id, other.state_changed_at)
    assert client.get(f"/my/{consent}/notice.pdf").status_code == 404  # the consent link is no file link
    assert client.get(f"/p/{consent}/notice.pdf").status_code in (404, 405)


@pytest.mark.parametrize(("state", "title"), [("positive", "Positief veiligheidsadvies"), ("appealed", "beroep")])
def test_the_notice_follows_the_file(app, factory, state, title):
    person = factory.person_details(locale="nl")
    application = factory.application(state, person=person)
    text = _text(app.test_client().get(_link(app, application) + "/notice.pdf").data)
    assert title in text


@pytest.mark.parametrize(("language", "name"), [("en", "Dutch"), ("nl", "Nederlands"), ("fr", "néerlandais")])
def test_the_officer_sees_the_persons_language_beside_the_grounds(as_role, factory, language, name):
    client, _officer = as_role("officer")
    application = factory.application("in_review", person=factory.person_details(locale="nl"))
    # beside the grounds field: on the advice's review page (irreversible steps go through review)
    page = client.get(f"/applications/{application.id}/decide/advice", headers={"Accept-Language": language})
    assert name in page.text
