"""``/api/v1/workforce``: the register of staff in critical functions as an API, for the employer's HR
system (joiners and leavers recorded from it, as from the page or an import). Each endpoint parses, calls
the page's own forms and the register's operations (rules, messages, audit with the token's name) and
serialises; a person is named by the employer's personnel number, and the national register number is
only ever shown masked. Employer tokens only: the authority reads the register on its pages."""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from marshmallow import fields
from sqlalchemy import Select, or_

from screening.api.auth import scoped
from screening.api.http import (
    Refused,
    api_user,
    bp,
    check_version,
    etag,
    form_data,
    form_problem,
    idempotent,
    if_match,
    json_body,
)
from screening.api.problems import problem
from screening.api.schemas import PageQuery, Strict
from screening.api.spec import BEARER, IDEMPOTENCY_KEY, if_match_header
from screening.applications.views import _function_choices
from screening.clock import today
from screening.db import db
from screening.extensions import settings, vault
from screening.pagination import paginate
from screening.workforce import operations, queries
from screening.workforce.forms import LeaverForm, MemberForm
from screening.workforce.models import WorkforceMember

_SECURITY = BEARER
_KEY = IDEMPOTENCY_KEY
_IF_MATCH = if_match_header("the entry")
_NUMBER = "string(maxlength=64):personnel_number"


# -- documents --------------------------------------------------------------------------------------------


class _Member(Strict):
    """What a joiner's body and an entry share."""

    personnel_number = fields.String(
        required=True, metadata={"description": "Your own number, unique in your register."}
    )
    given_names = fields.String(required=True)
    family_name = fields.String(required=True)
    date_of_birth = fields.Date(required=True)
    function_id = fields.Integer(required=True, metadata={"description": "A critical function of the catalogue."})
    started_on = fields.Date(required=True, metadata={"description": "In the function since."})


class MemberOut(_Member):
    national_number_masked = fields.String(required=True, metadata={"description": "Masked as on the pages."})
    function_name = fields.String(required=True, metadata={"description": "In the request's language."})
    ended_on = fields.Date(required=True, allow_none=True, metadata={"description": "The last day in the function."})
    active = fields.Boolean(required=True, metadata={"description": "In the function today (not left)."})
    version = fields.Integer(required=True, metadata={"description": "Also the ETag: send it back in If-Match."})


class MemberList(Strict):
    items = fields.List(fields.Nested(MemberOut), required=True)
    page = fields.Integer(required=True)
    has_next = fields.Boolean(required=True)


class MemberListQuery(PageQuery):
    active = fields.Boolean(
        metadata={"description": "true: only people in the function today; false: only those who left."}
    )


class MemberCreate(_Member):
    """The register page's form (it validates them: same rules, same messages)."""

    national_number = fields.String(required=True, metadata={"description": "Belgian national register or BIS number."})


#: The members a joiner's body takes: the form's fields (tests/api/test_workforce_api.py keeps them equal).
FIELDS = set(MemberCreate().fields)


class Leave(Strict):
    ended_on = fields.Date(required=True, metadata={"description": "The person's last day in the function."})


# -- helpers ----------------------------------------------------------------------------------------------


def _organisation_id() -> int:
    """The token's organisation; a token of the authority's own tools is refused (it reads the pages)."""
    user = api_user()
    if not user.is_employer or user.organisation_id is None:
        raise Refused(problem(403, _("Only an employer's token can use the register.")))
    return user.organisation_id


def _rows(organisation_id: int) -> Select[Any]:
    locale = str(get_locale() or "en")
    return queries.register(organisation_id, locale).add_columns(WorkforceMember.version)


def _active(statement: Select[Any], active: bool) -> Select[Any]:
    current = or_(WorkforceMember.ended_on.is_(None), WorkforceMember.ended_on >= today())
    return statement.where(current if active else ~current)


#: The members of an entry read from its row as they are (``active`` is computed).
_COLUMNS = ("personnel_number", "given_names", "family_name", "date_of_birth", "national_number_masked",
            "function_id", "function_name", "started_on", "ended_on", "version")  # fmt: skip


def _item(row: Any) -> dict[str, Any]:
    item = {name: getattr(row, name) for name in _COLUMNS}
    return item | {"active": row.ended_on is None or row.ended_on >= today()}


def _entry(organisation_id: int, personnel_number: str) -> Any:
    """This organisation's entry by personnel number; 404 when its register holds no such number (another
    organisation's number is not confirmed)."""
    row = db.session.execute(
        _rows(organisation_id).where(WorkforceMember.personnel_number == personnel_number.strip())
    ).first()
    if row is None:
        raise Refused(problem(404, _("There is nothing here, or it is not yours to see.")))
    return row


def _answer(organisation_id: int, personnel_number: str, status: int = 200) -> Any:
    row = _entry(organisation_id, personnel_number)
    headers = {"ETag": etag(row.version)}
    if status == 201:
        headers["Location"] = url_for("api.workforce_member", personnel_number=row.personnel_number)
    return _item(row), status, headers


# -- endpoints --------------------------------------------------------------------------------------------


@bp.route("/workforce", methods=["GET"])
@scoped("read")
@bp.arguments(MemberListQuery, location="query", as_kwargs=True)
@bp.response(200, MemberList)
@bp.doc(operationId="listWorkforce", security=_SECURITY)
def workforce(page: int, active: bool | None = None) -> dict[str, Any]:
    """Your register, by family name, as its page lists it; `active` keeps the people in the function today
    (true) or those who left (false)."""
    statement = _rows(_organisation_id())
    if active is not None:
        statement = _active(statement, active)
    found = paginate(statement, page, settings().app.page_size, scalars=False)
    return {"items": [_item(row) for row in found.items], "page": found.page, "has_next": found.has_next}


@bp.route(f"/workforce/<{_NUMBER}>", methods=["GET"])
@scoped("read")
@bp.response(200, MemberOut)
@bp.doc(operationId="getWorkforceMember", security=_SECURITY)
def workforce_member(personnel_number: str) -> Any:
    """One entry, by your personnel number; the ETag is its version."""
    return _answer(_organisation_id(), personnel_number)


@bp.route("/workforce", methods=["POST"])
@scoped("write")
@idempotent
@bp.doc(
    operationId="recordJoiner", security=_SECURITY, parameters=[_KEY],
    requestBody={"required": True, "content": {"application/json": {"schema": MemberCreate}}},
)  # fmt: skip
@bp.response(201, MemberOut)
@bp.alt_response(200, schema=MemberOut, description="The personnel number was in your register: changed to match.")
def record_joiner() -> Any:
    """Record a joiner, as the register's page or an import does: a personnel number your register already
    holds is changed to match (200), as a re-imported row; a new one is added (201)."""
    organisation_id = _organisation_id()
    form = MemberForm(formdata=form_data(json_body(), FIELDS), meta={"csrf": False})
    form.function_id.choices = _function_choices()
    if not form.validate():
        raise Refused(form_problem(form))
    member, changed = operations.add_or_update_member(api_user().actor(request.remote_addr), vault(),
                                                      organisation_id, form.member_fields())  # fmt: skip
    return _answer(organisation_id, member.personnel_number, 201 if changed == ("added",) else 200)


@bp.route(f"/workforce/<{_NUMBER}>/leave", methods=["POST"])
@scoped("write")
@bp.doc(
    operationId="recordLeaver", security=_SECURITY, parameters=[_IF_MATCH],
    requestBody={"required": True, "content": {"application/json": {"schema": Leave}}},
)  # fmt: skip
@bp.response(200, MemberOut)
def record_leaver(personnel_number: str) -> Any:
    """Record the person's last day in the function (or correct it): from the next day your organisation no
    longer relies on their clearance."""
    organisation_id = _organisation_id()
    member = queries.get_member(organisation_id, _entry(organisation_id, personnel_number).id)
    changed = _("Someone else changed this entry meanwhile. Review it and try again.")
    expected = if_match(_("Send If-Match with the ETag of the entry as you last read it."), changed)
    check_version(expected, member.version, changed)
    values = form_data(json_body(), {"ended_on"})
    values["version"] = str(expected)
    form = LeaverForm(formdata=values, meta={"csrf": False})
    if not form.validate():
        raise Refused(form_problem(form))
    operations.record_leaver(
        api_user().actor(request.remote_addr), member, form.ended_on.data,  # type: ignore[arg-type]
        expected_version=expected,
    )  # fmt: skip
    return _answer(organisation_id, member.personnel_number)
