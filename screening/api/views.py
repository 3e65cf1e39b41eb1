"""``/api/v1``: the employer's pages as an API for its HR system. Each endpoint parses, calls the pages' own
queries and operations, and serialises; the scoping, the rules and the messages are theirs."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeVar

import orjson
from babel import Locale
from flask import Blueprint, Flask, Response, current_app, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.datastructures import FileStorage, LanguageAccept
from werkzeug.http import parse_accept_header

from screening.api import schemas, webhook_views  # noqa: F401 - its routes join the blueprint
from screening.api import status_views as _status_views  # noqa: F401 - adds POST /status to the blueprint
from screening.api import workforce_views as _workforce_views  # noqa: F401 - the register's routes, on this blueprint
from screening.api.auth import TokenUser, scoped
from screening.api.http import (
    Refused,
    api_user,
    bp,
    check_version,
    etag,
    field_problem,
    form_data,
    form_problem,
    idempotent,
    if_match,
    json_body,
    no_body,
)
from screening.api.problems import TYPES as PROBLEM_TYPES
from screening.api.ratelimit import RateLimiter
from screening.api.spec import BEARER, IDEMPOTENCY_KEY, if_match_header, init_spec, openapi_document
from screening.api.tokens.views import bp as tokens_bp
from screening.applications import attachments, operations, queries
from screening.applications.forms import ApplicationForm, TransitionForm
from screening.applications.models import Application
from screening.auth.access import public
from screening.catalogue.models import CriticalFunction
from screening.certificates import operations as certificate_operations
from screening.certificates import queries as certificate_queries
from screening.certificates.bulk import entry_name
from screening.certificates.document import render_certificate
from screening.certificates.operations import IssueSettings
from screening.certificates.setup import certificate_keys
from screening.clearances import queries as clearance_queries
from screening.clearances.models import Clearance
from screening.clock import today
from screening.db import db
from screening.errors import Conflict, DomainError
from screening.extensions import csrf, settings, vault
from screening.inputs import MAX_INT
from screening.statuslist import views as status_list_views  # noqa: F401 - its route, on this blueprint
from screening.web import STATE_LABELS
from workflows.employer import employer_advice

F = TypeVar("F", bound=Callable[..., Any])
ID = "int"  # bounded by screening.inputs: a larger id matches no route (404)
PDF = {"type": "string", "contentMediaType": "application/pdf"}
#: The requester's events the API offers, by the name it gives them.
ACTIONS = {"submit": "submit", "withdraw": "withdraw", "provide_info": "answer"}


def _locale() -> str:
    """The answer's language: for a token call, the app's locale selector takes Accept-Language's best match
    among the site's languages, or the default (``screening.app._select_locale``); the same here without
    Flask-Babel's ``Locale`` objects, a tenth of the list's call (docs/benchmarks-pages.md)."""
    header = request.headers.get("Accept-Language", "")
    return _language(header, settings().app.languages, current_app.config["BABEL_DEFAULT_LOCALE"])


@lru_cache(maxsize=256)
def _language(header: str, languages: tuple[str, ...], default: str) -> str:
    return str(Locale.parse(parse_accept_header(header, LanguageAccept).best_match(languages) or default))


def _actor() -> Any:
    return api_user().actor(request.remote_addr)


# -- serialisation: what the employer's file page shows ------------------------------------------------


def _person(application: Application) -> dict[str, Any]:
    """The person as this employer declared them on the file, as its file page shows them (the one place the
    API reads a file's person): never the authority's shared record, except its masked number."""
    return {
        "given_names": application.declared_given_names,
        "family_name": application.declared_family_name,
        "date_of_birth": application.declared_date_of_birth,
        "nationality": application.declared_nationality,
        "national_number_masked": application.person.national_number_masked,
        "email": application.declared_email,
        "locale": application.declared_locale,
    }


def _holder(person: Any, declared: clearance_queries.Holder | None) -> dict[str, Any]:
    """The holder as the token's organisation declared them (never the authority's shared record, which may
    hold another employer's words); the identifier's mask and nationality come with the identity."""
    return {
        "given_names": declared.given_names if declared else person.given_names,
        "family_name": declared.family_name if declared else person.family_name,
        "date_of_birth": declared.date_of_birth if declared else person.date_of_birth,
        "nationality": person.nationality,
        "national_number_masked": person.national_number_masked,
    }


def _application(application: Application, user: TokenUser) -> dict[str, Any]:
    events = operations.available_events(application, user.role, today(), settings().deadlines)
    clearance = application.clearance
    return {
        "id": application.id,
        "reference": application.reference,
        "external_id": application.external_id,
        "state": application.state,
        "state_label": str(STATE_LABELS[application.state]),
        "version": application.version,
        "created_at": application.created_at,
        "state_changed_at": application.state_changed_at,
        "submitted_at": application.submitted_at,
        "decided_at": application.decided_at,
        "advice": employer_advice(application.advice_type),
        "appeal_deadline": application.appeal_deadline,
        "withdrawal_reason": application.withdrawal_reason,
        "person": _person(application),
        "function": {
            "id": application.function.id,
            "code": application.function.code,
            "name": application.function.name(_locale()),
        },
        "clearance": None
        if clearance is None
        else {
            "id": clearance.id,
            "reference": clearance.reference,
            "state": clearance.state,
            "valid_from": clearance.valid_from,
            "valid_until": clearance.valid_until,
        },
        "information_request": None
        if application.info_request is None
        else {"question": application.info_request, "answer": application.info_response},
        "actions": [ACTIONS[event] for event in events if event in ACTIONS] if user.is_employer else [],
    }


def _answer(application_id: int, status: int = 200) -> tuple[dict[str, Any], int, dict[str, str]]:
    """The file as it is now (read again, with its relations), with its ETag."""
    db.session.expire_all()
    application = queries.get_application(api_user(), application_id)  # type: ignore[arg-type]
    headers = {"ETag": etag(application.version)}
    if status == 201:
        headers["Location"] = url_for("api.application", application_id=application.id)
    return _application(application, api_user()), status, headers


def _clearances(clearances: list[Clearance]) -> list[dict[str, Any]]:
    """Each clearance with its holder as the token's organisation declared them (one query for the page)."""
    declared = clearance_queries.holders_for(api_user(), clearances)  # type: ignore[arg-type]
    return [_clearance(c, declared.get(c.id)) for c in clearances]


def _clearance(clearance: Clearance, declared: clearance_queries.Holder | None) -> dict[str, Any]:
    person = clearance.person
    return {
        "id": clearance.id,
        "reference": clearance.reference,
        "state": clearance.state,
        "state_label": str(STATE_LABELS[clearance.state]),
        "advice": employer_advice(clearance.advice_type),
        "valid_from": clearance.valid_from,
        "valid_until": clearance.valid_until,
        "holder": _holder(person, declared),
    }


# -- cursors --------------------------------------------------------------------------------------------


def _cursor(item: dict[str, Any], by_change: bool) -> str:
    moment = item["state_changed_at"] if by_change else item["created_at"]  # ISO 8601 text, as _after reads
    return base64.urlsafe_b64encode(orjson.dumps([moment, item["id"]])).decode().rstrip("=")


def _after(cursor: str | None) -> tuple[datetime, int] | None:
    if not cursor:
        return None
    try:
        moment, row_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        parsed = datetime.fromisoformat(moment)
        if not isinstance(row_id, int) or not 0 < row_id <= MAX_INT or parsed.tzinfo is None:
            raise ValueError(cursor)
    except (ValueError, TypeError, binascii.Error):
        raise Refused(
            field_problem(400, "cursor", _("This cursor is not valid: use next_cursor as it was given."))
        ) from None
    return parsed, row_id


# -- applications -----------------------------------------------------------------------------------------


#: The list's query parameters (one instance: flask-smorest would build a schema per call from a class).
LIST_QUERY = schemas.ApplicationListQuery()
#: The list's states, for the plain calls read without webargs.
_STATES = frozenset(schemas.APPLICATION_STATES)


def documents_query(schema: Any) -> Callable[[F], F]:
    """The query parameters of ``schema`` in the view's OpenAPI document, as ``bp.arguments`` writes them, without
    its parsing on every call: the view reads them itself (:func:`list_query`)."""

    def mark(view: F) -> F:
        view._apidoc = bp.arguments(schema, location="query")(view)._apidoc  # type: ignore[attr-defined]
        return view

    return mark


def list_query() -> dict[str, Any]:
    """The list's parameters. A plain call (each known parameter once, a limit in digits from 1 to 200, a
    known state, a cursor of at most 200 characters) is read here, as webargs reads it; any other (an
    updated_since, an unknown or repeated parameter, anything to refuse) goes through webargs with the
    schema, which answers with the documented messages. webargs' parsing was a tenth of the call."""
    parsed: dict[str, Any] = {}
    for key, value in request.args.items(multi=True):
        if key in parsed or not value:
            return _webargs_query()
        if key == "limit" and value.isascii() and value.isdigit() and 1 <= int(value) <= 200:
            parsed[key] = int(value)
        elif (key == "state" and value in _STATES) or (key == "cursor" and len(value) <= 200):
            parsed[key] = value
        else:
            return _webargs_query()
    parsed.setdefault("limit", 50)
    return parsed


def _webargs_query() -> dict[str, Any]:
    return bp.ARGUMENTS_PARSER.parse(LIST_QUERY, request, location="query")  # type: ignore[no-any-return]


@bp.route("/applications", methods=["GET"])
@scoped("read")
@documents_query(LIST_QUERY)
@bp.response(200, schemas.ApplicationList)
@bp.doc(operationId="listApplications", security=BEARER)
def applications() -> Response:
    """List your organisation's applications.

    Newest first; with `updated_since`, the files whose state changed since then, oldest change first.
    """
    query = list_query()
    limit: int = query["limit"]
    state: str | None = query.get("state")
    updated_since: datetime | None = query.get("updated_since")
    cursor: str | None = query.get("cursor")
    items = queries.list_applications_after(
        api_user(),
        limit=limit,
        after=_after(cursor),
        state=state,
        updated_since=updated_since,
        locale=_locale(),  # type: ignore[arg-type]
    )
    more = len(items) > limit
    del items[limit:]
    body = {"items": items, "next_cursor": _cursor(items[-1], updated_since is not None) if more else None}
    # The items hold their members (queries.list_applications_after), written by orjson in the schema's
    # shapes (tests/api/test_schema.py checks them against the document): marshmallow's dump of 50 rows
    # cost a third of the call, the standard library's json another tenth (docs/benchmarks.md).
    return Response(orjson.dumps(body), mimetype="application/json")


def _function_ids() -> list[int]:
    return list(db.session.scalars(select(CriticalFunction.id).where(CriticalFunction.active)))


@bp.route("/applications", methods=["POST"])
@scoped("write")
@idempotent
@bp.doc(
    operationId="createApplication",
    security=BEARER,
    requestBody={"required": True, "content": {"application/json": {"schema": schemas.ApplicationCreate}}},
    parameters=[IDEMPOTENCY_KEY],
)
@bp.response(201, schemas.ApplicationOut)
def create_application() -> Any:
    """Create a draft application, with your own `external_id`."""
    body = json_body()
    fields = _form_fields()
    external_id = body.pop("external_id", None)
    if external_id is not None and not isinstance(external_id, str):
        raise Refused(field_problem(400, "external_id", _("Give this field as text.")))
    form = ApplicationForm(formdata=form_data(body, fields), meta={"csrf": False})
    form.function_id.choices = [(i, str(i)) for i in _function_ids()]
    if not form.validate():
        return form_problem(form)
    application = operations.create_application(
        _actor(), vault(), organisation_id=api_user().organisation_id, function_id=form.function_id.data,
        person=form.person_details(), external_id=external_id,
    )  # fmt: skip
    return _answer(application.id, 201)


def _form_fields() -> set[str]:
    with_csrf = ApplicationForm(formdata=None, meta={"csrf": False})
    return {name for name in with_csrf._fields if name != "csrf_token"}


@bp.route(f"/applications/<{ID}:application_id>", methods=["GET"])
@scoped("read")
@bp.response(200, schemas.ApplicationOut)
@bp.doc(operationId="getApplication", security=BEARER)
def application(application_id: int) -> Any:
    """One application: its state, outcome and validity, as your pages show it; the ETag is its version."""
    return _answer(application_id)


def _transition(
    application_id: int, event: str, text: str | None, text_field: str = "reason", files: Sequence[FileStorage] = ()
) -> Any:
    """One requester event, as the page's button fires it: the form's checks, then the operation (an answer
    with its ``files``, as the page's); the page's ``reason`` is named ``text_field`` in the API's messages."""
    expected = if_match()
    application = queries.get_application(api_user(), application_id)  # type: ignore[arg-type]
    check_version(expected, application.version)
    form = TransitionForm(formdata=form_data({"version": str(expected), "reason": text}, {"version", "reason"}),
                          meta={"csrf": False})  # fmt: skip
    if not form.validate():
        return form_problem(form, rename={"reason": text_field})
    try:
        if event == "provide_info":
            attachments.answer_with_documents(
                application, _actor(), form.reason.data, files, settings().documents, settings().deadlines,
                expected_version=expected,
            )  # fmt: skip
        else:
            operations.fire(
                application, event, _actor(), settings().deadlines, reason=form.reason.data, expected_version=expected
            )
    except DomainError as error:
        if error.field == "reason":
            error.field = text_field
        raise
    return _answer(application_id)


_CHANGE = {"security": BEARER, "parameters": [if_match_header("the application"), IDEMPOTENCY_KEY]}


@bp.route(f"/applications/<{ID}:application_id>/submit", methods=["POST"])
@scoped("write")
@idempotent
@bp.doc(operationId="submitApplication", **_CHANGE)
@bp.response(200, schemas.ApplicationOut)
def submit(application_id: int) -> Any:
    """Submit a draft: the person is asked for consent (or the file is covered by their clearance)."""
    no_body()
    return _transition(application_id, "submit", None)


@bp.route(f"/applications/<{ID}:application_id>/withdraw", methods=["POST"])
@scoped("write")
@idempotent
@bp.doc(
    operationId="withdrawApplication",
    requestBody={"content": {"application/json": {"schema": schemas.Withdrawal}}},
    **_CHANGE,
)
@bp.response(200, schemas.ApplicationOut)
def withdraw(application_id: int) -> Any:
    """Withdraw the application, with a reason."""
    body = json_body()
    form_data(body, {"reason"})
    return _transition(application_id, "withdraw", body.get("reason"))


@bp.route(f"/applications/<{ID}:application_id>/answer", methods=["POST"])
@scoped("write")
@idempotent
@bp.doc(
    operationId="answerInformationRequest",
    requestBody={
        "required": True,
        "content": {
            "application/json": {"schema": schemas.Answer},
            "multipart/form-data": {"schema": schemas.ANSWER_WITH_DOCUMENTS, "encoding": schemas.DOCUMENT_ENCODING},
        },
    },
    **_CHANGE,
)
@bp.response(200, schemas.ApplicationOut)
def answer(application_id: int) -> Any:
    """Answer the authority's request for information, as JSON or, with documents attached (PDF, JPEG or
    PNG), as `multipart/form-data`: the field `answer` and one `documents` part per file."""
    if request.mimetype == "multipart/form-data":
        return _transition(application_id, "provide_info", *_multipart_answer())
    body = json_body()
    form_data(body, {"answer"})
    return _transition(application_id, "provide_info", body.get("answer"), "answer")


def _multipart_answer() -> tuple[str | None, str, Sequence[FileStorage]]:
    """The answer's text and files from a multipart body; any other part is refused, named."""
    unknown = [name for name in (*request.form, *request.files) if name not in ("answer", "documents")]
    if unknown or "answer" in request.files or "documents" in request.form:
        name = unknown[0] if unknown else "answer" if "answer" in request.files else "documents"
        raise Refused(field_problem(400, name, _("This field is not known.")))
    return request.form.get("answer"), "answer", request.files.getlist("documents")


# -- clearances -------------------------------------------------------------------------------------------


@bp.route("/clearances", methods=["GET"])
@scoped("read")
@bp.arguments(schemas.ClearanceListQuery, location="query", as_kwargs=True)
@bp.response(200, schemas.ClearanceList)
@bp.doc(operationId="listClearances", security=BEARER)
def clearances(page: int, state: str | None = None) -> dict[str, Any]:
    """The clearances your organisation relies on, the first to end first."""
    found = clearance_queries.list_clearances(api_user(), page=page, per_page=settings().app.page_size, state=state)  # type: ignore[arg-type]
    return {"items": _clearances(list(found.items)), "page": found.page, "has_next": found.has_next}


@bp.route(f"/clearances/<{ID}:clearance_id>", methods=["GET"])
@scoped("read")
@bp.response(200, schemas.ClearanceOut)
@bp.doc(operationId="getClearance", security=BEARER)
def clearance(clearance_id: int) -> dict[str, Any]:
    """One clearance your organisation relies on."""
    return _clearances([clearance_queries.get_clearance(api_user(), clearance_id)])[0]  # type: ignore[arg-type]


@bp.route(f"/clearances/<{ID}:clearance_id>/certificate", methods=["POST"])
@scoped("read")
@idempotent
@bp.arguments(schemas.CertificateQuery, location="query", as_kwargs=True)
@bp.doc(
    operationId="exportCertificate",
    security=BEARER,
    parameters=[IDEMPOTENCY_KEY],
    responses={"200": {"description": "The signed certificate.", "content": {"application/pdf": {"schema": PDF}}}},
)
def certificate(clearance_id: int, english: bool = False) -> Response:
    """The certificate of a clearance valid today, as a PDF (an export: it is in the audit trail)."""
    user = api_user()
    found = certificate_queries.clearance_for_certificate(user, clearance_id)  # type: ignore[arg-type]
    keys = certificate_keys()
    if keys is None:
        raise Conflict("Certificates are not configured on this server: the administrator must set a signing key.")
    day = today()
    issue = IssueSettings(
        keys=keys,
        base_url=settings().app.base_url,
        issue_date=day,
        english=english,
        organisation_id=user.organisation_id,
    )
    data = certificate_operations.issue_one(_actor(), found, issue, today=day)
    pdf = render_certificate(data, english=english)
    return Response(
        pdf, mimetype="application/pdf", headers={"Content-Disposition": f'attachment; filename="{entry_name(data)}"'}
    )


# -- the OpenAPI document and its reference page (public: they describe, they hold no data) --------------

docs_bp = Blueprint("api_docs", __name__, url_prefix="/api/v1")


@docs_bp.route("/openapi.json")
@public
def openapi() -> Response:
    return Response(json.dumps(openapi_document(current_app)), mimetype="application/json")


@docs_bp.route("/docs")
@public
def reference() -> str:
    """The reference drawn from the same document, on the server: no script, nothing from a CDN."""
    return render_template("api/reference.html", spec=openapi_document(current_app), problems=PROBLEM_TYPES)


def init_api(app: Flask) -> None:
    """The API blueprint (through flask-smorest, which writes its OpenAPI document), its documentation,
    and the screening manager's token page."""
    api = settings_of(app).api
    app.extensions["screening.api_limiter"] = RateLimiter(
        api.rate_limit, api.rate_window_seconds, api.rate_sync_seconds
    )
    csrf.exempt(bp)
    init_spec(app, bp)
    app.register_blueprint(docs_bp)
    app.register_blueprint(tokens_bp)


def settings_of(app: Flask) -> Any:
    return app.extensions["screening.config"]
