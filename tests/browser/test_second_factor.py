"""The second factor in Chromium: an officer enrols an authenticator app and signs in with its code; an
admin registers a security key (Chromium's virtual authenticator, through CDP) and signs in with it."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest
import time_machine
from werkzeug.serving import make_server

from tests.browser.conftest import screenshot, sign_in
from tests.conftest import PASSWORD, Factory, data_context

pytestmark = pytest.mark.browser


@pytest.fixture
def served(make_app: Any) -> Iterator[tuple[Any, str]]:
    """The app with the second factor required, served on ``localhost`` (WebAuthn refuses an IP address as
    relying party), its ``base_url`` naming that origin."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://localhost:{port}"
    app = make_app(app={"base_url": base}, security={"second_factor_roles": ["officer", "admin", "auditor"]})
    with data_context(app):
        server = make_server("127.0.0.1", port, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield app, base
        finally:
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()


def _sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out").first.click()
    page.get_by_text("You are signed out.").wait_for()


def test_an_officer_enrols_an_authenticator_app_and_signs_in_with_it(served, new_page):
    app, base = served
    officer = Factory(app).user("officer")
    page = new_page()
    sign_in(page, base, officer.username, PASSWORD)
    page.get_by_text("Your role needs a second factor").wait_for()
    page.goto(f"{base}/applications")  # nothing else opens
    assert page.url == f"{base}/account/second-factor"
    secret = page.locator("#totp-secret").inner_text()
    assert page.locator("figure svg rect").count() > 100  # the QR code is drawn (inline SVG, CSP intact)
    screenshot(page, "second-factor-enrol")
    page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("heading", name="Recovery codes").wait_for()
    assert page.locator("#recovery-codes li").count() == 10
    page.get_by_role("link", name="Continue").click()
    page.get_by_role("link", name="Work queue").first.click()
    page.get_by_role("heading", name="Work queue").wait_for()
    _sign_out(page)

    later = datetime.now(UTC) + timedelta(seconds=90)  # a fresh code: the enrolment's one is spent
    with time_machine.travel(later, tick=True):
        sign_in(page, base, officer.username, PASSWORD)
        page.get_by_role("heading", name="Second factor").wait_for()
        page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("link", name="Work queue").first.wait_for()
        assert page.url == f"{base}/home"


def test_an_admin_signs_in_with_a_security_key(served, new_page):
    app, base = served
    admin = Factory(app).user("admin")
    page = new_page()
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "usb", "hasResidentKey": False, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True,
    }})  # fmt: skip
    sign_in(page, base, admin.username, PASSWORD)
    page.get_by_role("button", name="Register a security key").click()
    page.get_by_text("Your security key is registered").wait_for()
    assert page.url == f"{base}/account"
    assert cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator["authenticatorId"]})["credentials"]
    page.goto(f"{base}/admin/users")
    page.get_by_role("heading", name="Accounts").wait_for()
    _sign_out(page)

    sign_in(page, base, admin.username, PASSWORD)
    page.get_by_role("button", name="Use security key").click()
    page.wait_for_url(f"{base}/admin/**")  # an admin's home is the organisations list
    page.goto(f"{base}/admin/users")
    page.get_by_role("heading", name="Accounts").wait_for()
    screenshot(page, "second-factor-security-key")
