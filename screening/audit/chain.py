"""The hash chain of the audit trail's first years: pure functions, no model and no database.

``entry_hash = SHA-256(previous entry's hash || canonical content)``, the canonical content being the
entry's fields as compact JSON in a fixed order (the id is left out: the order of the chain is the order of
ids). The two fields that may hold personal data, the free-text ``reason`` and the ``client_address``, enter
the chain through their digest (``redactable_digest``): erasure sets both to NULL and the chain still
verifies, while any other change to them is caught by the digest.

Migrations 0004 (which chained the entries written before it) and 0008 (which checks the chain once more
and seals its entries as the first leaves of the Merkle log, :mod:`screening.audit.log`) use these
functions; nothing else writes a chain any more.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

#: The hash the first entry of the trail chains to.
GENESIS_HASH = "0" * 64
#: The hashed fields, in their hashed order.
FIELDS = (
    "at", "actor_user_id", "actor", "role", "action", "object_type", "object_id", "organisation_id",
    "from_state", "to_state", "redactable_digest",
)  # fmt: skip
#: Fields that erasure may remove (together); the chain covers their digest instead of their text.
REDACTABLE = ("reason", "client_address")
HEAD_ID = 1


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def canonical(entry: Mapping[str, Any]) -> bytes:
    """The entry's content as it is hashed: a JSON array of :data:`FIELDS`, compact, UTF-8."""
    values = [_value(entry[name]) for name in FIELDS]
    return json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode()


def redactable_digest(reason: str | None, client_address: str | None) -> str:
    """SHA-256 of the two erasable fields: what the chain (and the Merkle log's leaf) covers instead of them."""
    return hashlib.sha256(json.dumps([reason, client_address], ensure_ascii=False).encode()).hexdigest()


def chain_hash(previous: str, entry: Mapping[str, Any]) -> str:
    return hashlib.sha256(previous.encode() + b"\n" + canonical(entry)).hexdigest()


@dataclass(frozen=True)
class Verdict:
    """The outcome of a check: ``broken_id`` names the first entry whose hash does not match, if any."""

    entries: int
    broken_id: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


class ChainCheck:
    """Walks the chain entry by entry (rows in id order, any number of batches): memory stays constant."""

    def __init__(self) -> None:
        self.previous, self.count = GENESIS_HASH, 0
        self.verdict: Verdict | None = None

    def feed(self, rows: Iterable[Any]) -> bool:
        """Check these rows (with ``id``, ``entry_hash``, the :data:`FIELDS` and :data:`REDACTABLE`);
        False once an entry is broken (then :attr:`verdict` names it)."""
        for row in rows:
            erased = row.reason is None and row.client_address is None
            if not erased and redactable_digest(row.reason, row.client_address) != row.redactable_digest:
                self.verdict = Verdict(self.count, row.id, "its reason or address was changed")
                return False
            if row.entry_hash != chain_hash(self.previous, row._mapping):
                self.verdict = Verdict(self.count, row.id, "its content or its place in the chain was changed")
                return False
            self.previous = row.entry_hash
            self.count += 1
        return True

    def end(self, head_hash: str | None, head_entries: int | None) -> Verdict:
        """The verdict once every row was fed, given the recorded chain head (None when there is none)."""
        if self.verdict is not None:
            return self.verdict
        if head_hash is None and self.count == 0:
            return Verdict(0)
        if head_hash != self.previous or head_entries != self.count:
            return Verdict(self.count, None, "the trail ends before the recorded chain head: entries were removed")
        return Verdict(self.count)
