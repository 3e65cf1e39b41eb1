"""Delivery as the HR system sees it: every request verified by ``standardwebhooks``' own verifier on a real
loopback server; thin payloads; at least once through a receiver outage of an hour (moved clock) and a
sender killed mid-batch (a lease left by a dead worker); each attempt logged; never twice in one attempt."""

from __future__ import annotations

import threading
from datetime import timedelta

import time_machine
from sqlalchemy import select, update

from scheduler.jobs import deliver_webhooks
from screening.actors import Actor
from screening.applications import operations as applications
from screening.applications.models import Application
from screening.audit.models import AuditEntry
from screening.auth.models import User
from screening.clock import utcnow
from screening.db import db, writer
from screening.extensions import settings
from screening.notifications.models import OutboxMessage
from screening.webhooks import delivery
from screening.webhooks import operations as webhooks
from screening.webhooks.events import DATA_KEYS
from screening.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from tests.conftest import fresh
from tests.webhooks.conftest import T0, Receiver, attempts, deliveries, payload_of, run, subscribe


def test_every_state_change_reaches_the_hr_system_signed_and_thin(hook_app, factory, receiver):
    requester = factory.user("requester")
    receiver.secrets.append(subscribe(requester, receiver.url()).secret)
    details = factory.person_details()
    application = factory.application("in_review", requester=requester, person=details)
    officer = Actor(label="officer-x", role="officer")
    for event, actor in (("request_info", officer), ("provide_info", Actor.of(requester)),
                         ("advise_positive_with_warning", officer)):  # fmt: skip
        current = db.session.get(Application, application.id)
        applications.fire(current, event, actor, settings().deadlines, reason=f"secret grounds {event}")
        db.session.commit()

    assert run(hook_app).items == 7  # submit, consent, start_review, request_info (x2), provide_info, advice
    assert receiver.rejected == []
    seen = [(r.payload["type"], r.payload["data"]["state"]) for r in receiver.received]
    assert sorted(seen) == sorted([
        ("application.state_changed", "awaiting_consent"), ("application.state_changed", "submitted"),
        ("application.state_changed", "in_review"), ("application.state_changed", "info_requested"),
        ("application.information_requested", "info_requested"), ("application.state_changed", "in_review"),
        ("application.state_changed", "positive"),
    ])  # fmt: skip
    assert len(set(receiver.ids())) == 7
    for received in receiver.received:
        data = received.payload["data"]
        assert set(data) <= DATA_KEYS and set(received.payload) == {"type", "timestamp", "data"}
        assert data["reference"] == application.reference and "external_id" in data
        assert data["link"].endswith(f"/applications/{application.id}")
    bodies = [event.body for event in db.session.scalars(select(WebhookEvent))]
    for body in bodies:  # never grounds, the advice's warning, a name or a national register number
        assert "secret grounds" not in body and "text for" not in body and "warning" not in body
        assert details.national_number not in body and details.family_name not in body
    assert {d.state for d in deliveries()} == {"delivered"}
    assert {(a.number, a.outcome, a.status_code) for a in attempts()} == {(1, "delivered", 200)}
    assert all(a.latency_ms is not None and a.response == '{"ok":true}' for a in attempts())


def test_a_change_that_rolls_back_announces_nothing(hook_app, factory, receiver):
    requester = factory.user("requester")
    subscribe(requester, receiver.url())
    application = factory.application("draft", requester=requester)
    before = len(deliveries())
    applications.fire(application, "submit", Actor.of(requester), settings().deadlines)
    db.session.rollback()
    assert len(deliveries()) == before


def test_an_organisation_without_endpoints_gets_no_events(hook_app, factory, receiver):
    factory.application("in_review")
    fresh()
    assert db.session.scalars(select(WebhookEvent)).all() == []


def test_delivery_survives_the_receiver_being_down_for_an_hour(hook_app, factory, receiver):
    with time_machine.travel(T0, tick=False) as clock:
        requester = factory.user("requester")
        receiver.secrets.append(subscribe(requester, receiver.url()).secret)
        factory.application("awaiting_consent", requester=requester, now=T0)
        receiver.stop()
        now = T0
        while now < T0 + timedelta(hours=1):  # the scheduler runs every 5 minutes; the receiver is down
            clock.move_to(now)
            assert run(hook_app, now).items == 0
            now += timedelta(minutes=5)
        (waiting,) = deliveries()
        assert waiting.state == "pending" and waiting.attempts >= 5
        receiver.start()  # back, on the same port
        while deliveries()[0].state == "pending" and now < T0 + timedelta(hours=3):
            clock.move_to(now)
            run(hook_app, now)
            now += timedelta(minutes=5)
    (done,) = deliveries()
    assert done.state == "delivered"
    assert len(receiver.received) == 1 and receiver.rejected == []
    log = attempts(done.id)
    assert [a.number for a in log] == list(range(1, done.attempts + 1))  # every attempt, in order
    assert [a.outcome for a in log] == ["failed"] * (done.attempts - 1) + ["delivered"]
    assert all(a.status_code is None and "ConnectError" in (a.error or "") for a in log[:-1])
    gaps = [(b.started_at - a.started_at).total_seconds() for a, b in zip(log, log[1:-1], strict=False)]
    assert gaps == sorted(gaps)  # the back-off grows
    assert log[-1].status_code == 200


def test_a_sender_killed_mid_batch_leaves_nothing_undelivered_and_nothing_twice(hook_app, factory, receiver):
    with time_machine.travel(T0, tick=False) as clock:
        requester = factory.user("requester")
        receiver.secrets.append(subscribe(requester, receiver.url()).secret)
        for _ in range(5):
            factory.application("awaiting_consent", requester=requester, now=T0)
        # A worker claimed the batch and died before sending anything: its lease is still running.
        with writer():
            claimed = delivery.claim_due(T0, "scheduler:dead-host:4242", settings().webhooks)
        db.session.commit()
        assert len(claimed) == 5
        assert run(hook_app, T0 + timedelta(seconds=30)).items == 0  # its claims are still its own
        assert receiver.received == []
        later = T0 + timedelta(seconds=settings().webhooks.lease_seconds + 1)
        clock.move_to(later)
        assert run(hook_app, later).items == 5  # the lease lapsed: the next run takes them over
    assert sorted(receiver.ids()) == sorted(set(receiver.ids())) and len(receiver.ids()) == 5
    for done in deliveries():
        assert done.state == "delivered" and done.claimed_by is None
        log = attempts(done.id)
        assert [(a.number, a.outcome) for a in log] == [(1, "abandoned"), (2, "delivered")]
        assert "scheduler:dead-host:4242" in (log[0].error or "")


def test_two_senders_at_once_never_send_the_same_attempt(hook_app, factory, receiver, variant):
    requester = factory.user("requester")
    receiver.secrets.append(subscribe(requester, receiver.url()).secret)
    for _ in range(12):
        factory.application("submitted", requester=requester)  # 2 events each
    db.session.execute(update(WebhookEndpoint).values(state="active"))
    db.session.commit()
    app = variant(allow_private_addresses=True, allow_http=True, batch_size=5, concurrency=5)
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            with app.app_context(), writer():
                deliver_webhooks(utcnow())
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(receiver.ids()) == 24 and len(set(receiver.ids())) == 24  # each once
    assert {d.state for d in deliveries()} == {"delivered"}
    assert {a.number for a in attempts()} == {1} and len(attempts()) == 24


def test_an_endpoint_failing_for_three_days_is_disabled_and_its_managers_mailed(hook_app, factory, receiver):
    requester = factory.user("requester")
    db.session.execute(update(User).where(User.id == requester.id).values(email="hr-manager@employer.example"))
    db.session.commit()
    receiver.secrets.append(subscribe(requester, receiver.url()).secret)
    receiver.status = 503
    with time_machine.travel(T0, tick=False) as clock:
        factory.application("awaiting_consent", requester=requester, now=T0)
        run(hook_app, T0)
        (endpoint,) = db.session.scalars(select(WebhookEndpoint))
        assert endpoint.state == "active" and endpoint.failing_since == T0
        later = T0 + timedelta(hours=72, minutes=1)
        clock.move_to(later)
        run(hook_app, later)
    fresh()
    endpoint = db.session.scalars(select(WebhookEndpoint)).one()
    assert endpoint.state == "disabled" and endpoint.disabled_at == later
    (failed,) = deliveries()
    assert failed.state == "failed" and failed.last_error.startswith("gave up after 72 hours")
    assert [(a.outcome, a.status_code) for a in attempts()] == [("failed", 503), ("failed", 503)]
    (mail,) = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "webhook_disabled"))
    assert mail.recipient == "hr-manager@employer.example" and receiver.url() in mail.body
    audit = db.session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "webhook_endpoint").order_by(AuditEntry.id)
    ).all()
    assert [(e.action, e.actor) for e in audit] == [
        ("subscribe", requester.username),
        ("disable", "system:deliver_webhooks"),
    ]
    # Disabled: a new event waits instead of going out; enabled again, it goes.
    receiver.status = 200
    factory.application("awaiting_consent", requester=requester)
    run(hook_app)
    assert [d.state for d in deliveries()] == ["failed", "pending"] and len(receiver.received) == 2
    endpoint = db.session.scalars(select(WebhookEndpoint)).one()
    webhooks.set_state(Actor.of(requester), endpoint, "active", expected_version=endpoint.version, now=utcnow())
    db.session.commit()
    run(hook_app)
    assert [d.state for d in deliveries()] == ["failed", "delivered"] and len(receiver.received) == 3


def test_redirects_are_not_followed(hook_app, factory, receiver):
    requester = factory.user("requester")
    receiver.secrets.append(subscribe(requester, receiver.url()).secret)
    receiver.status = 307
    factory.application("awaiting_consent", requester=requester)
    run(hook_app)
    assert len(receiver.received) == 1  # one request; nothing followed
    ((attempt,),) = [attempts()]
    assert attempt.outcome == "failed" and attempt.status_code == 307 and "redirects are not followed" in attempt.error


def test_a_silent_endpoint_times_out(make_app):
    import socket

    from tests.conftest import Factory, data_context

    app = make_app(webhooks={"allow_private_addresses": True, "allow_http": True, "timeout_seconds": 1,
                             "connect_timeout_seconds": 1, "lease_seconds": 10})  # fmt: skip
    with socket.socket() as silent, data_context(app):
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)  # accepts connections, never answers
        requester = Factory(app).user("requester")
        subscribe(requester, f"http://127.0.0.1:{silent.getsockname()[1]}/hooks")
        Factory(app).application("awaiting_consent", requester=requester)
        run(app)
        (attempt,) = attempts()
        assert attempt.outcome == "failed" and "Timeout" in attempt.error
        assert 900 <= attempt.latency_ms < 3000


def test_the_address_is_checked_again_at_send_time(hook_app, factory, receiver, variant):
    """An endpoint accepted once (here: while private addresses were allowed) that now resolves to a
    loopback address is refused at the send, and the receiver hears nothing."""
    requester = factory.user("requester")
    subscribe(requester, receiver.url())
    factory.application("awaiting_consent", requester=requester)
    run(variant(allow_http=True))
    (attempt,) = attempts()
    assert receiver.received == [] and receiver.rejected == []
    assert attempt.outcome == "failed" and attempt.status_code is None
    assert "loopback" in attempt.error and "refused" in attempt.error


def test_payload_bodies_parse_as_standard_webhooks(hook_app, factory, receiver):
    requester = factory.user("requester")
    subscribe(requester, receiver.url())
    factory.application("awaiting_consent", requester=requester)
    (event,) = db.session.scalars(select(WebhookEvent))
    body = payload_of(event.body)
    assert body["type"] == "application.state_changed" and body["timestamp"].endswith("Z")
    assert event.msg_id.startswith("msg_")


def test_an_https_endpoint_is_reached_at_the_checked_address_with_its_certificate_checked(
    hook_app, factory, variant, tmp_path
):
    """The sender connects to the address it checked, with the endpoint's name in SNI and the certificate
    check: a certificate for ``localhost`` from a trusted CA passes; the same one with another CA trusted
    is refused."""
    import ssl

    from tests.support.slapd import make_tls_files

    files = make_tls_files(tmp_path / "tls")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(files.cert_file, files.key_file)
    tls = Receiver(tls=context).start()
    try:
        requester = factory.user("requester")
        tls.secrets.append(subscribe(requester, tls.url(host="localhost")).secret)
        factory.application("awaiting_consent", requester=requester)
        run(variant(allow_private_addresses=True, ca_file=str(files.other_ca_file)))
        (refused,) = attempts()
        assert refused.outcome == "failed" and "CERTIFICATE_VERIFY_FAILED" in refused.error
        assert tls.received == []
        fresh()
        db.session.execute(update(WebhookDelivery).values(next_attempt_at=utcnow()))
        db.session.commit()
        run(variant(allow_private_addresses=True, ca_file=str(files.ca_file)))
        assert [r.payload["data"]["state"] for r in tls.received] == ["awaiting_consent"]
        assert [a.outcome for a in attempts()] == ["failed", "delivered"]
    finally:
        tls.stop()
