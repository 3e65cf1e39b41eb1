"""``kill -9`` of the scheduler in the middle of sending the recognition body's notice (issue 18, acceptance 3):
a real scheduler process sends to a real SMTP server that holds its answer to the notice; the process is
killed while it waits, the server then refuses (451) and goes down; a second scheduler process started after
the kill, while SMTP is still down, fails the attempt and waits; SMTP comes back and the notice arrives once,
with the national register number in clear in the mail only."""

from __future__ import annotations

import asyncio
import email
import os
import signal
import subprocess
import sys
import threading
from datetime import date
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from screening.catalogue.models import CriticalFunction
from screening.db import db
from screening.notifications.models import OutboxMessage
from screening.people.identifiers import make_national_number
from tests.conftest import Factory, data_context, fresh
from tests.faults.conftest import free_port, private_sqlite, stop_nodes, wait_for, write_config
from tests.faults.test_failover import NODE

pytestmark = pytest.mark.slow

BODY = "erkenning@havenarbeid.example"
NRN = make_national_number(date(1979, 5, 17), 321)
LEASE, TICK, JOB_LEASE = 2, 1, 4


class HoldingSMTP:
    """Holds its answer to the first message until released, then refuses it (451); accepts the rest."""

    def __init__(self, port: int) -> None:
        self.port, self.attempts = port, 0
        self.received: list[str] = []
        self.stalled, self.release = threading.Event(), threading.Event()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.attempts += 1
        if self.attempts == 1:
            self.stalled.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 60)
            return "451 4.3.0 try again later"
        if BODY in envelope.rcpt_tos:
            self.received.append(email.message_from_bytes(envelope.content, policy=default_policy).get_content())
        return "250 OK"


def _state() -> str:
    fresh()
    return db.session.scalar(select(OutboxMessage.state).where(OutboxMessage.recipient == BODY)) or ""


def _last_error() -> str:
    fresh()
    return db.session.scalar(select(OutboxMessage.last_error).where(OutboxMessage.recipient == BODY)) or ""


def test_the_notice_arrives_once_after_a_kill_mid_send_and_an_smtp_outage(make_app, backend, tmp_path):
    url = private_sqlite(tmp_path) if backend == "sqlite" else None
    port = free_port()
    mail = {"host": "127.0.0.1", "port": port, "starttls": False, "timeout_seconds": 30, "retry_base_seconds": 1,
            "retry_max_seconds": 1}  # fmt: skip
    scheduler = {"lease_seconds": LEASE, "job_lease_seconds": JOB_LEASE}
    recognition = {"email": BODY, "language": "en"}
    web = make_app(
        mail=mail, scheduler=scheduler, recognition=recognition, **({"database": {"url": url}} if url else {})
    )
    config = web.extensions["screening.config"]
    path = write_config(
        tmp_path / "screening.toml", config, config.database.url, mail=mail, scheduler=scheduler,
        recognition=recognition,
    )  # fmt: skip
    with data_context(web):
        factory = Factory(web)
        function = factory.function(category=1)
        db.session.execute(
            update(CriticalFunction).where(CriticalFunction.id == function.id).values(notify_recognition=True)
        )
        db.session.commit()
        person = factory.person_details(date_of_birth=date(1979, 5, 17), national_number=NRN)
        factory.application("final_negative", function=function, person=person)
        # only the notice is in the outbox: the setup's own mail is removed by the factory
        assert _state() == "pending"
    smtp = HoldingSMTP(port)
    smtp.start()
    logs = {name: (tmp_path / f"{name}.log").open("wb") for name in ("node-1", "node-2")}
    nodes: dict[str, subprocess.Popen[bytes]] = {}

    def start(name: str) -> None:
        nodes[name] = subprocess.Popen(
            [sys.executable, "-c", NODE, str(path), name, str(TICK)], stdout=logs[name], stderr=subprocess.STDOUT
        )

    try:
        start("node-1")
        assert smtp.stalled.wait(60), "node-1 never sent the notice"
        os.kill(nodes["node-1"].pid, signal.SIGKILL)  # mid-send: the server has not answered
        nodes["node-1"].wait(10)
        smtp.release.set()
        smtp.stop()  # and SMTP goes down
        start("node-2")
        with data_context(web):
            wait_for(lambda: "cannot reach" in _last_error(), 60, "node-2 tried while SMTP was down")
            assert smtp.received == []
            smtp.start()  # back
            wait_for(lambda: _state() == "sent", 60, "the notice sent after SMTP came back")
        nodes["node-2"].send_signal(signal.SIGTERM)
        assert nodes["node-2"].wait(30) == 0
    finally:
        stop_nodes(nodes.values(), logs.values())
        smtp.stop()
    assert len(smtp.received) == 1, smtp.received
    assert NRN in smtp.received[0]
    with data_context(web):
        fresh()
        (message,) = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == BODY))
        assert NRN not in message.body and message.attempts >= 3
