"""The per-token rate limit, held across the nodes of a cluster without a database write per call.

A fixed window per token: ``limit`` calls per ``window`` seconds. Each worker process counts its own calls in
memory and now and then adds them to the token's row of ``api_rate_counts`` (keyed by token and window
start) in a short transaction of its own after the request, learning the cluster's total in the same
statement (``INSERT ... ON CONFLICT DO UPDATE ... RETURNING count``). A process allows a call while the
total it knows plus its own uncounted calls stays under the limit. It adds its calls:

- after the first call of a window (so a process that just started learns what the others did),
- when its uncounted calls reach a tenth of what was left of the limit when it last learnt the total
  (at least one: near the limit every call is added),
- and at least every ``sync_seconds`` (so the RateLimit header follows the other nodes).

So far from the limit a busy token costs one short write per process per second. The cluster passes the
limit only by the calls its processes allowed and had not added yet: one per process when they all learnt
the total recently, at worst a tenth of the limit per process (docs/api.md, "Rate limit").
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from flask import current_app, g
from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from screening.api.models import RateCount
from screening.db import writing_session

#: A process adds its calls when they reach this share of what was left of the limit.
SHARE = 10


@dataclass(frozen=True)
class Allowance:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int
    window_seconds: int


@dataclass
class _Count:
    """One token's window as this process sees it."""

    window_start: int
    known: int = 0  # the cluster's total when this process last added its calls
    pending: int = 0  # this process's calls not added yet
    sending: int = 0  # calls being added right now (by another thread of this process)
    synced_at: float | None = None  # when the total was last learnt (None: not in this window)

    @property
    def used(self) -> int:
        return self.known + self.sending + self.pending


class RateLimiter:
    """The counts of this process, and what it last learnt of the cluster's."""

    def __init__(self, limit: int, window: int, sync_seconds: float = 1.0) -> None:
        self.limit = limit
        self.window = window
        self.sync_seconds = sync_seconds
        self._lock = threading.Lock()
        self._counts: dict[int, _Count] = {}

    def hit(self, token_id: int, now: float | None = None) -> tuple[Allowance, bool]:
        """Count a call of ``token_id``; also whether this process should add its calls after the request."""
        now = time.time() if now is None else now
        window_start = int(now // self.window) * self.window
        with self._lock:
            count = self._counts.get(token_id)
            if count is None or count.window_start != window_start:
                if len(self._counts) > 10_000:  # forget the windows that are over
                    self._counts = {k: c for k, c in self._counts.items() if c.window_start == window_start}
                count = self._counts[token_id] = _Count(window_start)
            allowed = count.used < self.limit
            if allowed:
                count.pending += 1
            due = allowed and self._due(count, now)
            remaining = max(0, self.limit - count.used)
        reset = max(1, int(window_start + self.window - now + 0.999))
        return Allowance(allowed, self.limit, remaining, reset, self.window), due

    def _due(self, count: _Count, now: float) -> bool:
        if count.synced_at is None or now - count.synced_at >= self.sync_seconds:
            return True
        return count.pending >= max(1, (self.limit - count.known) // SHARE)

    def take(self, token_id: int) -> tuple[int, int] | None:
        """The window and the calls to add now (marked as being sent), or None when there are none."""
        with self._lock:
            count = self._counts.get(token_id)
            if count is None or count.pending == 0:
                return None
            sent, count.pending = count.pending, 0
            count.sending += sent
            return count.window_start, sent

    def learn(self, token_id: int, window_start: int, sent: int, total: int | None, now: float) -> None:
        """The calls were added and the cluster's total is ``total``; or, with None, adding them failed and
        they stay this process's own, to be added with the next ones."""
        with self._lock:
            count = self._counts.get(token_id)
            if count is None or count.window_start != window_start:
                return  # the window is over
            count.sending -= sent
            count.synced_at = now  # after a failure too: tried again in sync_seconds, not on every call
            if total is None:
                count.pending += sent
                return
            count.known = max(count.known, total)


def rate_headers(allowance: Allowance) -> dict[str, str]:
    """The IETF RateLimit fields (draft-ietf-httpapi-ratelimit-headers-11): the policy and what is left."""
    return {
        "RateLimit-Policy": f'"per-token";q={allowance.limit};w={allowance.window_seconds}',
        "RateLimit": f'"per-token";r={allowance.remaining};t={allowance.reset_seconds}',
    }


def limiter() -> RateLimiter:
    return current_app.extensions["screening.api_limiter"]


def share_counts() -> None:
    """After the request's own commit or rollback: add this process's calls of the token to the cluster's
    count and learn the total, in a short transaction of its own (never inside the request: on SQLite a
    writing request holds the write lock). A failure keeps the calls for the next time."""
    token_id = g.pop("api_rate_sync", None)
    if token_id is None:
        return
    rates = limiter()
    taken = rates.take(token_id)
    if taken is None:
        return
    window_start, sent = taken
    total: int | None = None
    try:
        with writing_session() as session:
            total = session.execute(_add(session.get_bind().dialect.name, token_id, window_start, sent)).scalar_one()
            if total == sent:  # the window's first count of this token: its older windows are over
                session.execute(
                    delete(RateCount).where(RateCount.token_id == token_id, RateCount.window_start < window_start)
                )
    except SQLAlchemyError:
        current_app.logger.warning("API rate counts not shared this time", exc_info=True)
    rates.learn(token_id, window_start, sent, total, time.time())


def _add(dialect: str, token_id: int, window_start: int, calls: int) -> Any:
    """Add ``calls`` to the token's count of the window, answering the new count: one statement."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(RateCount).values(token_id=token_id, window_start=window_start, count=calls)
    return statement.on_conflict_do_update(
        index_elements=[RateCount.token_id, RateCount.window_start],
        set_={"count": RateCount.count + statement.excluded.count},
    ).returning(RateCount.count)
