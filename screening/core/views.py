"""Home (a dashboard per role) and the health endpoints (what each proves: screening/core/health.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Blueprint, jsonify, redirect, render_template, url_for
from flask_babel import lazy_gettext
from flask_login import current_user
from sqlalchemy import Select
from werkzeug.wrappers import Response

from screening.applications.models import Application
from screening.applications.queries import visible
from screening.auth.access import public, signed_in
from screening.clearances.models import Clearance
from screening.clearances.queries import visible_clearances
from screening.clock import today, utcnow
from screening.core import health
from screening.db import db
from screening.errors import RETRY_AFTER_SECONDS
from screening.extensions import settings
from screening.pagination import COUNT_LIMIT, counts_up_to
from workflows.application import IN_PROGRESS_STATES, QUEUE_STATES
from workflows.roles import EMPLOYER_ROLES

bp = Blueprint("core", __name__)


@dataclass(frozen=True)
class Tile:
    """One count on the dashboard: a label, a bounded count (``more`` past COUNT_LIMIT) and where it leads."""

    label: str
    count: int
    link: str
    link_label: str
    style: str = ""

    @property
    def more(self) -> bool:
        return self.count > COUNT_LIMIT


def _tile(label: str, statement: Select, link: str, link_label: str, style: str = "") -> tuple[Any, ...]:  # type: ignore[type-arg]
    """A tile to count: its statement and what it shows (see :func:`_counted`)."""
    return (str(label), statement, link, str(link_label), style)


def _counted(tiles: list[tuple[Any, ...]]) -> list[Tile]:
    """The tiles with their counts, each stopping at COUNT_LIMIT (a dashboard must cost the same with 250 or
    250,000 files), all counted in one statement."""
    counts = counts_up_to([tile[1] for tile in tiles])
    return [
        Tile(label, count, link, link_label, style)
        for (label, _s, link, link_label, style), count in zip(tiles, counts, strict=True)
    ]


def _officer_tiles() -> list[tuple[Any, ...]]:
    applications = visible(current_user)
    show, queue = lazy_gettext("Show"), "applications.queue"
    return [
        _tile(
            lazy_gettext("Waiting to be reviewed"),
            applications.where(Application.state == "submitted"),
            url_for(queue, state="submitted"),
            lazy_gettext("Open the queue"),
        ),
        _tile(
            lazy_gettext("In review"),
            applications.where(Application.state == "in_review"),
            url_for(queue, state="in_review"),
            show,
        ),
        _tile(
            lazy_gettext("Overdue"),
            applications.where(Application.state.in_(sorted(QUEUE_STATES)), Application.due_on < today()),
            url_for(queue, overdue=1),
            lazy_gettext("Oldest first"),
            "danger",
        ),
        _tile(
            lazy_gettext("Appeals"),
            applications.where(Application.state == "appealed"),
            url_for(queue, state="appealed"),
            show,
            "warning",
        ),
    ]


def _employer_tiles() -> list[tuple[Any, ...]]:
    show, tiles = lazy_gettext("Show"), []
    if current_user.role == "requester":
        applications = visible(current_user)
        tiles += [
            _tile(
                lazy_gettext("In progress"),
                applications.where(Application.state.in_(IN_PROGRESS_STATES)),
                url_for("applications.index"),
                show,
            ),
            _tile(
                lazy_gettext("Waiting for your answer"),
                applications.where(Application.state == "info_requested"),
                url_for("applications.index", state="info_requested"),
                show,
                "warning",
            ),
            _tile(
                lazy_gettext("Drafts"),
                applications.where(Application.state == "draft"),
                url_for("applications.index", state="draft"),
                show,
            ),
        ]
    valid = visible_clearances(current_user).where(Clearance.state == "valid")
    horizon = today() + timedelta(days=max(settings().deadlines.expiry_notice_days, default=90))
    tiles += [
        _tile(
            lazy_gettext("Valid clearances"),
            valid,
            # HR comes to print certificates: the tile leads straight there.
            url_for("certificates.export") if current_user.role == "hr" else url_for("clearances.index", state="valid"),
            lazy_gettext("Certificates") if current_user.role == "hr" else show,
            "success",
        ),
        _tile(
            lazy_gettext("Expiring within %(days)d days", days=(horizon - today()).days),
            valid.where(Clearance.valid_until <= horizon),
            url_for("clearances.index", state="valid"),
            lazy_gettext("First to end first"),
            "warning",
        ),
    ]
    return tiles


def _auditor_tiles() -> list[tuple[Any, ...]]:
    applications = visible(current_user)
    return [
        _tile(
            lazy_gettext("In the work queue"),
            applications.where(Application.state.in_(sorted(QUEUE_STATES))),
            url_for("applications.index"),
            lazy_gettext("Show"),
        ),
        _tile(
            lazy_gettext("Appeals"),
            applications.where(Application.state == "appealed"),
            url_for("applications.index", state="appealed"),
            lazy_gettext("Show"),
            "warning",
        ),
    ]


@bp.route("/")
@public
def index() -> Response:
    return redirect(url_for("core.home") if current_user.is_authenticated else url_for("auth.login"))


@bp.route("/home")
@signed_in
def home() -> str | Response:
    """Each role's few counts that matter, each bounded (see pagination.count_up_to) and each a link."""
    role = current_user.role
    if role == "admin":
        return redirect(url_for("admin.organisations"))
    if role == "officer":
        tiles = _officer_tiles()
    elif role in EMPLOYER_ROLES:
        tiles = _employer_tiles()
    else:
        tiles = _auditor_tiles()
    return render_template("core/home.html", tiles=_counted(tiles), count_limit=COUNT_LIMIT)


@bp.route("/livez")
@public
def livez() -> tuple[Response, int]:
    """Liveness: the process answers (no database: see screening/core/health.py)."""
    return jsonify(status="ok"), 200


@bp.route("/readyz")
@public
def readyz() -> Response:
    """Readiness: the database accepts a write (rolled back) and, where configured, a scheduler is active."""
    result = health.readiness(db.engine, utcnow(), require_scheduler=settings().scheduler.readiness_requires_scheduler)
    return _health_answer(result.ready, status="ok" if result.ready else "error", **result.checks)


@bp.route("/healthz")
@public
def healthz() -> Response:
    """The health check of earlier releases, same shape (``{"status": "ok", "database": "ok"}``), now with the
    readiness write probe: 503 ``"database": "unreachable"`` or ``"refuses writes"``."""
    problem = health.database_accepts_write(db.engine, utcnow())
    database = "ok" if problem is None else problem.split(" (")[0]
    return _health_answer(problem is None, status="ok" if problem is None else "error", database=database)


def _health_answer(ready: bool, **body: object) -> Response:
    response = jsonify(**body)
    response.status_code = 200 if ready else 503
    if not ready:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
