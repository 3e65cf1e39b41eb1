"""The administrator's pages of an access-control organisation: its API tokens and its webhook endpoints.

Such an organisation (the operator of the gates or of the badge system) has no accounts: its systems only
read the status list. So the administrator makes its tokens, with the access-control scope only, shown
once and audited like a screening manager's (the tokens work while their maker is an active
administrator), and subscribes its endpoints to ``status_list.changed``, the one event it may hear.
"""

from __future__ import annotations

from datetime import datetime, time

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from screening.actors import Actor
from screening.api import operations, queries
from screening.api.models import ACCESS_CONTROL_SCOPE
from screening.api.tokens.forms import AccessControlTokenForm
from screening.auth.access import roles
from screening.clock import BRUSSELS, utcnow
from screening.db import db
from screening.errors import DomainError
from screening.extensions import settings, vault
from screening.organisations.models import Organisation
from screening.webhooks import operations as webhook_operations
from screening.webhooks import queries as webhook_queries
from screening.webhooks.events import ACCESS_CONTROL_EVENT_TYPES
from screening.webhooks.forms import AccessControlEndpointForm, VersionForm, expected_version

bp = Blueprint("access_control", __name__, url_prefix="/admin/organisations")


def _organisation(organisation_id: int) -> Organisation:
    """An access-control organisation; 404 for any other (an employer's tokens are its own business)."""
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None or not organisation.is_access_control:
        abort(404)
    return organisation


def _page(
    organisation: Organisation, form: AccessControlTokenForm | None = None, secret: str | None = None,
    status: int = 200,
) -> tuple[str, int]:  # fmt: skip
    page = queries.tokens_of(
        organisation.id, page=request.args.get("page", 1, type=int) or 1, per_page=settings().app.page_size
    )
    return render_template(
        "admin/access_control_tokens.html", organisation=organisation, page=page,
        form=form or AccessControlTokenForm(), secret=secret, revoke_form=FlaskForm(),
    ), status  # fmt: skip


@bp.route("/<int:organisation_id>/tokens")
@roles("admin")
def tokens(organisation_id: int) -> tuple[str, int]:
    return _page(_organisation(organisation_id))


@bp.route("/<int:organisation_id>/tokens", methods=["POST"])
@roles("admin")
def create_token(organisation_id: int) -> tuple[str, int]:
    organisation = _organisation(organisation_id)
    form = AccessControlTokenForm()
    if not form.validate_on_submit():
        return _page(organisation, form, status=422)
    expires_at = None
    if form.expires_on.data:
        expires_at = datetime.combine(form.expires_on.data, time(23, 59, 59), BRUSSELS)
    try:
        token, secret = operations.create_token(
            Actor.of(current_user, request.remote_addr), name=form.name.data or "", scopes=[ACCESS_CONTROL_SCOPE],
            expires_at=expires_at, organisation=organisation,
        )  # fmt: skip
    except DomainError as error:
        db.session.rollback()
        target = getattr(form, error.field or "", None)
        (target.errors if target is not None else form.form_errors).append(error.localized())  # type: ignore[union-attr]
        return _page(organisation, form, status=422)
    flash(_("Token %(name)s made. Copy it now: it is not shown again.", name=token.name), "success")
    return _page(organisation, AccessControlTokenForm(formdata=None), secret=secret)


@bp.route("/<int:organisation_id>/tokens/<int:token_id>/revoke", methods=["POST"])
@roles("admin")
def revoke_token(organisation_id: int, token_id: int) -> Response | tuple[str, int]:
    organisation = _organisation(organisation_id)
    token = queries.token_of(organisation.id, token_id)
    if not FlaskForm().validate_on_submit():
        return _page(organisation, status=422)
    try:
        operations.revoke_token(Actor.of(current_user, request.remote_addr), token)
    except DomainError as error:
        db.session.rollback()
        flash(error.localized(), "danger")
        return _page(organisation, status=error.status)
    flash(_("Token %(name)s revoked: it no longer works.", name=token.name), "success")
    return redirect(url_for("access_control.tokens", organisation_id=organisation.id))


# -- webhooks ---------------------------------------------------------------------------------------------


def _webhooks_page(
    organisation: Organisation, form: AccessControlEndpointForm | None = None,
    secret: webhook_operations.NewSecret | None = None, status: int = 200,
) -> tuple[str, int]:  # fmt: skip
    return render_template(
        "admin/access_control_webhooks.html", organisation=organisation,
        endpoints=webhook_queries.endpoints_of(organisation.id), form=form or AccessControlEndpointForm(),
        new_secret=secret, event_types=ACCESS_CONTROL_EVENT_TYPES, action=VersionForm,
    ), status  # fmt: skip


@bp.route("/<int:organisation_id>/webhooks")
@roles("admin")
def webhooks(organisation_id: int) -> tuple[str, int]:
    return _webhooks_page(_organisation(organisation_id))


@bp.route("/<int:organisation_id>/webhooks", methods=["POST"])
@roles("admin")
def subscribe(organisation_id: int) -> tuple[str, int]:
    organisation = _organisation(organisation_id)
    form = AccessControlEndpointForm()
    if not form.validate_on_submit():
        return _webhooks_page(organisation, form, status=422)
    try:
        created = webhook_operations.subscribe(
            Actor.of(current_user, request.remote_addr), vault(), settings().webhooks, url=form.url.data or "",
            event_types=list(ACCESS_CONTROL_EVENT_TYPES), description=form.description.data or "", now=utcnow(),
            organisation_id=organisation.id,
        )  # fmt: skip
    except DomainError as error:
        db.session.rollback()
        target = getattr(form, error.field or "", None)
        (target.errors if target is not None else form.form_errors).append(error.localized())  # type: ignore[union-attr]
        return _webhooks_page(organisation, form, status=error.status)
    return _webhooks_page(organisation, AccessControlEndpointForm(formdata=None), secret=created)


@bp.route("/<int:organisation_id>/webhooks/<int:endpoint_id>/<any(enable, disable):action>", methods=["POST"])
@roles("admin")
def set_endpoint_state(organisation_id: int, endpoint_id: int, action: str) -> Response:
    organisation = _organisation(organisation_id)
    endpoint = next((e for e in webhook_queries.endpoints_of(organisation.id) if e.id == endpoint_id), None)
    form = VersionForm()
    if endpoint is None:
        abort(404)
    if not form.validate_on_submit():
        abort(400)
    state = "active" if action == "enable" else "disabled"
    try:
        webhook_operations.set_state(
            Actor.of(current_user, request.remote_addr), endpoint, state, expected_version=expected_version(form),
            now=utcnow(),
        )  # fmt: skip
    except DomainError as error:
        db.session.rollback()
        flash(error.localized(), "danger")
    else:
        flash(_("The endpoint is enabled.") if state == "active" else _("The endpoint is disabled."), "success")
    return redirect(url_for("access_control.webhooks", organisation_id=organisation.id))
