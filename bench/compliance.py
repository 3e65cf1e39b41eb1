"""CPU time of the compliance view of an organisation with a large register, against the minimal page, in one
process (the method of ``bench/request_cpu.py``: the Flask test client, ``time.process_time``, best of the
rounds, the rounds alternating between the pages).

Uses the SQLite benchmark database of ``bench/pages.py`` (seeded when missing) and gives the largest
employer a register of ``--people`` members (once; kept until ``--reset``): its own persons first, so the
covered, in-progress and negative lines come from real files, then people without a file. The pages are kept
per version of what they show (``screening/workforce/page_memo.py``): each case but the searches and "the first
request after a change" (the node's memo emptied before each request) answers from the kept page::

    .venv/bin/python -m bench.compliance --people 20000
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, delete, func, insert, select

from bench.pages import WORK, Settings, choose_targets, prepare_database
from bench.request_cpu import MINIMAL, create_baseline_app
from bench.seed import BENCH_PASSWORD
from screening.app import create_app
from screening.applications.models import Application
from screening.catalogue.models import CriticalFunction
from screening.config import load_config
from screening.organisations.models import Organisation
from screening.people.models import Person
from screening.workforce.models import WorkforceMember

#: The default view on its first request after a change of what it shows (no page or counts kept).
AFTER_A_CHANGE = "  ... the first request after a change"


def signed_in_clients(app: Flask, baseline: Flask) -> Callable[[str], FlaskClient]:
    """A client per benchmark account, signed in once through the real form; "" is the minimal page's."""
    clients = {"": baseline.test_client()}

    def client_of(username: str) -> FlaskClient:
        if username not in clients:
            client = app.test_client()
            token = re.search(r'csrf_token[^>]*value="([^"]+)"', client.get("/login").text)
            form = {"username": username, "password": BENCH_PASSWORD, "csrf_token": token.group(1) if token else ""}
            assert client.post("/login", data=form).status_code == 302, username
            clients[username] = client
        return clients[username]

    return client_of


def fill_register(engine: Engine, organisation_code: str, people: int, reset: bool) -> int:
    """Give the organisation a register of ``people`` members (its own persons first); returns its id."""
    with engine.begin() as connection:
        org_id = connection.scalar(select(Organisation.id).where(Organisation.code == organisation_code))
        if reset:
            connection.execute(delete(WorkforceMember).where(WorkforceMember.organisation_id == org_id))
        have = (
            connection.scalar(
                select(func.count()).select_from(WorkforceMember).where(WorkforceMember.organisation_id == org_id)
            )
            or 0
        )
        if have >= people:
            return org_id
        functions = connection.scalars(select(CriticalFunction.id).order_by(CriticalFunction.id)).all()
        hashes = connection.scalars(
            select(Person.identity_hash).join(Application, Application.person_id == Person.id)
            .where(Application.organisation_id == org_id).distinct()
        ).all()  # fmt: skip
        now, born = datetime.now(UTC), date(1980, 1, 1)
        rows = [
            {
                "organisation_id": org_id, "personnel_number": f"B{i:06d}", "given_names": "Bench",
                "family_name": f"Member {i:06d}", "search_name": f"member {i:06d} bench",
                "search_given": f"bench member {i:06d}", "date_of_birth": born,
                "identity_hash": hashes[i] if i < len(hashes) else f"bench-{i}",
                "national_number_encrypted": "-", "national_number_masked": "80.01.01-***.**",
                "function_id": functions[i % len(functions)], "started_on": born + timedelta(days=12000 + i % 900),
                "version": 1, "created_at": now, "updated_at": now,
            }
            for i in range(have, people)
        ]  # fmt: skip
        connection.execute(insert(WorkforceMember), rows)
        connection.exec_driver_sql("ANALYZE")  # as the seeder does: the planner knows the register's size
    return org_id


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--applications", type=int, default=20_000)
    parser.add_argument("--organisations", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--reset", action="store_true", help="make the register again")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    settings = Settings(applications=args.applications, organisations=args.organisations)
    config_path = prepare_database("sqlite", f"sqlite:///{WORK / 'pages.db'}", settings, reseed=False)
    config = load_config(config_path)
    engine = create_engine(config.database.url)
    targets = choose_targets(engine, 0)
    org_id = fill_register(engine, targets.largest, args.people, args.reset)
    engine.dispose()
    os.environ.setdefault("BENCH_DATABASE_URL", config.database.url)
    os.environ.setdefault("BENCH_ORGANISATION_ID", str(org_id))
    app = create_app(config)
    clients = signed_in_clients(app, create_baseline_app())
    requester = f"requester-{targets.largest}"
    cases = [
        (MINIMAL, "", "/minimal"),
        (f"/workforce/{org_id}/compliance ({args.people:,} people)", requester, f"/workforce/{org_id}/compliance"),
        ("  ... ?overdue=1", requester, f"/workforce/{org_id}/compliance?overdue=1"),
        ("  ... ?standing=covered", requester, f"/workforce/{org_id}/compliance?standing=covered"),
        ("  ... ?standing=in_progress", requester, f"/workforce/{org_id}/compliance?standing=in_progress"),
        ("  ... ?standing=not_requested", requester, f"/workforce/{org_id}/compliance?standing=not_requested"),
        ("  ... ?q=member 0001 (a search)", requester, f"/workforce/{org_id}/compliance?q=member+0001"),
        ("  ... ?q=nobody (a search, no line)", requester, f"/workforce/{org_id}/compliance?q=nobody"),
        (f"/workforce/{org_id} (the register)", requester, f"/workforce/{org_id}"),
        ("/workforce, officer (port-wide summary)", "officer-01", "/workforce"),
        # Last: it empties the memo, which the other cases would then miss once a round.
        (AFTER_A_CHANGE, requester, f"/workforce/{org_id}/compliance"),
    ]
    for _label, username, path in cases:
        assert clients(username).get(path).status_code == 200, path  # warm
    best = dict.fromkeys((case[0] for case in cases), float("inf"))
    for _round in range(args.rounds):
        for label, username, path in cases:
            client = clients(username)
            started = time.process_time()
            for _ in range(args.requests):
                if label == AFTER_A_CHANGE:  # what a change of the register leaves: nothing kept on the node
                    app.extensions.pop("screening.compliance_pages", None)
                    app.extensions.pop("screening.compliance_counts", None)
                client.get(path)
            best[label] = min(best[label], time.process_time() - started)
    minimal = best[MINIMAL]
    for label, seconds in best.items():
        print(
            f"{label:<52} {1000 * seconds / args.requests:7.2f} ms CPU per request  {seconds / minimal:6.2f} x minimal"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
