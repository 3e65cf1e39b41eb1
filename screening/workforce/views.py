"""The register of staff in critical functions: the employer's screening manager keeps it (joiners, changes,
leavers); HR and the authority read it. Another organisation's register or member answers 404."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from screening.actors import Actor
from screening.applications.views import _function_choices, _refused
from screening.audit.operations import record_read
from screening.auth.access import roles
from screening.clock import today
from screening.db import db
from screening.errors import DomainError
from screening.extensions import settings, vault
from screening.formats import format_day
from screening.inputs import Form, parse_id
from screening.organisations import queries as organisations
from screening.organisations.models import Organisation
from screening.web import layout_values
from screening.workforce import bulk, compliance, operations, page_memo, queries
from screening.workforce import document as compliance_document
from screening.workforce import summary as port_summary
from screening.workforce.forms import CompletionForm, EditMemberForm, LeaverForm, MemberForm
from screening.workforce.models import WorkforceMember
from screening.workforce.rows import compliance_rows
from workflows.compliance import Standing
from workflows.roles import EMPLOYER_ROLES, READER_ROLES

bp = Blueprint("workforce", __name__)
bp.add_app_template_global(compliance_rows)


def _actor() -> Actor:
    return Actor.of(current_user, request.remote_addr)


def _locale() -> str:
    return str(get_locale() or "en")


def _organisation(organisation_id: int) -> Organisation:
    return organisations.visible_organisation(current_user, organisation_id)


@bp.route("/workforce")
@roles(*READER_ROLES)
def index() -> str | Response:
    """The employer's own register; for the authority, the organisations that keep one and the port-wide
    summary: people in a critical function today without a valid advice past their function's deadline."""
    if current_user.role in EMPLOYER_ROLES:
        return redirect(url_for("workforce.members", organisation_id=current_user.organisation_id))
    found = port_summary.index(today())
    return render_template(
        "workforce/organisations.html", rows=found.rows, names=found.names, summary=found.summary,
        current=found.current, overdue=found.overdue,
    )  # fmt: skip


def _view_filters() -> dict[str, Any]:
    """The compliance view's filters from the query string; an unknown standing is no filter."""
    wanted = request.args.get("standing")
    return {
        "wanted": Standing(wanted) if wanted in set(Standing) else None,
        "overdue": request.args.get("overdue") == "1",
        "query": (request.args.get("q") or "").strip()[:100] or None,
    }


@bp.route("/workforce/<int:organisation_id>/compliance")
@roles(*READER_ROLES)
def compliance_view(organisation_id: int) -> str:
    """Every person in a critical function today against their function's deadline, with counts per standing.
    The page's markup is kept per version of what it shows (:mod:`screening.workforce.page_memo`)."""
    organisations.check_scope(current_user, organisation_id)  # the organisation's existence: page_memo.page
    filters, day, locale = _view_filters(), today(), _locale()
    number = max(1, request.args.get("page", 1, type=int) or 1)
    requesting = current_user.role == "requester"
    per_page = settings().app.page_size

    def build() -> tuple[str, bool]:
        organisation = _organisation(organisation_id)
        statement = compliance.lines_statement(organisation.id, day, locale, **filters)
        counts = compliance.counts(organisation.id, day)
        total = None if filters["query"] else counts.matching(filters["wanted"], filters["overdue"])
        page = compliance.page_of_lines(statement, number, per_page, day, total=total)
        html = render_template(
            "workforce/compliance.html", organisation=organisation, page=page, filters=filters, counts=counts,
            standings=list(Standing), labels=_labels(), query=filters["query"] or "",
            standing=filters["wanted"].value if filters["wanted"] else None, requesting=requesting,
            form_token=layout_values()["csrf"],
        )  # fmt: skip
        return html, not filters["query"] and (bool(page.items) or number == 1)

    wanted = filters["wanted"].value if filters["wanted"] else None
    key = (day, wanted, filters["overdue"], filters["query"], number, per_page, locale, requesting)
    return page_memo.page(organisation_id, key, build)


@bp.route("/workforce/<int:organisation_id>/compliance.csv")
@roles(*READER_ROLES)
def compliance_csv(organisation_id: int) -> Response:
    """The view's lines (with its filters) as CSV, every cell defused; the download is audited."""
    organisation = _organisation(organisation_id)
    filters, day = _view_filters(), today()
    statement = compliance.lines_statement(organisation.id, day, _locale(), **filters)
    record_read(
        _actor(), "export_compliance", "organisation", organisation.id, organisation_id=organisation.id,
        reason=" ".join(f"{key}={value}" for key, value in filters.items() if value) or None,
    )  # fmt: skip
    body = compliance_document.to_csv(compliance.all_lines(statement, day))
    response = Response(body, mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f"attachment; filename=compliance-{organisation.code}-{day}.csv"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/workforce/<int:organisation_id>")
@roles(*READER_ROLES)
def members(organisation_id: int) -> str:
    organisation = _organisation(organisation_id)
    query = (request.args.get("q") or "").strip()[:100] or None
    page = queries.list_members(
        organisation.id, page=request.args.get("page", 1, type=int) or 1, per_page=settings().app.page_size,
        query=query, locale=_locale(),
    )  # fmt: skip
    return render_template("workforce/members.html", organisation=organisation, page=page, query=query or "")


@bp.route("/workforce/<int:organisation_id>/new", methods=["GET", "POST"])
@roles("requester")
def new(organisation_id: int) -> str | Response | tuple[str, int]:
    organisation = _organisation(organisation_id)
    form = MemberForm()
    form.function_id.choices = _function_choices()
    context = {"organisation": organisation, "member": None}
    if not form.validate_on_submit():
        return render_template("workforce/member_form.html", form=form, **context), _status()
    try:
        member = operations.add_member(_actor(), vault(), organisation.id, form.member_fields())
    except DomainError as error:
        return _refused(form, error, "workforce/member_form.html", **context)
    flash(_("%(name)s is in your register.", name=member.full_name), "success")
    return redirect(url_for("workforce.members", organisation_id=organisation.id))


@bp.route("/workforce/<int:organisation_id>/members/<int:member_id>")
@roles(*READER_ROLES)
def member(organisation_id: int, member_id: int) -> str:
    """The entry; for the screening manager, its form and the leaver's form."""
    organisation = _organisation(organisation_id)
    entry = queries.get_member(organisation.id, member_id)
    forms = _forms(entry) if current_user.role == "requester" else {}
    line = compliance.line_for(organisation.id, entry.id, today(), _locale())
    return render_template(
        "workforce/member.html", organisation=organisation, member=entry, line=line, labels=_labels(), **forms
    )


def _forms(member: WorkforceMember, form: EditMemberForm | None = None) -> dict[str, Any]:
    if form is None:
        data = {
            key: getattr(member, key)
            for key in operations.MemberFields.__dataclass_fields__
            if key != "national_number"
        }
        form = EditMemberForm(data=data | {"version": member.version})
    form.function_id.choices = _function_choices()
    leaver = LeaverForm(data={"version": member.version, "ended_on": member.ended_on}, formdata=None, prefix="leaver")
    return {"form": form, "leaver": leaver}


@bp.route("/workforce/<int:organisation_id>/members/<int:member_id>/edit", methods=["POST"])
@roles("requester")
def edit(organisation_id: int, member_id: int) -> str | Response | tuple[str, int]:
    organisation = _organisation(organisation_id)
    entry = queries.get_member(organisation.id, member_id)
    forms = _forms(entry, EditMemberForm())
    form = forms["form"]
    if not form.validate_on_submit():
        return render_template("workforce/member.html", organisation=organisation, member=entry, **forms), 422
    version = parse_id(form.version.data)
    try:
        changed = operations.edit_member(
            _actor(), vault(), entry, form.member_fields(), expected_version=version if version is not None else -1
        )
    except DomainError as error:
        return _refused_entry(form, error, organisation, entry, forms)
    if changed:
        flash(_("The register entry of %(name)s is saved.", name=entry.full_name), "success")
    else:
        flash(_("Nothing was changed."), "info")
    return redirect(url_for("workforce.member", organisation_id=organisation.id, member_id=entry.id))


@bp.route("/workforce/<int:organisation_id>/members/<int:member_id>/leaver", methods=["POST"])
@roles("requester")
def leaver(organisation_id: int, member_id: int) -> str | Response | tuple[str, int]:
    organisation = _organisation(organisation_id)
    entry = queries.get_member(organisation.id, member_id)
    form = LeaverForm(prefix="leaver")
    forms = _forms(entry) | {"leaver": form}
    if not form.validate_on_submit():
        return render_template("workforce/member.html", organisation=organisation, member=entry, **forms), 422
    version = parse_id(form.version.data)
    try:
        operations.record_leaver(
            _actor(), entry, form.ended_on.data,  # type: ignore[arg-type]
            expected_version=version if version is not None else -1,
        )  # fmt: skip
    except DomainError as error:
        return _refused_entry(form, error, organisation, entry, forms)
    flash(_("Recorded: the last day of %(name)s in the function is %(day)s.", name=entry.full_name,
            day=format_day(entry.ended_on)), "success")  # fmt: skip
    return redirect(url_for("workforce.member", organisation_id=organisation.id, member_id=entry.id))


def _refused_entry(
    form: Form, error: DomainError, organisation: Organisation, entry: WorkforceMember, forms: dict[str, Any]
) -> tuple[str, int]:
    """The entry's page again, with the operation's refusal at the field of the form that was sent."""
    db.session.rollback()
    target = getattr(form, error.field or "", None)
    (target.errors if target is not None else form.form_errors).append(error.localized())  # type: ignore[union-attr]
    return render_template("workforce/member.html", organisation=organisation, member=entry, **forms), error.status


def _labels() -> dict[Standing, str]:
    return {s: _(s.label) for s in Standing}


def _status() -> int:
    return 422 if request.method == "POST" else 200


def _chosen(organisation_id: int) -> tuple[Organisation, list[compliance.Line]]:
    """The organisation and the lines of the people sent: the ticked ones, or (the "everyone on this page"
    button) every requestable line of the page. A malformed list or one longer than the limit goes back to
    the view. (CSRF is checked for every POST before the view.)"""
    organisation = _organisation(organisation_id)
    name = "page_member" if request.form.get("choice") == "page" else "member"
    ids = bulk.parse_member_ids(request.form.getlist(name)[: bulk.REQUEST_LIMIT + 1])
    if ids is None:
        limit = bulk.REQUEST_LIMIT
        abort(_back(organisation, _("Send at most %(num)d people at once. Please try again.", num=limit)))
    return organisation, bulk.chosen_lines(organisation.id, ids, today(), _locale())


def _completions(lines: list[compliance.Line], formdata: Any = None) -> list[tuple[compliance.Line, CompletionForm]]:
    return [(line, CompletionForm(formdata=formdata, prefix=f"m{line.row.id}")) for line in lines]


def _review(organisation: Organisation, rows: list[tuple[compliance.Line, CompletionForm]], status: int) -> Any:
    return render_template("workforce/request_review.html", organisation=organisation, rows=rows), status


def _back(organisation: Organisation, message: str, category: str = "danger") -> Response:
    flash(message, category)
    return redirect(url_for("workforce.compliance_view", organisation_id=organisation.id))


@bp.route("/workforce/<int:organisation_id>/requests/review", methods=["POST"])
@roles("requester")
def request_review(organisation_id: int) -> Any:
    """The ticked people who are not requested, each with what the register does not hold to complete."""
    organisation, lines = _chosen(organisation_id)
    lines = [line for line in lines if bulk.requestable(line)]
    if not lines:
        return _back(organisation, _("Tick at least one person whose screening is not requested."), "warning")
    return _review(organisation, _completions(lines), 200)


@bp.route("/workforce/<int:organisation_id>/requests", methods=["POST"])
@roles("requester")
def request_confirm(organisation_id: int) -> Any:
    """One submitted file per reviewed person; people refused are skipped and named."""
    organisation, lines = _chosen(organisation_id)
    rows = _completions(lines, request.form)
    if not all([form.validate() for _line, form in rows]):
        return _review(organisation, rows, 422)
    outcome = bulk.request_screenings(
        _actor(), vault(), settings().deadlines, organisation.id,
        {line.row.id: form.completion() for line, form in rows}, today=today(), locale=_locale(),
    )  # fmt: skip
    if outcome.requested:
        references = ", ".join(application.reference for application in outcome.requested)
        flash(ngettext("Screening requested: %(references)s.", "%(num)d screenings requested: %(references)s.",
                       len(outcome.requested), references=references), "success")  # fmt: skip
    for name, reason in outcome.skipped:
        flash(_("Not requested for %(name)s: %(reason)s", name=name, reason=reason), "warning")
    return redirect(url_for("workforce.compliance_view", organisation_id=organisation.id))
