"""``POST /api/v1/status``: the live status of up to 1,000 certificates at once, for a badge system that
checks its holders nightly.

The answer is the public ``/verify`` page's, for every code in one query (``live_statuses``); each code
checked is a row of the same check log, all written in one INSERT in the request's transaction (a POST
holds the write lock on SQLite anyway), so a refused request logs nothing. The token's rate limit counts
the call, as for every API call; the public page's per-address limit does not apply (a token is made by an
administrator for a known organisation). For access-control tokens only (scope ``access-control``), as
the status list. Codes are given as printed, with or without hyphens; anything
else is refused with the item named (``codes[3]``) before anything is read.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, request
from flask_babel import gettext as _
from marshmallow import fields, validate

from screening.api.auth import scoped
from screening.api.http import Refused, bp, json_body
from screening.api.models import ACCESS_CONTROL_SCOPE
from screening.api.problems import field_problem, problem
from screening.api.schemas import Strict
from screening.api.spec import BEARER
from screening.certificates.operations import log_checks
from screening.certificates.queries import LiveStatus, live_statuses
from screening.certificates.signing import InvalidCode, normalise_code
from screening.certificates.views import code_problem
from screening.clock import today
from screening.db import db
from screening.inputs import text_problem

#: Codes per call: a badge system with more holders sends several calls.
MAX_CODES = 1000
#: The statuses a code can have: the public page's outcomes for a well-formed code.
STATUSES = ("valid", "expired", "revoked", "under_reevaluation", "unknown")


class StatusQuery(Strict):
    codes = fields.List(
        fields.String(metadata={"example": "7KQ4-M2XD-9PAY"}),
        required=True,
        validate=validate.Length(1, MAX_CODES),
        metadata={"description": "Verification codes as printed under the QR code, with or without hyphens; "
                  "each once.", "example": ["7KQ4-M2XD-9PAY", "012x4d95ex93"]},
    )  # fmt: skip


class CodeStatus(Strict):
    code = fields.String(required=True, metadata={"description": "The code as printed (grouped with hyphens)."})
    status = fields.String(
        required=True,
        validate=validate.OneOf(STATUSES),
        metadata={"description": "unknown: never issued by this authority."},
    )
    valid_until = fields.Date(
        required=True, allow_none=True, metadata={"description": "The clearance's last day; null when unknown."}
    )


class StatusList(Strict):
    statuses = fields.List(
        fields.Nested(CodeStatus), required=True, metadata={"description": "One per code, in the order given."}
    )


def _item_problem(item: Any, seen: dict[str, int]) -> tuple[str | None, str | None]:
    """The stored form of one given code, or why it is not one."""
    if not isinstance(item, str):
        return None, _("Give each code as text.")
    refused = text_problem(item)
    if refused:
        return None, str(refused)
    try:
        code = normalise_code(item)
    except InvalidCode:
        return None, code_problem(item)
    if code in seen:
        return None, _("This code is also codes[%(first)d]: give each code once.", first=seen[code])
    return code, None


def _codes(body: dict[str, Any]) -> list[str]:
    """The given codes in their stored form; every item at fault is named in one problem document."""
    for name in body:
        if name != "codes":
            raise Refused(field_problem(400, name, _("This field is not known.")))
    given = body.get("codes")
    if not isinstance(given, list) or not 1 <= len(given) <= MAX_CODES:
        detail = _("Give codes as a list of 1 to %(n)d verification codes.", n=MAX_CODES)
        raise Refused(field_problem(400, "codes", detail))
    seen: dict[str, int] = {}
    errors = []
    for index, item in enumerate(given):
        code, refused = _item_problem(item, seen)
        if code is None:
            errors.append({"field": f"codes[{index}]", "detail": refused or ""})
        else:
            seen[code] = index
    if errors:
        detail = errors[0]["detail"] if len(errors) == 1 else _("Some codes are not valid.")
        raise Refused(problem(400, detail, errors=errors))
    return list(seen)


def _status(code: str, found: LiveStatus | None) -> dict[str, Any]:
    return {
        "code": code,
        "status": found.outcome if found else "unknown",
        "valid_until": found.valid_until.isoformat() if found else None,
    }


@bp.route("/status", methods=["POST"])
@scoped(ACCESS_CONTROL_SCOPE)
@bp.doc(
    operationId="lookUpStatuses",
    security=BEARER,
    requestBody={"required": True, "content": {"application/json": {"schema": StatusQuery}}},
)
@bp.response(200, StatusList)
def statuses() -> Response:
    """The live status of up to 1,000 certificates by their verification codes, as the public page shows it.

    For access-control tokens. Each code checked is logged as a check of the public page is.
    """
    codes = _codes(json_body())
    found = live_statuses(codes, today())
    log_checks(
        db.session,
        request.remote_addr,
        [(found[code].outcome, found[code].issue_id) if code in found else ("unknown", None) for code in codes],
    )
    body = {"statuses": [_status(code, found.get(code)) for code in codes]}
    return Response(json.dumps(body), mimetype="application/json")
