"""Bulk seeding for benchmarks: a port community at the scale of the brief, in minutes.

``seed(engine)`` fills an empty, migrated schema with 250,000 applications of 2,000 organisations, their
persons, clearances, accounts and audit trail, with a realistic spread of states, organisation sizes and
dates. It writes through SQLAlchemy Core ``executemany`` in batches, not through the operations: building
a quarter of a million files one transition at a time would take hours, and a benchmark needs the shape of
the data (row counts, index selectivity, dates), not the side effects. Every row still satisfies the
schema's CHECK and foreign-key constraints, ids are explicit (and the PostgreSQL sequences moved past
them), and the reference counters are advanced, so the real application can keep working on the result.

``due_fraction`` is the share of the rows in each deadline-bearing state that are past their deadline
today (consent reminder, review due date, information reminder, appeal window, appeal ruling, clearance
expiry notice): scheduler benchmarks vary it to show that a scan touches only what is due.

Command line (the schema is created by the migrations; ``--reset`` empties the database first)::

    .venv/bin/python -m bench.seed --url sqlite:///var/bench/seed.db --reset
    .venv/bin/python -m bench.seed --url postgresql+psycopg://screening:screening@127.0.0.1/screening_bench \\
        --config var/bench/screening.toml --applications 250000 --organisations 2000 --due-fraction 0.05
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import Connection, Engine, create_engine, func, insert, select, text, update
from werkzeug.security import generate_password_hash

import screening.models  # noqa: F401 - the whole metadata, so every table is known
from screening import migrate
from screening.applications.models import Application
from screening.audit.models import AuditEntry
from screening.audit.offline import redactable_digest
from screening.auth.models import User
from screening.catalogue.models import CriticalFunction
from screening.clearances.models import Clearance
from screening.clock import local_date
from screening.db import Base
from screening.demo import FUNCTIONS
from screening.organisations.models import Organisation
from screening.people.identifiers import make_enterprise_number, make_national_number, mask_national_number
from screening.people.models import Person
from screening.people.operations import search_key
from screening.references import ReferenceCounter
from screening.vault import IdentifierVault
from workflows.deadlines import appeal_deadline

#: Password of every seeded account (benchmarks sign in through the real form).
BENCH_PASSWORD = "bench-password-0000"  # noqa: S105 - a throw-away benchmark database

#: Share of applications per final or current state. A backlog of ~40 % in the officers' queue is the
#: worst case the brief foresees (the ~10,000 Antwerp dockworkers still to come on top of the routine flow).
STATE_MIX: dict[str, float] = {
    "draft": 0.020,
    "awaiting_consent": 0.040,
    "submitted": 0.220,
    "in_review": 0.140,
    "info_requested": 0.035,
    "appealed": 0.005,
    "positive": 0.410,
    "covered": 0.060,
    "negative": 0.002,
    "final_negative": 0.008,
    "consent_refused": 0.008,
    "consent_expired": 0.012,
    "withdrawn": 0.040,
}

#: Weight of each critical function of the demo catalogue (dockworkers dominate).
FUNCTION_WEIGHTS = {"DOCK": 45, "SEC": 12, "CARGO": 20, "ICT": 6, "AGENT": 5, "CRANE": 7, "PLAN": 5}

NATIONALITIES = [("BE", 76), ("NL", 8), ("MA", 3), ("TR", 3), ("PL", 3), ("RO", 2), ("FR", 2), ("BG", 1), ("PT", 2)]

#: Common family names of the port's workforce, most frequent first (searches hit these).
FAMILY_NAMES = [
    "Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens", "Wouters", "De Smet",
    "Dubois", "Lambert", "Dupont", "Martin", "Hermans", "Peeters-Claes", "Vermeulen", "Van den Broeck", "Aerts",
    "Michiels", "De Backer", "Pauwels", "Hendrickx", "Van Damme", "Smets", "Segers", "Verhoeven", "Declercq",
    "Leclercq", "Desmet", "Lemmens", "Coppens", "Stevens", "Verstraete", "Wauters", "Van de Velde", "Simon",
    "Laurent", "Mathieu", "Renard", "Dumont", "Thys", "El Amrani", "Benali", "Haddad", "Bakkali", "Yilmaz",
    "Kaya", "Demir", "Celik", "Sahin", "Ozturk", "Nowak", "Kowalski", "Wisniewski", "Wojcik", "Popescu",
    "Ionescu", "Georgiev", "Dimitrov", "Silva", "Santos", "Ferreira", "De Vries", "Bakker", "Visser", "Smit",
    "Meijer", "De Jong", "Jansen", "Van Dijk", "Mulder", "Bos",
]  # fmt: skip
GIVEN_NAMES = [
    "Jan", "Pieter", "Luc", "Marc", "Tom", "Kevin", "Bram", "Wim", "Dirk", "Koen", "Stijn", "Youssef",
    "Mohamed", "Ahmed", "Mehmet", "Ali", "Piotr", "Andrei", "Ivan", "Joao", "Marie", "Anna", "Sophie", "Lotte",
    "Ine", "Nadia", "Fatima", "Elif", "Hanne", "Sarah", "Emma", "Julie", "Laura", "Eva", "Ana", "Olga", "Maria",
    "Els",
]  # fmt: skip
_SYLLABLES = "ba be bo da de di do el en er ga ge go ha he ja ka ke la le li lo ma me mi na ne ni no ra re ri ro sa "
_SYLLABLES += "se si ta te ti to va ve vi wa we"


@dataclass(frozen=True)
class SeedSummary:
    """What was written, for the benchmark's report and to pick users and organisations from."""

    applications: int
    organisations: int
    persons: int
    clearances: int
    users: int
    audit_entries: int
    states: dict[str, int]
    seconds: float
    password: str = BENCH_PASSWORD
    organisation_sizes: dict[str, int] = field(default_factory=dict)


@dataclass
class _Plan:
    """One application before it is written: its path through the workflow and the moments of each step."""

    state: str
    organisation: int
    function: int
    events: list[tuple[str, datetime]]
    id: int = 0
    person: int = 0
    #: For ``covered``: the positive application whose clearance covers the person.
    source: _Plan | None = None
    clearance: int = 0
    clearance_state: str = ""
    clearance_until: date | None = None
    advice_type: str | None = None

    @property
    def created_at(self) -> datetime:
        return self.events[0][1]

    @property
    def state_changed_at(self) -> datetime:
        return self.events[-1][1]

    def moment(self, *events: str) -> datetime | None:
        return next((at for event, at in reversed(self.events) if event in events), None)


def _days(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(seconds=rng.uniform(low * 86_400, high * 86_400))


class _Planner:
    """Draws each application's path and dates so that ``due_fraction`` of each watched state is due today."""

    def __init__(self, rng: random.Random, now: datetime, due_fraction: float) -> None:
        self.rng = rng
        self.now = now
        self.due = due_fraction

    def _is_due(self) -> bool:
        return self.rng.random() < self.due

    def _forward(self, start: datetime, steps: Sequence[tuple[str, float, float]]) -> list[tuple[str, datetime]]:
        moments = [("create", start)]
        at = start
        for event, low, high in steps:
            at = at + _days(self.rng, low, high)
            moments.append((event, at))
        return moments

    def _anchored(
        self, steps: Sequence[tuple[str, float, float]], key: str, low: datetime, high: datetime
    ) -> list[tuple[str, datetime]]:
        """The path with its ``key`` event placed between ``low`` and ``high`` (and nothing after now)."""
        events = self._forward(self.now, steps)
        key_at = next(at for event, at in events if event == key)
        after = events[-1][1] - key_at
        high = min(high, self.now - after - timedelta(minutes=5))
        low = min(low, high - timedelta(hours=1))
        target = low + (high - low) * self.rng.random()
        shift = target - key_at
        return [(event, at + shift) for event, at in events]

    def _window(self, due: bool, days: int, *, span: int = 60) -> tuple[datetime, datetime]:
        """Past the deadline of ``days`` (due) or still within it."""
        if due:
            return self.now - timedelta(days=days + span), self.now - timedelta(days=days, hours=1)
        return self.now - timedelta(days=days - 1), self.now

    def plan(self, state: str) -> tuple[list[tuple[str, datetime]], str | None]:
        """The events leading to ``state`` with their moments (none in the future), and the advice recorded."""
        events, advice = self._plan(state)
        overshoot = events[-1][1] - self.now
        if overshoot > timedelta(0):
            shift = overshoot + _days(self.rng, 0, 2)
            events = [(event, at - shift) for event, at in events]
        return events, advice

    def _plan(self, state: str) -> tuple[list[tuple[str, datetime]], str | None]:
        rng, now = self.rng, self.now
        intake = [("submit", 0, 3), ("consent", 1, 14)]
        review = [*intake, ("start_review", 0, 10)]
        if rng.random() < 0.15:
            review = [*review, ("request_info", 1, 10), ("provide_info", 1, 14)]
        advice = "negative"
        if state == "draft":
            start = now - _days(rng, 0, 90)
            return [("create", start)], None
        if state == "awaiting_consent":
            return self._anchored([("submit", 0, 3)], "submit", *self._window(self._is_due(), 7, span=23)), None
        if state in ("submitted", "in_review"):
            steps = intake if state == "submitted" else [*intake, ("start_review", 0, 10)]
            return self._anchored(steps, "consent", *self._window(self._is_due(), 30, span=90)), None
        if state == "info_requested":
            steps = [*intake, ("start_review", 0, 10), ("request_info", 1, 10)]
            return self._anchored(steps, "request_info", *self._window(self._is_due(), 7, span=21)), None
        if state in ("negative", "appealed", "final_negative"):
            steps = [*review, ("advise_negative", 5, 40)]
            if state == "negative":
                due = self._is_due()
                low, high = (now - timedelta(days=40), now - timedelta(days=14)) if due else self._window(False, 7)
                return self._anchored(steps, "advise_negative", low, high), advice
            if state == "appealed":
                steps = [*steps, ("lodge_appeal", 1, 8)]
                return self._anchored(steps, "lodge_appeal", *self._window(self._is_due(), 30, span=60)), advice
            if rng.random() < 0.6:
                steps = [*steps, ("close_appeal_window", 9, 12)]
            else:
                steps = [*steps, ("lodge_appeal", 1, 8), ("appeal_rejected", 5, 40)]
            return self._forward(now - _days(rng, 120, 5 * 365), steps), advice
        if state == "positive":
            roll = rng.random()
            if roll < 0.05:
                steps = [*review, ("advise_negative", 5, 40), ("lodge_appeal", 1, 8), ("appeal_upheld", 5, 40)]
                key, advice = "appeal_upheld", "positive"
            elif roll < 0.15:
                steps, key, advice = [*review, ("advise_positive_with_warning", 5, 40)], "", "positive_with_warning"
            else:
                steps, key, advice = [*review, ("advise_positive", 5, 40)], "", "positive"
            key = key or steps[-1][0]
            expired = rng.random() < 0.08
            five_years = now - timedelta(days=5 * 365 + 1)
            if expired:
                low, high = five_years - timedelta(days=365), five_years - timedelta(days=2)
            elif self._is_due():  # the clearance ends within the 180-day notice window
                low, high = five_years + timedelta(days=1), five_years + timedelta(days=179)
            else:
                low, high = five_years + timedelta(days=181), now
            return self._anchored(steps, key, low, high), advice
        if state == "consent_refused":
            return self._forward(now - _days(rng, 10, 5 * 365), [("submit", 0, 3), ("refuse", 1, 10)]), None
        if state == "consent_expired":
            return self._forward(now - _days(rng, 40, 5 * 365), [("submit", 0, 3), ("expire_consent", 31, 32)]), None
        if state == "withdrawn":
            steps = [("submit", 0, 3), ("withdraw", 1, 20)] if rng.random() < 0.7 else [("withdraw", 1, 30)]
            return self._forward(now - _days(rng, 10, 5 * 365), steps), None
        raise ValueError(f"no plan for state {state!r}")


#: The state each event leads to (for the audit trail's from/to).
_TARGETS = {
    "create": "draft",
    "submit": "awaiting_consent",
    "consent": "submitted",
    "start_review": "in_review",
    "request_info": "info_requested",
    "provide_info": "in_review",
    "advise_positive": "positive",
    "advise_positive_with_warning": "positive",
    "advise_negative": "negative",
    "lodge_appeal": "appealed",
    "appeal_upheld": "positive",
    "appeal_rejected": "final_negative",
    "close_appeal_window": "final_negative",
    "refuse": "consent_refused",
    "expire_consent": "consent_expired",
    "withdraw": "withdrawn",
}
_OFFICER_EVENTS = {
    "start_review", "request_info", "advise_positive", "advise_positive_with_warning", "advise_negative",
    "lodge_appeal", "appeal_upheld", "appeal_rejected",
}  # fmt: skip
_REASONS = {
    "request_info": "Please send the employment contract and the previous employers since 2020.",
    "provide_info": "Contract attached; previous employer: Scheldt Stevedoring (2019-2023).",
    "advise_positive_with_warning": "grounds recorded",
    "advise_negative": "grounds recorded",
    "appeal_upheld": "grounds recorded",
    "appeal_rejected": "grounds recorded",
    "withdraw": "The candidate accepted another job.",
}
_GROUNDS = {
    "positive_with_warning": "Minor facts of 2019; no link with organised crime. Follow-up in 2 years.",
    "negative": "Recent contacts with a criminal organisation active in cocaine import (police report).",
}


def _organisation_weights(count: int) -> list[float]:
    """A long tail: a few pools of thousands of dockworkers, hundreds of small firms with a handful."""
    return [1.0 / (rank + 3) ** 1.15 for rank in range(count)]


def _name_source(rng: random.Random) -> Callable[[], tuple[str, str]]:
    common = FAMILY_NAMES
    common_weights = list(itertools.accumulate(1.0 / (rank + 2) for rank in range(len(common))))
    syllables = _SYLLABLES.split()

    def draw() -> tuple[str, str]:
        given = rng.choice(GIVEN_NAMES)
        if rng.random() < 0.15:  # the most common name is then borne by about 1 % of people, as in Belgium
            family = rng.choices(common, cum_weights=common_weights)[0]
        else:  # the long tail of rarer names
            family = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))).capitalize()
            if rng.random() < 0.2:
                family = rng.choice(("Van ", "De ", "Vanden ", "El ")) + family
        return given, family

    return draw


def _batches(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _insert(connection: Connection, table: Any, rows: list[dict[str, Any]], batch_size: int) -> int:
    written = 0
    for batch in _batches(rows, batch_size):
        connection.execute(insert(table), batch)
        written += len(batch)
    return written


def seed(
    engine: Engine,
    applications: int = 250_000,
    organisations: int = 2_000,
    due_fraction: float = 0.05,
    *,
    vault: IdentifierVault | None = None,
    now: datetime | None = None,
    random_seed: int = 2026,
    officers: int = 50,
    batch_size: int = 10_000,
    progress: Callable[[str], None] | None = None,
) -> SeedSummary:
    """Fill an empty, migrated schema. Deterministic for a given ``random_seed`` and ``now``.

    ``vault`` encrypts national register numbers and keys the identity hash; pass the one of the
    configuration the application will run with, so "screened once" finds seeded persons again.
    """
    started = time.perf_counter()
    say = progress or (lambda _message: None)
    rng = random.Random(random_seed)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    vault = vault or IdentifierVault([Fernet.generate_key().decode()], "bench-lookup-key")
    planner = _Planner(rng, now, due_fraction)

    # -- plans: states, organisations, dates -------------------------------------------------
    states = list(STATE_MIX)
    state_weights = list(itertools.accumulate(STATE_MIX.values()))
    org_weights = list(itertools.accumulate(_organisation_weights(organisations)))
    function_codes = [code for code, *_rest in FUNCTIONS]
    function_weights = list(itertools.accumulate(FUNCTION_WEIGHTS.get(code, 5) for code in function_codes))
    org_ids = list(range(1, organisations + 1))
    rng.shuffle(org_ids)  # sizes are not in id order
    plans: list[_Plan] = []
    for _ in range(applications):
        state = rng.choices(states, cum_weights=state_weights)[0]
        organisation = org_ids[bisect.bisect_left(org_weights, rng.random() * org_weights[-1])]
        function = rng.choices(range(1, len(function_codes) + 1), cum_weights=function_weights)[0]
        if state == "covered":
            plans.append(_Plan(state, organisation, function, []))
            continue
        events, advice = planner.plan(state)
        plans.append(_Plan(state, organisation, function, events, advice_type=advice))
    sources = [p for p in plans if p.state == "positive"]
    for plan in plans:
        if plan.state != "covered":
            continue
        # Screened once: another employer asks for a person whose clearance is still valid.
        candidates = [p for p in rng.sample(sources, min(8, len(sources))) if _clearance_valid(p, now)]
        if not candidates:
            plan.state = "withdrawn"
            plan.events = planner._forward(now - _days(rng, 10, 365), [("withdraw", 1, 30)])
            continue
        plan.source = candidates[0]
        decided = plan.source.moment(*_ADVICE) or now
        created = min(decided + (now - decided) * rng.random() + timedelta(hours=1), now - timedelta(hours=2))
        plan.events = [("create", created), ("submit", min(created + _days(rng, 0, 1), now))]
    plans.sort(key=lambda p: p.created_at)
    for number, plan in enumerate(plans, start=1):
        plan.id = number
    clearance_id = itertools.count(1)
    for plan in sorted((p for p in plans if p.state == "positive"), key=lambda p: p.moment(*_ADVICE) or now):
        plan.clearance = next(clearance_id)
        decided_on = local_date(plan.moment(*_ADVICE) or now)
        plan.clearance_until = _add_years(decided_on, 5) - timedelta(days=1)
        roll = rng.random()
        if plan.clearance_until < local_date(now):
            plan.clearance_state = "expired"
        elif roll < 0.003:
            plan.clearance_state = "under_reevaluation"
        elif roll < 0.004:
            plan.clearance_state = "revoked"
        else:
            plan.clearance_state = "valid"
    say(f"planned {applications:,} applications in {time.perf_counter() - started:.1f} s")

    # -- people ------------------------------------------------------------------------------
    draw_name = _name_source(rng)
    nationality_names = [code for code, _weight in NATIONALITIES]
    nationality_weights = list(itertools.accumulate(weight for _code, weight in NATIONALITIES))
    person_rows: list[dict[str, Any]] = []
    for plan in plans:
        if plan.source is not None:
            plan.person = plan.source.person
            continue
        plan.person = len(person_rows) + 1
        person_rows.append(
            _person_row(plan.person, plan.created_at, draw_name(), rng, nationality_names, nationality_weights, vault)
        )

    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA synchronous=OFF")
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        with connection.begin():
            _insert(connection, Organisation.__table__, _organisation_rows(organisations, rng, now), batch_size)
            _insert(connection, CriticalFunction.__table__, _function_rows(), batch_size)
            users = _user_rows(organisations, officers, now)
            _insert(connection, User.__table__, users, batch_size)
        say(f"wrote {organisations:,} organisations, {len(users):,} accounts")
        for batch in _batches(person_rows, batch_size):
            with connection.begin():
                connection.execute(insert(Person.__table__), batch)
        say(f"wrote {len(person_rows):,} persons ({time.perf_counter() - started:.0f} s)")
        declared_of = {row["id"]: _declared(row) for row in person_rows}  # each file declares its person as recorded
        del person_rows

        requester_of = {org: 2 * org - 1 for org in range(1, organisations + 1)}
        officer_ids = [2 * organisations + n for n in range(1, officers + 1)]
        officer_names = {user["id"]: user["username"] for user in users if user["role"] == "officer"}
        requester_names = {user["id"]: user["username"] for user in users if user["role"] == "requester"}
        audit_id = itertools.count(1)
        counters: Counter[str] = Counter()
        audit_total = 0
        for chunk in _batches_of(plans, batch_size):
            application_rows, covered_rows, clearance_rows, audit_rows = [], [], [], []
            for plan in chunk:
                year_key = f"SCR-{plan.created_at.year}"
                counters[year_key] += 1
                reference = f"{year_key}-{counters[year_key]:06d}"
                officer = rng.choice(officer_ids)
                row = _application_row(plan, reference, requester_of[plan.organisation]) | declared_of[plan.person]
                (covered_rows if plan.state == "covered" else application_rows).append(row)
                if plan.clearance:
                    clearance_key = f"CLR-{(plan.moment(*_ADVICE) or now).year}"
                    counters[clearance_key] += 1
                    clearance_rows.append(_clearance_row(plan, f"{clearance_key}-{counters[clearance_key]:06d}", now))
                audit_rows.extend(
                    _audit_rows(
                        plan, audit_id, requester_of[plan.organisation], officer,
                        requester_names, officer_names,
                    )
                )  # fmt: skip
            for audit_row in audit_rows:  # left unsealed: `screening audit seal` (or bench/audit.py) seals them
                audit_row["redactable_digest"] = redactable_digest(audit_row["reason"], audit_row["client_address"])
            with connection.begin():
                connection.execute(insert(Application.__table__), application_rows)
                if clearance_rows:
                    connection.execute(insert(Clearance.__table__), clearance_rows)
                if covered_rows:
                    connection.execute(insert(Application.__table__), covered_rows)
                for batch in _batches(audit_rows, batch_size):
                    connection.execute(insert(AuditEntry.__table__), batch)
            audit_total += len(audit_rows)
            elapsed = time.perf_counter() - started
            say(f"  {chunk[-1].id:,} applications, {audit_total:,} audit entries ({elapsed:.0f} s)")

        with connection.begin():
            # Positive files point at the clearance they created (a cycle, hence written afterwards).
            linked = select(Clearance.id).where(Clearance.application_id == Application.id).scalar_subquery()
            connection.execute(update(Application).where(Application.state == "positive").values(clearance_id=linked))
            connection.execute(
                insert(ReferenceCounter.__table__), [{"name": name, "value": value} for name, value in counters.items()]
            )
            _finish(connection, engine.dialect.name)
        say(f"linked clearances, analysed ({time.perf_counter() - started:.0f} s)")

    sizes = Counter(plan.organisation for plan in plans)
    return SeedSummary(
        applications=len(plans),
        organisations=organisations,
        persons=max(plan.person for plan in plans) if plans else 0,
        clearances=sum(1 for plan in plans if plan.clearance),
        users=len(users),
        audit_entries=audit_total,
        states=dict(Counter(plan.state for plan in plans)),
        seconds=time.perf_counter() - started,
        organisation_sizes={f"org{org:04d}": number for org, number in sizes.most_common()},
    )


_ADVICE = ("advise_positive", "advise_positive_with_warning", "advise_negative", "appeal_upheld")


def _clearance_valid(plan: _Plan, now: datetime) -> bool:
    decided = plan.moment(*_ADVICE)
    return decided is not None and decided > now - timedelta(days=5 * 365 - 200)


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _batches_of(plans: list[_Plan], size: int) -> Iterator[list[_Plan]]:
    for start in range(0, len(plans), size):
        yield plans[start : start + size]


def _organisation_rows(count: int, rng: random.Random, now: datetime) -> list[dict[str, Any]]:
    kinds = ("Terminal", "Stevedoring", "Logistics", "Shipping Agency", "Security", "Container Services", "Port ICT")
    places = ("Antwerp", "Scheldt", "Waasland", "Zeebrugge", "Noordzee", "Kallo", "Doel", "Berendrecht", "Zandvliet")
    rows = []
    for number in range(1, count + 1):
        name = f"{rng.choice(places)} {rng.choice(kinds)} {number} {rng.choice(('NV', 'BV', 'SA'))}"
        rows.append(
            {
                "id": number,
                "name": name,
                "enterprise_number": make_enterprise_number(2_000_000 + number),
                "code": f"org{number:04d}",
                "contact_email": f"security@org{number:04d}.example",
                "active": True,
                "created_at": now - timedelta(days=6 * 365),
            }
        )
    return rows


def _function_rows() -> list[dict[str, Any]]:
    return [
        {"id": n, "code": code, "name_en": en, "name_nl": nl, "name_fr": fr, "category": category, "active": True}
        for n, (code, en, nl, fr, category) in enumerate(FUNCTIONS, start=1)
    ]


def _user_rows(organisations: int, officers: int, now: datetime) -> list[dict[str, Any]]:
    """Per organisation a screening manager and an HR account; the authority's officers, auditors, admin."""
    password_hash = generate_password_hash(BENCH_PASSWORD)  # one hash: scrypt per row would take minutes
    rows: list[dict[str, Any]] = []

    def add(username: str, role: str, organisation: int | None) -> None:
        rows.append(
            {
                "id": len(rows) + 1, "username": username, "display_name": username.replace("-", " ").title(),
                "email": f"{username}@bench.example", "password_hash": password_hash, "role": role,
                "organisation_id": organisation, "source": "local", "active": True, "locale": None,
                "created_at": now - timedelta(days=6 * 365), "last_login_at": None,
            }
        )  # fmt: skip

    for org in range(1, organisations + 1):
        add(f"requester-org{org:04d}", "requester", org)  # id 2*org - 1
        add(f"hr-org{org:04d}", "hr", org)  # id 2*org
    for n in range(1, officers + 1):
        add(f"officer-{n:02d}", "officer", None)
    add("auditor-01", "auditor", None)
    add("admin", "admin", None)
    return rows


def _person_row(
    number: int,
    created: datetime,
    name: tuple[str, str],
    rng: random.Random,
    nationalities: list[str],
    nationality_weights: list[int],
    vault: IdentifierVault,
) -> dict[str, Any]:
    given, family = name
    born = date(1960, 1, 1) + timedelta(days=(number * 7919) % (45 * 365))
    nationality = rng.choices(nationalities, cum_weights=nationality_weights)[0]
    national = document = None
    if nationality == "BE" or rng.random() < 0.3:  # residents hold a (BIS) register number
        national = make_national_number(born, (number * 7919) // (45 * 365) % 997 + 1)
        identity = vault.lookup_hash("BE-NRN", national)
    else:
        document = f"{nationality}{number:09d}"
        identity = vault.lookup_hash(f"DOC-{nationality}", document)
    return {
        "id": number,
        "given_names": given,
        "family_name": family,
        "search_name": search_key(f"{family} {given}"),
        "search_given": search_key(f"{given} {family}"),
        "date_of_birth": born,
        "nationality": nationality,
        "identity_hash": identity,
        "national_number_encrypted": vault.encrypt(national) if national else None,
        "national_number_masked": mask_national_number(national) if national else None,
        "document_number_encrypted": vault.encrypt(document) if document else None,
        "email": f"person{number}@mail.example" if rng.random() < 0.7 else None,
        "locale": rng.choice(("nl", "nl", "nl", "fr", "en")),
        "created_at": created,
    }


def _declared(person: dict[str, Any]) -> dict[str, Any]:
    """An application's declaration (migration 0012) copied from its person's row."""
    names = (
        "given_names",
        "family_name",
        "search_name",
        "search_given",
        "date_of_birth",
        "nationality",
        "email",
        "locale",
    )
    return {f"declared_{name}": person[name] for name in names}


def _application_row(plan: _Plan, reference: str, requester: int) -> dict[str, Any]:
    submitted = plan.moment("consent")
    decided = plan.moment(*_ADVICE, "appeal_rejected")
    notified = plan.moment("advise_positive", "advise_positive_with_warning", "advise_negative")
    grounds = _GROUNDS.get(plan.advice_type or "") if plan.state in ("negative", "appealed", "final_negative") else None
    if plan.advice_type == "positive_with_warning":
        grounds = _GROUNDS["positive_with_warning"]
    info_asked = plan.moment("request_info")
    return {
        "id": plan.id,
        "reference": reference,
        "organisation_id": plan.organisation,
        "person_id": plan.person,
        "function_id": plan.function,
        "state": plan.state,
        "version": len(plan.events),  # one increment per transition, as the ORM would have counted
        "created_by_id": requester,
        "created_at": plan.created_at,
        "state_changed_at": plan.state_changed_at,
        "submitted_at": submitted,
        "due_on": local_date(submitted) + timedelta(days=30) if submitted else None,
        "decided_at": decided if plan.advice_type else None,
        "advice_type": plan.advice_type,
        "grounds": grounds,
        "officer_notes": None,
        "info_request": _REASONS["request_info"] if info_asked else None,
        "info_response": _REASONS["provide_info"] if plan.moment("provide_info") else None,
        "notified_at": notified,
        "appeal_deadline": appeal_deadline(local_date(notified))
        if plan.advice_type == "negative" and notified
        else None,
        "appealed_at": plan.moment("lodge_appeal"),
        "clearance_id": plan.source.clearance if plan.source is not None else None,
        "withdrawal_reason": _REASONS["withdraw"] if plan.state == "withdrawn" else None,
    }


def _clearance_row(plan: _Plan, reference: str, now: datetime) -> dict[str, Any]:
    decided = plan.moment(*_ADVICE) or now
    assert plan.clearance_until is not None
    return {
        "id": plan.clearance,
        "reference": reference,
        "person_id": plan.person,
        "application_id": plan.id,
        "advice_type": plan.advice_type or "positive",
        "state": plan.clearance_state,
        "version": 1 if plan.clearance_state == "valid" else 2,
        "valid_from": local_date(decided),
        "valid_until": plan.clearance_until,
        "created_at": decided,
        "state_changed_at": decided,
        "revoked_at": decided + timedelta(days=30) if plan.clearance_state == "revoked" else None,
    }


def _audit_rows(
    plan: _Plan,
    ids: Iterator[int],
    requester: int,
    officer: int,
    requester_names: dict[int, str],
    officer_names: dict[int, str],
) -> Iterator[dict[str, Any]]:
    previous: str | None = None
    for event, at in plan.events:
        target = "covered" if plan.state == "covered" and event == "submit" else _TARGETS[event]
        if event in _OFFICER_EVENTS:
            actor_id, actor, role = officer, officer_names[officer], "officer"
        elif event == "consent" or event == "refuse":
            actor_id, actor, role = None, f"person:{plan.person}", "person"
        elif event in ("expire_consent", "close_appeal_window"):
            actor_id, actor, role = None, "system:scheduler", "system"
        else:
            actor_id, actor, role = requester, requester_names[requester], "requester"
        yield {
            "id": next(ids), "at": at, "actor_user_id": actor_id, "actor": actor, "role": role, "action": event,
            "object_type": "application", "object_id": plan.id, "organisation_id": plan.organisation,
            "from_state": previous, "to_state": target, "reason": _REASONS.get(event),
            "client_address": "10.0.0.1" if actor_id else None,
        }  # fmt: skip
        previous = target
    if plan.clearance:
        yield {
            "id": next(ids), "at": plan.moment(*_ADVICE), "actor_user_id": officer, "actor": officer_names[officer],
            "role": "officer", "action": "grant", "object_type": "clearance", "object_id": plan.clearance,
            "organisation_id": plan.organisation, "from_state": None, "to_state": "valid", "reason": None,
            "client_address": "10.0.0.1",
        }  # fmt: skip


def _finish(connection: Connection, dialect: str) -> None:
    """Move PostgreSQL's sequences past the explicit ids, and give both planners fresh statistics."""
    if dialect == "postgresql":
        for table in Base.metadata.sorted_tables:
            if "id" in table.c and table.c.id.autoincrement and table.c.id.primary_key:
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                    )
                )
    connection.execute(text("ANALYZE"))


def reset_schema(engine: Engine) -> None:
    """An empty database at the migrations' head (drops everything that was there)."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    else:
        database = engine.url.database
        engine.dispose()
        if database and database != ":memory:":
            for suffix in ("", "-wal", "-shm"):
                Path(database + suffix).unlink(missing_ok=True)
    migrate.upgrade(engine)


def organisation_near(engine: Engine, applications: int) -> tuple[str, int]:
    """The organisation whose number of applications is closest to ``applications``: its code and count."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(Organisation.code, func.count(Application.id))
            .join(Application, Application.organisation_id == Organisation.id)
            .group_by(Organisation.code)
        ).all()
    code, number = min(rows, key=lambda row: (abs(row[1] - applications), row[0]))
    return code, number


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="SQLAlchemy URL (default: database.url of --config)")
    parser.add_argument("--config", help="screening TOML file whose identifier keys encrypt the seeded numbers")
    parser.add_argument("--applications", type=int, default=250_000)
    parser.add_argument("--organisations", type=int, default=2_000)
    parser.add_argument("--due-fraction", type=float, default=0.05)
    parser.add_argument("--random-seed", type=int, default=2026)
    parser.add_argument("--reset", action="store_true", help="drop everything and migrate to head first")
    args = parser.parse_args(argv)
    vault = None
    url = args.url
    if args.config:
        from screening.config import load_config

        config = load_config(args.config)
        vault = IdentifierVault(config.security.identifier_keys, config.security.lookup_key)
        url = url or config.database.url
    if not url:
        parser.error("give --url or --config")
    engine = create_engine(url)
    try:
        if args.reset:
            reset_schema(engine)
        summary = seed(
            engine, args.applications, args.organisations, args.due_fraction, vault=vault,
            random_seed=args.random_seed, progress=lambda message: print(message, file=sys.stderr),
        )  # fmt: skip
    finally:
        engine.dispose()
    print(
        f"seeded {summary.applications:,} applications, {summary.organisations:,} organisations, "
        f"{summary.persons:,} persons, {summary.clearances:,} clearances, {summary.audit_entries:,} audit entries, "
        f"{summary.users:,} accounts in {summary.seconds:.0f} s (password {summary.password!r})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
