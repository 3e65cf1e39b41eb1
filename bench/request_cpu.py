"""CPU time of single requests in one process: the pages of ``bench/pages.py`` through the Flask test client,
signed in through the real /login form as the benchmark accounts, measured with ``time.process_time`` (robust
to other jobs on a loaded machine, unlike wrk's throughput). Each page: best of 5 rounds of 50 requests,
the rounds alternating between the pages.
The minimal page (``bench/baseline_app.py``) is measured in the same run, so each figure has its ratio; the
API's list is called with a read token of the largest employer, as ``bench/pages.py`` calls it.

Seeds the SQLite benchmark database the way ``bench/pages.py`` does when it is not there yet::

    .venv/bin/python -m bench.request_cpu --applications 20000 --organisations 200
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time

from flask.testing import FlaskClient
from sqlalchemy import create_engine

from bench.baseline_app import create_app as create_baseline_app
from bench.pages import BEARER, WORK, Settings, api_token, choose_targets, prepare_database
from bench.seed import BENCH_PASSWORD
from screening.app import create_app
from screening.config import load_config

MINIMAL = "minimal page (bench/baseline_app.py)"


def sign_in(client: FlaskClient, username: str) -> FlaskClient:
    """``client`` signed in as the benchmark account ``username`` through the real /login form."""
    token = re.search(r'csrf_token[^>]*value="([^"]+)"', client.get("/login").text)
    form = {"username": username, "password": BENCH_PASSWORD, "csrf_token": token.group(1) if token else ""}
    answer = client.post("/login", data=form)
    assert answer.status_code == 302, (username, answer.status_code)
    return client


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=20_000)
    parser.add_argument("--organisations", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--only", nargs="*", help="the cases whose label contains one of these words")
    parser.add_argument("--register", type=int, default=20_000, help="members in the largest employer's register")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    settings = Settings(applications=args.applications, organisations=args.organisations)
    config_path = prepare_database("sqlite", f"sqlite:///{WORK / 'pages.db'}", settings, reseed=False)
    config = load_config(config_path)
    app = create_app(config)
    engine = create_engine(config.database.url)
    targets = choose_targets(engine, 0)
    from bench.compliance import fill_register  # here: bench.compliance imports bench.pages

    register_org = fill_register(engine, targets.largest, args.register, reset=False)
    engine.dispose()
    org = targets.organisation
    os.environ.setdefault("BENCH_DATABASE_URL", config.database.url)
    os.environ.setdefault("BENCH_ORGANISATION_ID", str(targets.organisation_id))

    clients: dict[str, FlaskClient] = {"": create_baseline_app().test_client()}

    def signed_in(username: str) -> FlaskClient:
        if username.startswith(BEARER):  # an API token: no session, the header on every call
            clients.setdefault(username, app.test_client())
            clients[username].environ_base["HTTP_AUTHORIZATION"] = username
        if username not in clients:
            clients[username] = sign_in(app.test_client(), username)
        return clients[username]

    token = api_token(config_path, f"requester-{targets.largest}")
    cases = [
        (MINIMAL, "", "/minimal", 200),
        ("GET /api/v1/applications?limit=50 (largest)", token, "/api/v1/applications?limit=50", 200),
        ("404 page, signed in (requester)", f"requester-{org}", "/no-such-page", 404),
        (f"/applications, requester ({targets.organisation_size} rows)", f"requester-{org}", "/applications", 200),
        (f"/applications?q={targets.prefix}, requester", f"requester-{org}", f"/applications?q={targets.prefix}", 200),
        ("/home, requester", f"requester-{org}", "/home", 200),
        ("/home, officer", "officer-01", "/home", 200),
        ("/queue, officer", "officer-01", "/queue", 200),
        ("/applications, officer (all files)", "officer-01", "/applications", 200),
        (
            f"/applications?q={targets.prefix}, officer (all files)",
            "officer-01",
            f"/applications?q={targets.prefix}",
            200,
        ),
        ("/clearances, officer (all)", "officer-01", "/clearances", 200),
        ("/clearances, hr", f"hr-{org}", "/clearances", 200),
        ("/applications/<id>, officer (in review)", "officer-01", f"/applications/{targets.detail_officer}", 200),
        (
            "/applications/<id>, requester (positive)",
            f"requester-{org}",
            f"/applications/{targets.detail_requester}",
            200,
        ),
        (
            f"/workforce/<org>/compliance ({args.register:,} people)",
            f"requester-{targets.largest}",
            f"/workforce/{register_org}/compliance",
            200,
        ),
        ("/workforce, officer (port-wide summary)", "officer-01", "/workforce", 200),
    ]
    if args.only:
        cases = [case for case in cases if any(word in case[0] for word in args.only)]
    for _label, username, path, status in cases:
        answer = signed_in(username).get(path)  # warm: templates compiled, caches filled
        assert answer.status_code == status, (path, answer.status_code)
    best = dict.fromkeys((case[0] for case in cases), float("inf"))
    for _round in range(args.rounds):  # the rounds alternate between the cases: a busy moment hits them all
        for label, username, path, _status in cases:
            client = signed_in(username)
            started = time.process_time()
            for _ in range(args.requests):
                client.get(path)
            best[label] = min(best[label], time.process_time() - started)
    minimal = best.get(MINIMAL)
    for label, seconds in best.items():
        ratio = f"  {seconds / minimal:5.2f} x minimal" if minimal else ""
        print(f"{label:<48} {1000 * seconds / args.requests:7.2f} ms CPU per request{ratio}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
