"""Benchmark of webhook delivery: 1,000 deliveries to a receiver on loopback, beside bare POSTs.

The receiver is ``http.server`` (threading) in a process of its own, verifying every signature with
``standardwebhooks``' ``Webhook.verify`` and answering 200. Two runs against it, alternating:

- **baseline**: the same 1,000 bodies POSTed with the same client (one ``httpx.Client``, the same pool and
  thread count as the sender), nothing else: no database, no signing, no address check.
- **ours**: 1,000 events written through ``webhooks.events.emit`` (one delivery each), then the
  ``deliver_webhooks`` job as the scheduler runs it: claim in batches under a lease, check the address,
  sign, send concurrently, log every attempt, commit.

Reproduce (figures in docs/benchmarks.md)::

    .venv/bin/python -m bench.webhooks                 # SQLite, 1,000 deliveries, 3 rounds
    .venv/bin/python -m bench.webhooks --db postgresql --rounds 1
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, delete, select, text
from sqlalchemy.engine import make_url

import screening.models  # noqa: F401 - the whole metadata
from screening import migrate

DEFAULT_POSTGRES = "postgresql+psycopg://screening:screening@127.0.0.1:5432/screening_bench"


class _Server(ThreadingHTTPServer):
    """A listen backlog for 20 concurrent senders (http.server's default of 5 resets connections beyond it)."""

    request_queue_size = 128
    daemon_threads = True


def _receiver(port: Any, counter: Any, rejected: Any, secret: str, ready: Any) -> None:
    from standardwebhooks.webhooks import Webhook, WebhookVerificationError

    verifier = Webhook(secret)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as an HR system's server would

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.headers.get("webhook-signature"):
                try:
                    verifier.verify(body, dict(self.headers.items()))
                except WebhookVerificationError:
                    with rejected.get_lock():
                        rejected.value += 1
            with counter.get_lock():
                counter.value += 1
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_args: Any) -> None:
            return

    server = _Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port.value = server.server_address[1]
    ready.set()
    server.serve_forever()


def _post(client: Any, target: str, content: bytes) -> Any:
    """A bare POST of one body (the baseline)."""
    return client.post(target, content=content, headers={"content-type": "application/json"})


def _database(db: str, workdir: Path) -> str:
    if db == "sqlite":
        url = f"sqlite:///{workdir / 'bench.db'}"
    else:
        url = os.environ.get("SCREENING_BENCH_POSTGRES_URL", DEFAULT_POSTGRES)
        server = make_url(url)
        admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{server.database}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{server.database}"'))
        admin.dispose()
    engine = create_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--deliveries", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=100)
    args = parser.parse_args()

    from scheduler.jobs import deliver_webhooks
    from screening.actors import Actor
    from screening.app import create_app
    from screening.config import make_config
    from screening.db import db, writer
    from screening.extensions import settings, vault
    from screening.organisations.operations import save_organisation
    from screening.people.identifiers import make_enterprise_number
    from screening.webhooks import operations
    from screening.webhooks.delivery import make_client
    from screening.webhooks.events import EVENT_TYPES, Notice, body, emit
    from screening.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEvent

    workdir = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    url = _database(args.db, workdir)
    webhooks = {
        "allow_private_addresses": True, "allow_http": True, "concurrency": args.concurrency,
        "batch_size": args.batch_size, "lease_seconds": 600,
    }  # fmt: skip
    app = create_app(make_config(database={"url": url}, webhooks=webhooks))
    with app.app_context():
        admin = Actor(label="bench", role="admin")
        organisation = save_organisation(
            admin, name="Bench employer", code="bench", enterprise_number=make_enterprise_number(1_234_567)
        )
        organisation_id = organisation.id
        requester = Actor(label="bench-requester", role="requester", organisation_id=organisation_id)
        db.session.commit()

    port, counter, rejected = (
        multiprocessing.Value("i", 0),
        multiprocessing.Value("i", 0),
        multiprocessing.Value("i", 0),
    )
    ready = multiprocessing.Event()
    secret_holder: dict[str, Any] = {}
    with app.app_context():
        # The endpoint's URL needs the receiver's port, the receiver needs the secret: subscribe to a
        # placeholder, start the receiver, then point the endpoint at it.
        created = operations.subscribe(
            requester, vault(), settings().webhooks, url="http://127.0.0.1:9/", event_types=list(EVENT_TYPES),
            description="bench", now=datetime.now(UTC),
        )  # fmt: skip
        secret_holder["secret"], endpoint_id = created.secret, created.endpoint.id
        db.session.commit()
    process = multiprocessing.Process(
        target=_receiver, args=(port, counter, rejected, secret_holder["secret"], ready), daemon=True
    )
    process.start()
    ready.wait(10)
    target = f"http://127.0.0.1:{port.value}/hooks"
    with app.app_context():
        from screening.webhooks.models import WebhookEndpoint

        db.session.get(WebhookEndpoint, endpoint_id).url = target
        db.session.commit()

    def data(n: int) -> dict[str, Any]:
        link = f"https://screening.example.org/applications/{n}"
        return {"reference": f"SCR-2026-{n:06d}", "external_id": None, "state": "in_review", "link": link}

    bodies = [body("application.state_changed", data(n), datetime.now(UTC)).encode() for n in range(args.deliveries)]
    baseline_times: list[float] = []
    ours_times: list[float] = []
    try:
        for round_number in range(1, args.rounds + 1):
            # Baseline: bare POSTs, same client, same threads.
            with app.app_context():
                client = make_client(settings().webhooks)
            started = time.perf_counter()
            with client, ThreadPoolExecutor(max_workers=args.concurrency) as pool:
                statuses = [r.status_code for r in pool.map(partial(_post, client, target), bodies)]
            baseline_times.append(time.perf_counter() - started)
            assert statuses.count(200) == args.deliveries, statuses[:5]

            # Ours: the events written (untimed: the change's own transaction writes them), then the job.
            with app.app_context():
                notices = [
                    Notice(organisation_id, "application.state_changed", data(n)) for n in range(args.deliveries)
                ]
                emit(notices, datetime.now(UTC))
                db.session.commit()
            before = counter.value
            with app.app_context(), writer():
                started = time.perf_counter()
                delivered = deliver_webhooks(datetime.now(UTC))
                ours_times.append(time.perf_counter() - started)
            if delivered != args.deliveries:
                with app.app_context():
                    errors = db.session.scalars(
                        select(WebhookAttempt.error).where(WebhookAttempt.outcome != "delivered")
                    )
                    print(f"round {round_number}: {args.deliveries - delivered} not delivered: {sorted(set(errors))}")
            if counter.value - before != args.deliveries:
                print(f"round {round_number}: the receiver counted {counter.value - before}")
            print(
                f"round {round_number}: baseline {baseline_times[-1]:.2f} s "
                f"({args.deliveries / baseline_times[-1]:.0f}/s), ours {ours_times[-1]:.2f} s "
                f"({args.deliveries / ours_times[-1]:.0f}/s), ratio {baseline_times[-1] / ours_times[-1]:.2f}",
                flush=True,
            )
            with app.app_context():
                for model in (WebhookAttempt, WebhookDelivery, WebhookEvent):
                    db.session.execute(delete(model))
                db.session.commit()
    finally:
        process.terminate()
        process.join(5)
        app.extensions["screening.engine"].dispose()
    base, ours = statistics.median(baseline_times), statistics.median(ours_times)
    print(
        f"{args.db}, {args.deliveries} deliveries, concurrency {args.concurrency}, batch {args.batch_size}: "
        f"baseline median {base:.2f} s, ours median {ours:.2f} s (best {min(ours_times):.2f} s), "
        f"throughput ratio {base / ours:.2f}; signatures rejected by the receiver: {rejected.value}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    return 0 if rejected.value == 0 and max(ours_times) < 10 else 1


if __name__ == "__main__":
    sys.exit(main())
