"""Clearances: the register an organisation relies on, and the officers' re-evaluation actions."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from screening.actors import Actor
from screening.applications import queries as applications
from screening.applications.forms import TransitionForm
from screening.applications.models import Application
from screening.audit.models import AuditEntry
from screening.audit.operations import record_read
from screening.auth.access import roles
from screening.clearances import operations, queries
from screening.clearances.recognition import notices_for
from screening.clock import today
from screening.db import db
from screening.decisions.queries import history
from screening.decisions.views import confirm as confirm_decision
from screening.errors import DomainError
from screening.extensions import settings
from screening.inputs import parse_id
from screening.web import done_flash
from workflows.clearance import CLEARANCE
from workflows.roles import AUTHORITY_ROLES, READER_ROLES

bp = Blueprint("clearances", __name__)

READERS = READER_ROLES


@bp.route("/clearances")
@roles(*READERS)
def index() -> str:
    state = request.args.get("state") or None
    if state and state not in {s.name for s in CLEARANCE.states}:
        state = None
    periodic = request.args.get("periodic") == "1"  # the periodic re-screenings under way (the queue links here)
    page = queries.list_clearance_rows(
        current_user, page=request.args.get("page", 1, type=int) or 1, per_page=settings().app.page_size,
        state="under_reevaluation" if periodic else state, periodic=periodic,
    )  # fmt: skip
    return render_template(
        "clearances/index.html", page=page, state=None if periodic else state, states=CLEARANCE.states,
        periodic=periodic,
    )  # fmt: skip


def _render(clearance_id: int, status: int = 200) -> tuple[str, int]:
    clearance = queries.get_clearance(current_user, clearance_id)
    events: tuple[str, ...] = ()
    if current_user.role == "officer":
        events = operations.available_clearance_events(clearance, "officer", today(), settings().deadlines)
    trail = []
    relying = []
    if current_user.role in AUTHORITY_ROLES:
        trail = list(
            db.session.scalars(
                select(AuditEntry)
                .where(AuditEntry.object_type == "clearance", AuditEntry.object_id == clearance.id)
                .where(AuditEntry.action.not_in(("read_clearance_grounds", "read_revocation_appeal_letter")))
                .order_by(AuditEntry.id)
            )
        )
    relying = list(
        db.session.scalars(
            applications.visible(current_user).where(Application.clearance_id == clearance.id).order_by(Application.id)
        )
    )
    decisions = history(clearance_id=clearance.id) if current_user.role in AUTHORITY_ROLES else []
    if any(row.decision.grounds for row in decisions):  # grounds read: in the trail, officer or auditor
        record_read(Actor.of(current_user, request.remote_addr), "read_clearance_grounds", "clearance", clearance.id)
    forms = {event: TransitionForm(version=str(clearance.version), prefix=event) for event in events}
    page = render_template(
        "clearances/detail.html", clearance=clearance, events=events, forms=forms, history=trail, relying=relying,
        holder=queries.holders_for(current_user, [clearance]).get(clearance.id), decisions=decisions,
        IRREVERSIBLE=CLEARANCE.irreversible, authority=current_user.role in AUTHORITY_ROLES,
        recognition_notices=(
            notices_for(clearance.application_id, clearance.id) if current_user.role in AUTHORITY_ROLES else ()
        ),
    )  # fmt: skip
    return page, status


@bp.route("/clearances/<int:clearance_id>")
@roles(*READERS)
def detail(clearance_id: int) -> tuple[str, int]:
    return _render(clearance_id)


@bp.route("/clearances/<int:clearance_id>/<event>", methods=["POST"])
@roles("officer")
def transition(clearance_id: int, event: str) -> Response | tuple[str, int]:
    clearance = queries.get_clearance(current_user, clearance_id)
    if event not in CLEARANCE.events:
        abort(404)
    if event in CLEARANCE.irreversible:  # confirmed from its check page (screening.decisions.views)
        return confirm_decision(CLEARANCE, clearance_id, event, lambda status: _render(clearance_id, status))
    form = TransitionForm(prefix=event)
    version = parse_id(form.version.data)
    if not form.validate_on_submit() or version is None:
        flash(_("The form was incomplete or too long. Please try again."), "danger")
        return _render(clearance_id, 422)
    try:
        operations.fire_clearance(
            clearance, event, Actor.of(current_user, request.remote_addr), deadlines=settings().deadlines,
            reason=form.reason.data, expected_version=version,
        )  # fmt: skip
    except DomainError as error:
        db.session.rollback()
        flash(error.localized(), "danger")
        return _render(clearance_id, error.status)
    flash(done_flash("clearance", event, clearance.state, clearance.reference), "success")
    return redirect(url_for("clearances.detail", clearance_id=clearance.id))
