"""Two scheduler processes (real OS processes, each with its own engine) against one database: every job
runs once. Both are released at the same moment and fire every job, as two nodes would at 08:00."""

from __future__ import annotations

import json
import subprocess
import sys

from sqlalchemy import select

from scheduler.jobs import JOBS
from screening.db import db
from screening.jobs.models import JobRun
from screening.notifications.models import OutboxMessage
from tests.conftest import data_context, fresh
from tests.scheduler.conftest import T0, World, days

NODE = """
import json, sys
from datetime import datetime
from scheduler.jobs import JOBS
from scheduler.runner import SchedulerProcess
from screening.app import create_app
from screening.config import load_config

process = SchedulerProcess(create_app(load_config(sys.argv[1])), holder=sys.argv[2])
now = datetime.fromisoformat(sys.argv[3])
print("ready", flush=True)
sys.stdin.readline()  # the start signal: both nodes fire at once
print(json.dumps({name: process.tick(name, now).status for name in JOBS}), flush=True)
"""


def _private_sqlite(tmp_path) -> dict[str, str]:
    """On SQLite the nodes get a database file of their own: other processes opening the suite's shared file
    (memory-mapped by this process's pooled connections) made later tests fail with "disk I/O error"."""
    from sqlalchemy import create_engine

    from screening import migrate

    url = f"sqlite:///{tmp_path / 'nodes.db'}"
    engine = create_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return {"url": url}


def test_two_scheduler_processes_run_each_job_once(make_app, backend, tmp_path):
    web = make_app(database=_private_sqlite(tmp_path)) if backend == "sqlite" else make_app()
    config = web.extensions["screening.config"]
    with data_context(web):
        world = World(web)
        for state in ("awaiting_consent", "info_requested", "appealed", "negative"):
            world.application(state)
    path = tmp_path / "screening.toml"
    path.write_text(
        f'[app]\nsecret_key = "{config.app.secret_key}"\n'
        f'[database]\nurl = "{config.database.url}"\n'
        f'[security]\nidentifier_keys = ["{config.security.identifier_keys[0]}"]\n'
        f'lookup_key = "{config.security.lookup_key}"\n'
        f'[audit]\nsigning_key = """{config.audit.signing_key}"""\n',
        encoding="utf-8",
    )
    now = (T0 + days(31)).isoformat()
    nodes = [
        subprocess.Popen(
            [sys.executable, "-c", NODE, str(path), f"node-{n}", now],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for n in (1, 2)
    ]
    try:
        for node in nodes:
            assert node.stdout.readline().strip() == "ready", node.stderr.read()
        for node in nodes:
            node.stdin.write("go\n")
            node.stdin.flush()
        outcomes = [json.loads(node.stdout.readline()) for node in nodes]
    finally:
        for node in nodes:
            node.stdin.close()
            node.wait(timeout=60)
            node.stdout.close()
            node.stderr.close()

    done = sorted(name for outcome in outcomes for name, status in outcome.items() if status == "done")
    assert done == sorted(JOBS)  # each job once, by whichever node holds the lease
    assert all(status in ("done", "skipped") for outcome in outcomes for status in outcome.values())
    with data_context(web):
        fresh()
        assert sorted(db.session.scalars(select(JobRun.job))) == sorted(JOBS)
        keys = db.session.scalars(select(OutboxMessage.idempotency_key)).all()
        assert keys and len(keys) == len(set(keys))
