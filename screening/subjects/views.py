"""Data subject tools (officers only): find a person by number, export everything held about them (JSON and
PDF), and erase their data where the law allows. Every export and erasure is in the audit trail."""

from __future__ import annotations

import json
from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import BooleanField
from wtforms.validators import DataRequired

from screening.actors import Actor
from screening.applications.models import Application
from screening.audit.operations import record_read
from screening.auth.access import roles
from screening.clock import utcnow
from screening.db import db
from screening.errors import DomainError
from screening.extensions import vault
from screening.formats import moment_formatter
from screening.inputs import Form
from screening.people.identifiers import IdentifierError, parse_national_number
from screening.people.models import Person
from screening.subjects.export_pdf import SubjectExportDocument
from screening.subjects.labels import FIELD_LABELS, SECTION_TITLES, resolved
from screening.subjects.operations import check_erasable, erase_person, subject_record

bp = Blueprint("subjects", __name__, url_prefix="/people")


class EraseForm(Form):
    confirm = BooleanField(
        _l("I confirm that the person asked for erasure and that no legal obligation requires keeping the data"),
        validators=[DataRequired()],
    )


def _actor() -> Actor:
    return Actor.of(current_user, request.remote_addr)


def _person(person_id: int) -> Person:
    person = db.session.get(Person, person_id)
    if person is None:
        abort(404)
    return person


@bp.route("")
@roles("officer")
def search() -> str | Response | tuple[str, int]:
    """Find a person by national register number (through the keyed hash; the number is never stored)."""
    raw = (request.args.get("number") or "").strip()[:20]
    if not raw:
        return render_template("subjects/search.html", number="", error=None)
    try:
        number = parse_national_number(raw)
    except IdentifierError as error:
        return render_template("subjects/search.html", number=raw, error=_(str(error))), 422
    person = db.session.scalar(
        select(Person).where(Person.identity_hash == vault().lookup_hash("BE-NRN", number.digits))
    )
    if person is None:
        return render_template("subjects/search.html", number=raw, error=_("No person with this number.")), 404
    return redirect(url_for("subjects.detail", person_id=person.id))


def _render(person: Person, form: EraseForm, status: int = 200) -> tuple[str, int]:
    files = db.session.execute(
        select(Application.id, Application.reference, Application.state)
        .where(Application.person_id == person.id)
        .order_by(Application.created_at)
    ).all()
    try:
        check_erasable(person)
        refusal = None
    except DomainError as error:
        refusal = error.localized()
    page = render_template("subjects/person.html", person=person, files=files, form=form, refusal=refusal)
    return page, status


@bp.route("/<int:person_id>")
@roles("officer")
def detail(person_id: int) -> tuple[str, int]:
    return _render(_person(person_id), EraseForm())


@bp.route("/<int:person_id>/export.<fmt>")
@roles("officer")
def export(person_id: int, fmt: str) -> Response:
    if fmt not in ("json", "pdf"):
        abort(404)
    person = _person(person_id)
    data = subject_record(person, vault())
    now = utcnow()
    record_read(_actor(), f"export_subject_{fmt}", "person", person.id)
    name = f"person-{person.id}-{now:%Y%m%d}.{fmt}"
    if fmt == "json":
        body = json.dumps(data, ensure_ascii=False, indent=2).encode()
        mimetype = "application/json"
    else:
        moment = moment_formatter()
        body = SubjectExportDocument(
            data,
            title=_("Personal data held by the screening service"),
            generated_at=_("Generated %(moment)s", moment=moment(now)),
            moment=lambda text: moment(datetime.fromisoformat(text)),
            titles=resolved(SECTION_TITLES),
            labels=resolved(FIELD_LABELS),
        ).build()
        mimetype = "application/pdf"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<int:person_id>/erase", methods=["POST"])
@roles("officer")
def erase(person_id: int) -> Response | tuple[str, int]:
    person = _person(person_id)
    form = EraseForm()
    if not form.validate_on_submit():
        return _render(person, form, 422)
    try:
        files = erase_person(person, _actor(), utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(error.localized(), "danger")
        return _render(_person(person_id), EraseForm(), error.status)
    flash(_("The person's data were erased from %(count)d files. The statistics remain.", count=files), "success")
    return redirect(url_for("subjects.detail", person_id=person_id))
