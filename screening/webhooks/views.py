"""The employer's webhook pages: its endpoints, each one's delivery log, a delivery's attempts; subscribe,
change, rotate the secret, disable and enable, delete, send a test event, redeliver one delivery. Screening
managers (requester role) of the endpoint's own organisation only; anything else is 404 (see :mod:`.queries`).
The API's webhook endpoints (screening.api.webhook_views) call the same forms, queries and operations."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from screening.actors import Actor
from screening.auth.access import roles
from screening.clock import utcnow
from screening.db import db
from screening.errors import DomainError
from screening.extensions import settings, vault
from screening.webhooks import operations, queries
from screening.webhooks.events import EVENT_TYPES
from screening.webhooks.forms import EndpointForm, VersionForm, expected_version
from screening.webhooks.models import WebhookEndpoint

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")


def _actor() -> Actor:
    return Actor.of(current_user, request.remote_addr)


def _index(form: EndpointForm, status: int = 200, secret: operations.NewSecret | None = None) -> tuple[str, int]:
    page = render_template(
        "webhooks/index.html", endpoints=queries.endpoints(current_user), form=form, event_types=EVENT_TYPES,
        new_secret=secret,
    )  # fmt: skip
    return page, status


@bp.route("")
@roles("requester")
def index() -> tuple[str, int]:
    form = EndpointForm()
    if not form.is_submitted():
        form.event_types.data = list(EVENT_TYPES)
    return _index(form)


@bp.route("", methods=["POST"])
@roles("requester")
def subscribe() -> Response | tuple[str, int]:
    form = EndpointForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return _index(form, 422)
    try:
        created = operations.subscribe(
            _actor(), vault(), settings().webhooks, url=form.url.data or "", event_types=form.event_types.data or [],
            description=form.description.data or "", now=utcnow(),
        )  # fmt: skip
    except DomainError as error:
        _field_error(form, error)
        return _index(form, error.status)
    # The secret is shown on this answer only (never in a redirect's flash, which the session cookie carries).
    return _endpoint_page(created.endpoint, secret=created)


def _field_error(form: EndpointForm, error: DomainError) -> None:
    field = getattr(form, error.field or "", None)
    if field is not None:
        field.errors = [*field.errors, error.localized()]
    else:
        form.form_errors.append(error.localized())


def _endpoint_page(
    endpoint: WebhookEndpoint, *, form: EndpointForm | None = None, secret: operations.NewSecret | None = None,
    status: int = 200,
) -> tuple[str, int]:  # fmt: skip
    if form is None:
        form = EndpointForm(
            url=endpoint.url, description=endpoint.description, event_types=list(endpoint.event_types),
            version=str(endpoint.version),
        )  # fmt: skip
    log = queries.delivery_log(
        current_user, endpoint, request.args.get("page", 1, type=int) or 1, settings().app.page_size
    )
    page = render_template(
        "webhooks/endpoint.html", endpoint=endpoint, form=form, log=log, new_secret=secret,
        action=VersionForm(version=str(endpoint.version)), event_types=EVENT_TYPES,
    )  # fmt: skip
    return page, status


@bp.route("/<int:endpoint_id>")
@roles("requester")
def endpoint(endpoint_id: int) -> tuple[str, int]:
    return _endpoint_page(queries.get_endpoint(current_user, endpoint_id))


@bp.route("/<int:endpoint_id>", methods=["POST"])
@roles("requester")
def change(endpoint_id: int) -> Response | tuple[str, int]:
    endpoint = queries.get_endpoint(current_user, endpoint_id)
    form = EndpointForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return _endpoint_page(endpoint, form=form, status=422)
    try:
        operations.change(
            _actor(), settings().webhooks, endpoint, url=form.url.data or "", event_types=form.event_types.data or [],
            description=form.description.data or "", expected_version=expected_version(form), now=utcnow(),
        )  # fmt: skip
    except DomainError as error:
        _field_error(form, error)
        return _endpoint_page(endpoint, form=form, status=error.status)
    flash(_("The endpoint was saved."), "success")
    return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint.id))


def _action_form() -> VersionForm:
    form = VersionForm()
    if not form.validate_on_submit():
        abort(400)
    return form


@bp.route("/<int:endpoint_id>/rotate", methods=["POST"])
@roles("requester")
def rotate(endpoint_id: int) -> Response | tuple[str, int]:
    endpoint = queries.get_endpoint(current_user, endpoint_id)
    form = _action_form()
    try:
        rotated = operations.rotate_secret(
            _actor(), vault(), settings().webhooks, endpoint, expected_version=expected_version(form), now=utcnow()
        )
    except DomainError as error:
        flash(error.localized(), "danger")
        return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint.id))
    return _endpoint_page(endpoint, secret=rotated)


@bp.route("/<int:endpoint_id>/<any(enable, disable):action>", methods=["POST"])
@roles("requester")
def set_state(endpoint_id: int, action: str) -> Response:
    endpoint = queries.get_endpoint(current_user, endpoint_id)
    form = _action_form()
    state = "active" if action == "enable" else "disabled"
    try:
        operations.set_state(_actor(), endpoint, state, expected_version=expected_version(form), now=utcnow())
    except DomainError as error:
        flash(error.localized(), "danger")
    else:
        flash(_("The endpoint is enabled.") if state == "active" else _("The endpoint is disabled."), "success")
    return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint.id))


@bp.route("/<int:endpoint_id>/delete", methods=["POST"])
@roles("requester")
def unsubscribe(endpoint_id: int) -> Response:
    endpoint = queries.get_endpoint(current_user, endpoint_id)
    form = _action_form()
    try:
        operations.unsubscribe(_actor(), endpoint, expected_version=expected_version(form), now=utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(error.localized(), "danger")
        return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint_id))
    flash(_("The endpoint was deleted."), "success")
    return redirect(url_for("webhooks.index"))


@bp.route("/<int:endpoint_id>/test", methods=["POST"])
@roles("requester")
def send_test(endpoint_id: int) -> Response:
    endpoint = queries.get_endpoint(current_user, endpoint_id)
    _action_form()
    operations.send_test(_actor(), endpoint, utcnow())
    flash(_("A test event is queued; the log below shows its delivery within a few seconds."), "success")
    return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint.id))


@bp.route("/deliveries/<int:delivery_id>")
@roles("requester")
def delivery(delivery_id: int) -> str:
    found, event = queries.get_delivery(current_user, delivery_id)
    endpoint = queries.get_endpoint(current_user, found.endpoint_id)
    return render_template(
        "webhooks/delivery.html", delivery=found, event=event, endpoint=endpoint, attempts=queries.attempts(found),
        action=VersionForm(),
    )  # fmt: skip


@bp.route("/deliveries/<int:delivery_id>/redeliver", methods=["POST"])
@roles("requester")
def redeliver(delivery_id: int) -> Response:
    found, _event = queries.get_delivery(current_user, delivery_id)
    endpoint = queries.get_endpoint(current_user, found.endpoint_id)
    _action_form()
    try:
        again = operations.redeliver(_actor(), found, endpoint, utcnow())
    except DomainError as error:
        flash(error.localized(), "danger")
        return redirect(url_for("webhooks.delivery", delivery_id=found.id))
    flash(_("The delivery is queued again."), "success")
    return redirect(url_for("webhooks.delivery", delivery_id=again.id))
