"""A call with a bearer token is not a browser's: the browser session it may carry is neither read nor
written back, and its language is Accept-Language's, not the signed-in person's."""

from __future__ import annotations

from screening.db import db
from tests.api.conftest import ApiClient


def test_a_token_call_from_a_signed_in_browser_leaves_its_session_alone(app, as_role, make_token):
    browser, requester = as_role("requester")
    requester.locale = "fr"
    db.session.commit()
    secret, _token = make_token(requester)
    page = browser.get("/api-tokens")
    assert page.status_code == 200 and 'lang="fr"' in page.text  # the person's language on the pages

    answer = ApiClient(browser, secret).get("/api/v1/applications?limit=0", headers={"Accept-Language": "nl"})

    assert answer.status_code == 400
    assert answer.json["errors"] == [{"field": "limit", "detail": "Geef een getal van 1 tot 200."}]
    assert "Set-Cookie" not in answer.headers
    assert "Cookie" not in answer.headers.get("Vary", "")  # the session was not even read
    assert browser.get("/api-tokens").status_code == 200  # still signed in
