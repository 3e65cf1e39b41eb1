"""The operator's pages: organisations, the critical-function catalogue and local accounts."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from screening.actors import Actor
from screening.auth.access import roles
from screening.auth.duties import deactivate_or_activate, request_account
from screening.auth.models import AccountProposal, User
from screening.auth.operations import check_kind_change
from screening.catalogue.models import DEFAULT_RENEWAL_DAYS, CriticalFunction
from screening.catalogue.operations import save_function
from screening.clock import utcnow
from screening.db import db
from screening.errors import DomainError
from screening.extensions import settings
from screening.organisations.models import Organisation
from screening.organisations.operations import save_organisation
from screening.pagination import paginate

from .forms import FunctionForm, OrganisationForm, UserForm

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _actor() -> Actor:
    return Actor.of(current_user, request.remote_addr)


def _page() -> int:
    return request.args.get("page", 1, type=int) or 1


def _field_error(form: FlaskForm, error: DomainError) -> None:
    db.session.rollback()
    target = getattr(form, error.field or "", None)
    (target.errors if target is not None else form.form_errors).append(error.localized())


# -- organisations ---------------------------------------------------------------------------
@bp.route("/organisations")
@roles("admin")
def organisations() -> str:
    query = (request.args.get("q") or "").strip()[:100]
    statement = select(Organisation).order_by(Organisation.name, Organisation.id)
    if query:
        statement = statement.where(Organisation.name.istartswith(query, autoescape=True))  # % and _ are letters
    page = paginate(statement, _page(), settings().app.page_size)
    return render_template("admin/organisations.html", page=page, query=query)


@bp.route("/organisations/new", methods=["GET", "POST"])
@bp.route("/organisations/<int:organisation_id>", methods=["GET", "POST"])
@roles("admin")
def organisation(organisation_id: int | None = None) -> str | Response | tuple[str, int]:
    existing = db.session.get(Organisation, organisation_id) if organisation_id else None
    if organisation_id and existing is None:
        abort(404)
    form = OrganisationForm(obj=existing)
    if form.validate_on_submit():
        try:
            check_kind_change(existing, form.kind.data or "")
            saved = save_organisation(
                _actor(), name=form.name.data or "", enterprise_number=form.enterprise_number.data or "",
                code=form.code.data or "", contact_email=form.contact_email.data, active=form.active.data,
                kind=form.kind.data or "", organisation=existing,
            )  # fmt: skip
        except DomainError as error:
            _field_error(form, error)
            return render_template("admin/organisation.html", form=form, organisation=existing), 422
        flash(_("Organisation %(name)s saved.", name=saved.name), "success")
        return redirect(url_for("admin.organisations"))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/organisation.html", form=form, organisation=existing), status


# -- critical functions ----------------------------------------------------------------------
@bp.route("/functions")
@roles("admin")
def functions() -> str:
    statement = select(CriticalFunction).order_by(CriticalFunction.category, CriticalFunction.code)
    page = paginate(statement, _page(), settings().app.page_size)
    return render_template("admin/functions.html", page=page)


@bp.route("/functions/new", methods=["GET", "POST"])
@bp.route("/functions/<int:function_id>", methods=["GET", "POST"])
@roles("admin")
def function(function_id: int | None = None) -> str | Response | tuple[str, int]:
    existing = db.session.get(CriticalFunction, function_id) if function_id else None
    if function_id and existing is None:
        abort(404)
    form = FunctionForm(obj=existing)
    if form.validate_on_submit():
        try:
            save_function(
                _actor(), code=form.code.data or "", name_en=form.name_en.data or "",
                name_nl=form.name_nl.data or "", name_fr=form.name_fr.data or "",
                category=form.category.data or 0, active=form.active.data, function=existing,
                notify_recognition=form.notify_recognition.data,
                required_from=form.required_from.data, renewal_days=_or_default(form.renewal_days.data),
            )  # fmt: skip
        except DomainError as error:
            _field_error(form, error)
            return render_template("admin/function.html", form=form, function=existing, **_recognition()), 422
        flash(_("Critical function saved."), "success")
        return redirect(url_for("admin.functions"))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/function.html", form=form, function=existing, **_recognition()), status


def _recognition() -> dict[str, str]:
    """Where the notices of marked functions go (set by the operator, shown to the admin who marks them)."""
    return {"recognition_recipient": settings().recognition.email.strip()}


def _or_default(renewal_days: int | None) -> int:
    """An empty renewal period is the catalogue's default, 0 stays 0 (renewal on the last day)."""
    return DEFAULT_RENEWAL_DAYS if renewal_days is None else renewal_days


# -- local accounts --------------------------------------------------------------------------
@bp.route("/users")
@roles("admin")
def users() -> str:
    statement = select(User).order_by(User.username)
    page = paginate(statement, _page(), settings().app.page_size)
    return render_template("admin/users.html", page=page, toggle=FlaskForm())


@bp.route("/users/new", methods=["GET", "POST"])
@roles("admin")
def new_user() -> str | Response | tuple[str, int]:
    form = UserForm()
    organisations = db.session.execute(select(Organisation.code, Organisation.name).order_by(Organisation.name))
    form.organisation.choices = [SelectChoice("", "—")] + [SelectChoice(code, name) for code, name in organisations]
    if form.validate_on_submit():
        try:
            made = request_account(
                _actor(), username=form.username.data or "", display_name=form.display_name.data or "",
                role=form.role.data or "", password=form.password.data or "",
                organisation_code=form.organisation.data or None, email=form.email.data, now=utcnow(),
            )  # fmt: skip
        except DomainError as error:
            _field_error(form, error)
            return render_template("admin/user.html", form=form), 422
        if isinstance(made, AccountProposal):  # an officer, auditor or admin: a second administrator approves
            flash(_("Account %(name)s is proposed: another administrator must approve it.", name=made.username), "info")
            return redirect(url_for("accounts.proposals"))
        flash(_("Account %(name)s created.", name=made.username), "success")
        return redirect(url_for("admin.users"))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/user.html", form=form), status


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@roles("admin")
def toggle_user(user_id: int) -> Response:
    form = FlaskForm()
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if not form.validate_on_submit():
        abort(400)
    try:
        deactivate_or_activate(_actor(), user)
    except DomainError as error:
        db.session.rollback()
        flash(error.localized(), "danger")
        return redirect(url_for("admin.users"))
    flash(_("Account %(name)s updated.", name=user.username), "success")
    return redirect(url_for("admin.users"))
