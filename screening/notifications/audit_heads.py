"""The auditors' mail of each day's exported audit head (the sealer in screening/audit/ exports it; audit
sits below notifications, so the mail is enqueued here, by the faces that run the sealer)."""

from __future__ import annotations

from datetime import datetime

from screening.audit.sealing import ExportedHead
from screening.config import Config
from screening.notifications.operations import Mail, Recipient, enqueue


def mail_exported_head(exported: ExportedHead | None, now: datetime, config: Config) -> None:
    """Queue the exported head for ``audit.auditors_address`` (once per head: the key names its size)."""
    if exported is None or not config.audit.auditors_address:
        return
    recipient = Recipient(config.audit.auditors_address, config.app.default_locale)
    context = {"day": exported.day, "head": exported.text, "tree_size": exported.tree_size}
    enqueue([Mail(f"audit_head:{exported.tree_size}", recipient, "audit_head", context)], now)
