"""``POST /api/v1/status``: a badge system checks its holders' certificates by code, up to 1,000 a call,
answered as the public page answers, in one query, each code logged; bad input is a problem, logged never."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import event, select

from screening.actors import Actor
from screening.api.operations import create_token
from screening.certificates import operations as certificate_operations
from screening.certificates import queries as certificate_queries
from screening.certificates.models import CertificateCheck
from screening.certificates.operations import IssueSettings
from screening.certificates.signing import CROCKFORD, CertificateKeys, generate_keypair, normalise_code
from screening.clearances import operations as clearance_operations
from screening.clearances.models import Clearance
from screening.clock import today
from screening.db import db
from tests.api.conftest import ApiClient
from tests.conftest import Factory, data_context, fresh
from tests.statuslist.conftest import gate_api, gates  # noqa: F401 - fixtures: the access-control token

OFFICER = Actor(label="officer-x", role="officer")
#: A well-formed code (its check character is right) that was never issued.
NEVER_ISSUED = "0000-0000-0000"


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    application = make_app(certificates={"private_key": generate_keypair().private_pem.decode()})
    with data_context(application):
        yield application


@pytest.fixture
def badge_system(gate_api: ApiClient) -> ApiClient:  # noqa: F811 - the imported fixture
    """The port's badge system: an access-control organisation's token, made by the administrator."""
    return gate_api


def _certificate(app: Flask, factory: Factory, state: str = "valid") -> tuple[str, Clearance]:
    """A clearance in ``state`` whose certificate was issued (while it was valid): its printed code."""
    requester = factory.user("requester")
    application = factory.application("positive", requester=requester)
    (clearance,) = certificate_queries.clearances_with_holders([application.clearance_id])
    keys: CertificateKeys = app.extensions["screening.certificate_keys"]
    settings = IssueSettings(keys=keys, base_url="https://screening.example.org", issue_date=today(),
                             english=False, organisation_id=requester.organisation_id)  # fmt: skip
    data = certificate_operations.issue_one(OFFICER, clearance, settings, today=today())
    if state != "valid":
        clearance_operations.fire_clearance(clearance, "start_reevaluation", OFFICER, reason="New facts")
    if state == "revoked":
        clearance_operations.fire_clearance(clearance, "revoke", OFFICER, reason="Negative after re-evaluation")
    db.session.commit()
    return data.verification_code, clearance


def _checks() -> list[tuple[str, int | None]]:
    fresh()
    return [(row.outcome, row.issue_id) for row in db.session.scalars(select(CertificateCheck).order_by("id"))]


@contextmanager
def _statements(app: Flask) -> Iterator[list[str]]:
    """The SQL statements the app sends meanwhile."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    engine = app.extensions["screening.engine"]
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def test_a_badge_system_learns_each_holders_live_status(app: Flask, factory: Factory, badge_system: ApiClient) -> None:
    valid, clearance = _certificate(app, factory)
    reevaluated, _ = _certificate(app, factory, "under_reevaluation")
    revoked, _ = _certificate(app, factory, "revoked")
    typed = valid.replace("-", "").lower()  # as a guard typed it
    codes = [typed, reevaluated, revoked, NEVER_ISSUED]

    with _statements(app) as statements:
        response = badge_system.post("/api/v1/status", json={"codes": codes})

    assert response.status_code == 200, response.json
    end = clearance.valid_until.isoformat()
    assert response.json == {
        "statuses": [
            {"code": valid, "status": "valid", "valid_until": end},
            {"code": reevaluated, "status": "under_reevaluation", "valid_until": end},
            {"code": revoked, "status": "revoked", "valid_until": end},
            {"code": NEVER_ISSUED, "status": "unknown", "valid_until": None},
        ]
    }
    lookups = [s for s in statements if "certificate_issues" in s and s.lstrip().upper().startswith("SELECT")]
    logs = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO CERTIFICATE_CHECKS")]
    assert len(lookups) == 1 and len(logs) == 1
    outcomes = [outcome for outcome, _issue in _checks()]
    assert outcomes == ["valid", "under_reevaluation", "revoked", "unknown"]

    after_the_end = datetime.combine(clearance.valid_until, datetime.min.time(), tzinfo=UTC) + timedelta(
        days=1, hours=10
    )
    with time_machine.travel(after_the_end, tick=False):
        later = badge_system.post("/api/v1/status", json={"codes": [valid]})
    assert later.json["statuses"] == [{"code": valid, "status": "expired", "valid_until": end}]


def test_a_thousand_codes_take_one_query_and_one_insert(app: Flask, factory: Factory, badge_system: ApiClient) -> None:
    issued, _ = _certificate(app, factory)
    codes = [issued, *_well_formed_codes(999)]

    with _statements(app) as statements:
        response = badge_system.post("/api/v1/status", json={"codes": codes})

    assert response.status_code == 200
    assert [item["status"] for item in response.json["statuses"]].count("unknown") == 999
    assert sum(1 for s in statements if "certificate_issues" in s) == 1
    assert sum(1 for s in statements if "INSERT INTO certificate_checks" in s) == 1
    assert len(_checks()) == 1000


def _well_formed_codes(count: int) -> list[str]:
    """Codes with the right check character (digits are their own Crockford values), never issued."""
    codes = []
    for number in range(1, count + 1):
        data = f"{number:011d}"
        check = sum((weight + 1) * int(digit) for weight, digit in enumerate(data)) % 31
        codes.append(normalise_code(data + CROCKFORD[check]))
    return codes


@pytest.mark.parametrize(
    ("codes", "field", "detail"),
    [
        ([], "codes", "Give codes as a list of 1 to 1000 verification codes."),
        ([NEVER_ISSUED] * 1001, "codes", "Give codes as a list of 1 to 1000 verification codes."),
        ("0000-0000-0000", "codes", "Give codes as a list of 1 to 1000 verification codes."),
        ([NEVER_ISSUED, "00000000-0000"], "codes[1]", "This code is also codes[0]: give each code once."),
        ([NEVER_ISSUED, "0000\x00-0000-0000"], "codes[1]", "Remove the control characters"),
        ([NEVER_ISSUED, 12], "codes[1]", "Give each code as text."),
        ([None], "codes[0]", "Give each code as text."),
        (["0000-0000-0001"], "codes[0]", "This code contains a typing error"),
        (["7KQ4"], "codes[0]", "A verification code has 12 letters and digits"),
    ],
)
def test_bad_input_is_a_problem_naming_the_field_and_nothing_is_logged(
    badge_system: ApiClient, codes: Any, field: str, detail: str
) -> None:
    response = badge_system.post("/api/v1/status", json={"codes": codes})

    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert [error["field"] for error in response.json["errors"]] == [field]
    assert response.json["errors"][0]["detail"].startswith(detail)
    assert _checks() == []


def test_every_item_at_fault_is_named_at_once(badge_system: ApiClient) -> None:
    response = badge_system.post("/api/v1/status", json={"codes": [1, NEVER_ISSUED, "x", NEVER_ISSUED], "x": 1})
    assert response.status_code == 400 and response.json["errors"] == [
        {"field": "x", "detail": "This field is not known."}
    ]

    response = badge_system.post("/api/v1/status", json={"codes": [1, NEVER_ISSUED, "x", NEVER_ISSUED]})

    assert response.json["detail"] == "Some codes are not valid."
    assert [error["field"] for error in response.json["errors"]] == ["codes[0]", "codes[2]", "codes[3]"]


def test_problems_speak_the_callers_language(badge_system: ApiClient) -> None:
    response = badge_system.post("/api/v1/status", json={"codes": [5]}, headers={"Accept-Language": "nl"})

    assert response.json["errors"][0]["detail"] == "Geef elke code als tekst."


def test_an_employers_or_the_authoritys_token_is_refused(app: Flask, factory: Factory, make_token: Any) -> None:
    employer, _token = make_token(factory.user("requester"), scopes=("read", "write", "webhooks"))
    officer, _token = make_token(factory.user("officer"), scopes=("read",))

    for secret in (employer, officer):
        response = ApiClient(app.test_client(), secret).post("/api/v1/status", json={"codes": [NEVER_ISSUED]})
        assert response.status_code == 403
        assert response.json["detail"] == "This token does not have the scope access-control."
    assert _checks() == []


def test_calls_count_against_the_tokens_rate_limit(make_app: Callable[..., Flask]) -> None:
    application = make_app(api={"rate_limit": 2, "rate_window_seconds": 60})
    with data_context(application):
        factory = Factory(application)
        gates = factory.organisation()
        gates.kind = "access_control"
        admin = factory.user("admin")
        _token, secret = create_token(Actor.of(admin), name="Badges", scopes=("access-control",), organisation=gates)
        db.session.commit()
        client = ApiClient(application.test_client(), secret)
        start_of_a_window = datetime.now(UTC).replace(second=1, microsecond=0) + timedelta(minutes=1)
        with time_machine.travel(start_of_a_window, tick=False):  # the three calls fall in one window
            answers = [client.post("/api/v1/status", json={"codes": [NEVER_ISSUED]}) for _ in range(3)]

        assert [answer.status_code for answer in answers] == [200, 200, 429]
        assert "Retry-After" in answers[2].headers
        assert len(_checks()) == 2
