"""What one call of a scheduled scan did, and the small helpers every scan shares (applications,
clearances, reports): scans take at most ``limit`` due rows, skip those that could not be handled, and the
job (:mod:`scheduler.jobs`) commits and calls again until a batch comes back short."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, true


@dataclass(frozen=True)
class Batch:
    """What one call did: due rows taken (a full batch means there may be more), effects (messages written,
    transitions fired), rows that could not be handled and must be skipped by the next call, and, for
    batches paged by key (organisations), the last key."""

    scanned: int
    items: int
    skipped: tuple[int, ...] = ()
    last_id: int | None = None


def excluding(column: Any, skip: Collection[int]) -> ColumnElement[bool]:
    """The rows not in ``skip`` (those a previous call of the same run could not handle)."""
    return column.not_in(sorted(skip)) if skip else true()


def left(taken: Sequence[Any], done: Sequence[Any]) -> tuple[int, ...]:
    """The ids of the rows taken that were not handled: the next call skips them."""
    moved = {item.id for item in done}
    return tuple(item.id for item in taken if item.id not in moved)


def stamp(moment: datetime) -> str:
    """A moment as part of an idempotency key (the state's entry: a reminder per entry into the state)."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%S%f")


def digest(ids: Sequence[int]) -> str:
    """A short key for a set of rows (one officers' reminder listing a batch)."""
    return hashlib.sha256(",".join(map(str, sorted(ids))).encode()).hexdigest()[:16]
