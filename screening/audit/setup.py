"""The audit trail's start-up step, :func:`init_audit`: nothing happens on import.

It reads the audit key (outside the database) and listens on the sessions of this app's own session
factory (``db.session_factory``), so every entry any of them flushes gets the digest of its erasable
fields; sessions of other code (a migration, a tool) are left alone, and the column's NOT NULL refuses
an entry written without it.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from screening.audit.keys import AuditKeyError, AuditKeys, load_audit_keys
from screening.audit.models import AuditEntry
from screening.audit.offline import redactable_digest
from screening.config import Config, ConfigError
from screening.db import session_factory

_EXTENSION = "screening.audit_keys"


def init_audit(app: Flask, config: Config) -> None:
    """Load the audit key and digest the erasable fields of the entries flushed by this app's sessions."""
    try:
        app.extensions[_EXTENSION] = load_audit_keys(config)
    except AuditKeyError as error:
        raise ConfigError(str(error)) from None
    event.listen(session_factory(app), "before_flush", _digest_new_entries)


def audit_keys() -> AuditKeys:
    return current_app.extensions[_EXTENSION]


def _digest_new_entries(session: Session, _context: Any, _instances: Any) -> None:
    for entry in session.new:
        if isinstance(entry, AuditEntry) and not entry.redactable_digest:
            entry.redactable_digest = redactable_digest(entry.reason, entry.client_address)
