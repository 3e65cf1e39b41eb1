"""No 500 anywhere: every rule of the URL map, every method, with ids beyond 32 and 64 bits, negative ids, NUL
bytes in path segments, query strings and form fields, sent by every role the endpoint allows (anonymous
for public ones). Bad input gets a 4xx; a 5xx is a fault (issue 12: ``/applications/99999999999999999999``
was a 500 on SQLite, a NUL in any text field a 500 on PostgreSQL)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from screening.auth.access import endpoint_policies
from screening.inputs import Form
from tests.conftest import csrf_token, sign_in
from workflows.application import APPLICATION

pytestmark = pytest.mark.slow

HUGE = "99999999999999999999"
#: What every query parameter and form field is given, one kind per request.
HOSTILE_VALUES = ("a\x00b", HUGE, str(2**31), "-1", "²", "Jan\u202egnp.exe", "x\r\ny\tz")
QUERY_KEYS = ("page", "q", "state", "kind", "object_type", "object_id", "number", "next", "overdue", "month")
#: Endpoints left out of the walk: signing out ends the session the walk goes on with (it takes no field).
SKIPPED = frozenset({"auth.logout"})
_ARGUMENT = re.compile(r"<(?:(?P<converter>[a-z]+)(?:\((?P<options>[^)]*)\))?:)?(?P<name>\w+)>")


def _field_names() -> list[str]:
    """Every field name the application's forms read (with the transition forms' prefixes), and the few
    values views read from ``request.form`` themselves."""
    names = {"scope", "selected", "locale", "next", "version"}
    forms: list[type] = [Form]
    while forms:
        form = forms.pop()
        forms.extend(form.__subclasses__())
        names.update(name for name in dir(form) if hasattr(getattr(form, name), "field_class"))
    for event in APPLICATION.events:
        names.update({f"{event}-reason", f"{event}-disclosed", f"{event}-version"})
    for event in ("suspend", "reinstate", "revoke", "start_reevaluation", "confirm"):
        names.update({f"{event}-reason", f"{event}-version"})
    return sorted(names)


def _path(rule: Rule, ids: dict[str, str], text: str) -> str:
    """The rule's path with each int argument from ``ids`` (or the value under ``"*"``) and each other
    argument ``text`` (``any(...)`` converters take their first choice)."""

    def value(match: re.Match[str]) -> str:
        converter, options, name = match.group("converter"), match.group("options"), match.group("name")
        if converter == "int":
            return quote(ids.get(name, ids.get("*", "1")), safe="")
        if converter == "any":
            return options.split(",")[0].strip()
        if name == "fmt":
            return quote(text if text != "ok" else "pdf", safe="")
        if name == "event":
            return quote(text if text != "ok" else "start_review", safe="")
        return quote(text, safe="")

    return _ARGUMENT.sub(value, rule.rule)


def _requests(rule: Rule, real_ids: dict[str, str], fields: list[str]) -> Iterator[tuple[str, str, Any]]:
    methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
    has_arguments = "<" in rule.rule
    for method in methods:
        if has_arguments:
            for bad in (HUGE, str(2**31), "-1", "0"):
                yield method, _path(rule, {"*": bad}, "ok"), None
            yield method, _path(rule, real_ids, "a\x00b"), None
        for value in HOSTILE_VALUES:
            path = _path(rule, real_ids, "ok")
            query = urlencode(dict.fromkeys(QUERY_KEYS, value))
            data = dict.fromkeys(fields, value) if method == "POST" else None
            yield method, f"{path}?{query}", data


@pytest.fixture
def world(app, factory) -> tuple[Flask, dict[str, str], dict[str, Any]]:
    """One organisation with a positive and an in-review file, a report and mail; a user of each role."""
    from screening.db import db
    from screening.extensions import settings
    from screening.notifications.models import OutboxMessage
    from screening.reports.models import Report
    from screening.reports.operations import build_organisation_reports

    organisation = factory.organisation()
    requester = factory.user("requester", organisation)
    users = {
        "requester": requester,
        "hr": factory.user("hr", organisation),
        "officer": factory.user("officer"),
        "admin": factory.user("admin"),
        "auditor": factory.user("auditor"),
    }
    spare = factory.user("requester", organisation)
    positive = factory.application("positive", requester=requester, mail=True)
    factory.application("in_review", requester=requester)
    build_organisation_reports(datetime.now(UTC), settings())
    factory.commit()
    report = db.session.query(Report.id).first()
    message = db.session.query(OutboxMessage.id).first()
    real_ids = {
        "application_id": str(positive.id),
        "clearance_id": str(positive.clearance_id),
        "person_id": str(positive.person_id),
        "organisation_id": str(organisation.id),
        "function_id": str(positive.function_id),
        "user_id": str(spare.id),
        "report_id": str(report.id if report else 1),
        "message_id": str(message.id if message else 1),
        "proposal_id": "1",
    }
    return app, real_ids, users


def _token(client: FlaskClient) -> str:
    """The session's CSRF token, from the sign-in page (anonymous) or the account page."""
    page = client.get("/login")
    if page.status_code != 200:
        page = client.get("/account")
    return csrf_token(page.text)


def _bearer(user: Any) -> dict[str, str]:
    """An API token of ``user`` that may read and write, as the header that carries it."""
    from screening.actors import Actor
    from screening.api.operations import create_token
    from screening.db import db

    db.session.rollback()  # the test's own read ends first: SQLite has one writer
    _token_row, secret = create_token(Actor.of(user), name="walk", scopes=("read", "write"))
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def _walk(app: Flask, real_ids: dict[str, str], users: dict[str, Any]) -> tuple[int, list[str]]:
    policies = endpoint_policies(app)
    fields = _field_names()
    bearer = _bearer(users["requester"])
    clients: dict[str, FlaskClient] = {"anonymous": app.test_client()}
    for role, user in users.items():
        clients[role] = sign_in(app.test_client(), user)
    tokens = {role: _token(client) for role, client in clients.items()}
    sent, faults = 0, []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in SKIPPED:
            continue
        policy = policies[rule.endpoint]
        if policy.startswith("token:"):  # the API: the requester's bearer token, JSON bodies
            for method, path, data in _requests(rule, real_ids, fields):
                response = clients["anonymous"].open(path, method=method, json=data, headers=bearer)
                sent += 1
                if response.status_code >= 500:
                    faults.append(f"api {method} {path!r} {data and data.get('version')!r}: {response.status_code}")
            continue
        roles = ["anonymous"] if policy == "public" else policy.split(",")
        for role in roles:
            client = clients[role]
            for method, path, data in _requests(rule, real_ids, fields):
                if data is not None:
                    data = {**data, "csrf_token": tokens[role]}  # a real token: the walk is about the fields
                response = client.open(path, method=method, data=data)
                sent += 1
                if response.status_code >= 500:
                    value = data and data.get("version")
                    faults.append(f"{role} {method} {path!r} {value!r}: {response.status_code}")
                if role != "anonymous" and response.status_code == 302 and "/login" in response.location:
                    sign_in(client, users[role])  # a walk step that signed the session out: sign in again
                    tokens[role] = _token(client)
    return sent, faults


def test_no_route_answers_5xx_to_hostile_ids_and_text(world):
    app, real_ids, users = world
    sent, faults = _walk(app, real_ids, users)
    assert faults == [], "\n".join(faults[:80])
    assert sent > 900


def test_ids_beyond_the_columns_range_and_negative_ones_are_not_found(world):
    app, real_ids, users = world
    client = sign_in(app.test_client(), users["officer"])
    for path in (f"/applications/{HUGE}", "/applications/-1", f"/people/{HUGE}", f"/clearances/{2**31}"):
        assert client.get(path).status_code == 404, path
    assert client.get(f"/applications/{2**31 - 1}").status_code == 404  # the largest id: looked up, not there
    assert client.get(f"/queue?page={HUGE}").status_code == 404
    auditor = sign_in(app.test_client(), users["auditor"])
    assert auditor.get(f"/audit?object_id={HUGE}").status_code == 404
    assert auditor.get("/applications?page=1000001").status_code == 404
    assert auditor.get("/applications?page=-1").status_code == 200  # the first page, as before
    assert auditor.get("/applications?q=85073003328").status_code == 200  # a long number in a search box


@pytest.mark.parametrize("locale", ["en", "nl", "fr"])
def test_a_nul_in_a_query_string_is_refused_in_the_users_language(world, locale):
    app, _real_ids, users = world
    client = sign_in(app.test_client(), users["requester"])
    client.post("/language", data={"locale": locale, "csrf_token": _token(client)})
    response = client.get("/applications?q=Jan%00")
    assert response.status_code == 400
    expected = {
        "en": "The address contains characters that are not allowed here.",
        "nl": "Het adres bevat tekens die hier niet zijn toegestaan.",
        "fr": "L'adresse contient des caractères qui ne sont pas autorisés ici.",
    }[locale]
    assert expected in html.unescape(response.text)
