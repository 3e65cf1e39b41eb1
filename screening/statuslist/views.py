"""``GET /api/v1/status-list``: the signed status list for access-control tokens, whole or as a delta
(``?since=``), as JSON or as a plain text file (``Accept: text/plain`` or ``?format=text``)."""

from __future__ import annotations

import re

from flask import Response, request
from flask_babel import gettext as _

from screening.api.auth import scoped
from screening.api.http import Refused, bp
from screening.api.models import ACCESS_CONTROL_SCOPE
from screening.api.problems import field_problem
from screening.certificates.setup import certificate_keys
from screening.clock import utcnow
from screening.errors import Conflict
from screening.inputs import MAX_INT
from screening.statuslist.canonical import STATUSES
from screening.statuslist.queries import issue_list

_NUMBER = re.compile(r"[0-9]{1,10}")
_FORMATS = {"json": "application/json", "text": "text/plain"}
_SINCE = {
    "in": "query", "name": "since", "required": False,
    "schema": {"type": "integer", "minimum": 0, "maximum": MAX_INT},
    "description": "Only the entries after this sequence (the `sequence` of the list you hold); 0 or none: all.",
}  # fmt: skip
_FORMAT = {"in": "query", "name": "format", "required": False, "schema": {"type": "string", "enum": list(_FORMATS)}}
_ENTRY = {
    "type": "object",
    "properties": {
        "code": {"type": "string"}, "status": {"type": "string", "enum": list(STATUSES)},
        "date": {"type": "string", "format": "date"}, "sequence": {"type": "integer"},
    },
}  # fmt: skip
_LIST = {
    "type": "object",
    "properties": {
        "issued_at": {"type": "string"}, "kid": {"type": "string"}, "since": {"type": "integer"},
        "sequence": {"type": "integer"}, "entries": {"type": "array", "items": _ENTRY}, "signature": {"type": "string"},
    },
}  # fmt: skip
_RESPONSES = {
    "200": {
        "description": "The list, signed (Ed25519, the certificates' key `kid`): see docs/api.md for the signed text.",
        "content": {"application/json": {"schema": _LIST}, "text/plain": {"schema": {"type": "string"}}},
    }
}


def _since() -> int:
    raw = request.args.get("since")
    if raw is None:
        return 0
    if not _NUMBER.fullmatch(raw) or int(raw) > MAX_INT:
        raise Refused(field_problem(400, "since", _("Give since as a whole number from 0 to %(max)d.", max=MAX_INT)))
    return int(raw)


def _media_type() -> str:
    asked = request.args.get("format")
    if asked is None:
        return request.accept_mimetypes.best_match(list(_FORMATS.values())) or _FORMATS["json"]
    if asked not in _FORMATS:
        raise Refused(field_problem(400, "format", _("Give format as json or text.")))
    return _FORMATS[asked]


@bp.route("/status-list", methods=["GET"])
@scoped(ACCESS_CONTROL_SCOPE)
@bp.doc(
    operationId="getStatusList", security=[{"bearer": []}], parameters=[_SINCE, _FORMAT], responses=_RESPONSES
)  # fmt: skip
def status_list() -> Response:
    """Every printed verification code that is no longer simply valid (revoked, expired, suspended while
    under re-evaluation, and reinstated when it is valid again), oldest first; a code's status is its latest
    entry. For access-control tokens."""
    since, media_type = _since(), _media_type()
    keys = certificate_keys()
    if keys is None:
        raise Conflict("Certificates are not configured on this server: the administrator must set a signing key.")
    issued = issue_list(keys.signing_key, keys.kid, since, utcnow())
    if media_type == _FORMATS["text"]:
        return Response(issued.text, mimetype="text/plain")
    return Response(issued.json(), mimetype="application/json")
