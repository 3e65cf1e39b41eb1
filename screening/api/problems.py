"""Errors of the API as RFC 9457 problem documents (``application/problem+json``), in the language of the
request's ``Accept-Language``, with the field named and the same messages as the forms."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Response
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from screening.errors import DomainError

MEDIA_TYPE = "application/problem+json"
#: Problem types (English: the developers' reference), documented on the API's reference page
#: (``/api/v1/docs#problem-<name>``).
TYPES = {
    "invalid-input": "The request was not understood, or a field is not valid.",
    "unauthorized": "No valid API token: missing, unknown, expired, revoked, or its maker or organisation deactivated.",
    "forbidden": "The token lacks the scope this call needs, or its role may not do this.",
    "not-found": "There is nothing here, or it is not yours to see.",
    "conflict": "The workflow refuses this now (the file's state), or another request did it first.",
    "precondition-required": "A change needs the If-Match header with the ETag of the file as you last read it.",
    "version-mismatch": "The file changed since you read it: read it again and decide again.",
    "idempotency-key-reused": "This Idempotency-Key was used with another request.",
    "rate-limited": "Too many requests with this token: wait as long as Retry-After says.",
    "server-error": "Something went wrong on our side; nothing was saved.",
}
_BY_STATUS = {
    400: "invalid-input", 401: "unauthorized", 403: "forbidden", 404: "not-found", 405: "invalid-input",
    409: "conflict", 412: "version-mismatch", 413: "invalid-input", 415: "invalid-input", 422: "invalid-input",
    428: "precondition-required", 429: "rate-limited",
}  # fmt: skip
_TITLES = {
    400: _l("Bad request"), 401: _l("Not signed in"), 403: _l("Not allowed"), 404: _l("Not found"),
    405: _l("Method not allowed"), 409: _l("Conflict"), 412: _l("The file changed"), 413: _l("Too large"),
    415: _l("Unsupported media type"), 422: _l("That did not work"), 428: _l("If-Match required"),
    429: _l("Too many requests"), 500: _l("Something went wrong"), 503: _l("Temporarily unavailable"),
}  # fmt: skip


def type_uri(name: str) -> str:
    return f"/api/v1/docs#problem-{name}"


def problem(
    status: int,
    detail: str,
    *,
    kind: str | None = None,
    errors: Iterable[Mapping[str, str]] = (),
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A problem document; ``errors`` names each field at fault with its message (``field``, ``detail``)."""
    body: dict[str, Any] = {
        "type": type_uri(kind or _BY_STATUS.get(status, "server-error")),
        "title": str(_TITLES.get(status, _("That did not work"))),
        "status": status,
        "detail": detail,
    }
    listed = [{"field": error["field"], "detail": str(error["detail"])} for error in errors]
    if listed:
        body["errors"] = listed
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def field_problem(status: int, field: str | None, detail: str) -> Response:
    """A problem at one field; a part without a usable name (a multipart part named "" or not at all) is
    the body's."""
    return problem(status, detail, errors=[{"field": field or "body", "detail": detail}])


def from_domain_error(error: DomainError) -> Response:
    """An operation's refusal, with the message the page would show."""
    message = error.localized()
    errors = [{"field": error.field, "detail": message}] if error.field else []
    return problem(error.status, message, errors=errors)


def from_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    messages = {
        404: _("There is nothing here, or it is not yours to see."),
        405: _("This method is not allowed here."),
        413: _("The request is too large."),
    }
    detail = messages.get(status) or str(error.description or error.name)
    response = problem(status, detail)
    if status == 405 and error.get_headers():
        for name, value in error.get_headers():
            if name.lower() == "allow":
                response.headers["Allow"] = value
    return response
