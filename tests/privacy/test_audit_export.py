"""Each day's last signed head leaves the database: a JSON file in audit.export_directory, a mail to the
auditors' address through the outbox, and the auditor's page; exported once, and it verifies offline."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from scheduler.runner import run_job
from screening.audit import offline
from screening.audit.models import AuditTreeHead
from screening.audit.setup import audit_keys
from screening.db import db
from screening.notifications.models import OutboxMessage
from tests.conftest import Factory, data_context, fresh, sign_in

DAY1 = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


def test_the_last_head_of_a_day_is_exported_once_by_file_mail_and_page(make_app, tmp_path):
    folder = tmp_path / "heads"
    web = make_app(audit={"export_directory": str(folder), "auditors_address": "auditors@example.org"})
    with data_context(web):
        factory = Factory(web)
        factory.application("negative")
        fresh()
        assert run_job(web, "seal_audit_log", holder="test", now=DAY1).status == "done"
        factory.application("draft")
        fresh()
        assert run_job(web, "seal_audit_log", holder="test", now=DAY1 + timedelta(hours=2)).status == "done"
        assert list(folder.glob("*.json")) == []  # the day is not over
        # the next morning: the previous day's last head (the second) goes out, once
        for _ in range(2):
            assert run_job(web, "seal_audit_log", holder="test", now=DAY1 + timedelta(hours=18)).status == "done"
        fresh()
        last = db.session.scalars(select(AuditTreeHead).order_by(AuditTreeHead.tree_size.desc())).first()
        files = list(folder.glob("*.json"))
        assert [f.name for f in files] == [f"audit-head-2026-11-30-{last.tree_size}.json"]
        exported = json.loads(files[0].read_text())
        assert exported["tree_size"] == last.tree_size and exported["root_hash"] == last.root_hash
        assert offline.verify_head(exported, audit_keys().public_keys) is None
        mails = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "auditors@example.org")).all()
        assert len(mails) == 1 and last.root_hash in mails[0].body and "2026-11-30" in mails[0].subject
        page = sign_in(web.test_client(), factory.user("auditor")).get("/audit")
        assert page.status_code == 200
        assert last.root_hash in page.text and f"{last.tree_size} entries sealed" in page.text
