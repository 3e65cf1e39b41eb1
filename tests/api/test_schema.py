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

#: Examples per operation: 20 operations x 20 stay around a minute on the shared machine.
EXAMPLES = 20
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def api_setup(make_app: Any) -> Iterator[tuple[Any, str]]:
    """An app with a signing key, an organisation with files in several states and a token with every scope."""
    from screening.certificates.signing import generate_keypair

    app = make_app(api={"rate_limit": 1_000_000}, certificates={"private_key": generate_keypair().private_pem.decode()})
    with data_context(app):
        factory = Factory(app)
        requester = factory.user("requester")
        for state in ("draft", "awaiting_consent", "info_requested", "positive"):
            factory.application(state, requester=requester)
        _token, secret = create_token(Actor.of(requester), name="schemathesis", scopes=("read", "write", "webhooks"))
        db.session.commit()
        yield app, secret


def _operations(app: Any) -> list[Any]:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    results = list(schema.get_all_operations())
    errors = [result.err() for result in results if not hasattr(result, "ok")]
    assert not errors, errors
    return [result.ok() for result in results]


@pytest.mark.slow
def test_every_operation_keeps_its_document(api_setup: tuple[Any, str]) -> None:
    app, secret = api_setup
    operations = _operations(app)
    assert len(operations) == 21
    headers = {"Authorization": f"Bearer {secret}"}
    statuses: dict[str, set[int]] = {}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
            suppress_health_check=list(HealthCheck),
        )  # fmt: skip
        def call(case: Any) -> None:
            response = case.call_and_validate(headers=headers, checks=CHECKS)
            statuses.setdefault(case.operation.label, set()).add(response.status_code)

        call()
    assert len(statuses) == len(operations)
    assert 200 in statuses["GET /api/v1/applications"] and 200 in statuses["GET /api/v1/clearances"], statuses
