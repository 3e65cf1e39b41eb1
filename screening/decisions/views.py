"""Irreversible steps go through review (GOV.UK "check your answers"): the step's form, then a page that shows
what will be recorded and what the person and the employer will each receive, then the confirmation, which
is the step itself (``applications.transition`` / ``clearances.transition`` hand irreversible events here).

Which steps are irreversible is the declaration's ``Event(..., irreversible=True)`` in ``workflows/``; the
detail pages offer those only as links to this review. The preview is the step itself, taken inside a
savepoint and rolled back: the messages shown are the outbox rows the step would write, so the preview cannot
drift from what is sent. Every required answer that is missing gets its message at its field.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from screening.actors import Actor
from screening.applications import operations as applications
from screening.applications import queries as application_queries
from screening.applications.declaration import person_recipient
from screening.audit.operations import record_read
from screening.auth.access import roles
from screening.clearances import operations as clearances
from screening.clearances import queries as clearance_queries
from screening.clock import today, utcnow
from screening.db import db
from screening.decisions.forms import DecisionForm
from screening.decisions.operations import Letter, check_letter
from screening.decisions.queries import document
from screening.errors import DomainError, InvalidInput
from screening.extensions import settings
from screening.inputs import parse_id
from screening.notifications.models import OutboxMessage
from screening.uploads import MAX_BYTES
from screening.web import REASON_LABELS, done_flash
from workflows.application import ADVICE_EVENTS, APPLICATION
from workflows.clearance import CLEARANCE
from workflows.machine import Machine
from workflows.roles import AUTHORITY_ROLES

bp = Blueprint("decisions", __name__)

#: The advice form: one page for the three advice events, the outcome chosen on it.
ADVICE = "advice"

#: Why a decision ended another (ZGW ``vervalreden``), as the history says it.
END_REASON_LABELS = {
    "annulled_on_appeal": _l("Annuls the advice on appeal"),
    "confirmed_on_appeal": _l("Confirms the advice on appeal"),
    "revoked": _l("Ends the positive decision: revoked"),
    "annulled_revocation": _l("Annuls the revocation on appeal"),
}


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    return {"END_REASON_LABELS": END_REASON_LABELS}


@dataclass
class Review:
    """One irreversible step being reviewed: of a file or of a clearance."""

    machine: Machine
    subject: Any
    #: The events offered on this page (one, or the advice events available).
    events: tuple[str, ...]
    page_event: str
    form: DecisionForm
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def is_application(self) -> bool:
        return self.machine is APPLICATION

    def transition(self, event: str) -> Any:
        return next(t for t in self.machine.transitions if t.event == event)

    def asks(self, event: str) -> dict[str, bool]:
        """Which answers the event's declaration asks for."""
        declared = self.machine.event(event)
        appeal = declared.decision == "appeal"
        return {
            "reason": self.transition(event).requires_reason or declared.grounds,
            "reason_required": self.transition(event).requires_reason,
            "disclosed": declared.discloses_grounds,
            "lodged_on": appeal,
            "letter": appeal,
        }


def _actor() -> Actor:
    return Actor.of(current_user, request.remote_addr)


def _application_review(application_id: int, event: str, form: DecisionForm | None = None) -> Review:
    application = application_queries.get_application(current_user, application_id)
    if event != ADVICE and event not in APPLICATION.irreversible:
        abort(404)
    wanted = tuple(ADVICE_EVENTS) if event == ADVICE else (event,)
    if not any(current_user.role in APPLICATION.transition_roles(e) for e in wanted):
        abort(403)
    available = applications.available_events(application, current_user.role, today(), settings().deadlines)
    events = tuple(e for e in wanted if e in available)
    return Review(APPLICATION, application, events, event, form or DecisionForm(prefix=event))


def _clearance_review(clearance_id: int, event: str, form: DecisionForm | None = None) -> Review:
    clearance = clearance_queries.get_clearance(current_user, clearance_id)
    if event not in CLEARANCE.irreversible:
        abort(404)
    if current_user.role not in CLEARANCE.transition_roles(event):
        abort(403)
    available = clearances.available_clearance_events(clearance, current_user.role, today(), settings().deadlines)
    events = (event,) if event in available else ()
    return Review(CLEARANCE, clearance, events, event, form or DecisionForm(prefix=event))


def _detail_url(review: Review) -> str:
    if review.is_application:
        return url_for("applications.detail", application_id=review.subject.id)
    return url_for("clearances.detail", clearance_id=review.subject.id)


def _review_url(review: Review) -> str:
    if review.is_application:
        return url_for("decisions.application", application_id=review.subject.id, event=review.page_event)
    return url_for("decisions.clearance", clearance_id=review.subject.id, event=review.page_event)


def _confirm_url(review: Review, event: str) -> str:
    if review.is_application:
        return url_for("applications.transition", application_id=review.subject.id, event=event)
    return url_for("clearances.transition", clearance_id=review.subject.id, event=event)


def _render(review: Review, mode: str, status: int = 200, **more: Any) -> tuple[str, int]:
    form = review.form
    if not form.version.data:
        form.version.data = str(review.subject.version)
    page = render_template(
        "decisions/review.html", review=review, form=form, mode=mode, reason_labels=REASON_LABELS,
        detail_url=_detail_url(review), review_url=_review_url(review), max_mb=MAX_BYTES // (1024 * 1024),
        language=_person_language(review), today_iso=today().isoformat(), **more,
    )  # fmt: skip
    return page, status


def _person_language(review: Review) -> str | None:
    if not review.is_application:
        return None
    return getattr(review.subject, "declared_locale", None)


def _chosen(review: Review) -> str | None:
    if review.page_event != ADVICE:
        return review.page_event
    outcome = review.form.outcome.data or ""
    return outcome if outcome in review.events else None


def _answers(review: Review, event: str | None) -> tuple[dict[str, Any], Letter | None]:
    """The answers checked field by field (every missing one gets its message), and the letter."""
    form = review.form
    errors = review.errors
    if review.page_event == ADVICE and event is None:
        errors.setdefault("outcome", []).append(_("Choose the outcome of the advice."))
    asks = review.asks(event) if event else {"reason_required": False, "lodged_on": False, "letter": False}
    reason = (form.reason.data or "").strip()
    if asks["reason_required"] and not reason:
        label = REASON_LABELS.get(event or "") or _("Reason")
        errors.setdefault("reason", []).append(_("Write the %(what)s.", what=label[:1].lower() + label[1:]))
    lodged_on: date | None = form.lodged_on.data if asks["lodged_on"] else None
    if asks["lodged_on"]:
        if form.lodged_on.errors:
            errors.setdefault("lodged_on", []).append(_("Give the date as day, month and year."))
        elif lodged_on is None:
            errors.setdefault("lodged_on", []).append(_("Give the date the appeal was lodged."))
        elif lodged_on > today():
            errors.setdefault("lodged_on", []).append(_("The lodging date cannot be in the future."))
    letter = None
    if asks["letter"]:
        content = _letter_bytes(form)
        try:
            letter = check_letter(content, required=True)
        except InvalidInput as error:
            errors.setdefault("letter", []).append(error.localized())
        if letter is not None and not form.letter_data.data:
            form.letter_data.data = base64.b64encode(letter.content).decode("ascii")
            form.letter_name.data = getattr(form.letter.data, "filename", "") or "letter"
    answers = {
        "reason": reason or None,
        "disclosed": (form.disclosed.data or "").strip() or None if event and review.asks(event)["disclosed"] else None,
        "lodged_on": lodged_on,
    }
    return answers, letter


def _letter_bytes(form: DecisionForm) -> bytes | None:
    upload = form.letter.data
    if upload is not None and getattr(upload, "filename", ""):
        return bytes(upload.read(MAX_BYTES + 1))
    if form.letter_data.data:
        try:
            return base64.b64decode(form.letter_data.data, validate=True)
        except (binascii.Error, ValueError):
            return b"not a letter"
    return None


def _fire(review: Review, event: str, answers: dict[str, Any], letter: Letter | None, version: int | None) -> None:
    actor = _actor()
    if review.is_application:
        applications.fire(
            review.subject, event, actor, settings().deadlines, reason=answers["reason"],
            disclosed_grounds=answers["disclosed"], lodged_on=answers["lodged_on"], letter=letter,
            expected_version=version, now=answers.get("now"),
        )  # fmt: skip
    else:
        clearances.fire_clearance(
            review.subject, event, actor, deadlines=settings().deadlines, reason=answers["reason"],
            disclosed_grounds=answers["disclosed"], lodged_on=answers["lodged_on"], letter=letter,
            expected_version=version, now=answers.get("now"),
        )  # fmt: skip


_LINK = re.compile(r"https?://\S+/p/\S+")


def _preview(review: Review, event: str, answers: dict[str, Any], letter: Letter | None) -> list[dict[str, str]]:
    """What the step would send, by taking it in a savepoint and rolling it back: the outbox rows it writes,
    each with who receives it (the person, or the employer and officers). The person's own link is masked."""
    now = utcnow()
    person = person_recipient(review.subject) if review.is_application else None
    person_address = (person.address or "").strip().lower() if person is not None else None
    savepoint = db.session.begin_nested()
    try:
        _fire(review, event, answers | {"now": now}, letter, parse_id(review.form.version.data))
        rows = db.session.execute(
            select(OutboxMessage.recipient, OutboxMessage.subject, OutboxMessage.body)
            .where(OutboxMessage.created_at == now)
            .order_by(OutboxMessage.id)
        ).all()
    finally:
        savepoint.rollback()
    messages = []
    for recipient, subject, body in rows:
        audience = "person" if person_address and recipient.strip().lower() == person_address else "employer"
        messages.append(
            {"audience": audience, "subject": subject, "body": _LINK.sub(_("[the person's own link]"), body)}
        )
    return messages


def _review(review: Review) -> Response | tuple[str, int]:
    """GET: the form. POST: back to the form (``step=change``) or on to the check page."""
    if not review.events:
        flash(_("This step is not possible any more. Review the file's current state."), "warning")
        return redirect(_detail_url(review))
    form = review.form
    if request.method == "GET":
        if review.page_event != ADVICE and review.asks(review.page_event)["lodged_on"] and not form.lodged_on.data:
            form.lodged_on.data = today()
        return _render(review, "edit")
    if not form.validate_on_submit():
        review.errors = {name: list(f.errors) for name, f in form._fields.items() if f.errors}
        if not review.errors:
            review.errors["version"] = [_("The form was incomplete or too long. Please try again.")]
        return _render(review, "edit", 422)
    if request.form.get("step") == "change":
        return _render(review, "edit")
    event = _chosen(review)
    answers, letter = _answers(review, event)
    if review.errors or event is None:
        return _render(review, "edit", 422)
    try:
        messages = _preview(review, event, answers, letter)
    except DomainError as error:
        db.session.rollback()
        review.errors.setdefault(error.field or "version", []).append(error.localized())
        return _render(review, "edit", 422 if error.field else error.status)
    subject = _reload(review)
    return _render(
        review, "check", event=event, answers=answers, messages=messages, subject=subject,
        confirm_url=_confirm_url(review, event), letter=letter,
    )  # fmt: skip


def _reload(review: Review) -> Any:
    """The subject as stored (the preview's savepoint was rolled back)."""
    db.session.expire_all()
    if review.is_application:
        review.subject = application_queries.get_application(current_user, review.subject.id)
    else:
        review.subject = clearance_queries.get_clearance(current_user, review.subject.id)
    return review.subject


@bp.route("/applications/<int:application_id>/decide/<event>", methods=["GET", "POST"])
@roles("requester", "officer")
def application(application_id: int, event: str) -> Response | tuple[str, int]:
    return _review(_application_review(application_id, event))


@bp.route("/clearances/<int:clearance_id>/decide/<event>", methods=["GET", "POST"])
@roles("officer")
def clearance(clearance_id: int, event: str) -> Response | tuple[str, int]:
    return _review(_clearance_review(clearance_id, event))


def confirm(
    machine: Machine, subject_id: int, event: str, render_detail: Callable[[int], tuple[str, int]]
) -> Response | tuple[str, int]:
    """The confirming submission of the check page, posted to the step itself (``<event>-...`` fields): the
    step is taken with the answers as given; a missing or wrong answer returns to the review form with the
    message at its field, any other refusal (not permitted, not possible now) to the file's page."""
    form = DecisionForm(prefix=event)
    version = parse_id(form.version.data)
    if not form.validate_on_submit() or version is None:
        flash(_("The form was incomplete or too long. Please try again."), "danger")
        return render_detail(422)
    if machine is APPLICATION:
        subject = application_queries.get_application(current_user, subject_id)
    else:
        subject = clearance_queries.get_clearance(current_user, subject_id)
    review = Review(machine, subject, (event,), event, form)
    try:
        letter = check_letter(_letter_bytes(form), required=False)
        answers = {
            "reason": (form.reason.data or "").strip() or None,
            "disclosed": (form.disclosed.data or "").strip() or None if review.asks(event)["disclosed"] else None,
            "lodged_on": form.lodged_on.data if review.asks(event)["lodged_on"] else None,
        }
        _fire(review, event, answers, letter, version)
    except DomainError as error:
        db.session.rollback()
        if error.field and review.events:
            _reload(review)
            review.page_event = ADVICE if event in ADVICE_EVENTS else event
            review.events = tuple(ADVICE_EVENTS) if review.page_event == ADVICE else (event,)
            if review.page_event == ADVICE:
                review.form = _as_advice(form, event)
            review.errors.setdefault(error.field, []).append(error.localized())
            return _render(review, "edit", 422)
        flash(error.localized(), "danger")
        return render_detail(error.status)
    flash(done_flash(machine.name, event, review.subject.state, review.subject.reference), "success")
    return redirect(_detail_url(review))


def _as_advice(form: DecisionForm, event: str) -> DecisionForm:
    """The confirmed answers of one advice event, back in the advice form (its fields are named ``advice-``)."""
    advice = DecisionForm(prefix=ADVICE, formdata=None)
    advice.outcome.data = event
    advice.reason.data = form.reason.data
    advice.disclosed.data = form.disclosed.data
    advice.version.data = form.version.data
    return advice


@bp.route("/decisions/<int:decision_id>/letter")
@roles(*AUTHORITY_ROLES)
def letter(decision_id: int) -> Response:
    """The appeal letter filed with a decision: the authority only, every read in the trail."""
    from screening.decisions.models import Decision

    decision = db.session.get(Decision, decision_id)
    stored = document(decision_id) if decision is not None else None
    if decision is None or stored is None:
        abort(404)
    if decision.application_id is not None:
        application_queries.get_application(current_user, decision.application_id)
        record_read(_actor(), "read_appeal_letter", "application", decision.application_id)
    else:
        record_read(_actor(), "read_revocation_appeal_letter", "clearance", int(decision.clearance_id or 0))
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}[stored.media_type]
    response = Response(stored.content, mimetype=stored.media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="appeal-letter-{decision_id}.{extension}"'
    response.headers["Cache-Control"] = "no-store"
    return response
