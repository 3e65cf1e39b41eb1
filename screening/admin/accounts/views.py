"""The administrators' account pages beyond the list: one account (its role), and the proposals that
wait for a second administrator (screening.auth.duties)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from screening.actors import Actor
from screening.admin.forms import RoleForm
from screening.auth import duties
from screening.auth.access import roles
from screening.auth.models import AccountProposal, User
from screening.clock import utcnow
from screening.db import db
from screening.errors import DomainError
from screening.organisations.models import Organisation

bp = Blueprint("accounts", __name__, url_prefix="/admin")


def _actor() -> Actor:
    return Actor.of(current_user, request.remote_addr)


def _organisation_choices() -> list[SelectChoice]:
    organisations = db.session.execute(select(Organisation.code, Organisation.name).order_by(Organisation.name))
    return [SelectChoice("", "—")] + [SelectChoice(code, name) for code, name in organisations]


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles("admin")
def account(user_id: int) -> str | Response | tuple[str, int]:
    target = db.session.get(User, user_id)
    if target is None:
        abort(404)
    form = RoleForm(data={"role": target.role, "organisation": target.organisation.code if target.organisation else ""})
    form.organisation.choices = _organisation_choices()
    if form.validate_on_submit():
        try:
            outcome = duties.change_role(
                _actor(), target, form.role.data or "", form.organisation.data or None, utcnow()
            )
        except DomainError as error:
            db.session.rollback()
            field = getattr(form, error.field or "", None)
            (field.errors if field is not None else form.form_errors).append(error.localized())
            return _page(target, form, error.status)
        if isinstance(outcome, AccountProposal):
            flash(_("The change is proposed: another administrator must approve it."), "info")
        else:
            flash(_("Account %(name)s updated.", name=target.username), "success")
        return redirect(url_for("accounts.account", user_id=target.id))
    return _page(target, form, 422 if request.method == "POST" else 200)


def _page(target: User, form: RoleForm, status: int) -> tuple[str, int]:
    pending = db.session.scalars(
        select(AccountProposal).where(AccountProposal.target_user_id == target.id, AccountProposal.decided_at.is_(None))
    ).all()
    return render_template("admin/account.html", account=target, form=form, pending=pending), status


@bp.route("/proposals")
@roles("admin")
def proposals() -> str:
    pending = duties.pending_proposals()
    proposers = {proposal.proposed_by_id for proposal in pending}
    names = {
        row.id: row.username for row in db.session.execute(select(User.id, User.username).where(User.id.in_(proposers)))
    }
    return render_template("admin/proposals.html", pending=pending, names=names, decision=FlaskForm())


@bp.route("/proposals/<int:proposal_id>/<any(approve, reject):decision>", methods=["POST"])
@roles("admin")
def decide(proposal_id: int, decision: str) -> Response:
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        duties.decide(_actor(), proposal_id, decision == "approve", utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(error.localized(), "danger")
        return redirect(url_for("accounts.proposals"))
    flash(_("Proposal approved.") if decision == "approve" else _("Proposal rejected."), "success")
    return redirect(url_for("accounts.proposals"))
