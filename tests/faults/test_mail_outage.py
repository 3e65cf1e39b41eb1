"""SMTP down past the old give-up point (issue 14, acceptance 4): a 6-hour outage on a moved clock.

Before, every message was failed for good after 8 attempts (about 2 h 7 min of back-off) and nothing resent
them. Now the horizon is a duration (3 days) and the back-off is capped at 15 minutes: when the server comes
back every queued message is delivered, once, within one capped wait."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from screening.db import db
from screening.notifications.operations import Mail, Recipient, enqueue
from tests.conftest import data_context
from tests.faults.conftest import free_port
from tests.scheduler.conftest import T0, SMTPServer, mail_settings, outbox, run

pytestmark = pytest.mark.slow

MESSAGES = 30
#: Where the old code gave up: 8 attempts, waits of 1, 2, 4, ... 64 minutes.
OLD_GIVE_UP = timedelta(minutes=1 + 2 + 4 + 8 + 16 + 32 + 64)


def test_every_queued_mail_is_delivered_once_after_a_six_hour_smtp_outage(make_app):
    port = free_port()
    app = make_app(mail=mail_settings(port, batch_size=7))  # several batches per run
    smtp = SMTPServer(port)  # not started: the outage
    context = {"kind": "operations", "organisation": "", "period_start": "2026-03-02", "period_last_day": "2026-03-08",
               "link": "https://x"}  # fmt: skip
    try:
        with data_context(app):
            mails = [
                Mail(f"outage:{n}", Recipient(f"p{n}@example.org", "en"), "report_ready", context)
                for n in range(MESSAGES)
            ]
            assert enqueue(mails, T0) == MESSAGES
            db.session.commit()
            moment = T0
            while moment <= T0 + timedelta(hours=6):  # the scheduler's every-minute runs, one in five kept
                run(app, "deliver_mail", moment)
                if moment - T0 > OLD_GIVE_UP + timedelta(minutes=5) and moment - T0 < OLD_GIVE_UP + timedelta(
                    minutes=10
                ):
                    assert {m.state for m in outbox()} == {"pending"}  # past the old give-up point: still waiting
                moment += timedelta(minutes=5)
            waiting = outbox()
            assert {m.state for m in waiting} == {"pending"} and min(m.attempts for m in waiting) > 8
            assert all("cannot reach 127.0.0.1" in (m.last_error or "") for m in waiting)

            smtp.start()  # SMTP returns after six hours
            back = T0 + timedelta(hours=6, minutes=1)
            for minute in range(16):  # every minute, as scheduled: within one capped wait (15 min) all have gone
                run(app, "deliver_mail", back + timedelta(minutes=minute))
            delivered = [(m.state, m.sent_at, m.recipient) for m in outbox()]
            run(app, "deliver_mail", back + timedelta(hours=1))  # and nothing goes twice later
    finally:
        smtp.stop()
    assert Counter(state for state, _at, _to in delivered) == {"sent": MESSAGES}
    assert max(at for _state, at, _to in delivered) - back <= timedelta(minutes=15)
    ids = [str(message["Message-ID"]) for message in smtp.messages]
    assert len(ids) == MESSAGES == len(set(ids))  # sent = received, no duplicate Message-ID
    assert sorted(str(message["To"]) for message in smtp.messages) == sorted(to for _state, _at, to in delivered)
