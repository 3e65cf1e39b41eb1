"""Schemathesis against the served ``/api/v1/openapi.json``: generated calls to every operation, a bounded
number of examples each, with a real token and real data. No 500; every answer (status, content type,
headers, body) matches what the document says."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from screening.actors import Actor
from screening.api.operations import create_token
from screening.db import db
from tests.conftest import Factory, data_context

#: Examples per operation: 25 operations x 20 stay around a minute on the shared machine.
EXAMPLES = 20
#: Called with the access-control token (an employer's token is refused them).
ACCESS_CONTROL_OPERATIONS = {"POST /api/v1/status", "GET /api/v1/status-list"}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def api_setup(make_app: Any) -> Iterator[tuple[Any, str, str]]:
    """An app with a signing key, an organisation with files in several states and a token with every scope
    an employer's may hold, and an access-control organisation's token."""
    from screening.certificates.signing import generate_keypair

    app = make_app(api={"rate_limit": 1_000_000}, certificates={"private_key": generate_keypair().private_pem.decode()})
    with data_context(app):
        factory = Factory(app)
        requester = factory.user("requester")
        for state in ("draft", "awaiting_consent", "info_requested", "positive"):
            factory.application(state, requester=requester)
        _joiner(factory, requester)
        _token, secret = create_token(Actor.of(requester), name="schemathesis", scopes=("read", "write", "webhooks"))
        gates = factory.organisation()
        gates.kind = "access_control"
        admin = factory.user("admin")
        _token, gate = create_token(Actor.of(admin), name="gates", scopes=("access-control",), organisation=gates)
        db.session.commit()
        yield app, secret, gate


def _joiner(factory: Factory, requester: Any) -> None:
    """One entry in the register, so that its list and entry answer with one."""
    from datetime import date

    from screening.extensions import vault
    from screening.workforce.operations import MemberFields, add_member

    details = factory.person_details()
    fields = MemberFields(
        "P-1", details.given_names, details.family_name, details.date_of_birth, factory.function().id,
        date(2026, 1, 5), details.national_number,
    )  # fmt: skip
    add_member(Actor.of(requester), vault(), requester.organisation_id, fields)


def _operations(app: Any) -> list[Any]:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    results = list(schema.get_all_operations())
    errors = [result.err() for result in results if not hasattr(result, "ok")]
    assert not errors, errors
    return [result.ok() for result in results]


@pytest.mark.slow
def test_every_operation_keeps_its_document(api_setup: tuple[Any, str, str]) -> None:
    app, secret, gate = api_setup
    operations = _operations(app)
    assert len(operations) == 25
    statuses: dict[str, set[int]] = {}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
            suppress_health_check=list(HealthCheck),
        )  # fmt: skip
        def call(case: Any) -> None:
            token = gate if case.operation.label in ACCESS_CONTROL_OPERATIONS else secret
            response = case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
            statuses.setdefault(case.operation.label, set()).add(response.status_code)

        call()
    assert len(statuses) == len(operations)
    assert 200 in statuses["GET /api/v1/applications"] and 200 in statuses["GET /api/v1/clearances"], statuses
    assert 200 in statuses["GET /api/v1/status-list"], statuses
    assert 200 in statuses["GET /api/v1/workforce"], statuses
    # Generated codes are never well formed (one in 31 random ones has the right check character): one
    # answer with codes as printed, checked against the document like the rest.
    [look_up] = [operation for operation in operations if operation.label == "POST /api/v1/status"]
    case = look_up.Case(body={"codes": ["7KQ4-M2XD-9PAY", "012x4d95ex93"]}, media_type="application/json")
    assert case.call_and_validate(headers={"Authorization": f"Bearer {gate}"}, checks=CHECKS).status_code == 200
    # Nor does a generated personnel number name the register's entry: one read of it, checked the same way.
    [entry] = [operation for operation in operations if operation.label == "GET /api/v1/workforce/{personnel_number}"]
    case = entry.Case(path_parameters={"personnel_number": "P-1"})
    assert case.call_and_validate(headers={"Authorization": f"Bearer {secret}"}, checks=CHECKS).status_code == 200
