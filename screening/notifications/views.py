"""The outbox for administrators: what was sent, what waits, what failed and why.

Messages carry personal data (names, outcomes, the person's signed link, which acts for the person). The
administrator runs the delivery, not the screening, so outside the demo the pages show who, which kind of
message, when and what went wrong, never the subject or the text. In the demo the outbox is the
developer's mailbox and shows everything.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from screening.actors import Actor
from screening.audit.operations import record
from screening.auth.access import roles
from screening.clock import utcnow
from screening.db import db
from screening.extensions import settings
from screening.notifications import mailer
from screening.notifications.alerts import MailTrouble, mail_trouble
from screening.notifications.forms import BulkRetryForm
from screening.notifications.models import OUTBOX_STATES, OutboxMessage
from screening.notifications.operations import capture_mode
from screening.notifications.retry import RetryFilter, failed_kinds, retry_failed_mail
from screening.pagination import paginate

bp = Blueprint("outbox", __name__, url_prefix="/admin/outbox")


@bp.route("")
@roles("admin")
def index() -> str:
    state = request.args.get("state") if request.args.get("state") in OUTBOX_STATES else None
    statement = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if state:
        statement = statement.where(OutboxMessage.state == state)
    page = paginate(statement, request.args.get("page", 1, type=int) or 1, settings().app.page_size)
    counts = dict.fromkeys(OUTBOX_STATES, 0)
    counts.update(db.session.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)).all())
    return render_template(
        "admin/outbox.html", page=page, state=state, states=OUTBOX_STATES, counts=counts, capture=capture_mode(),
        show_content=settings().app.demo, retry_form=_retry_form() if counts["failed"] else None,
    )  # fmt: skip


def _retry_form() -> BulkRetryForm:
    form = BulkRetryForm()
    form.template.choices = [("", _("Every kind")), *((kind, kind) for kind in failed_kinds())]
    return form


@bp.route("/retry", methods=["POST"])
@roles("admin")
def retry_many() -> Response:
    """Send failed messages again in bulk (all, or by kind and the days they were written), audited."""
    form = _retry_form()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "danger")
        return redirect(url_for("outbox.index", state="failed"))
    which = RetryFilter(
        form.template.data or None, form.first_day.data, form.last_day.data, settings().scheduler.timezone
    )
    count = retry_failed_mail(Actor.of(current_user, request.remote_addr), which, utcnow())
    flash(_("%(count)d messages will be sent again at the next delivery run.", count=count), "success")
    return redirect(url_for("outbox.index", state="pending"))


@bp.app_template_global()
def mail_warning() -> MailTrouble | None:
    """For the banner on administrators' pages (base.html asks only for a signed-in admin)."""
    return mail_trouble(utcnow())


@bp.route("/<int:message_id>")
@roles("admin")
def detail(message_id: int) -> str:
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        abort(404)
    return render_template(
        "admin/outbox_message.html", message=message, show_content=settings().app.demo, form=FlaskForm()
    )


@bp.route("/<int:message_id>/retry", methods=["POST"])
@roles("admin")
def retry(message_id: int) -> Response:
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    if message.state != "failed":
        flash(_("Only a failed message can be sent again."), "warning")
        return redirect(url_for("outbox.detail", message_id=message.id))
    mailer.retry(message, utcnow())
    record(Actor.of(current_user, request.remote_addr), "retry_mail", "outbox_message", message.id)
    flash(_("The message will be sent again at the next delivery run."), "success")
    return redirect(url_for("outbox.detail", message_id=message.id))
