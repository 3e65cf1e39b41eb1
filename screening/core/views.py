"""Home (a dashboard per role) and the health endpoints (what each proves: screening/core/health.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale, lazy_gettext
from flask_login import current_user
from sqlalchemy import Select, bindparam, select
from werkzeug.wrappers import Response

from screening.applications.models import Application
from screening.auth.access import public, signed_in
from screening.clearances.models import Clearance
from screening.clock import today, utcnow
from screening.core import health
from screening.db import db
from screening.errors import RETRY_AFTER_SECONDS
from screening.extensions import settings
from screening.pagination import COUNT_LIMIT, counts_statement
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


#: A tile's count, its words and its link, before counting: (label, statement, link, link label, style).
TileSpec = tuple[Any, Select, str, Any, str]  # type: ignore[type-arg]


def _officer_tiles() -> list[TileSpec]:
    applications = _applications("all")
    show, queue = lazy_gettext("Show"), "applications.queue"
    return [
        (
            lazy_gettext("Waiting to be reviewed"),
            applications.where(Application.state == "submitted"),
            url_for(queue, state="submitted"),
            lazy_gettext("Open the queue"),
            "",
        ),
        (
            lazy_gettext("In review"),
            applications.where(Application.state == "in_review"),
            url_for(queue, state="in_review"),
            show,
            "",
        ),
        (
            lazy_gettext("Overdue"),
            applications.where(Application.state.in_(sorted(QUEUE_STATES)), Application.due_on < bindparam("today")),
            url_for(queue, overdue=1),
            lazy_gettext("Oldest first"),
            "danger",
        ),
        (
            lazy_gettext("Appeals"),
            applications.where(Application.state == "appealed"),
            url_for(queue, state="appealed"),
            show,
            "warning",
        ),
    ]


def _employer_tiles(role: str) -> list[TileSpec]:
    show, tiles = lazy_gettext("Show"), []
    if role == "requester":
        applications = _applications("organisation")
        tiles += [
            (
                lazy_gettext("In progress"),
                applications.where(Application.state.in_(IN_PROGRESS_STATES)),
                url_for("applications.index"),
                show,
                "",
            ),
            (
                lazy_gettext("Waiting for your answer"),
                applications.where(Application.state == "info_requested"),
                url_for("applications.index", state="info_requested"),
                show,
                "warning",
            ),
            (
                lazy_gettext("Drafts"),
                applications.where(Application.state == "draft"),
                url_for("applications.index", state="draft"),
                show,
                "",
            ),
        ]
    relied_on = select(Application.clearance_id).where(
        Application.organisation_id == bindparam("organisation_id"), Application.clearance_id.is_not(None)
    )
    valid = select(Clearance).where(Clearance.id.in_(relied_on), Clearance.state == "valid")
    tiles += [
        (
            lazy_gettext("Valid clearances"),
            valid,
            # HR comes to print certificates: the tile leads straight there.
            url_for("certificates.export") if role == "hr" else url_for("clearances.index", state="valid"),
            lazy_gettext("Certificates") if role == "hr" else show,
            "success",
        ),
        (
            lazy_gettext("Expiring within %(days)d days", days=_horizon_days()),
            valid.where(Clearance.valid_until <= bindparam("horizon")),
            url_for("clearances.index", state="valid"),
            lazy_gettext("First to end first"),
            "warning",
        ),
    ]
    return tiles


def _auditor_tiles() -> list[TileSpec]:
    applications = _applications("all")
    return [
        (
            lazy_gettext("In the work queue"),
            applications.where(Application.state.in_(sorted(QUEUE_STATES))),
            url_for("applications.index"),
            lazy_gettext("Show"),
            "",
        ),
        (
            lazy_gettext("Appeals"),
            applications.where(Application.state == "appealed"),
            url_for("applications.index", state="appealed"),
            lazy_gettext("Show"),
            "warning",
        ),
    ]


def _applications(sees: str) -> Select:  # type: ignore[type-arg]
    """The applications a dashboard counts (as ``queries.visible``): an employer's own (``organisation_id``
    bound when counted), or all of them for the authority."""
    statement = select(Application)
    return statement.where(Application.organisation_id == bindparam("organisation_id")) if sees != "all" else statement


def _horizon_days() -> int:
    return max(settings().deadlines.expiry_notice_days, default=90)


#: Where each app keeps its dashboards, built once per role, language and application root (see :func:`_board`).
_BOARDS_KEY = "screening.dashboards"


def _board(role: str) -> tuple[list[tuple[str, str, str, str]], Select]:  # type: ignore[type-arg]
    """The role's tiles in the request's language (label, link, link label, style) and the one statement that
    counts them all (bound: the organisation, today, the expiry horizon), built once per role, language and
    application root: building the counts' statement and translating the tiles cost more than counting."""
    key = (role, str(get_locale() or "en"), request.script_root)
    boards: dict[Any, Any] = current_app.extensions.setdefault(_BOARDS_KEY, {})
    found = boards.get(key)
    if found is None:
        if role == "officer":
            specs = _officer_tiles()
        elif role in EMPLOYER_ROLES:
            specs = _employer_tiles(role)
        else:
            specs = _auditor_tiles()
        words = [(str(label), link, str(link_label), style) for label, _s, link, link_label, style in specs]
        found = (words, counts_statement([spec[1] for spec in specs]))
        if len(boards) < 64:
            boards[key] = found
    return found


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
    words, statement = _board(role)
    on = today()
    values = {"organisation_id": current_user.organisation_id, "today": on}
    values["horizon"] = on + timedelta(days=_horizon_days())
    counts = db.session.connection().execute(statement, values).one()
    tiles = [
        Tile(label, count or 0, link, link_label, style)
        for (label, link, link_label, style), count in zip(words, counts, strict=True)
    ]
    return render_template("core/home.html", tiles=tiles, count_limit=COUNT_LIMIT)


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
