"""The person's pages, reached through the signed link (no account): consent, refusal, the state of
their own file, and withdrawal of consent before the advice."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from screening.actors import Actor
from screening.applications import operations
from screening.applications.models import Application
from screening.auth.access import public
from screening.clock import today
from screening.db import db
from screening.errors import DomainError
from screening.extensions import settings
from screening.person_link.tokens import LinkError, make_link_token, read_link_token
from workflows.application import PERSON_EVENTS

bp = Blueprint("person", __name__, url_prefix="/p")


def link_for(application: Application) -> str:
    """The person's link for an application awaiting consent (also printed on the requester's letter)."""
    token = make_link_token(
        current_app.config["SECRET_KEY"], application.id, application.person_id, application.state_changed_at
    )
    return settings().app.base_url.rstrip("/") + url_for("person.file", token=token)


def _load(token: str) -> tuple[Application, float]:
    """The application the link was made for, and when consent was asked; :class:`LinkError` otherwise."""
    link = read_link_token(current_app.config["SECRET_KEY"], token, settings().security.person_link_days)
    application = db.session.scalar(
        select(Application)
        .where(Application.id == link.application_id, Application.person_id == link.person_id)
        .options(joinedload(Application.person), joinedload(Application.organisation), joinedload(Application.function))
    )
    if application is None:
        raise LinkError("This link is not valid.")
    return application, link.asked_at


def _events(application: Application, asked_at: float) -> tuple[str, ...]:
    allowed = operations.available_events(application, "person", today(), settings().deadlines)
    if application.state == "awaiting_consent" and abs(application.state_changed_at.timestamp() - asked_at) > 0.01:
        # a link made for an earlier request for consent cannot answer this one
        allowed = tuple(e for e in allowed if e not in ("consent", "refuse"))
    return tuple(e for e in allowed if e in PERSON_EVENTS)


def _invalid(error: LinkError) -> tuple[str, int]:
    return render_template("person/invalid.html", expired=error.expired), 410 if error.expired else 404


@bp.route("/<token>")
@public
def file(token: str) -> tuple[str, int] | str:
    try:
        application, asked_at = _load(token)
    except LinkError as error:
        return _invalid(error)
    events = _events(application, asked_at)
    return render_template("person/file.html", application=application, events=events, form=FlaskForm(), token=token)


@bp.route("/<token>/<event>", methods=["POST"])
@public
def act(token: str, event: str) -> Response | tuple[str, int]:
    if event not in PERSON_EVENTS:
        abort(404)
    try:
        application, asked_at = _load(token)
    except LinkError as error:
        return _invalid(error)
    if not FlaskForm().validate_on_submit():
        abort(400)
    if event not in _events(application, asked_at):
        flash(_("This step is no longer possible: your file has moved on."), "warning")
        return render_template(
            "person/file.html", application=application, events=(), form=FlaskForm(), token=token
        ), 409
    try:
        operations.fire(
            application, event, Actor.person(application.person_id, request.remote_addr), settings().deadlines
        )
    except DomainError as error:
        db.session.rollback()
        flash(error.localized(), "danger")
        return redirect(url_for("person.file", token=token))
    messages = {
        "consent": _("Thank you. Your consent was recorded and the verification can start."),
        "refuse": _("Your refusal was recorded. No verification will take place."),
        "withdraw_consent": _("Your consent was withdrawn. The verification stops."),
    }
    flash(messages[event], "success")
    return redirect(url_for("person.file", token=token))
