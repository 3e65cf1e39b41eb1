"""Fixtures for webhooks: a real HTTP receiver on loopback that verifies every request with
``standardwebhooks``' own ``Webhook.verify``, an app allowed to send to it, and subscriptions made through
the real operations."""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from scheduler.runner import RunResult, run_job
from screening.actors import Actor
from screening.db import db
from screening.extensions import settings, vault
from screening.webhooks import operations
from screening.webhooks.events import EVENT_TYPES
from screening.webhooks.models import WebhookAttempt, WebhookDelivery
from tests.conftest import Factory, data_context, fresh

#: A Monday morning in Brussels, far from any midnight.
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ALLOW_LOOPBACK = {"allow_private_addresses": True, "allow_http": True}


@dataclass(frozen=True)
class Received:
    msg_id: str
    timestamp: str
    signature: str
    payload: dict[str, Any]
    path: str


class _Server(ThreadingHTTPServer):
    """A listen backlog for 20 concurrent senders (http.server's default of 5 resets connections beyond it)."""

    request_queue_size = 128
    daemon_threads = True


class Receiver:
    """An HR system's endpoint: ``http.server`` in a thread on a loopback port. Every request is checked
    with the subscriber's secret by ``Webhook.verify``; a verified one is recorded and answered ``status``,
    anything else is recorded in ``rejected`` and answered 400. ``stop()`` takes it down (connection
    refused), ``start()`` brings it back on the same port."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.tls = tls
        self.secrets: list[str] = []
        self.received: list[Received] = []
        self.rejected: list[str] = []
        self.status = 200
        self.answer = b'{"ok":true}'
        self.port = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def url(self, path: str = "/hooks", host: str = "127.0.0.1") -> str:
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}{path}"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {key: value for key, value in self.headers.items()}
                verified = None
                for secret in receiver.secrets:
                    try:
                        verified = Webhook(secret).verify(body, headers)
                        break
                    except WebhookVerificationError:
                        continue
                with receiver._lock:
                    if verified is None:
                        receiver.rejected.append(body.decode(errors="replace"))
                    else:
                        receiver.received.append(
                            Received(
                                headers["webhook-id"], headers["webhook-timestamp"], headers["webhook-signature"],
                                verified, self.path,
                            )
                        )  # fmt: skip
                status = receiver.status if verified is not None else 400
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(receiver.answer)))
                self.end_headers()
                self.wfile.write(receiver.answer)

            def log_message(self, *_args: Any) -> None:
                return

        self._server = _Server(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        if self.tls is not None:
            self._server.socket = self.tls.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="receiver", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def ids(self) -> list[str]:
        with self._lock:
            return [r.msg_id for r in self.received]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def hook_app(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    app = make_app(webhooks=ALLOW_LOOPBACK)
    with data_context(app):
        yield app


@pytest.fixture
def factory(hook_app: Flask) -> Factory:
    return Factory(hook_app)


@pytest.fixture
def variant(hook_app: Flask) -> Iterator[Callable[..., Flask]]:
    """Another app on the same database and keys as ``hook_app``, with other ``[webhooks]`` settings (a
    second scheduler process; the same installation after its configuration changed)."""
    from dataclasses import replace

    from screening.app import create_app
    from screening.config.webhooks import WebhooksConfig

    apps: list[Flask] = []

    def build(**webhooks: Any) -> Flask:
        config = hook_app.extensions["screening.config"]
        app = create_app(replace(config, webhooks=WebhooksConfig(**webhooks)))
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions["screening.engine"].dispose()


def subscribe(requester: Any, url: str, *, types: Any = None, now: datetime = T0) -> operations.NewSecret:
    created = operations.subscribe(
        Actor.of(requester), vault(), settings().webhooks, url=url, event_types=list(types or EVENT_TYPES),
        description="HR", now=now,
    )  # fmt: skip
    db.session.commit()
    return created


def run(app: Flask, now: datetime | None = None, **kwargs: Any) -> RunResult:
    """The delivery job once, as of ``now`` (default: the clock, which tests may have moved)."""
    result = run_job(app, "deliver_webhooks", holder="test", now=now or datetime.now(UTC), **kwargs)
    assert result.status == "done", result
    fresh()
    return result


def deliveries() -> list[WebhookDelivery]:
    fresh()
    return list(db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def attempts(delivery_id: int | None = None) -> list[WebhookAttempt]:
    fresh()
    statement = select(WebhookAttempt).order_by(WebhookAttempt.delivery_id, WebhookAttempt.number)
    if delivery_id is not None:
        statement = statement.where(WebhookAttempt.delivery_id == delivery_id)
    return list(db.session.scalars(statement))


def payload_of(body: str) -> dict[str, Any]:
    return json.loads(body)
