"""Home (a dashboard per role) and the health check."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, text
from werkzeug.wrappers import Response

from screening.applications.models import Application, Clearance
from screening.applications.queries import visible, visible_clearances
from screening.auth.access import public, signed_in
from screening.clock import today
from screening.db import db
from workflows.application import QUEUE_STATES

bp = Blueprint("core", __name__)


@bp.route("/")
@public
def index() -> Response:
    return redirect(url_for("core.home") if current_user.is_authenticated else url_for("auth.login"))


@bp.route("/home")
@signed_in
def home() -> str | Response:
    if current_user.role == "admin":
        return redirect(url_for("admin.organisations"))
    counts: dict[str, int] = {}
    if current_user.role in ("requester", "officer", "auditor"):
        statement = visible(current_user).with_only_columns(Application.state, func.count()).group_by(Application.state)
        counts = {state: number for state, number in db.session.execute(statement)}
    overdue = 0
    if current_user.role == "officer":
        overdue = (
            db.session.scalar(
                visible(current_user)
                .with_only_columns(func.count())
                .where(Application.state.in_(QUEUE_STATES), Application.due_on < today())
            )
            or 0
        )
    clearances: dict[str, int] = {}
    if current_user.role in ("hr", "requester", "officer"):
        statement = (
            visible_clearances(current_user).with_only_columns(Clearance.state, func.count()).group_by(Clearance.state)
        )
        clearances = {state: number for state, number in db.session.execute(statement)}
    return render_template("core/home.html", counts=counts, overdue=overdue, clearances=clearances)


@bp.route("/healthz")
@public
def healthz() -> tuple[Response, int]:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok"), 200
