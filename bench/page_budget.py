"""The budget of one signed-in page: where its CPU goes, by phase of the request and by kind of work.

A sampling profiler on the process's CPU clock (``ITIMER_PROF``; Linux delivers it per scheduler tick, 4 ms
here, so a few thousand requests give a few thousand samples) over Flask test-client requests of one page,
signed in through the real /login form as a benchmark account. Unlike cProfile it adds almost nothing per
call (cProfile quadruples a page's time and inflates code with many small calls, such as Jinja's), so the
shares are those of the page as it runs. Each sample is put in the innermost **phase** on its stack (the
session and user, the view's queries, the template around the rows, the rows, the response) and in one
**kind of work** (SQL, translations, links, CSRF, dates, escaping, Jinja, Werkzeug, our code); the figures are
the shares times the page's CPU measured without the sampler (best of 5 × 50).

Uses the database ``bench/pages.py`` seeded (``var/bench/pages-<backend>.toml``)::

    .venv/bin/python -m bench.page_budget requester-ORG /applications --requests 5000
    .venv/bin/python -m bench.page_budget officer-01 /queue --requests 1500
    .venv/bin/python -m bench.page_budget requester-LARGEST /workforce/REGISTER/compliance --requests 1500

``ORG`` is the mid-size employer of ``bench/pages.py``, ``LARGEST`` the largest, ``DETAIL`` a positive file of
the mid-size employer, ``REGISTER`` the largest employer's id after filling its register (``--register``).
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable
from types import FrameType

from flask.testing import FlaskClient
from sqlalchemy import create_engine

from bench.pages import WORK, choose_targets
from bench.request_cpu import sign_in
from screening.app import create_app
from screening.config import load_config

#: Where in the request a sample is: the innermost of these found on its stack (they nest).
PHASES: tuple[tuple[str, frozenset[str]], ...] = (
    ("session cookie and user", frozenset({"open_session", "_load_user", "load_user"})),
    ("view: queries and shaping", frozenset({"dispatch_request"})),
    ("template around the rows (layout, forms, headers, pagination)", frozenset({"render_template"})),
    ("rows", frozenset()),  # any function of ours whose name ends in _rows
    ("response: transaction end, session save, headers", frozenset({"process_response", "save_session"})),
)
OUTSIDE = "test client and WSGI (outside Flask's dispatch)"
DISPATCH = "Flask dispatch (routing, hooks, other)"

#: Work that calls into libraries: a sample under one of these counts for it, wherever it is on the stack.
WRAPPING: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("CSRF token", ("generate_csrf",)),
    ("links (url_for)", ("url_for", "_cached_url_for", "_pattern")),
    ("translations", ("gettext", "ngettext", "pgettext", "get_translations", "flask_babel/")),
    ("dates and numbers", ("babel/dates", "babel/numbers", "moment_formatter", "day_formatter")),
)
#: Otherwise the innermost frame says what it is, up to the first frame of ours.
INNERMOST: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("SQL (SQLAlchemy and the driver)", lambda f: "sqlalchemy" in f or "sqlite3" in f or "psycopg" in f),
    ("escaping (markupsafe)", lambda f: "markupsafe" in f),
    ("Jinja runtime", lambda f: "jinja2" in f or f.endswith(".html")),
    ("cookie signing (itsdangerous)", lambda f: "itsdangerous" in f),
    ("Werkzeug", lambda f: "werkzeug" in f),
)
OURS = "our code and Python"


def _is_rows(filename: str, name: str) -> bool:
    return name.endswith("_rows") and "/screening/" in filename


def phase_of(stack: list[tuple[str, str]]) -> str:
    """The innermost phase on ``stack`` (innermost frame first)."""
    for filename, name in stack:
        for label, names in PHASES:
            if name in names or (label == "rows" and _is_rows(filename, name)):
                return label
    return DISPATCH if any(name == "full_dispatch_request" for _, name in stack) else OUTSIDE


def work_of(stack: list[tuple[str, str]]) -> str:
    """What kind of work the sample is (``stack``: innermost frame first)."""
    for label, names in WRAPPING:
        if any(name in names or any("/" in n and n in filename for n in names) for filename, name in stack):
            return label
    for filename, _name in stack:
        for label, test in INNERMOST:
            if test(filename):
                return label
        if "/screening/" in filename or "/workflows/" in filename:
            break
    return OURS


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("user", help="benchmark account (ORG, LARGEST replaced)")
    parser.add_argument("path", help="the page (DETAIL, REGISTER replaced)")
    parser.add_argument("--requests", type=int, default=2000, help="sampled requests")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--register", type=int, default=20_000, help="members in the largest employer's register")
    args = parser.parse_args()
    config = load_config(WORK / f"pages-{args.backend}.toml")
    app = create_app(config)
    engine = create_engine(config.database.url)
    targets = choose_targets(engine, 0)
    path = args.path.replace("DETAIL", str(targets.detail_requester))
    if "REGISTER" in path:
        from bench.compliance import fill_register  # here: bench.compliance imports bench.pages

        path = path.replace("REGISTER", str(fill_register(engine, targets.largest, args.register, reset=False)))
    engine.dispose()
    user = args.user.replace("ORG", targets.organisation).replace("LARGEST", targets.largest)

    client = sign_in(app.test_client(), user)
    for _ in range(30):
        response = client.get(path)
    print(f"{path} as {user}: {response.status_code}, {len(response.data):,} bytes")
    best = min(_cpu_per_request(client, path, 50) for _ in range(5))
    print(f"{best * 1000:.2f} ms CPU per request (best of 5 x 50, no sampler)")

    phases: Counter[str] = Counter()
    works: Counter[str] = Counter()
    both: Counter[tuple[str, str]] = Counter()

    def sample(_signal: int, frame: FrameType | None) -> None:
        stack = []
        while frame is not None:
            stack.append((frame.f_code.co_filename, frame.f_code.co_name))
            frame = frame.f_back
        phase, work = phase_of(stack), work_of(stack)
        phases[phase] += 1
        works[work] += 1
        both[(phase, work)] += 1

    signal.signal(signal.SIGPROF, sample)
    signal.setitimer(signal.ITIMER_PROF, 0.0002, 0.0002)
    sampled = _cpu_per_request(client, path, args.requests)
    signal.setitimer(signal.ITIMER_PROF, 0, 0)
    total = sum(phases.values())
    print(f"{total:,} samples over {args.requests:,} requests ({sampled * 1000:.2f} ms CPU per request while sampled)")
    scale = best * 1000 / total
    _print("phase", phases.most_common(), scale, total)
    _print("kind of work", works.most_common(), scale, total)
    _print("phase x kind of work (>= 2 %)", [(f"{p} | {w}", v) for (p, w), v in both.most_common()], scale, total, 0.02)
    return 0


def _cpu_per_request(client: FlaskClient, path: str, requests: int) -> float:
    started = time.process_time()
    for _ in range(requests):
        client.get(path)
    return (time.process_time() - started) / requests


def _print(title: str, rows: list[tuple[str, int]], scale: float, total: int, at_least: float = 0.0) -> None:
    print(f"\n| {title} | ms CPU | share |\n|---|---:|---:|")
    for label, count in rows:
        if count / total >= at_least:
            print(f"| {label} | {count * scale:.2f} | {100 * count / total:.0f} % |")


if __name__ == "__main__":
    sys.exit(main())
