"""Every write to an organisation's webhooks: subscribe, change, rotate the secret, disable and enable,
unsubscribe (delete), redeliver one delivery, send a test event; and the mail when an endpoint was disabled for failing.
Operations flush, never commit, and record each change in the audit trail (never the secret)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, select

from screening.actors import Actor
from screening.audit.operations import record
from screening.auth.models import User
from screening.batches import stamp
from screening.config.webhooks import WebhooksConfig
from screening.db import db
from screening.errors import Conflict, InvalidInput, NotAllowed
from screening.notifications.operations import Mail, Recipient, app_link, enqueue, language_for
from screening.organisations.models import ACCESS_CONTROL, ACCESS_CONTROL_MAKER, Organisation
from screening.vault import IdentifierVault
from screening.webhooks.addresses import check_endpoint
from screening.webhooks.events import ACCESS_CONTROL_EVENT_TYPES, EVENT_TYPES, emit_test
from screening.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from screening.webhooks.queries import MANAGER, endpoint_count
from screening.webhooks.signing import new_secret
from workflows.text import N_


@dataclass(frozen=True)
class NewSecret:
    """An endpoint and its secret in clear, to show once."""

    endpoint: WebhookEndpoint
    secret: str


def _check_actor(actor: Actor, organisation_id: int) -> None:
    """A screening manager manages its own organisation's webhooks; an access-control organisation has no
    accounts, so an administrator manages its webhooks (as they make its tokens)."""
    if actor.role == ACCESS_CONTROL_MAKER and _access_control(organisation_id):
        return
    if actor.role != MANAGER:
        raise NotAllowed(N_("Only an employer's screening manager manages webhooks."))
    if actor.organisation_id != organisation_id:
        raise NotAllowed(N_("This endpoint belongs to another organisation."))


def _access_control(organisation_id: int) -> bool:
    return db.session.scalar(select(Organisation.kind).where(Organisation.id == organisation_id)) == ACCESS_CONTROL


def _event_types(chosen: Sequence[str], organisation_id: int) -> list[str]:
    known = ACCESS_CONTROL_EVENT_TYPES if _access_control(organisation_id) else EVENT_TYPES
    types = sorted(set(chosen))
    if not types or any(t not in known for t in types):
        raise InvalidInput(N_("Choose at least one event."), field="event_types")
    return types


def subscribe(
    actor: Actor, vault: IdentifierVault, config: WebhooksConfig, *, url: str, event_types: Sequence[str],
    description: str, now: datetime, organisation_id: int | None = None,
) -> NewSecret:  # fmt: skip
    """A new endpoint of the actor's organisation (an administrator's: of the access-control
    ``organisation_id``), with a new secret (returned once, stored encrypted)."""
    organisation_id = organisation_id or actor.organisation_id
    if organisation_id is None:
        raise NotAllowed(N_("Only an employer's screening manager manages webhooks."))
    _check_actor(actor, organisation_id)
    url = url.strip()
    check_endpoint(url, config)
    types = _event_types(event_types, organisation_id)
    if endpoint_count(organisation_id) >= config.max_endpoints:
        raise Conflict(N_("Your organisation has %(count)d endpoints, the most allowed."), count=config.max_endpoints)
    secret = new_secret()
    endpoint = WebhookEndpoint(
        organisation_id=organisation_id, url=url, description=description.strip()[:200], event_types=types,
        secret=vault.encrypt(secret), state="active", created_by_id=actor.user_id, created_at=now,
    )  # fmt: skip
    db.session.add(endpoint)
    db.session.flush()
    record(
        actor, "subscribe", "webhook_endpoint", endpoint.id, organisation_id=endpoint.organisation_id,
        to_state="active", reason=f"{url} ({', '.join(types)})", now=now,
    )  # fmt: skip
    return NewSecret(endpoint, secret)


def _locked(endpoint: WebhookEndpoint, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != endpoint.version:
        raise Conflict(N_("Someone else changed this endpoint meanwhile. Review it and try again."))


def change(
    actor: Actor, config: WebhooksConfig, endpoint: WebhookEndpoint, *, url: str, event_types: Sequence[str],
    description: str, expected_version: int | None, now: datetime,
) -> WebhookEndpoint:  # fmt: skip
    """A new URL, events or description; the secret stays."""
    _check_actor(actor, endpoint.organisation_id)
    _locked(endpoint, expected_version)
    url = url.strip()
    check_endpoint(url, config)
    endpoint.url, endpoint.description = url, description.strip()[:200]
    endpoint.event_types = _event_types(event_types, endpoint.organisation_id)
    db.session.flush()
    record(
        actor, "change", "webhook_endpoint", endpoint.id, organisation_id=endpoint.organisation_id,
        reason=f"{url} ({', '.join(endpoint.event_types)})", now=now,
    )  # fmt: skip
    return endpoint


def rotate_secret(
    actor: Actor, vault: IdentifierVault, config: WebhooksConfig, endpoint: WebhookEndpoint, *,
    expected_version: int | None, now: datetime,
) -> NewSecret:  # fmt: skip
    """A new secret, shown once; the old one also signs for ``rotation_grace_hours`` (both signatures sent)."""
    _check_actor(actor, endpoint.organisation_id)
    _locked(endpoint, expected_version)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_until = now + timedelta(hours=config.rotation_grace_hours)
    secret = new_secret()
    endpoint.secret = vault.encrypt(secret)
    db.session.flush()
    record(
        actor, "rotate_secret", "webhook_endpoint", endpoint.id, organisation_id=endpoint.organisation_id,
        reason=f"old secret signs until {endpoint.previous_secret_until.isoformat(timespec='minutes')}", now=now,
    )  # fmt: skip
    return NewSecret(endpoint, secret)


def set_state(
    actor: Actor, endpoint: WebhookEndpoint, state: str, *, expected_version: int | None, now: datetime
) -> WebhookEndpoint:
    """Disable (deliveries wait) or enable again (waiting deliveries go at the next run, the failure count
    starts afresh)."""
    _check_actor(actor, endpoint.organisation_id)
    _locked(endpoint, expected_version)
    if state not in ("active", "disabled") or state == endpoint.state:
        raise Conflict(N_("The endpoint is already in that state."))
    source = endpoint.state
    endpoint.state = state
    endpoint.failing_since = None
    if state == "disabled":
        endpoint.disabled_at, endpoint.disabled_reason = now, "disabled by its organisation"
    else:
        endpoint.disabled_at = endpoint.disabled_reason = None
    db.session.flush()
    record(
        actor, "enable" if state == "active" else "disable", "webhook_endpoint", endpoint.id,
        organisation_id=endpoint.organisation_id, from_state=source, to_state=state, now=now,
    )  # fmt: skip
    return endpoint


def unsubscribe(actor: Actor, endpoint: WebhookEndpoint, *, expected_version: int | None, now: datetime) -> None:
    """Delete the endpoint with its delivery log: nothing more is sent to it. Refused while a delivery to it
    is in flight (a sender's claim), so no sender records an outcome for a deleted delivery; the events stay
    for the retention purge. A claim made meanwhile is refused too: the caller then rolls back."""
    _check_actor(actor, endpoint.organisation_id)
    _locked(endpoint, expected_version)
    mine = WebhookDelivery.endpoint_id == endpoint.id
    in_flight = exists().where(mine, WebhookDelivery.claimed_by.is_not(None))
    if db.session.scalar(select(in_flight)):
        raise Conflict(N_("A delivery to this endpoint is being sent. Try again in a minute."))
    idle = select(WebhookDelivery.id).where(mine, WebhookDelivery.claimed_by.is_(None))
    db.session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(idle)))
    deleted = db.session.execute(
        delete(WebhookDelivery)
        .where(mine, WebhookDelivery.claimed_by.is_(None))
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if db.session.scalar(select(exists().where(mine))):  # claimed between the check and the delete
        raise Conflict(N_("A delivery to this endpoint is being sent. Try again in a minute."))
    record(
        actor, "unsubscribe", "webhook_endpoint", endpoint.id, organisation_id=endpoint.organisation_id,
        from_state=endpoint.state, reason=f"{endpoint.url} ({deleted} deliveries deleted)", now=now,
    )  # fmt: skip
    db.session.delete(endpoint)
    db.session.flush()


def redeliver(actor: Actor, delivery: WebhookDelivery, endpoint: WebhookEndpoint, now: datetime) -> WebhookDelivery:
    """Send one delivered or failed delivery again, as a new delivery of the same event (same ``webhook-id``)."""
    _check_actor(actor, endpoint.organisation_id)
    if delivery.state == "pending":
        raise Conflict(N_("This delivery is still waiting to be sent."))
    again = WebhookDelivery(
        event_id=delivery.event_id, endpoint_id=delivery.endpoint_id, state="pending", attempts=0,
        next_attempt_at=now, origin="redelivery", redelivery_of_id=delivery.id, created_at=now,
    )  # fmt: skip
    db.session.add(again)
    db.session.flush()
    record(
        actor, "redeliver", "webhook_delivery", delivery.id, organisation_id=endpoint.organisation_id,
        reason=f"as delivery {again.id}", now=now,
    )  # fmt: skip
    return again


def send_test(actor: Actor, endpoint: WebhookEndpoint, now: datetime) -> WebhookDelivery:
    """A ``webhook.test`` event to this endpoint, sent by the next delivery run like any other."""
    _check_actor(actor, endpoint.organisation_id)
    delivery = emit_test(endpoint, app_link("webhooks.endpoint", endpoint_id=endpoint.id), now)
    record(
        actor, "send_test", "webhook_endpoint", endpoint.id, organisation_id=endpoint.organisation_id,
        reason=f"delivery {delivery.id}", now=now,
    )  # fmt: skip
    return delivery


def announce_disabled(endpoint_ids: Sequence[int], now: datetime) -> int:
    """Mail the screening managers of each endpoint disabled for failing (one query for the endpoints, one
    for their organisations' managers); audited as the system."""
    if not endpoint_ids:
        return 0
    endpoints = list(db.session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.id.in_(sorted(endpoint_ids)))))
    managers: dict[int, list[Recipient]] = {}
    for organisation_id, email, locale in db.session.execute(
        select(User.organisation_id, User.email, User.locale)
        .where(
            User.organisation_id.in_(sorted({e.organisation_id for e in endpoints})), User.role == MANAGER,
            User.active.is_(True), User.email.is_not(None),
        )
        .order_by(User.id)
    ):  # fmt: skip
        if email and organisation_id is not None:
            managers.setdefault(organisation_id, []).append(Recipient(email, language_for(locale)))
    mails = []
    for endpoint in endpoints:
        record(
            Actor.system("deliver_webhooks"), "disable", "webhook_endpoint", endpoint.id,
            organisation_id=endpoint.organisation_id, from_state="active", to_state="disabled",
            reason=endpoint.disabled_reason, now=now,
        )  # fmt: skip
        context = {
            "url": endpoint.url, "since": endpoint.failing_since.isoformat() if endpoint.failing_since else "",
            "link": app_link("webhooks.endpoint", endpoint_id=endpoint.id),
        }  # fmt: skip
        key = f"webhook_disabled:{endpoint.id}:{stamp(endpoint.disabled_at or now)}"
        mails.extend(Mail(key, r, "webhook_disabled", context) for r in managers.get(endpoint.organisation_id, []))
    return enqueue(mails, now)


def purge_webhooks(written_before: datetime, *, limit: int) -> int:
    """Delete up to ``limit`` events written before ``written_before`` of which no delivery waits, with their
    deliveries and attempts (four statements; the oldest first, through ``ix_webhook_events_created_at``).
    Returns the events deleted. The retention purge calls it until it returns nothing."""
    waiting = exists().where(WebhookDelivery.event_id == WebhookEvent.id, WebhookDelivery.state == "pending")
    ids = list(
        db.session.scalars(
            select(WebhookEvent.id)
            .where(WebhookEvent.created_at < written_before, ~waiting)
            .order_by(WebhookEvent.created_at, WebhookEvent.id)
            .limit(limit)
        )
    )
    if not ids:
        return 0
    deliveries = select(WebhookDelivery.id).where(WebhookDelivery.event_id.in_(ids))
    for statement in (
        delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(deliveries)),
        delete(WebhookDelivery).where(WebhookDelivery.event_id.in_(ids)),
        delete(WebhookEvent).where(WebhookEvent.id.in_(ids)),
    ):
        db.session.execute(statement.execution_options(synchronize_session=False))
    return len(ids)
