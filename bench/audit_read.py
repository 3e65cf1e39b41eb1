"""What the audited read itself costs: the officer's file view with grounds (audited) beside the very same
page read by an auditor (grounds shown, no audited read) and the officer's file view without grounds,
interleaved in one process, as CPU time per request (robust to other jobs on the machine).

Uses the database and configuration ``bench/pages.py`` seeded (run it once first, e.g. with
``--applications 20000``)::

    .venv/bin/python -m bench.audit_read sqlite
    .venv/bin/python -m bench.audit_read postgresql
"""

from __future__ import annotations

import re
import sys
import time

from flask.testing import FlaskClient
from sqlalchemy import create_engine, func, select

from bench.pages import WORK, choose_targets
from bench.seed import BENCH_PASSWORD
from screening.app import create_app
from screening.audit.models import AuditEntry
from screening.config import load_config


def main() -> int:
    backend = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    config = load_config(WORK / f"pages-{backend}.toml")
    app = create_app(config)
    engine = create_engine(config.database.url)
    targets = choose_targets(engine, 0)

    def signed_in(username: str) -> FlaskClient:
        client = app.test_client()
        token = re.search(r'csrf_token[^>]*value="([^"]+)"', client.get("/login").text)
        form = {"username": username, "password": BENCH_PASSWORD, "csrf_token": token.group(1) if token else ""}
        assert client.post("/login", data=form).status_code == 302
        return client

    grounds, review = f"/applications/{targets.detail_grounds}", f"/applications/{targets.detail_officer}"
    cases = [
        ("officer, file with grounds (audited read)", signed_in("officer-01"), grounds),
        ("auditor, the same page (no audited read)", signed_in("auditor-01"), grounds),
        ("officer, file in review (no grounds)", signed_in("officer-01"), review),
    ]
    cpu = dict.fromkeys((label for label, _c, _p in cases), 0.0)
    requests = 0
    for _round in range(5):
        for label, client, path in cases:
            started = time.process_time()
            for _ in range(20):
                assert client.get(path).status_code == 200
            cpu[label] += time.process_time() - started
        requests += 20
    trail = AuditEntry.object_type == "application", AuditEntry.object_id == targets.detail_grounds
    with engine.connect() as connection:
        entries = connection.scalar(select(func.count()).select_from(AuditEntry).where(*trail))
    engine.dispose()
    print(f"{backend}: the file with grounds has {entries} audit entries in its timeline after the run")
    for label, total in cpu.items():
        print(f"{backend}: {label}: {1000 * total / requests:.2f} ms CPU per request ({requests} requests)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
