"""The baselines our pages are measured against, served by the same gunicorn with the same settings.

- ``/bare``: a bare Flask route returning a short string: the ceiling of the server, Flask and the
  load generator on this machine.
- ``/minimal``: the least a real page does: one indexed query of 50 rows from the *same* benchmark
  database (one organisation's latest applications, on ``ix_applications_org_created``) rendered by a
  Jinja template. No sign-in, session, ORM, layout or translations: those are what our pages add, and the
  targets say how much they may cost (at least 60 % of this page's throughput).

Configured by the environment, so gunicorn can import it as ``bench.baseline_app:create_app()``:
``BENCH_DATABASE_URL`` (required) and ``BENCH_ORGANISATION_ID`` (default 1).
"""

from __future__ import annotations

import os

from flask import Flask, render_template
from jinja2 import DictLoader
from sqlalchemy import text

from screening.db import make_engine

MINIMAL_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Applications</title></head>
<body><main><h1>Applications</h1>
<table><thead><tr><th>Reference</th><th>State</th><th>Created</th></tr></thead><tbody>
{% for row in rows %}<tr><td><a href="/applications/{{ row.id }}">{{ row.reference }}</a></td>
<td>{{ row.state }}</td><td>{{ row.created_at }}</td></tr>
{% endfor %}</tbody></table></main></body></html>
"""

#: The minimal page's one query: 50 rows through an index, as a list page of ours would need at least.
MINIMAL_QUERY = text(
    "SELECT id, reference, state, created_at FROM applications "
    "WHERE organisation_id = :organisation ORDER BY created_at DESC LIMIT 50"
)


def create_app() -> Flask:
    """Both baseline routes; the engine is the application's own (same pool, same SQLite pragmas)."""
    url = os.environ["BENCH_DATABASE_URL"]
    organisation = int(os.environ.get("BENCH_ORGANISATION_ID", "1"))
    app = Flask("baseline")
    app.jinja_loader = DictLoader({"minimal.html": MINIMAL_TEMPLATE})
    engine = make_engine(url, pool_size=10)

    @app.route("/bare")
    def bare() -> str:
        return "ok"

    @app.route("/minimal")
    def minimal() -> str:
        with engine.connect() as connection:
            rows = connection.execute(MINIMAL_QUERY, {"organisation": organisation}).all()
        return render_template("minimal.html", rows=rows)

    return app
