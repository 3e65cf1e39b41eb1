"""CPU time of single requests in one process: the pages of ``bench/pages.py`` through the Flask test client,
signed in through the real /login form as the benchmark accounts, measured with ``time.process_time`` (robust
to other jobs on a loaded machine, unlike wrk's throughput). Each page: best of 5 rounds of 50 requests.

Seeds the SQLite benchmark database the way ``bench/pages.py`` does when it is not there yet::

    .venv/bin/python -m bench.request_cpu --applications 20000 --organisations 200
"""

from __future__ import annotations

import argparse
import re
import sys
import time

from flask.testing import FlaskClient
from sqlalchemy import create_engine

from bench.pages import WORK, Settings, choose_targets, prepare_database
from bench.seed import BENCH_PASSWORD
from screening.app import create_app
from screening.config import load_config


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=20_000)
    parser.add_argument("--organisations", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    settings = Settings(applications=args.applications, organisations=args.organisations)
    config_path = prepare_database("sqlite", f"sqlite:///{WORK / 'pages.db'}", settings, reseed=False)
    config = load_config(config_path)
    app = create_app(config)
    engine = create_engine(config.database.url)
    targets = choose_targets(engine, 0)
    engine.dispose()
    org = targets.organisation

    clients: dict[str, FlaskClient] = {}

    def signed_in(username: str) -> FlaskClient:
        if username not in clients:
            client = app.test_client()
            token = re.search(r'csrf_token[^>]*value="([^"]+)"', client.get("/login").text)
            form = {"username": username, "password": BENCH_PASSWORD, "csrf_token": token.group(1) if token else ""}
            answer = client.post("/login", data=form)
            assert answer.status_code == 302, (username, answer.status_code)
            clients[username] = client
        return clients[username]

    cases = [
        ("404 page, signed in (requester)", f"requester-{org}", "/no-such-page", 404),
        (f"/applications, requester ({targets.organisation_size} rows)", f"requester-{org}", "/applications", 200),
        (f"/applications?q={targets.prefix}, requester", f"requester-{org}", f"/applications?q={targets.prefix}", 200),
        ("/home, requester", f"requester-{org}", "/home", 200),
        ("/home, officer", "officer-01", "/home", 200),
        ("/queue, officer", "officer-01", "/queue", 200),
        ("/applications, officer (all files)", "officer-01", "/applications", 200),
        ("/clearances, hr", f"hr-{org}", "/clearances", 200),
        ("/applications/<id>, officer (in review)", "officer-01", f"/applications/{targets.detail_officer}", 200),
    ]
    for label, username, path, status in cases:
        client = signed_in(username)
        answer = client.get(path)  # warm: templates compiled, caches filled
        assert answer.status_code == status, (path, answer.status_code)
        best = float("inf")
        for _round in range(args.rounds):
            started = time.process_time()
            for _ in range(args.requests):
                client.get(path)
            best = min(best, time.process_time() - started)
        print(f"{label:<48} {1000 * best / args.requests:7.2f} ms CPU per request", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
