"""The language in a real browser: the browser's language first, then the user's choice, which follows the
user to their next sign-in on any browser; dates and numbers in the chosen language."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import choose_language
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_browser_language_then_the_users_choice(app, factory, live_server, new_page):
    officer = factory.user("officer")
    factory.application("in_review")

    # A French browser gets the French sign-in page.
    page = new_page(locale="fr-BE")
    page.goto(f"{live_server}/login")
    assert page.locator("html").get_attribute("lang") == "fr"
    expect(page.get_by_role("heading", name="Se connecter")).to_be_visible()

    # The user prefers Dutch: the page follows, and so does everything after signing in.
    choose_language(page, "Nederlands")
    assert page.locator("html").get_attribute("lang") == "nl"
    page.get_by_label("Gebruikersnaam").fill(officer.username)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()
    page.get_by_role("heading", name="Overzicht").wait_for()
    expect(page.get_by_text(re.compile(r"Vandaag is het \d{1,2} [a-z]{3} \d{4}\."))).to_be_visible()
    page.get_by_role("link", name="Werkvoorraad", exact=True).click()
    expect(page.get_by_text(re.compile(r"verwacht \d{1,2} [a-z]{3} \d{4} \(over 30 dagen\)"))).to_be_visible()

    # Chosen while signed in, the language is kept with the account: another (English) browser gets it too.
    choose_language(page, "Français")
    expect(page.get_by_role("heading", name="File d'attente")).to_be_visible()
    other = new_page(locale="en-GB")
    other.goto(f"{live_server}/login")
    expect(other.get_by_role("heading", name="Sign in")).to_be_visible()
    other.get_by_label("User name").fill(officer.username)
    other.get_by_label("Password").fill(PASSWORD)
    other.get_by_role("button", name="Sign in").click()
    other.get_by_role("heading", name="Vue d'ensemble").wait_for()
    assert other.locator("html").get_attribute("lang") == "fr"
    expect(other.get_by_text(re.compile(r"Nous sommes le \d{1,2} [a-zé]{3,4}\.? \d{4}\."))).to_be_visible()


def test_the_persons_page_in_french_on_a_phone(app, factory, live_server, new_page):
    from tests.browser.conftest import person_link, screenshot

    waiting = factory.application("awaiting_consent")
    person = new_page(width=390, height=844, locale="fr-BE")
    person.goto(live_server + person_link(app, waiting.id))
    expect(person.get_by_role("heading", name="Votre consentement est demandé")).to_be_visible()
    screenshot(person, "consent-phone-fr")
    person.get_by_role("button", name="Je consens à la vérification").click()
    expect(person.get_by_text("Merci. Votre consentement a été enregistré")).to_be_visible()
    expect(person.get_by_role("heading", name="Votre réponse a été enregistrée")).to_be_visible()
