"""The sealer's operations, shared by the scheduled job (``seal_audit_log``), the demo and the CLI.

:func:`seal_log` seals what is committed, one transaction (and one signed head) per batch;
:func:`export_daily_head` hands the last head of each past day to the auditors, where the database
administrator cannot rewrite it: a JSON file in ``audit.export_directory``, and the exported head
returned so that the caller mails it to ``audit.auditors_address`` (audit sits below notifications:
the mail is enqueued by :func:`screening.notifications.audit_heads.mail_exported_head`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from screening.audit.keys import AuditKeys
from screening.audit.log import LogError, Sealed, head_document, heads, seal
from screening.config import Config
from screening.db import db


def seal_log(keys: AuditKeys, now: datetime, config: Config) -> Sealed:
    """Seal every committed entry not sealed yet, committing after each batch."""
    if keys.signing_key is None:
        raise LogError("no audit signing key: set audit.signing_key_file or $SCREENING_AUDIT_SIGNING_KEY")
    return seal(db.session.connection, keys, now, limit=config.audit.seal_batch_size, commit=db.session.commit)


@dataclass(frozen=True)
class ExportedHead:
    """The last signed head of a past day, as exported: its day (local), tree size and JSON text."""

    day: str
    tree_size: int
    text: str


def export_name(head: dict[str, object], day: str) -> str:
    return f"audit-head-{day}-{head['tree_size']}.json"


def export_daily_head(now: datetime, config: Config) -> ExportedHead | None:
    """Export the last head signed before today (local time) if it was not exported yet, and return it
    (None when there was nothing new to export)."""
    zone = ZoneInfo(config.scheduler.timezone)
    midnight = datetime.combine(now.astimezone(zone).date(), time(), zone)
    connection = db.session.connection()
    row = connection.execute(
        select(heads).where(heads.c.signed_at < midnight).order_by(heads.c.tree_size.desc()).limit(1)
    ).first()
    if row is None or row.exported_at is not None:
        return None
    document = head_document(row)
    day = row.signed_at.astimezone(zone).date().isoformat()
    text = json.dumps(document, indent=2) + "\n"
    settings = config.audit
    if settings.export_directory:
        directory = Path(settings.export_directory)
        directory.mkdir(parents=True, exist_ok=True)
        temporary = directory / f".{export_name(document, day)}.tmp"
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, directory / export_name(document, day))  # whole or not at all
    connection.execute(update(heads).where(heads.c.id == row.id).values(exported_at=now))
    return ExportedHead(day=day, tree_size=row.tree_size, text=text)
