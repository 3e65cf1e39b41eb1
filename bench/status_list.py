"""Benchmark of the status list: 100,000 entries served whole, beside a baseline of the same rows.

- **baseline**: the same entries selected with the list's own select (same engine, dates as text) and
  joined into lines: no signature, no Flask, no token.
- **ours**: ``GET /api/v1/status-list`` through the app (WSGI, in process) with an access-control token:
  the token's lookup, one query, the text built, signed with Ed25519 (the certificate key), and, for JSON,
  the JSON written beside it; the body read to its end. Also the delta after one more entry.

Reproduce (figures in docs/benchmarks.md)::

    .venv/bin/python -m bench.status_list                    # SQLite, 100,000 entries, 5 rounds
    .venv/bin/python -m bench.status_list --db postgresql
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

import screening.models  # noqa: F401 - the whole metadata
from bench.webhooks import _database

STATUSES = ("revoked", "expired", "suspended", "reinstated")


def _codes(n: int) -> list[dict[str, Any]]:
    """``n`` entries with distinct codes in the printed shape, dates spread over a year."""
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    rows = []
    start, written = date(2026, 1, 1), datetime(2026, 12, 2, tzinfo=UTC)
    for i in range(n):
        digits = "".join(alphabet[(i >> (5 * k)) & 31] for k in range(12))
        code = f"{digits[:4]}-{digits[4:8]}-{digits[8:]}"
        rows.append(
            {"code": code, "status": STATUSES[i % 4], "entered_on": start + timedelta(days=i % 365),
             "created_at": written}
        )  # fmt: skip
    return rows


def _median(call: Callable[[], int], rounds: int) -> tuple[float, int]:
    times, size = [], 0
    for _ in range(rounds):
        began = time.perf_counter()
        size = call()
        times.append(time.perf_counter() - began)
    return statistics.median(times), size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    from screening.actors import Actor
    from screening.api.operations import create_token
    from screening.app import create_app
    from screening.auth.operations import create_user
    from screening.certificates.signing import generate_keypair
    from screening.config import make_config
    from screening.db import db
    from screening.organisations.operations import save_organisation
    from screening.people.identifiers import make_enterprise_number
    from screening.statuslist.models import StatusEntry
    from screening.statuslist.queries import _entries

    url = _database(args.db, Path(tempfile.mkdtemp(prefix="bench-status-list-")))
    config = make_config(
        database={"url": url}, certificates={"private_key": generate_keypair().private_pem.decode()},
        api={"rate_limit": 1_000_000},
    )  # fmt: skip
    app = create_app(config)
    with app.app_context():
        admin_actor = Actor(label="bench", role="admin")
        gates = save_organisation(
            admin_actor, name="Bench gates", code="gates", enterprise_number=make_enterprise_number(7_654_321),
            kind="access_control",
        )  # fmt: skip
        admin = create_user(
            admin_actor, username="bench-admin", display_name="Bench admin", role="admin",
            password=None,  # it never signs in: it only makes the token
        )  # fmt: skip
        _token, secret = create_token(Actor.of(admin), name="bench", scopes=("access-control",), organisation=gates)
        rows = _codes(args.entries)
        for start in range(0, len(rows), 10_000):
            db.session.execute(insert(StatusEntry), rows[start : start + 10_000])
        db.session.commit()

        def baseline() -> int:
            result = db.session.execute(_entries(args.db))  # the list's own select: dates as text
            text = "".join([f"{c} {s} {d} {n}\n" for n, c, s, d in result])
            db.session.rollback()
            return len(text)

        base, base_size = _median(baseline, args.rounds)

    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}

    def served(path: str, accept: str) -> Callable[[], int]:
        def call() -> int:
            response = client.get(path, headers={**headers, "Accept": accept})
            assert response.status_code == 200, response.status_code
            return len(response.get_data())

        return call

    text_time, text_size = _median(served("/api/v1/status-list", "text/plain"), args.rounds)
    json_time, json_size = _median(served("/api/v1/status-list", "application/json"), args.rounds)
    delta_time, _size = _median(served(f"/api/v1/status-list?since={args.entries - 1}", "application/json"), 20)
    print(f"{args.db}, {args.entries:,} entries, median of {args.rounds} rounds")
    print(f"baseline (select + join, no signature, no HTTP): {base * 1000:7.1f} ms  {base_size:,} bytes")
    print(f"GET text (signed):                               {text_time * 1000:7.1f} ms  {text_size:,} bytes"
          f"  ratio {text_time / base:.2f}")  # fmt: skip
    print(f"GET JSON (signed):                               {json_time * 1000:7.1f} ms  {json_size:,} bytes"
          f"  ratio {json_time / base:.2f}")  # fmt: skip
    print(f"GET JSON delta of one entry (median of 20):      {delta_time * 1000:7.1f} ms")
    app.extensions["screening.engine"].dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
