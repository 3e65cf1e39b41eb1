"""Fixtures for the scheduler, mail and reports: a real SMTP server on loopback (aiosmtpd), apps that
send to it, a moved clock (every job takes ``now``; nothing here sleeps), and small helpers."""

from __future__ import annotations

import email
import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import event, func, select, update

from scheduler.runner import RunResult, run_job
from screening.actors import Actor
from screening.applications import operations
from screening.applications.models import Application
from screening.auth.models import User
from screening.db import db
from screening.extensions import settings
from screening.notifications.models import OutboxMessage
from screening.organisations.models import Organisation
from tests.conftest import REQUESTER_EVENTS, Factory, data_context, forget_transition_mail, fresh, person_gives_address

#: A Monday morning in Brussels (09:00 UTC is 10:00 local), far from any midnight.
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def days(n: float) -> timedelta:
    return timedelta(days=n)


def free_port() -> int:
    """A port nothing listens on now (aiosmtpd's start-up check cannot use port 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Handler:
    def __init__(self, server: SMTPServer) -> None:
        self.server = server

    async def handle_RCPT(self, _server: Any, _session: Any, envelope: Any, address: str, _options: Any) -> str:
        if address in self.server.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        self.server.received.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class SMTPServer:
    """aiosmtpd on a loopback port, recording what it accepts; started and stopped by the test."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.received: list[tuple[list[str], EmailMessage]] = []
        self.refuse: set[str] = set()
        self._controller: Controller | None = None

    def start(self) -> SMTPServer:
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def messages(self) -> list[EmailMessage]:
        return [message for _rcpt, message in self.received]

    def to(self, address: str) -> list[EmailMessage]:
        return [message for rcpt, message in self.received if address in rcpt]


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def smtp_server(smtp_port: int) -> Iterator[SMTPServer]:
    """Not started: tests that need SMTP down start it later. Always stopped at the end."""
    server = SMTPServer(smtp_port)
    yield server
    server.stop()


@pytest.fixture
def smtp(smtp_server: SMTPServer) -> SMTPServer:
    return smtp_server.start()


def subject(message: EmailMessage) -> str:
    """The Subject as a reader sees it (Python folds a long one right after "Subject:")."""
    return " ".join(str(message["Subject"]).split())


def mail_settings(port: int, **overrides: Any) -> dict[str, Any]:
    return {"host": "127.0.0.1", "port": port, "starttls": False, "timeout_seconds": 5, **overrides}


@pytest.fixture
def mail_app(make_app: Callable[..., Flask], smtp_port: int) -> Iterator[Flask]:
    """An app that sends to the test's SMTP port, with a test data context pushed."""
    app = make_app(mail=mail_settings(smtp_port))
    with data_context(app):
        yield app


@pytest.fixture
def world(mail_app: Flask) -> World:
    return World(mail_app)


class World:
    """The factory of the suite plus the things mail needs: people with addresses and languages."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.factory = Factory(app)
        self.officer = self.user("officer", email="officer@authority.example", locale="en")

    def user(self, role: str, organisation: Any = None, *, email: str | None = None, locale: str | None = None) -> Any:
        user = self.factory.user(role, organisation)
        if email:
            db.session.execute(update(User).where(User.id == user.id).values(email=email, locale=locale))
            db.session.commit()
        return user

    def organisation(self, *, contact: str | None = None) -> Any:
        organisation = self.factory.organisation()
        if contact:
            db.session.execute(
                update(Organisation).where(Organisation.id == organisation.id).values(contact_email=contact)
            )
            db.session.commit()
        return organisation

    def requester(self, email: str = "requester@employer.example", locale: str = "en", organisation: Any = None) -> Any:
        organisation = organisation or self.organisation()
        return self.user("requester", organisation, email=email, locale=locale)

    def application(self, state: str, now: datetime = T0, **kwargs: Any) -> Any:
        if kwargs.get("requester") is None:
            kwargs["requester"] = self.requester()
        return self.factory.application(state, now=now, **kwargs)

    def fire(self, application: Any, event_name: str, now: datetime, *, reason: str | None = None) -> Any:
        """One transition (by the requester for requester events, else an officer), committed."""
        fresh()
        current = db.session.get(Application, application.id)
        if event_name == "consent":  # the person answers (an employer only with the signed form)
            actor = Actor.person(current.person_id)
            person_gives_address(current)
        elif event_name in REQUESTER_EVENTS:
            actor = Actor.of(db.session.get(User, current.created_by_id))
        else:
            actor = Actor(label="officer-x", role="officer")
        reason = reason or f"text for {event_name}"
        operations.fire(current, event_name, actor, settings().deadlines, reason=reason, now=now)
        forget_transition_mail(current.id)  # the transition's own notices are tested in tests/privacy
        db.session.commit()
        return current


@pytest.fixture
def config_file(world: World, tmp_path, smtp_port: int):
    config = world.app.extensions["screening.config"]
    path = tmp_path / "screening.toml"
    path.write_text(
        f'[app]\nsecret_key = "{config.app.secret_key}"\n'
        f'[database]\nurl = "{config.database.url}"\n'
        f'[security]\nidentifier_keys = ["{config.security.identifier_keys[0]}"]\n'
        f'lookup_key = "{config.security.lookup_key}"\n'
        f'[mail]\nhost = "127.0.0.1"\nport = {smtp_port}\nstarttls = false\n'
        f'[audit]\nsigning_key = """{config.audit.signing_key}"""\n',
        encoding="utf-8",
    )
    return path


def run(app: Flask, name: str, now: datetime, **kwargs: Any) -> RunResult:
    result = run_job(app, name, holder="test", now=now, **kwargs)
    assert result.status == "done", result
    fresh()
    return result


def tick(app: Flask, name: str, now: datetime) -> RunResult:
    """A job, then mail delivery, at the same moment."""
    result = run(app, name, now)
    run(app, "deliver_mail", now)
    return result


def outbox(template: str | None = None) -> list[OutboxMessage]:
    fresh()
    statement = select(OutboxMessage).order_by(OutboxMessage.id)
    if template:
        statement = statement.where(OutboxMessage.template == template)
    return list(db.session.scalars(statement))


def count(model: Any, *where: Any) -> int:
    fresh()
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


class StatementCounter:
    """Counts the SQL statements an engine executes (executemany counts once)."""

    def __init__(self, app: Flask) -> None:
        self.engine = app.extensions["screening.engine"]
        self.count = 0

    def _count(self, *_args: Any) -> None:
        self.count += 1

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)
