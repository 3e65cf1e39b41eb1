"""Accessibility in a real browser: axe-core (bundled by axe-playwright-python, injected into the page) on
every main page of every role, in English, Dutch and French; no serious or critical violation is allowed.

Also the keyboard: the skip link comes first and moves focus to the content, and signing in works with the
keyboard alone. WCAG 2.1 AA is the yardstick (EN 301 549).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.conftest import choose_language, file_link, person_link, sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

LANGUAGES = [("en", "English"), ("nl", "Nederlands"), ("fr", "Français")]
BLOCKING = ("serious", "critical")
AXE = Axe()


def _problems(page: Any, locale: str) -> list[str]:
    """The serious and critical axe violations of the page, one readable line each (rule, help, where).

    Waits for the page's load event first: after a click that navigates, the new document is committed but its
    stylesheets may still be loading, and axe would measure the browser's default colours."""
    page.wait_for_load_state("load")
    assert page.locator("html").get_attribute("lang") == locale, f"{page.url}: html lang is not {locale}"
    violations = AXE.run(page).response["violations"]
    return [
        f"[{locale}] {page.url}: {v['id']} ({v['impact']}) {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"][:3])
        for v in violations
        if v["impact"] in BLOCKING
    ]


def _check(page: Any, base: str, paths: list[str], *, errors: tuple[str, ...] = ()) -> list[str]:
    """Every path in every language, switched with the language bar; ``errors`` are error pages on purpose."""
    problems: list[str] = []
    for locale, label in LANGUAGES:
        page.goto(base + paths[0])
        choose_language(page, label)
        for path in paths:
            response = page.goto(base + path)
            assert (response.status >= 400) == (path in errors), f"{path} answered {response.status}"
            # the consent letter is printed in the person's language (nl here), whatever the interface's
            problems += _problems(page, "nl" if path.endswith("/letter") else locale)
    return problems


def _data(factory: Any) -> dict[str, Any]:
    org = factory.organisation(name="Antwerp Terminal Services NV")
    requester = factory.user("requester", org)
    officer = factory.user("officer")
    function = factory.function()
    endpoint = _endpoint(requester)  # before the files: their events are in its delivery log
    declared = factory.person_details()
    in_review = factory.application("in_review", requester=requester, function=function, person=declared)
    positive = factory.application("positive", requester=requester, function=function)
    negative = factory.application("negative", requester=requester, function=function)
    waiting = factory.application("awaiting_consent", requester=requester, function=function)
    draft = factory.application("draft", requester=requester, function=function)
    # another employer declares the in-review person with other names: the officer's page flags it
    other = replace(declared, given_names="Someone", family_name="Else", email=None)
    mismatched = factory.application("submitted", requester=factory.user("requester"), function=function, person=other)
    return {
        "org": org,
        "requester": requester,
        "officer": officer,
        "hr": factory.user("hr", org),
        "admin": factory.user("admin"),
        "auditor": factory.user("auditor"),
        "in_review": in_review,
        "positive": positive,
        "negative": negative,
        "waiting": waiting,
        "draft": draft,
        "mismatched": mismatched,
        "endpoint": endpoint,
    }


def _endpoint(requester: Any) -> Any:
    """A webhook endpoint of the requester's organisation (a public address: the default rules apply)."""
    from screening.actors import Actor
    from screening.db import db
    from screening.extensions import settings, vault
    from screening.webhooks.operations import subscribe

    endpoint = subscribe(
        Actor.of(requester), vault(), settings().webhooks, url="https://93.184.216.34/hooks",
        event_types=["application.state_changed"], description="HR", now=datetime.now(UTC),
    ).endpoint  # fmt: skip
    db.session.commit()
    return endpoint


def _first_delivery() -> int:
    from sqlalchemy import func, select

    from screening.db import db
    from screening.webhooks.models import WebhookDelivery

    return db.session.scalar(select(func.min(WebhookDelivery.id))) or 0


def _pages(role: str, d: dict[str, Any]) -> list[str]:
    """The main pages of each role (the first is where the language is switched)."""
    detail = f"/applications/{d['in_review'].id}"
    clearance = f"/clearances/{d['positive'].clearance_id}"
    return {
        "requester": [
            "/home",
            "/applications",
            "/applications/new",
            detail,
            f"/applications/{d['negative'].id}",
            f"/applications/{d['waiting'].id}/letter",
            f"/applications/{d['waiting'].id}/consent-form",
            f"/applications/{d['draft'].id}",
            f"/applications/{d['draft'].id}/edit",
            "/clearances",
            clearance,
            "/reports",
            "/account",
            "/webhooks",
            f"/webhooks/{d['endpoint'].id}",
            f"/webhooks/deliveries/{_first_delivery()}",
        ],
        "hr": [
            "/home",
            "/clearances",
            clearance,
            "/certificates",
            f"/certificates/clearances/{d['positive'].clearance_id}",
        ],
        "officer": [
            "/home",
            "/queue",
            "/queue?sort=due&mine=1",
            f"/applications?q={d['in_review'].reference}",
            "/reports",
            detail,
            f"/applications/{d['negative'].id}",
            f"/applications/{d['mismatched'].id}",  # the declaration differs from the record
            "/clearances",
            clearance,
            "/people",
            f"/people/{d['negative'].person_id}",
            "/account/second-factor",  # enrolment: the QR code, the secret, the code field
        ],
        "admin": [
            "/admin/organisations",
            "/admin/organisations/new",
            "/admin/functions",
            "/admin/functions/new",
            "/admin/users",
            "/admin/users/new",
            f"/admin/users/{d['officer'].id}",
            "/admin/proposals",
            "/admin/jobs",
            "/admin/jobs?all=1",
            "/admin/outbox",
            "/admin/directory",
        ],
        "auditor": ["/home", "/audit", "/applications", "/reports"],
    }[role]


@pytest.mark.parametrize("role", ["requester", "hr", "officer", "admin", "auditor"])
def test_no_serious_violation_on_the_pages_of(role, app, factory, live_server, new_page):
    data = _data(factory)
    page = new_page()
    sign_in(page, live_server, data[role].username, PASSWORD)
    problems = _check(page, live_server, _pages(role, data))
    assert not problems, "\n".join(problems)


def test_no_serious_violation_on_public_pages(app, factory, live_server, new_page):
    waiting = factory.application("awaiting_consent")
    negative = factory.application("negative")
    page = new_page(width=390, height=844)
    errors = ("/p/not-a-valid-link", "/nowhere", person_link(app, negative.id))  # a spent consent link: 410
    paths = [
        "/login",
        person_link(app, waiting.id),
        file_link(app, negative.id),
        "/c",
        "/p/answered",
        "/verify",
        "/verify/NOT-A-CODE",
        *errors,
    ]
    problems = _check(page, live_server, paths, errors=errors)
    assert not problems, "\n".join(problems)


def test_keyboard_alone_signs_in_and_skips_to_content(app, factory, live_server, new_page):
    user = factory.user("officer")
    page = new_page()
    page.goto(f"{live_server}/login")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    assert skip.evaluate("element => element === document.activeElement")
    expect(skip).to_be_visible()  # shown when focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # From the content, the first stop is the user name, then the password, then the button.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "username"
    page.keyboard.type(user.username)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/home**")
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
