"""Applications: lists, the officer's queue, the new-application form, detail, and every transition."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, NamedTuple

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from screening.actors import Actor
from screening.applications import assignment, attachments, operations, queries
from screening.applications.attachments import EXTENSIONS
from screening.applications.declaration import LANGUAGE_NAMES, Recorded, declared_form_data, differences
from screening.applications.forms import ApplicationForm, ConsentFormUpload, DraftForm, TransitionForm
from screening.applications.models import Application, InfoAttachment
from screening.applications.paper import MAX_BYTES, record_paper_consent
from screening.applications.queries import READERS
from screening.applications.rows import application_rows
from screening.audit.operations import record_read
from screening.auth.access import roles
from screening.catalogue.models import CriticalFunction
from screening.clearances.recognition import notices_for
from screening.clearances.rescreening import periodic_under_review
from screening.clock import today
from screening.db import db
from screening.decisions.queries import history
from screening.decisions.views import confirm as confirm_decision
from screening.errors import Conflict, DomainError
from screening.extensions import settings, vault
from screening.inputs import parse_id
from screening.person_link.views import letter_context, letter_language
from screening.web import EVENT_LABELS, REASON_LABELS, ROLE_LABELS, STATE_LABELS, done_flash
from workflows.application import ADVICE_EVENTS, APPLICATION, DECIDED_STATES, DISCLOSING_EVENTS, QUEUE_STATES
from workflows.roles import AUTHORITY_ROLES

bp = Blueprint("applications", __name__)
bp.add_app_template_global(application_rows)


def _actor() -> Actor:
    return Actor.of(current_user, request.remote_addr)


def _page() -> int:
    return request.args.get("page", 1, type=int) or 1


def _locale() -> str:
    """The interface language, so lists name critical functions in it (chosen in SQL, not per row)."""
    return str(get_locale() or "en")


@bp.route("/applications")
@roles(*READERS)
def index() -> str:
    state = request.args.get("state") or None
    if state and state not in {s.name for s in APPLICATION.states}:
        state = None
    query = (request.args.get("q") or "").strip()[:100] or None
    page = queries.list_applications(
        current_user, page=_page(), per_page=settings().app.page_size, state=state, query=query, locale=_locale()
    )
    return render_template(
        "applications/index.html", page=page, state=state, query=query or "", states=APPLICATION.states
    )


@bp.route("/queue")
@roles("officer")
def queue() -> str:
    state = request.args.get("state") or None
    overdue = request.args.get("overdue") == "1"
    sort = request.args.get("sort") if request.args.get("sort") in queries.QUEUE_SORTS else "submitted"
    mine = request.args.get("mine") == "1"
    page = queries.officer_queue(
        current_user, page=_page(), per_page=settings().app.page_size, state=state, locale=_locale(),
        overdue_on=today() if overdue else None, sort=sort, assigned_to=current_user.id if mine else None,
    )  # fmt: skip
    return render_template(
        "applications/queue.html", page=page, state=state, overdue_only=overdue, queue_states=QUEUE_STATES,
        today=today(), sort=sort, mine=mine, sorts=queries.QUEUE_SORTS, rescreenings=periodic_under_review(),
    )  # fmt: skip


def _back_to_queue() -> Response:
    """The queue as the officer left it (sort, filter, page), from the form's hidden fields."""
    values = {key: request.form.get(key) for key in ("state", "sort", "mine", "overdue", "page")}
    kept = {key: value for key, value in values.items() if value and value.isascii() and len(value) <= 20}
    return redirect(url_for("applications.queue", **kept))


@bp.route("/queue/claim/<int:application_id>", methods=["POST"])
@roles("officer")
def claim(application_id: int) -> Response:
    application = queries.get_application(current_user, application_id)
    version = parse_id(request.form.get("version"))
    if version is None:
        flash(_("The form was incomplete or too long. Please try again."), "danger")
        return _back_to_queue()
    try:
        assignment.claim(application, _actor(), expected_version=version)
    except DomainError as error:
        db.session.rollback()
        flash(error.localized(), "danger")
        return _back_to_queue()
    flash(_("Application %(reference)s is assigned to you.", reference=application.reference), "success")
    return _back_to_queue()


@bp.route("/queue/start-review", methods=["POST"])
@roles("officer")
def start_reviews() -> Response:
    versions: dict[int, int] = {}
    for value in request.form.getlist("file")[: assignment.BULK_LIMIT + 1]:
        number, _colon, seen = value.partition(":")
        file_id, version = parse_id(number), parse_id(seen)
        if file_id is None or version is None:
            flash(_("The form was incomplete or too long. Please try again."), "danger")
            return _back_to_queue()
        versions[file_id] = version
    try:
        started = assignment.start_reviews(queries.visible(current_user), versions, _actor(), settings().deadlines)
    except DomainError as error:
        db.session.rollback()
        flash(error.localized(), "danger")
        return _back_to_queue()
    references = ", ".join(application.reference for application in started)
    flash(
        ngettext("Review started for %(references)s.", "Reviews started for %(num)d files: %(references)s.",
                 len(started), references=references),
        "success",
    )  # fmt: skip
    return _back_to_queue()


def _function_choices() -> list[SelectChoice]:
    from flask_babel import get_locale

    locale = str(get_locale() or "en")
    functions = db.session.scalars(
        select(CriticalFunction)
        .where(CriticalFunction.active)
        .order_by(CriticalFunction.category, CriticalFunction.code)
    )
    return [SelectChoice(str(f.id), f"{f.name(locale)} ({_('category')} {f.category})") for f in functions]


def _refused(form: ApplicationForm, error: DomainError, page: str, **context: object) -> tuple[str, int]:
    """The form again, with the operation's refusal at its field (or above the form)."""
    db.session.rollback()
    target = getattr(form, error.field or "", None)
    (target.errors if target is not None else form.form_errors).append(error.localized())  # type: ignore[union-attr]
    return render_template(page, form=form, **context), error.status


@bp.route("/applications/new", methods=["GET", "POST"])
@roles("requester")
def new() -> str | Response | tuple[str, int]:
    form = ApplicationForm()
    form.function_id.choices = _function_choices()
    if form.validate_on_submit():
        try:
            application = operations.create_application(
                _actor(), vault(), organisation_id=current_user.organisation_id,
                function_id=form.function_id.data, person=form.person_details(),
            )  # fmt: skip
        except DomainError as error:
            return _refused(form, error, "applications/new.html")
        flash(_("Application %(ref)s saved as a draft. Submit it when ready.", ref=application.reference), "success")
        return redirect(url_for("applications.detail", application_id=application.id))
    status = 422 if request.method == "POST" else 200
    return render_template("applications/new.html", form=form), status


@bp.route("/applications/<int:application_id>/edit", methods=["GET", "POST"])
@roles("requester")
def edit(application_id: int) -> str | Response | tuple[str, int]:
    """The draft's form again, filled with what this employer declared; the same checks as a new one."""
    application = queries.get_application(current_user, application_id)
    if application.state != "draft":
        abort(404)
    form = DraftForm(data=None if request.method == "POST" else declared_form_data(application, vault()))
    form.function_id.choices = _function_choices()
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("applications/new.html", form=form, application=application), status
    version = parse_id(form.version.data)
    try:
        changed = operations.edit_draft(
            application, _actor(), vault(), function_id=form.function_id.data, person=form.person_details(),
            expected_version=version if version is not None else -1,
        )  # fmt: skip
    except DomainError as error:
        return _refused(form, error, "applications/new.html", application=application)
    if changed:
        flash(_("Draft %(ref)s saved with your changes.", ref=application.reference), "success")
    else:
        flash(_("Nothing was changed in draft %(ref)s.", ref=application.reference), "info")
    return redirect(url_for("applications.detail", application_id=application_id))


@bp.route("/applications/<int:application_id>/letter")
@roles("requester")
def letter(application_id: int) -> str:
    """A printable letter asking the person for consent, in the person's language: the consent link as a QR
    code and a short code, and the signature block of the paper form the upload step expects."""
    application = queries.get_application(current_user, application_id)
    if application.state != "awaiting_consent":
        abort(404)
    language = letter_language(application)
    with force_locale(language):
        return render_template(
            "applications/letter.html", application=application, language=language, **letter_context(application)
        )


def _render_detail(application_id: int, status: int = 200) -> tuple[str, int]:
    """The file page: the file as one flat row (queries.get_file), its trail, and for the authority its
    decisions, documents and notices; every read scoped in ``queries`` and none of them an ORM object graph."""
    role = current_user.role
    authority = role in AUTHORITY_ROLES
    locale = _locale()
    application = queries.get_file(current_user, application_id, locale)
    events = operations.available_events(application, role, today(), settings().deadlines)  # type: ignore[arg-type]
    decisions = history(application_id=application.id) if authority else []
    shows_grounds = any(row.decision.grounds for row in decisions)
    if shows_grounds:
        # Reading grounds is itself sensitive: the trail shows who saw them, officer or auditor (written when
        # the request ends, outside the page's read transaction).
        organisation_id = application.organisation_id
        record_read(_actor(), "read_grounds", "application", application.id, organisation_id=organisation_id)
    changes, grounds_reads = queries.timeline(application.id)
    page = render_template(
        "applications/detail.html",
        application=application,
        timeline=changes,
        grounds_reads=grounds_reads if authority else None,
        events=events,
        transitions=TRANSITIONS,
        labels=_labels(locale),
        role=role,
        disclosable_events=DISCLOSING_EVENTS,
        overdue=queries.is_overdue(application, today()),  # type: ignore[arg-type]
        decided=application.state in DECIDED_STATES,
        authority=authority,
        shows_grounds=shows_grounds,
        decisions=decisions,
        IRREVERSIBLE=APPLICATION.irreversible,
        ADVICE_EVENT_NAMES=ADVICE_EVENT_NAMES,
        # what differs between this employer's declaration and the authority's record: officers only
        mismatch=_mismatch(application) if role == "officer" else (),
        languages=LANGUAGE_NAMES,
        documents=attachments.attachments_of(application.id) if role == "officer" else (),
        recognition_notices=notices_for(application.id, application.clearance_id) if authority else (),
        attachment_limits=(settings().documents.attachment_max_mb, settings().documents.attachments_per_answer),
    )
    return page, status


def _mismatch(application: queries.FileRow) -> tuple[str, ...]:
    recorded = Recorded(
        application.person_given_names, application.person_family_name, application.person_date_of_birth,
        application.person_erased_at,
    )  # fmt: skip
    return differences(application, recorded)  # type: ignore[arg-type]


class Labels(NamedTuple):
    """The file page's words for events, states, roles and reasons, translated once per language."""

    event: dict[str, Markup]
    state: dict[str, Markup]
    role: dict[str, Markup]
    reason: dict[str, Markup]


@lru_cache(maxsize=16)
def _labels(locale: str) -> Labels:
    """:class:`Labels` in ``locale`` (the request's language, which translates them): the trail and the
    actions show a dozen, and each lazy label looked its language and catalogue up again. Markup, as a lazy
    label (or ``_()``) is inserted into a template unescaped."""

    def translated(labels: dict[str, Any]) -> dict[str, Markup]:
        # our own catalogues' text, inserted as Jinja inserts a lazy label or ``_()``'s result
        return {name: Markup(str(label)) for name, label in labels.items()}  # noqa: S704

    events, states = translated(EVENT_LABELS), translated(STATE_LABELS)
    return Labels(events, states, translated(ROLE_LABELS), translated(REASON_LABELS))


#: The file page's fixed lookups, built once.
TRANSITIONS = {t.event: t for t in APPLICATION.transitions}
ADVICE_EVENT_NAMES = tuple(ADVICE_EVENTS)


@bp.route("/applications/<int:application_id>")
@roles(*READERS)
def detail(application_id: int) -> tuple[str, int]:
    return _render_detail(application_id)


@bp.route("/applications/<int:application_id>/<event>", methods=["POST"])
@roles("requester", "officer")
def transition(application_id: int, event: str) -> Response | tuple[str, int]:
    application = queries.get_application(current_user, application_id)
    if event not in APPLICATION.events:
        abort(404)
    if event in APPLICATION.irreversible:  # confirmed from its check page (screening.decisions.views)
        return confirm_decision(APPLICATION, application_id, event, lambda code: _render_detail(application_id, code))
    form = TransitionForm(prefix=event)
    version = parse_id(form.version.data)
    if not form.validate_on_submit() or version is None:
        flash(_("The form was incomplete or too long. Please try again."), "danger")
        return _render_detail(application_id, 422)
    try:
        if event == "provide_info":
            _provide_info(application, form.reason.data, version)
        else:
            operations.fire(
                application, event, _actor(), settings().deadlines, reason=form.reason.data,
                disclosed_grounds=form.disclosed.data if event in DISCLOSING_EVENTS else None,
                expected_version=version,
            )  # fmt: skip
    except DomainError as error:
        db.session.rollback()
        flash(error.localized(), "danger")
        return _render_detail(application_id, error.status)
    flash(done_flash("application", event, application.state, application.reference), "success")
    return redirect(url_for("applications.detail", application_id=application.id))


def _provide_info(application: Application, answer: str | None, version: int) -> None:
    """The requester's answer with the documents attached to it (screening.applications.attachments)."""
    attachments.answer_with_documents(
        application, _actor(), answer, request.files.getlist("provide_info-documents"), settings().documents,
        settings().deadlines, expected_version=version,
    )  # fmt: skip


@bp.route("/applications/<int:application_id>/documents/<int:document_id>")
@roles("officer")
def attachment(application_id: int, document_id: int) -> Response:
    """One document of an answer, for officers only; every download is in the audit trail."""
    application = queries.get_application(current_user, application_id)
    document = db.session.get(InfoAttachment, document_id)
    if document is None or document.application_id != application.id or application.erased_at is not None:
        abort(404)
    record_read(
        _actor(), "read_attachment", "info_attachment", document.id, organisation_id=application.organisation_id
    )
    response = Response(document.content, mimetype=document.media_type)
    name = f"{application.reference}-{document.id}.{EXTENSIONS[document.media_type]}"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


# -- the requester's alternative to the person's link: a signed paper consent form ---------------------------
def _upload_page(application: Application, form: ConsentFormUpload, status: int = 200) -> tuple[str, int]:
    form.version.data = str(application.version)
    page = render_template(
        "applications/consent_form.html", application=application, form=form, max_mb=MAX_BYTES // (1024 * 1024)
    )
    return page, status


@bp.route("/applications/<int:application_id>/consent-form", methods=["GET", "POST"])
@roles("requester")
def consent_form(application_id: int) -> Response | tuple[str, int]:
    application = queries.get_application(current_user, application_id)
    if application.state != "awaiting_consent":
        abort(404)
    form = ConsentFormUpload()
    if not form.validate_on_submit():
        return _upload_page(application, form, 422 if request.method == "POST" else 200)
    try:
        version = parse_id(form.version.data)
        if version is None:  # strict: the upload answers the file as the user saw it
            raise Conflict("Someone else changed this application meanwhile. Review its current state and try again.")
        record_paper_consent(
            application, _actor(), form.document.data.read(MAX_BYTES + 1), settings().deadlines,
            expected_version=version, form_code=form.form_code.data or "",
            secret_key=current_app.config["SECRET_KEY"],
        )  # fmt: skip
    except DomainError as error:
        db.session.rollback()
        application = queries.get_application(current_user, application_id)
        target = getattr(form, error.field or "", None)
        (target.errors if target is not None else form.form_errors).append(error.localized())  # type: ignore[union-attr]
        return _upload_page(application, form, 422 if error.field else error.status)
    flash(done_flash("application", "consent", application.state, application.reference), "success")
    return redirect(url_for("applications.detail", application_id=application_id))
