"""Mail that outlives a long outage (issue 14): failed messages sent again in bulk from the outbox page and
the command line (audited), and the administrators warned when mail has failed for more than an hour."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from screening.audit.models import AuditEntry
from screening.cli import main
from screening.clock import utcnow
from screening.db import db
from screening.notifications.models import OutboxMessage
from screening.notifications.operations import Mail, Recipient, enqueue
from tests.conftest import csrf_token, fresh, sign_in
from tests.scheduler.conftest import T0, SMTPServer, World, days, mail_settings, outbox, run

CONTEXT = {"kind": "operations", "organisation": "", "period_start": "2026-03-02", "period_last_day": "2026-03-08",
           "link": "https://x"}  # fmt: skip


def _failed(key: str, written: datetime, template: str = "report_ready", error: str = "gave up after 72 hours") -> int:
    """A message given up after an outage (or refused for good), as delivery leaves it."""
    enqueue([Mail(key, Recipient(f"{key}@example.org", "en"), "report_ready", CONTEXT)], written)
    db.session.execute(
        update(OutboxMessage).where(OutboxMessage.idempotency_key.startswith(f"{key}|"))
        .values(state="failed", attempts=9, last_error=error, template=template)
    )  # fmt: skip
    db.session.commit()
    return db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.idempotency_key.startswith(f"{key}|")))


def _states() -> dict[str, str]:
    fresh()
    return {m.idempotency_key.split("|")[0]: m.state for m in db.session.scalars(select(OutboxMessage))}


def test_failed_mail_is_sent_again_in_bulk_from_the_outbox_page(world: World):
    admin = world.user("admin")
    _failed("a", T0, "consent_reminder")
    _failed("b", T0 + days(1), "consent_reminder")
    _failed("c", T0 + days(1), "report_ready")
    _failed("d", T0 + days(3), "consent_reminder")
    client = sign_in(world.app.test_client(), admin)
    page = client.get("/admin/outbox")
    assert "Send failed messages again" in page.text and '<option value="consent_reminder">' in page.text
    token = csrf_token(page.text)

    assert client.post("/admin/outbox/retry", data={"template": "consent_reminder"}).status_code == 400  # no CSRF
    officer = sign_in(world.app.test_client(), world.officer)
    officer_token = csrf_token(officer.get("/home").text)
    assert officer.post("/admin/outbox/retry", data={"csrf_token": officer_token}).status_code == 403
    backwards = {"csrf_token": token, "first_day": "2026-03-05", "last_day": "2026-03-02"}
    assert (
        "The last day comes before the first."
        in client.post("/admin/outbox/retry", data=backwards, follow_redirects=True).text
    )
    unknown = {"csrf_token": token, "template": "nope"}
    assert client.post("/admin/outbox/retry", data=unknown).status_code == 302
    assert set(_states().values()) == {"failed"}  # refused: nothing changed

    # One kind, written on 2 and 3 March (Brussels days): a and b, not c (another kind) nor d (5 March).
    chosen = {"csrf_token": token, "template": "consent_reminder", "first_day": "2026-03-02", "last_day": "2026-03-03"}
    answer = client.post("/admin/outbox/retry", data=chosen, follow_redirects=True)
    assert "2 messages will be sent again at the next delivery run." in answer.text
    assert _states() == {"a": "pending", "b": "pending", "c": "failed", "d": "failed"}
    (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "retry_mail_bulk"))
    assert entry.actor == admin.username and entry.reason == (
        "2 messages; template=consent_reminder, written 2026-03-02 to 2026-03-03"
    )
    client.post("/admin/outbox/retry", data={"csrf_token": token})  # the rest: every failed message
    assert set(_states().values()) == {"pending"}
    retried = outbox()
    assert {(m.attempts, m.next_attempt_at > T0 + days(30)) for m in retried} == {(0, True)}  # due now, afresh


def test_failed_mail_is_sent_again_from_the_command_line(world: World, config_file):
    path = config_file
    _failed("a", T0, "consent_reminder")
    _failed("b", T0 + days(1), "report_ready")
    runner = CliRunner()
    bad = runner.invoke(main, ["--config", str(path), "mail", "retry", "--from", "yesterday"])
    assert bad.exit_code == 2 and "'yesterday' is not a day (YYYY-MM-DD)" in bad.output
    assert set(_states().values()) == {"failed"}
    done = runner.invoke(main, ["--config", str(path), "mail", "retry", "--kind", "report_ready"])
    assert done.exit_code == 0, done.output
    assert "1 failed messages will be sent again at the next delivery run (template=report_ready" in done.output
    assert _states() == {"a": "failed", "b": "pending"}
    everything = runner.invoke(main, ["--config", str(path), "mail", "retry"])
    assert everything.exit_code == 0 and everything.output.startswith("1 failed messages")
    fresh()
    actors = db.session.scalars(select(AuditEntry.actor).where(AuditEntry.action == "retry_mail_bulk")).all()
    assert actors == ["cli", "cli"]


@pytest.fixture
def operator_app(make_app, smtp_port: int):
    from tests.conftest import data_context

    app = make_app(mail=mail_settings(smtp_port, operator_address="ops@authority.example"))
    with data_context(app):
        yield app


def test_admins_are_warned_when_mail_has_failed_for_more_than_an_hour(operator_app: Any, smtp_server: SMTPServer):
    """The banner reads the outbox as of the real clock, so this story is told around the real now."""
    world = World(operator_app)
    admin, real = world.user("admin"), utcnow()
    client = sign_in(operator_app.test_client(), admin)

    def banner(page: str = "/admin/jobs") -> bool:
        return "Mail is not being delivered." in client.get(page).text

    _pending("recent", real - timedelta(minutes=30))
    run(operator_app, "deliver_mail", real - timedelta(minutes=30))  # SMTP down: failing for 30 minutes only
    assert not banner() and outbox("mail_failing") == []
    _pending("old", real - timedelta(minutes=95))
    run(operator_app, "deliver_mail", real - timedelta(minutes=28))  # "old" has failed for over an hour now
    run(operator_app, "deliver_mail", real - timedelta(minutes=20))
    (warning,) = outbox("mail_failing")  # the operator's mail, once per incident
    assert warning.recipient == "ops@authority.example" and "1 messages are waiting" in warning.body
    assert banner() and banner("/admin/outbox")  # on every admin page
    assert "1 messages are waiting" in client.get("/admin/jobs").text
    officer = sign_in(operator_app.test_client(), world.officer)
    assert "Mail is not being delivered." not in officer.get("/home").text

    smtp_server.start()
    run(operator_app, "deliver_mail", real + timedelta(minutes=16))  # the back-off (at most 15 min) came round
    assert {m.state for m in outbox()} == {"sent"}
    assert sorted(str(m["To"]) for m in smtp_server.messages) == sorted(m.recipient for m in outbox())
    assert not banner()


def _pending(key: str, written: datetime) -> None:
    enqueue([Mail(key, Recipient(f"{key}@example.org", "en"), "report_ready", CONTEXT)], written)
    db.session.commit()


def test_demo_in_a_directory_it_cannot_write_says_so_in_one_line(tmp_path, monkeypatch):
    import subprocess

    from tests.conftest import require_service

    locked = tmp_path / "locked"
    locked.mkdir()
    if subprocess.run(["chattr", "+i", str(locked)], capture_output=True, check=False).returncode:
        require_service("chattr +i", "cannot make a directory immutable here")
    try:
        monkeypatch.chdir(locked)
        monkeypatch.delenv("SCREENING_CONFIG", raising=False)
        result = CliRunner().invoke(main, ["demo", "--no-serve"])
    finally:
        subprocess.run(["chattr", "-i", str(locked)], check=True)
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"error: cannot write the demo's files in {locked}/var (Operation not permitted): run `screening demo` in a "
        "directory you can write to, or pass --config with a configuration of your own"
    ]
    assert "Traceback" not in result.output
