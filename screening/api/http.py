"""The API's HTTP conventions, shared by its views: bearer tokens and scopes (deny by default), rate
limits, problem documents for every error, ``ETag``/``If-Match`` on the file's version, ``Idempotency-Key``
on every POST, and JSON bodies handed to the pages' own forms."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Response, current_app, g, make_response, request
from flask_babel import gettext as _
from flask_smorest import Blueprint
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from screening.api import operations
from screening.api.auth import TokenUser, note_last_use, token_user
from screening.api.problems import field_problem, from_domain_error, from_http_exception, problem
from screening.api.ratelimit import limiter, rate_headers, share_counts
from screening.db import db
from screening.errors import DomainError, database_unavailable

F = TypeVar("F", bound=Callable[..., Any])

bp = Blueprint("api", __name__, url_prefix="/api/v1", description="Applications and clearances of your organisation.")
#: Request bodies larger than this are refused before they are read (an answer is 5,000 characters at most).
MAX_BODY = 64 * 1024
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
_ETAG = re.compile(r'^(?:W/)?"v([0-9]{1,18})"$')
#: An answer depends on the token and the language.
VARY = ("Authorization", "Accept-Language")


class Refused(Exception):
    """Stop the request with this problem document."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def api_user() -> TokenUser:
    return g.api_user


@bp.before_request
def _authenticate() -> Response | None:
    """Every API endpoint needs a working token holding the view's scope; a view that names no scope is
    refused to every token (deny by default)."""
    view = current_app.view_functions.get(request.endpoint or "")
    scope = getattr(view, "api_scope", None)
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        detail = _("Send your API token as: Authorization: Bearer <token>.")
        return problem(401, detail, headers={"WWW-Authenticate": 'Bearer realm="screening"'})
    user = token_user(token.strip())
    if user is None:
        detail = _("This API token is not valid: it is unknown, expired or revoked, or its account is deactivated.")
        return problem(401, detail, headers={"WWW-Authenticate": 'Bearer realm="screening", error="invalid_token"'})
    allowance, share = limiter().hit(user.token_id)
    g.api_rate = rate_headers(allowance)
    if share:
        g.api_rate_sync = user.token_id  # added to the cluster's count when the request is over: share_counts
    if not allowance.allowed:
        detail = _("Too many requests with this token. Please wait and try again.")
        return problem(429, detail, headers={**g.api_rate, "Retry-After": str(allowance.reset_seconds)})
    if scope is None or scope not in user.scopes:
        detail = _("This token does not have the scope %(scope)s.", scope=scope or "-")
        challenge = f'Bearer error="insufficient_scope", scope="{scope or ""}"'
        return problem(403, detail, headers={"WWW-Authenticate": challenge})
    if user.is_authority and request.method not in ("GET", "HEAD"):  # not even an export's audit row
        return problem(403, _("A token of the authority's own tools only reads."))
    g.api_user = user
    return None


@bp.after_request
def _headers(response: Response) -> Response:
    for name, value in g.get("api_rate", {}).items():
        response.headers.setdefault(name, value)
    response.headers["Cache-Control"] = "no-store"
    if "Vary" in response.headers:
        response.vary.update(VARY)
    else:  # the common case, without parsing a header that is not there
        response.headers["Vary"] = ", ".join(VARY)
    return response


@bp.teardown_request
def _after_the_answer(_error: BaseException | None) -> None:
    note_last_use()
    share_counts()


@bp.errorhandler(Refused)
def _refused(error: Refused) -> Response:
    return error.response


@bp.errorhandler(DomainError)
def _domain(error: DomainError) -> Response:
    db.session.rollback()
    return from_domain_error(error)


@bp.errorhandler(HTTPException)
def _http(error: HTTPException) -> Response:
    messages = (getattr(error, "data", None) or {}).get("messages")
    if error.code in (400, 422) and messages:  # webargs: the query parameters
        # A field's own error_messages come as one lazy text, not a list: never spelt out letter by letter.
        errors = [
            {"field": name, "detail": " ".join(str(m) for m in (texts if isinstance(texts, list) else [texts]))}
            for location in messages.values() for name, texts in location.items()
        ]  # fmt: skip
        return problem(
            400, errors[0]["detail"] if len(errors) == 1 else _("Some parameters are not valid."), errors=errors
        )
    return from_http_exception(error)


@bp.errorhandler(Exception)
def _unexpected(error: Exception) -> Response:
    db.session.rollback()
    if database_unavailable(error):
        detail = _("The service is temporarily unavailable. Nothing was lost. Please try again in a minute.")
        return problem(503, detail, headers={"Retry-After": "30"})
    current_app.logger.exception("unhandled API error on %s %s", request.method, request.path)
    return problem(500, _("The error was logged. Nothing was saved."))


# -- versions ---------------------------------------------------------------------------------------


def etag(version: int) -> str:
    return f'"v{version}"'


def if_match(missing: str | None = None, changed: str | None = None) -> int:
    """The version the client saw, from ``If-Match``: 428 without one (a change needs it). ``missing`` and
    ``changed`` name another kind of object than an application in the messages."""
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        detail = missing or _("Send If-Match with the ETag of the application as you last read it.")
        raise Refused(field_problem(428, "If-Match", detail))
    for candidate in header.split(","):
        match = _ETAG.match(candidate.strip())
        if match:
            return int(match.group(1))
    raise Refused(field_problem(412, "If-Match", changed or _changed()))


def check_version(expected: int, current: int, changed: str | None = None) -> None:
    if expected != current:
        raise Refused(field_problem(412, "If-Match", changed or _changed()))


def _changed() -> str:
    return _("Someone else changed this application meanwhile. Review its current state and try again.")


# -- bodies -----------------------------------------------------------------------------------------


def json_body() -> dict[str, Any]:
    """The body as a JSON object (empty when there is none)."""
    if request.content_length and request.content_length > MAX_BODY:
        raise Refused(problem(413, _("The request is too large.")))
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    if not request.is_json:
        raise Refused(problem(415, _("Send the body as application/json.")))
    try:
        data = json.loads(raw)
    except ValueError:
        raise Refused(problem(400, _("The body is not valid JSON."))) from None
    if not isinstance(data, dict):
        raise Refused(problem(400, _("The body must be a JSON object.")))
    return data


def no_body() -> None:
    """A call that takes no body refuses one (rather than ignore what the client meant)."""
    if json_body():
        raise Refused(field_problem(400, "body", _("This field is not known.")))


def form_data(body: dict[str, Any], fields: set[str], lists: frozenset[str] = frozenset()) -> MultiDict[str, str]:
    """A form's input from a JSON object: each member a field of the form, given as text (or a whole number),
    or for a field of ``lists`` (ticked boxes) a list of texts; the form then checks it as it checks the
    page's input."""
    values: MultiDict[str, str] = MultiDict()
    for name, value in body.items():
        if name not in fields:
            raise Refused(field_problem(400, name, _("This field is not known.")))
        if value is None:
            continue
        if name in lists:
            if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
                raise Refused(field_problem(400, name, _("Give this field as a list of texts.")))
            values.setlist(name, value)
            continue
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise Refused(field_problem(400, name, _("Give this field as text.")))
        values[name] = str(value)  # the form's own rule refuses NUL and control characters (screening.inputs)
    return values


def form_problem(form: Any, rename: dict[str, str] | None = None) -> Response:
    """The form's own messages, one entry per field (``rename``: the API's name of a form field)."""
    names = rename or {}
    errors = [
        {"field": names.get(name, name), "detail": str(message)}
        for name, messages in form.errors.items() for message in messages
    ]  # fmt: skip
    detail = errors[0]["detail"] if len(errors) == 1 else _("Some fields are not valid.")
    return problem(422, detail, errors=errors)


# -- idempotent retries -------------------------------------------------------------------------------

#: The answer's headers a replay gives back.
_KEPT_HEADERS = ("Content-Type", "Content-Disposition", "ETag", "Location")


def replay_without(body: bytes) -> None:
    """What a retry with the same ``Idempotency-Key`` gets instead of this answer's body (a secret is shown
    once and never stored in clear)."""
    g.api_replay_body = body


def _fingerprint() -> str:
    """What makes a retry the same request: its method, path and body. A multipart body is compared by its
    parts (fields, file names and contents), not its bytes: a client draws a new boundary for every send."""
    if request.mimetype != "multipart/form-data":
        return hashlib.sha256(
            b"\0".join((request.method.encode(), request.full_path.encode(), request.get_data()))
        ).hexdigest()
    parts: list[list[str]] = [list(item) for item in request.form.items(multi=True)]
    for name, sent in request.files.items(multi=True):
        content = hashlib.file_digest(sent.stream, "sha256").hexdigest()  # type: ignore[arg-type]
        sent.stream.seek(0)  # the view reads it again
        parts.append([name, sent.filename or "", content])
    described = json.dumps([request.method, request.full_path, parts]).encode()
    return hashlib.sha256(described).hexdigest()


def idempotent(view: F) -> F:
    """Honour ``Idempotency-Key``: the first successful answer is kept (per token, for the configured hours)
    and a retry with the same key and the same request gets it again without doing anything; the same key
    with another request is refused (422). A view whose answer shows a secret once sets
    :func:`replay_without` so the kept copy never holds it."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return view(*args, **kwargs)
        if not _KEY.match(key):
            raise Refused(
                field_problem(400, "Idempotency-Key", _("An Idempotency-Key is 1 to 255 visible ASCII characters."))
            )
        fingerprint = _fingerprint()
        keep = current_app.extensions["screening.config"].api.idempotency_keep
        claim = operations.claim_key(api_user().token_id, key, fingerprint, keep)
        if claim.fingerprint != fingerprint:
            detail = _("This Idempotency-Key was already used with another request.")
            errors = [{"field": "Idempotency-Key", "detail": detail}]
            raise Refused(problem(422, detail, kind="idempotency-key-reused", errors=errors))
        if claim.status is not None:
            replay = Response(claim.body or b"", status=claim.status, headers=json.loads(claim.headers or "{}"))
            replay.headers["Idempotent-Replayed"] = "true"
            return replay
        response = make_response(view(*args, **kwargs))
        if response.status_code < 400:
            kept = {name: response.headers[name] for name in _KEPT_HEADERS if name in response.headers}
            body = g.pop("api_replay_body", None)  # an answer with a secret keeps a copy without it
            operations.keep_answer(claim, response.status_code, kept, response.get_data() if body is None else body)
        return response

    return wrapper  # type: ignore[return-value]
