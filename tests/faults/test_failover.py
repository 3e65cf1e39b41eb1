"""``kill -9`` of the active scheduler in the middle of a delivery (issue 14, acceptance 1).

Two real ``SchedulerProcess`` processes (each its own engine, the real APScheduler loop, the heartbeat) send
to a real SMTP server that stalls on one message; the active one is killed while it waits for the answer.
The first mail after the kill must leave within the scheduler lease plus one tick (about two minutes at the
defaults; here short leases and a one-second tick, so the test takes seconds), not when the dead process's
job lease lapses; and every message arrives exactly once."""

from __future__ import annotations

import asyncio
import email
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from screening.clock import utcnow
from screening.db import db
from screening.jobs import leases
from screening.notifications.models import OutboxMessage
from screening.notifications.operations import Mail, Recipient, enqueue
from tests.conftest import data_context, fresh
from tests.faults.conftest import free_port, private_sqlite, stop_nodes, wait_for, write_config

pytestmark = pytest.mark.slow

#: Short leases so the test runs in seconds; the job lease is far longer than lease + tick on purpose: a run
#: that waited for the dead process's job lease to lapse would fail the bound below.
LEASE, TICK, JOB_LEASE = 2, 1, 10
MESSAGES, BATCH, STALL_AT = 24, 5, 3

NODE = """
import logging, sys
from apscheduler.triggers.interval import IntervalTrigger
from scheduler.runner import SchedulerProcess
from screening.app import create_app
from screening.config import load_config

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
process = SchedulerProcess(create_app(load_config(sys.argv[1])), holder=sys.argv[2])
scheduler = process.build()
for job in scheduler.get_jobs():
    if job.id == "deliver_mail":
        job.reschedule(IntervalTrigger(seconds=float(sys.argv[3])))  # cron ticks each minute; the test, each second
    elif job.id != "heartbeat":
        job.remove()
process.run(scheduler)
"""


class StallingSMTP:
    """Accepts every message except the ``stall_at``-th, whose answer it holds until released, then refuses
    (451): the sender is killed while it waits, before the server accepted the message."""

    def __init__(self, port: int, stall_at: int) -> None:
        self.port, self.stall_at = port, stall_at
        self.attempts = 0
        self.received: list[tuple[float, str]] = []  # (monotonic time, Message-ID)
        self.stalled, self.release, self.arrived = threading.Event(), threading.Event(), threading.Condition()
        self.controller = Controller(self, hostname="127.0.0.1", port=port)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.attempts += 1
        if self.attempts == self.stall_at:
            self.stalled.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 60)
            return "451 4.3.0 try again later"
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        with self.arrived:
            self.received.append((time.monotonic(), str(message["Message-ID"])))
            self.arrived.notify_all()
        return "250 OK"


def test_the_first_mail_after_killing_the_active_scheduler_leaves_within_a_lease_and_a_tick(
    make_app, backend, tmp_path
):
    url = private_sqlite(tmp_path) if backend == "sqlite" else None
    smtp_port = free_port()
    mail = {"host": "127.0.0.1", "port": smtp_port, "starttls": False, "timeout_seconds": 30, "batch_size": BATCH}
    scheduler = {"lease_seconds": LEASE, "job_lease_seconds": JOB_LEASE}
    web = make_app(mail=mail, scheduler=scheduler, **({"database": {"url": url}} if url else {}))
    config = web.extensions["screening.config"]
    engine = web.extensions["screening.engine"]
    path = write_config(tmp_path / "screening.toml", config, config.database.url, mail=mail, scheduler=scheduler)
    smtp = StallingSMTP(smtp_port, STALL_AT)
    smtp.controller.start()
    nodes: dict[str, subprocess.Popen[bytes]] = {}
    logs = {name: (tmp_path / f"{name}.log").open("wb") for name in ("node-1", "node-2")}
    try:

        def start(name: str) -> None:
            nodes[name] = subprocess.Popen(
                [sys.executable, "-c", NODE, str(path), name, str(TICK)], stdout=logs[name], stderr=subprocess.STDOUT
            )

        start("node-1")
        wait_for(lambda: (leases.current(engine, leases.SCHEDULER) or ("",))[0] == "node-1", 60, "node-1 active")
        start("node-2")
        wait_for(
            lambda: b"scheduler node-2 starting" in (tmp_path / "node-2.log").read_bytes(), 60, "node-2 standing by"
        )
        _write_mail(web)  # once both run: node-1 sends it, node-2 stands by
        assert smtp.stalled.wait(60), "node-1 never reached the stalling message"
        os.kill(nodes["node-1"].pid, signal.SIGKILL)  # in the middle of a delivery: job:deliver_mail held
        killed = time.monotonic()
        nodes["node-1"].wait(10)
        smtp.release.set()
        with smtp.arrived:
            assert smtp.arrived.wait_for(lambda: any(at > killed for at, _id in smtp.received), timeout=60)
        first_after = min(at for at, _id in smtp.received if at > killed) - killed
        with smtp.arrived:
            assert smtp.arrived.wait_for(lambda: len(smtp.received) >= MESSAGES, timeout=JOB_LEASE + 60)
        nodes["node-2"].send_signal(signal.SIGTERM)
        assert nodes["node-2"].wait(30) == 0
    finally:
        stop_nodes(nodes.values(), logs.values())
        smtp.controller.stop()
    log2 = (tmp_path / "node-2.log").read_text()
    # The bound of the acceptance: the scheduler lease plus one tick (and some scheduling noise of a loaded
    # machine, far less than the job lease the old code waited for).
    print(f"first mail {first_after:.2f} s after kill -9 (lease {LEASE} s, tick {TICK} s, job lease {JOB_LEASE} s)")
    assert first_after <= LEASE + TICK + 2 < JOB_LEASE, (first_after, log2[-3000:])
    assert "node-2 took over from node-1; released its job leases: job:deliver_mail" in log2
    ids = [message_id for _at, message_id in smtp.received]
    assert len(ids) == MESSAGES and not [i for i, n in Counter(ids).items() if n > 1]  # received once each
    with data_context(web):
        fresh()
        states = Counter(db.session.scalars(select(OutboxMessage.state)))
    assert states == {"sent": MESSAGES}  # sent = received


def _write_mail(web: Any) -> None:
    context = {"kind": "operations", "organisation": "", "period_start": "2026-03-02", "period_last_day": "2026-03-08",
               "link": "https://x"}  # fmt: skip
    with data_context(web):
        mails = [
            Mail(f"fault:{n}", Recipient(f"p{n}@example.org", "en"), "report_ready", context) for n in range(MESSAGES)
        ]
        assert enqueue(mails, utcnow()) == MESSAGES
        db.session.commit()
