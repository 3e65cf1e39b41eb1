"""Real Chromium (Debian's /usr/bin/chromium) driven by Playwright against the app served on loopback.

Never downloads a browser. Without Chromium the tests skip on a developer machine and fail under CI=true.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from tests.conftest import data_context, require_service

CHROMIUM = os.environ.get("SCREENING_CHROMIUM", "/usr/bin/chromium")
#: Where screenshots go; scripts/test.sh gives each backend's run its own folder (the runs are concurrent).
ARTIFACTS = (
    Path(os.environ.get("SCREENING_TEST_ARTIFACTS") or Path(__file__).resolve().parents[2] / "test-artifacts")
    / "screenshots"
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        require_service("Chromium", f"{CHROMIUM} not found (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture(scope="session")
def signing_pem() -> str:
    from screening.certificates.signing import generate_keypair

    return generate_keypair().private_pem.decode()


@pytest.fixture
def app(make_app: Any, signing_pem: str) -> Iterator[Any]:
    """The suite's app with a certificate signing key, so HR's export page works as in production."""
    application = make_app(certificates={"private_key": signing_pem})
    with data_context(application):
        yield application


@pytest.fixture
def live_server(app: Any) -> Iterator[str]:
    """The test app served by a real HTTP server in a thread, on a free loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Any]:
    """``page = new_page(width=..., height=..., locale=...)``: a fresh context per user."""
    contexts: list[Any] = []

    def build(width: int = 1280, height: int = 900, locale: str = "en-GB") -> Any:
        context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield build
    for context in contexts:
        context.close()


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: Any, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/**")


def person_link(app: Any, application_id: int) -> str:
    """The path of the person's signed link for an application, as the mail and the letter carry it."""
    from screening.applications.models import Application
    from screening.db import db
    from screening.person_link.views import link_for
    from tests.conftest import fresh

    fresh()
    application = db.session.get(Application, application_id)
    with app.test_request_context():
        return "/p/" + link_for(application).rsplit("/p/", 1)[1]


def file_link(app: Any, application_id: int) -> str:
    """The path of the person's own file link (mailed to the address the person gave on the consent page)."""
    from screening.applications.models import Application
    from screening.db import db
    from screening.person_link.tokens import make_file_token
    from tests.conftest import fresh

    fresh()
    application = db.session.get(Application, application_id)
    return "/my/" + make_file_token(app.config["SECRET_KEY"], application.id, application.person_id)


def choose_language(page: Any, label: str) -> None:
    """Switch language with the language bar, as a user does (the choice is kept for the session and user)."""
    page.get_by_role("button", name=label, exact=True).click()
    page.wait_for_load_state()
