"""Sending webhook deliveries: claim a batch under a lease, send it concurrently with no transaction open,
record every attempt. The ``deliver_webhooks`` job commits after each step.

- :func:`claim_due` takes at most ``batch_size`` due deliveries of active endpoints, counts the attempt and
  marks them ``claimed_by`` this sender until ``now + lease_seconds`` (``next_attempt_at``). On PostgreSQL
  ``FOR UPDATE SKIP LOCKED`` lets two senders claim different rows at once; on SQLite the job's
  transaction holds the write lock from BEGIN. A delivery still claimed when its lease lapsed belongs to a
  sender that died mid-batch: its lost attempt is logged as abandoned, and the delivery goes again.
- :func:`send_batch` sends with a thread pool and one ``httpx`` client: no redirects, the configured
  timeouts, the address checked again and connected to as checked.
- :func:`record_outcomes` writes the attempts (unique per delivery and number) and the deliveries' new
  state only where this sender still holds the claim, in a fixed number of statements per batch; then
  endpoints failing for ``disable_after_hours`` are disabled and their screening managers mailed.

At least once: a sender killed after the receiver answered and before its outcome was committed sends
that delivery again under a new attempt number, with the same ``webhook-id``.
"""

from __future__ import annotations

import random
import ssl
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import and_, bindparam, func, select, update

from screening.clock import utcnow
from screening.config.webhooks import WebhooksConfig
from screening.db import db
from screening.webhooks.addresses import RefusedAddress, check_endpoint
from screening.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from screening.webhooks.signing import headers

USER_AGENT = "screening-webhooks/1"
_jitter = random.SystemRandom()


@dataclass(frozen=True)
class Outgoing:
    """One attempt to send, with everything the sending thread needs (no database access there)."""

    delivery_id: int
    endpoint_id: int
    number: int
    url: str
    msg_id: str
    body: str
    secrets: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    outgoing: Outgoing
    started_at: datetime
    status_code: int | None
    latency_ms: int | None
    error: str | None
    response: str | None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def claim_due(now: datetime, holder: str, config: WebhooksConfig) -> list[tuple[int, int, int]]:
    """Claim due deliveries for ``holder``; returns (delivery id, endpoint id, attempt number) of each.

    Deliveries whose previous claim lapsed without an outcome get that attempt logged as abandoned first.
    """
    table = WebhookDelivery.__table__
    due = (
        select(table.c.id, table.c.attempts, table.c.claimed_by, table.c.next_attempt_at)
        .join(WebhookEndpoint, WebhookEndpoint.id == table.c.endpoint_id)
        .where(table.c.state == "pending", table.c.next_attempt_at <= now, WebhookEndpoint.state == "active")
        .order_by(table.c.next_attempt_at, table.c.id)
        .limit(config.batch_size)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True, of=table)
    rows = db.session.execute(due).all()
    if not rows:
        return []
    lease = timedelta(seconds=config.lease_seconds)
    abandoned = [
        {
            "delivery_id": row.id,
            "number": row.attempts,
            "started_at": row.next_attempt_at - lease,
            "outcome": "abandoned",
            "error": f"no outcome recorded: sender {row.claimed_by} stopped before its lease ended",
            "holder": row.claimed_by,
        }  # fmt: skip
        for row in rows
        if row.claimed_by is not None and row.attempts > 0
    ]
    if abandoned:
        db.session.execute(_insert_attempts_ignoring_duplicates(), abandoned)
    claimed = db.session.execute(
        update(table)
        .where(table.c.id.in_([row.id for row in rows]), table.c.state == "pending", table.c.next_attempt_at <= now)
        .values(attempts=table.c.attempts + 1, claimed_by=holder, next_attempt_at=now + lease)
        .returning(table.c.id, table.c.endpoint_id, table.c.attempts)
    ).all()
    return sorted((row.id, row.endpoint_id, row.attempts) for row in claimed)


def _insert_attempts_ignoring_duplicates() -> Any:
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(WebhookAttempt.__table__).on_conflict_do_nothing(index_elements=["delivery_id", "number"])


def outgoing(claimed: Sequence[tuple[int, int, int]], now: datetime, decrypt: Callable[[str], str]) -> list[Outgoing]:
    """What to send for the claimed deliveries (one query), with each endpoint's signing secrets."""
    if not claimed:
        return []
    numbers = {delivery_id: number for delivery_id, _endpoint, number in claimed}
    rows = db.session.execute(
        select(
            WebhookDelivery.id, WebhookDelivery.endpoint_id, WebhookEndpoint.url, WebhookEndpoint.secret,
            WebhookEndpoint.previous_secret, WebhookEndpoint.previous_secret_until, WebhookEvent.msg_id,
            WebhookEvent.body,
        )
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.id.in_(sorted(numbers)))
        .order_by(WebhookDelivery.id)
    ).all()  # fmt: skip
    result = []
    for row in rows:
        signing = [decrypt(row.secret)]
        if row.previous_secret and row.previous_secret_until and row.previous_secret_until > now:
            signing.append(decrypt(row.previous_secret))
        result.append(Outgoing(row.id, row.endpoint_id, numbers[row.id], row.url, row.msg_id, row.body, tuple(signing)))
    return result


def make_client(config: WebhooksConfig) -> httpx.Client:
    """One client per batch: pooled connections, no redirects, the configured timeouts."""
    timeout = httpx.Timeout(config.timeout_seconds, connect=config.connect_timeout_seconds)
    limits = httpx.Limits(max_connections=config.concurrency, max_keepalive_connections=config.concurrency)
    verify: ssl.SSLContext | bool = True
    if config.ca_file:
        verify = ssl.create_default_context(cafile=config.ca_file)
        verify.load_default_certs()
    return httpx.Client(timeout=timeout, limits=limits, follow_redirects=False, trust_env=False, verify=verify)


def send_one(client: httpx.Client, item: Outgoing, config: WebhooksConfig) -> Outcome:
    """One attempt: check the address again, connect to it as checked, sign at the moment of sending."""
    started_at = utcnow()
    began = time.perf_counter()

    def elapsed() -> int:
        return int((time.perf_counter() - began) * 1000)

    try:
        target = check_endpoint(item.url, config)
    except RefusedAddress as error:
        return Outcome(item, started_at, None, None, f"refused: {error}", None)
    request_headers = {
        **headers(item.msg_id, item.body, item.secrets, utcnow()),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "host": target.host_header,
    }
    extensions = {"sni_hostname": target.host} if target.url.scheme == "https" else {}
    deadline = began + config.timeout_seconds
    try:
        with client.stream(
            "POST", target.pinned_url(), content=item.body.encode(), headers=request_headers, extensions=extensions
        ) as response:
            kept = bytearray()
            for chunk in response.iter_bytes():
                kept.extend(chunk)
                if len(kept) >= config.response_chars * 4 or time.perf_counter() > deadline:
                    break
            text = kept.decode("utf-8", errors="replace")[: config.response_chars]
            error = None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
            if response.is_redirect:
                error = f"HTTP {response.status_code}: redirects are not followed"
            return Outcome(item, started_at, response.status_code, elapsed(), error, text)
    except httpx.HTTPError as error:
        return Outcome(item, started_at, None, elapsed(), f"{error.__class__.__name__}: {error}"[:1000], None)


def send_batch(items: Sequence[Outgoing], config: WebhooksConfig, client: httpx.Client | None = None) -> list[Outcome]:
    """Send ``items`` concurrently (``concurrency`` threads, one pooled client); every item gets an outcome."""
    if not items:
        return []
    own = client is None
    client = client or make_client(config)
    try:
        with ThreadPoolExecutor(max_workers=min(config.concurrency, len(items)), thread_name_prefix="webhook") as pool:
            return list(pool.map(lambda item: send_one(client, item, config), items))
    finally:
        if own:
            client.close()


def backoff(attempts: int, config: WebhooksConfig) -> timedelta:
    """Wait before the next attempt: base, 2x base, 4x base, ... capped, each drawn in [half, whole] (jitter,
    so deliveries that failed together do not all come back at the same second)."""
    ceiling = min(config.retry_base_seconds * 2 ** min(max(0, attempts - 1), 30), config.retry_max_seconds)
    return timedelta(seconds=_jitter.uniform(ceiling / 2, ceiling))


def record_outcomes(outcomes: Sequence[Outcome], holder: str, now: datetime, config: WebhooksConfig) -> list[int]:
    """Log every attempt and move each delivery on (delivered; due again after the back-off; failed once
    ``give_up_hours`` old), only where ``holder`` still holds the claim. Then track the endpoints' failure
    streaks; returns the endpoints disabled now (the caller mails their organisations)."""
    if not outcomes:
        return []
    db.session.execute(
        _insert_attempts_ignoring_duplicates(),
        [
            {
                "delivery_id": o.outgoing.delivery_id,
                "number": o.outgoing.number,
                "started_at": o.started_at,
                "outcome": "delivered" if o.delivered else "failed",
                "status_code": o.status_code,
                "latency_ms": o.latency_ms,
                "error": o.error,
                "response": o.response,
                "holder": holder,
            }  # fmt: skip
            for o in outcomes
        ],
    )
    created = dict(
        db.session.execute(
            select(WebhookDelivery.id, WebhookDelivery.created_at).where(
                WebhookDelivery.id.in_(sorted(o.outgoing.delivery_id for o in outcomes))
            )
        ).all()
    )
    give_up = timedelta(hours=config.give_up_hours)
    changes = []
    for o in outcomes:
        change = {
            "b_id": o.outgoing.delivery_id, "b_holder": holder, "b_number": o.outgoing.number,
            "b_state": "pending", "b_next": now, "b_delivered_at": None,
            "b_status": o.status_code, "b_error": o.error,
        }  # fmt: skip
        if o.delivered:
            change.update(b_state="delivered", b_delivered_at=now)
        elif now - created[o.outgoing.delivery_id] >= give_up:
            change.update(b_state="failed", b_error=f"gave up after {config.give_up_hours} hours: {o.error}")
        else:
            change.update(b_next=now + backoff(o.outgoing.number, config))
        changes.append(change)
    table = WebhookDelivery.__table__
    db.session.execute(
        update(table)
        .where(
            table.c.id == bindparam("b_id"), table.c.claimed_by == bindparam("b_holder"),
            table.c.attempts == bindparam("b_number"),
        )
        .values(
            state=bindparam("b_state"), next_attempt_at=bindparam("b_next"), claimed_by=None,
            delivered_at=bindparam("b_delivered_at"), last_status_code=bindparam("b_status"),
            last_error=bindparam("b_error"),
        )
        .execution_options(synchronize_session=False),
        changes,
    )  # fmt: skip
    return _track_endpoints(outcomes, now, config)


def _track_endpoints(outcomes: Iterable[Outcome], now: datetime, config: WebhooksConfig) -> list[int]:
    answered = {o.outgoing.endpoint_id for o in outcomes if o.delivered}
    failing = {o.outgoing.endpoint_id for o in outcomes if not o.delivered} - answered
    table = WebhookEndpoint.__table__
    if answered:
        db.session.execute(update(table).where(table.c.id.in_(sorted(answered))).values(failing_since=None))
    if not failing:
        return []
    first_failure = min(o.started_at for o in outcomes if o.outgoing.endpoint_id in failing)
    db.session.execute(
        update(table)
        .where(table.c.id.in_(sorted(failing)), table.c.failing_since.is_(None))
        .values(failing_since=func.coalesce(table.c.failing_since, first_failure))
    )
    cut_off = now - timedelta(hours=config.disable_after_hours)
    disabled = db.session.execute(
        update(table)
        .where(
            table.c.id.in_(sorted(failing)), table.c.state == "active",
            and_(table.c.failing_since.is_not(None), table.c.failing_since <= cut_off),
        )
        .values(
            state="disabled", disabled_at=now, version=table.c.version + 1,
            disabled_reason=f"every delivery failed for {config.disable_after_hours} hours",
        )
        .returning(table.c.id)
    ).scalars().all()  # fmt: skip
    return sorted(disabled)
