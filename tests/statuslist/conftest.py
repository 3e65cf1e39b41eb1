"""Fixtures for the status list: an app with a certificate signing key that may send webhooks to loopback,
an access-control organisation with a token the administrator made, and clearances with printed codes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from screening.actors import Actor
from screening.api.operations import create_token
from screening.certificates.operations import IssueSettings, issue_one
from screening.certificates.signing import generate_keypair
from screening.clearances.models import Clearance
from screening.clearances.operations import fire_clearance
from screening.clock import local_date
from screening.db import db
from tests.api.conftest import ApiClient
from tests.conftest import Factory, data_context
from tests.webhooks.conftest import ALLOW_LOOPBACK, receiver  # noqa: F401 - the loopback receiver fixture

SIGNING_PAIR = generate_keypair()
OFFICER = Actor(label="officer-x", role="officer")


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    application = make_app(
        certificates={"private_key": SIGNING_PAIR.private_pem.decode()}, webhooks=ALLOW_LOOPBACK,
        api={"rate_limit": 1_000_000},
    )  # fmt: skip
    with data_context(application):
        yield application


@pytest.fixture
def gates(factory: Factory) -> Any:
    """An access-control organisation (the badge system's operator)."""
    organisation = factory.organisation(name="Port badges NV")
    organisation.kind = "access_control"
    factory.commit()
    return organisation


@pytest.fixture
def gate_api(app: Flask, factory: Factory, gates: Any) -> ApiClient:
    """The badge system's API client: a token the administrator made for ``gates``."""
    admin = factory.user("admin")
    _token, secret = create_token(Actor.of(admin), name="Badge system", scopes=("access-control",), organisation=gates)
    db.session.commit()
    return ApiClient(app.test_client(), secret)


def keys(app: Flask) -> Any:
    return app.extensions["screening.certificate_keys"]


def certified(app: Flask, factory: Factory, *, on: datetime | None = None) -> tuple[Clearance, str]:
    """A valid clearance and the verification code of the certificate its employer printed on ``on``."""
    requester = factory.user("requester")
    application = factory.application("positive", requester=requester)
    clearance = db.session.get(Clearance, application.clearance_id)
    return clearance, print_certificate(app, clearance, on=on)


def print_certificate(app: Flask, clearance: Clearance, *, on: datetime | None = None) -> str:
    day = local_date(on or datetime.now(UTC))
    clearance = db.session.scalars(
        select(Clearance).options(joinedload(Clearance.person)).where(Clearance.id == clearance.id)
    ).one()
    settings = IssueSettings(
        keys=keys(app), base_url="https://screening.example.org", issue_date=day, english=False, organisation_id=None
    )
    data = issue_one(Actor(label="hr-x", role="hr"), clearance, settings, today=day)
    db.session.commit()
    return data.verification_code


def revoke(clearance: Clearance, now: datetime | None = None) -> None:
    """An officer re-evaluates (suspended) and revokes (revoked), committed."""
    if clearance.state == "valid":
        fire_clearance(clearance, "start_reevaluation", OFFICER, reason="New facts", now=now)
    fire_clearance(clearance, "revoke", OFFICER, reason="Negative after re-evaluation", now=now)
    db.session.commit()
