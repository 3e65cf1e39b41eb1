"""Benchmark of the scheduler: every job once over a port community of 250,000 applications.

Seeds a fresh database (SQLite: a temporary file; PostgreSQL: the database ``screening_bench``, emptied
first) with bulk Core ``executemany`` inserts: organisations, accounts, persons, applications and
clearances in a steady state, where a fixed share of the files is due for some job and everything else is
*not yet* due or *already* handled (reminded, notified, erased) — the rows a careless scan would touch.
Then runs each job once, as the scheduler would, counting SQL statements with an engine event listener,
and prints time, items and statements per job. Mail goes over SMTP to an aiosmtpd server on loopback.

Reproduce (figures in docs/benchmarks-scheduler.md)::

    .venv/bin/python -m bench.scheduler --db sqlite
    .venv/bin/python -m bench.scheduler --db postgresql
    .venv/bin/python -m bench.scheduler --db sqlite --applications 25000 --due-count 2500

``--due`` is the share of all applications that is due (default 1 %); ``--due-count`` fixes the number
instead, to show that statements and time follow the due rows, not the size of the tables.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, insert, select, text, update
from sqlalchemy.engine import make_url

import screening.models  # noqa: F401 - the whole metadata
from screening import migrate
from screening.applications.models import Application
from screening.auth.models import User
from screening.catalogue.models import CriticalFunction
from screening.clearances.models import Clearance
from screening.clock import local_date
from screening.config import make_config
from screening.demo import FUNCTIONS
from screening.organisations.models import Organisation
from screening.people.models import Person
from screening.references import ReferenceCounter
from workflows.deadlines import appeal_deadline

DEFAULT_POSTGRES = "postgresql+psycopg://screening:screening@127.0.0.1:5432/screening_bench"
#: Monday 1 June 2026, 05:00 in Brussels: a week and a month have just ended.
NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
BATCH = 10_000

#: Share of the files that are *not* due, per state (the steady state of a port community).
STATE_MIX = {
    "draft": 0.02, "awaiting_consent": 0.03, "submitted": 0.20, "in_review": 0.14, "info_requested": 0.03,
    "negative": 0.002, "appealed": 0.005, "positive": 0.42, "covered": 0.06, "final_negative": 0.01,
    "withdrawn": 0.04, "consent_refused": 0.01, "consent_expired": 0.013,
}  # fmt: skip
#: What can be due, one category per job that selects rows (the overdue list counts rows too).
DUE_KINDS = (
    "consent_reminder", "consent_expiry", "info_reminder", "overdue_review", "appeal_window", "appeal_ruling",
    "clearance_notice", "clearance_expiry", "retention", "rescreening",
)  # fmt: skip
JOB_ORDER = (
    "consent_reminders", "consent_expiry", "info_reminders", "overdue_reviews", "appeal_windows",
    "appeal_ruling_reminders", "clearance_expiry_notices", "clearance_expiry", "retention_purge", "weekly_report",
    "rescreening",
)  # fmt: skip


# -- seeding -----------------------------------------------------------------------------------------------
@dataclass
class Seed:
    rng: random.Random
    organisations: int
    applications: list[dict[str, Any]] = field(default_factory=list)
    persons: list[dict[str, Any]] = field(default_factory=list)
    clearances: list[dict[str, Any]] = field(default_factory=list)
    covered: list[dict[str, Any]] = field(default_factory=list)
    due: Counter[str] = field(default_factory=Counter)

    def ago(self, low: float, high: float) -> datetime:
        return NOW - timedelta(seconds=self.rng.uniform(low * 86400, high * 86400))

    def add(self, state: str, **values: Any) -> dict[str, Any]:
        number = len(self.applications) + len(self.covered) + 1
        organisation = self.rng.randint(1, self.organisations)
        created = values.pop("created_at", None) or values.get("state_changed_at") or self.ago(1, 30)
        row: dict[str, Any] = {
            "id": number, "reference": f"SCR-2026-{number:06d}", "organisation_id": organisation,
            "person_id": number, "function_id": self.rng.randint(1, len(FUNCTIONS)), "state": state, "version": 1,
            "created_by_id": 50 + 2 * organisation - 1, "created_at": created, "state_changed_at": created,
            "submitted_at": None, "due_on": None, "decided_at": None, "advice_type": None, "grounds": None,
            "notified_at": None, "appeal_deadline": None, "appealed_at": None, "clearance_id": None,
            "reminded_at": None, "erased_at": None, "info_request": None,
        }  # fmt: skip
        row.update(values)
        row["created_at"] = min(row["created_at"], row["state_changed_at"], row["submitted_at"] or NOW)
        if row["submitted_at"] is not None and row["due_on"] is None:
            row["due_on"] = local_date(row["submitted_at"]) + timedelta(days=30)
        self.applications.append(row)
        self.persons.append(self._person(number, row["created_at"]))
        names = ("given_names", "family_name", "search_name", "date_of_birth", "nationality", "email", "locale")
        row.update({f"declared_{name}": self.persons[-1][name] for name in names})  # the file's declaration
        return row

    def _person(self, number: int, created: datetime) -> dict[str, Any]:
        given = self.rng.choice(["Jan", "Fatima", "Mehmet", "Anna", "Luc", "Marie", "Youssef", "Els"])
        family = self.rng.choice(["Peeters", "Janssens", "El Amrani", "Çelik", "Nowak", "Dubois", "Maes"])
        return {
            "id": number, "given_names": given, "family_name": f"{family}-{number}",
            "search_name": f"{family.lower()}-{number} {given.lower()}", "date_of_birth": date(1970, 1, 1)
            + timedelta(days=self.rng.randint(0, 12000)), "nationality": "BE", "identity_hash": f"{number:064x}",
            "national_number_encrypted": None, "national_number_masked": None, "document_number_encrypted": None,
            "email": f"person{number}@mail.example", "locale": self.rng.choice(["nl", "fr", "en"]),
            "created_at": created, "erased_at": None,
        }  # fmt: skip

    def decided(self, state: str, advice: str, decided: datetime, **values: Any) -> dict[str, Any]:
        submitted = decided - timedelta(days=self.rng.uniform(5, 40))
        return self.add(
            state, submitted_at=submitted, decided_at=decided, notified_at=decided, advice_type=advice,
            state_changed_at=values.pop("state_changed_at", decided), created_at=submitted - timedelta(days=3),
            **values,
        )  # fmt: skip

    def positive(
        self, valid_until: date, *, state: str = "valid", notice: int | None = None, rescreen: date | None = None,
        **values: Any,
    ) -> None:  # fmt: skip
        decided = datetime.combine(valid_until - timedelta(days=5 * 365 - 1), datetime.min.time(), tzinfo=UTC)
        row = self.decided(
            "positive", "positive", min(decided + timedelta(hours=10), NOW - timedelta(days=1)), **values
        )
        number = len(self.clearances) + 1
        self.clearances.append({
            "id": number, "reference": f"CLR-2026-{number:06d}", "person_id": row["person_id"],
            "application_id": row["id"], "advice_type": "positive", "state": state, "version": 1,
            "valid_from": local_date(row["decided_at"]), "valid_until": valid_until, "created_at": row["decided_at"],
            "state_changed_at": row["decided_at"], "revoked_at": None, "expiry_notice_days": notice,
            "expiry_notice_until": valid_until if notice else None, "erased_at": values.get("erased_at"),
            "rescreen_due_on": rescreen, "rescreen_opened_at": None,
        })  # fmt: skip
        row["_clearance"] = number


def seed_rows(applications: int, organisations: int, due: int, random_seed: int = 2026) -> Seed:
    rng = random.Random(random_seed)
    seed = Seed(rng, organisations)
    today = local_date(NOW)
    share, extra = divmod(due, len(DUE_KINDS))
    for index, kind in enumerate(DUE_KINDS):
        for _ in range(share + (1 if index < extra else 0)):
            _due(seed, kind, today)
            seed.due[kind] += 1
    states = list(STATE_MIX)
    weights = list(STATE_MIX.values())
    while len(seed.applications) < applications - int(applications * STATE_MIX["covered"]):
        state = rng.choices(states, weights)[0]
        if state != "covered":
            _not_due(seed, state, today)
    sources = [row for row in seed.applications if row["state"] == "positive"]
    while len(seed.applications) + len(seed.covered) < applications and sources:
        source = rng.choice(sources)
        number = len(seed.applications) + len(seed.covered) + 1
        organisation = rng.randint(1, organisations)
        seed.covered.append({
            **{key: value for key, value in source.items() if not key.startswith("_")},
            "id": number, "reference": f"SCR-2026-{number:06d}", "organisation_id": organisation,
            "created_by_id": 50 + 2 * organisation - 1, "state": "covered", "submitted_at": None, "due_on": None,
            "decided_at": None, "advice_type": None, "notified_at": None, "_clearance": source["_clearance"],
        })  # fmt: skip
    return seed


def _due(seed: Seed, kind: str, today: date) -> None:
    """One file (or clearance) due for exactly one job at NOW."""
    rng = seed.rng
    if kind == "consent_reminder":
        seed.add("awaiting_consent", state_changed_at=seed.ago(7.6, 28))
    elif kind == "consent_expiry":
        entered = seed.ago(31, 60)
        seed.add("awaiting_consent", state_changed_at=entered, reminded_at=entered + timedelta(days=7))
    elif kind == "info_reminder":
        seed.add("info_requested", submitted_at=seed.ago(20, 25), state_changed_at=seed.ago(7.6, 19))
    elif kind == "overdue_review":
        submitted = seed.ago(31, 60)
        seed.add(rng.choice(["submitted", "in_review"]), submitted_at=submitted, state_changed_at=submitted)
    elif kind == "appeal_window":
        notified = seed.ago(13, 30)
        seed.decided("negative", "negative", notified, appeal_deadline=appeal_deadline(local_date(notified)))
    elif kind == "appeal_ruling":
        appealed = seed.ago(31, 60)
        seed.decided(
            "appealed", "negative", appealed - timedelta(days=5), appealed_at=appealed, state_changed_at=appealed
        )
    elif kind == "clearance_notice":
        seed.positive(today + timedelta(days=rng.randint(91, 180)))
    elif kind == "clearance_expiry":
        seed.positive(today - timedelta(days=rng.randint(1, 3)), notice=30)
    elif kind == "retention":
        seed.add("withdrawn", state_changed_at=seed.ago(366, 700))
    elif kind == "rescreening":  # a valid category-1 clearance whose yearly re-screening day has come
        due_on = today - timedelta(days=rng.randint(0, 3))
        seed.positive(today + timedelta(days=rng.randint(400, 1400)), rescreen=due_on)


def _not_due(seed: Seed, state: str, today: date) -> None:
    """A file in ``state`` that no job has to act on at NOW: not yet due, or already handled."""
    rng = seed.rng
    handled = rng.random() < 0.5
    if state == "draft":
        seed.add("draft", state_changed_at=seed.ago(0, 60))
    elif state == "awaiting_consent":
        entered = seed.ago(8, 29) if handled else seed.ago(0, 6)
        seed.add(state, state_changed_at=entered, reminded_at=entered + timedelta(days=7) if handled else None)
    elif state in ("submitted", "in_review"):
        submitted = seed.ago(0, 29)
        seed.add(state, submitted_at=submitted, state_changed_at=submitted)
    elif state == "info_requested":
        entered = seed.ago(8, 20) if handled else seed.ago(0, 6)
        seed.add(state, submitted_at=seed.ago(21, 25), state_changed_at=entered,
                 reminded_at=entered + timedelta(days=7) if handled else None)  # fmt: skip
    elif state == "negative":
        notified = seed.ago(0, 7)
        seed.decided(state, "negative", notified, appeal_deadline=appeal_deadline(local_date(notified)))
    elif state == "appealed":
        appealed = seed.ago(31, 90) if handled else seed.ago(0, 29)
        seed.decided(state, "negative", appealed - timedelta(days=5), appealed_at=appealed, state_changed_at=appealed,
                     reminded_at=appealed + timedelta(days=30) if handled else None)  # fmt: skip
    elif state == "positive":
        roll = rng.random()
        if roll < 0.10:  # in the notice window, notice of the current level already sent
            ahead = rng.randint(0, 180)
            level = 30 if ahead <= 30 else 90 if ahead <= 90 else 180
            seed.positive(today + timedelta(days=ahead), notice=level)
        elif roll < 0.80:  # half of them re-screened yearly, not yet due
            rescreen = today + timedelta(days=rng.randint(1, 365)) if handled else None
            seed.positive(today + timedelta(days=rng.randint(181, 5 * 365 - 2)), rescreen=rescreen)
        elif roll < 0.90:  # expired less than a year ago: kept
            ended = today - timedelta(days=rng.randint(4, 364))
            seed.positive(ended, state="expired", notice=30)
        else:  # expired long ago: already erased
            ended = today - timedelta(days=rng.randint(366, 1500))
            seed.positive(ended, state="expired", notice=30, erased_at=NOW - timedelta(days=1))
    elif state == "final_negative":
        decided = seed.ago(10, 1800)
        seed.decided(state, "negative", decided)
    elif state in ("withdrawn", "consent_refused", "consent_expired"):
        if handled:
            seed.add(state, state_changed_at=seed.ago(366, 1500), erased_at=NOW - timedelta(days=1))
        else:
            seed.add(state, state_changed_at=seed.ago(0, 364))


def _chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), BATCH):
        yield [{k: v for k, v in row.items() if not k.startswith("_")} for row in rows[start : start + BATCH]]


def write(engine: Engine, seed: Seed) -> None:
    """Bulk inserts: one executemany per 10,000 rows."""
    organisations = [
        {"id": n, "name": f"Port employer {n}", "enterprise_number": f"0{400000000 + n}", "code": f"org{n:04d}",
         "contact_email": f"security@org{n}.example" if n % 2 else None, "active": True, "created_at": NOW}
        for n in range(1, seed.organisations + 1)
    ]  # fmt: skip
    users = [
        {"id": n, "username": f"officer{n}", "display_name": f"Officer {n}", "email": f"officer{n}@authority.example",
         "role": "officer", "organisation_id": None, "source": "local", "active": True, "locale": "nl"}
        for n in range(1, 51)
    ]  # fmt: skip
    for org in range(1, seed.organisations + 1):
        for offset, role in ((1, "requester"), (2, "hr")):
            users.append({
                "id": 50 + 2 * org - 2 + offset, "username": f"{role}{org}", "display_name": f"{role} {org}",
                "email": f"{role}@org{org}.example", "role": role, "organisation_id": org, "source": "local",
                "active": True, "locale": ("nl", "fr", "en")[org % 3],
            })  # fmt: skip
    functions = [
        {"id": n, "code": code, "name_en": en, "name_nl": nl, "name_fr": fr, "category": category, "active": True}
        for n, (code, en, nl, fr, category) in enumerate(FUNCTIONS, start=1)
    ]
    with engine.begin() as connection:
        connection.execute(insert(Organisation.__table__), organisations)
        connection.execute(insert(User.__table__), users)
        connection.execute(insert(CriticalFunction.__table__), functions)
        for chunk in _chunks(seed.persons):
            connection.execute(insert(Person.__table__), chunk)
        for chunk in _chunks(seed.applications):
            connection.execute(insert(Application.__table__), chunk)
        for chunk in _chunks(seed.clearances):
            connection.execute(insert(Clearance.__table__), chunk)
        for row in seed.covered:
            row["clearance_id"] = row["_clearance"]
        for chunk in _chunks(seed.covered):
            connection.execute(insert(Application.__table__), chunk)
        linked = select(Clearance.id).where(Clearance.application_id == Application.id).scalar_subquery()
        connection.execute(update(Application).where(Application.state == "positive").values(clearance_id=linked))
        total = len(seed.applications) + len(seed.covered)
        counters = [{"name": "SCR-2026", "value": total}, {"name": "CLR-2026", "value": len(seed.clearances)}]
        connection.execute(insert(ReferenceCounter.__table__), counters)
        if engine.dialect.name == "postgresql":
            for table in ("organisations", "users", "persons", "applications", "clearances", "critical_functions"):
                connection.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
                )
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))


# -- running ---------------------------------------------------------------------------------------------
@dataclass
class Measure:
    job: str
    items: int
    seconds: float
    statements: int


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Sink:
    received = 0

    async def handle_DATA(self, _server: Any, _session: Any, _envelope: Any) -> str:
        _Sink.received += 1
        return "250 OK"


def run_jobs(url: str, monthly: bool) -> tuple[list[Measure], int]:
    from aiosmtpd.controller import Controller

    from scheduler.runner import run_job
    from screening.app import create_app

    port = _free_port()
    controller = Controller(_Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        app = create_app(make_config(database={"url": url}, mail={"host": "127.0.0.1", "port": port,
                                                                  "starttls": False, "batch_size": 500}))  # fmt: skip
        engine = app.extensions["screening.engine"]
        statements = [0]

        @event.listens_for(engine, "before_cursor_execute")
        def _count(*_args: Any) -> None:
            statements[0] += 1

        measures = []
        jobs = [*JOB_ORDER, *(("monthly_reports",) if monthly else ()), "deliver_mail"]
        for name in jobs:
            statements[0] = 0
            started = time.perf_counter()
            result = run_job(app, name, holder="bench", now=NOW)
            elapsed = time.perf_counter() - started
            if result.status != "done":
                raise SystemExit(f"{name}: {result}")
            measures.append(Measure(name, result.items, elapsed, statements[0]))
        engine.dispose()
    finally:
        controller.stop()
    return measures, _Sink.received


def prepare(db: str, url: str | None) -> tuple[str, Path | None]:
    if db == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="bench-scheduler-"))
        return f"sqlite:///{folder / 'bench.db'}", folder
    url = url or os.environ.get("SCREENING_BENCH_POSTGRES_URL", DEFAULT_POSTGRES)
    target = make_url(url)
    server = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}
        ).first()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{target.database}" OWNER "{target.username}"'))
    server.dispose()
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url, None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--url", default=None, help="PostgreSQL URL (default: screening_bench on localhost)")
    parser.add_argument("--applications", type=int, default=250_000)
    parser.add_argument("--organisations", type=int, default=2_000)
    parser.add_argument("--due", type=float, default=0.01, help="share of the applications that is due")
    parser.add_argument("--due-count", type=int, default=None, help="number of due rows (overrides --due)")
    parser.add_argument("--no-monthly", action="store_true", help="skip the monthly reports (one PDF per organisation)")
    args = parser.parse_args(argv)

    url, folder = prepare(args.db, args.url)
    engine = create_engine(url)
    migrate.upgrade(engine)
    due = args.due_count if args.due_count is not None else round(args.applications * args.due)
    started = time.perf_counter()
    seed = seed_rows(args.applications, args.organisations, due)
    write(engine, seed)
    engine.dispose()
    total = len(seed.applications) + len(seed.covered)
    print(f"# {args.db}: {total:,} applications, {len(seed.clearances):,} clearances, {args.organisations:,} "
          f"organisations; {sum(seed.due.values()):,} due ({dict(seed.due)}); seeded in "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip

    measures, received = run_jobs(url, monthly=not args.no_monthly)
    print(f"{'job':<26}{'items':>8}{'seconds':>10}{'statements':>12}")
    for m in measures:
        print(f"{m.job:<26}{m.items:>8}{m.seconds:>10.3f}{m.statements:>12}")
    scans = [m for m in measures if m.job in JOB_ORDER]
    print(f"{'all deadline jobs + weekly':<26}{sum(m.items for m in scans):>8}{sum(m.seconds for m in scans):>10.3f}"
          f"{sum(m.statements for m in scans):>12}")  # fmt: skip
    print(f"SMTP server received {received} messages")
    elapsed = sum(m.seconds for m in scans)
    print(f"target (all deadline jobs + weekly report < 2 s): {'met' if elapsed < 2 else 'missed'} ({elapsed:.2f} s)")
    if folder is not None:
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
