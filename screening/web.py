"""Web hygiene shared by every page: security headers, error pages, template helpers."""

from __future__ import annotations

from contextlib import suppress
from datetime import date
from functools import lru_cache
from typing import Any

from flask import (
    Flask,
    current_app,
    g,
    has_app_context,
    has_request_context,
    jsonify,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, get_translations, gettext, lazy_gettext
from flask_login import current_user
from flask_wtf.csrf import CSRFError, generate_csrf
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException

from screening.clock import today
from screening.errors import RETRY_AFTER_SECONDS, DomainError, database_unavailable
from screening.formats import day_filter, day_formatter, moment_filter, moment_formatter
from workflows.application import ADVICE_LABELS as ADVICE_LABELS_DECLARED
from workflows.application import APPLICATION
from workflows.audit import ACTIONS as AUDIT_ACTIONS
from workflows.audit import OTHER_ACTIONS
from workflows.clearance import CLEARANCE
from workflows.done import FALLBACK, done_message
from workflows.employer import employer_action, employer_advice
from workflows.roles import AUTHORITY_ROLES, EMPLOYER_ROLES, READER_ROLES, Role
from workflows.text import N_

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


#: The headers every response carries unless its view set them, in this order.
_SECURITY_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
_HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def init_security_headers(app: Flask) -> None:
    @app.after_request
    def _headers(response: Any) -> Any:
        # One look at the headers the view set, then the missing ones added: what ``setdefault`` per header
        # did, without scanning the list eight times.
        headers = response.headers
        present = {key.lower() for key, _value in headers}
        wanted = (*_SECURITY_HEADERS, _HSTS) if app.config.get("SESSION_COOKIE_SECURE") else _SECURITY_HEADERS
        for key, value in wanted:
            if key.lower() not in present:
                headers.add(key, value)
        endpoint = request.endpoint
        if endpoint and not endpoint.endswith("static"):
            if "content-disposition" in present and headers["Content-Disposition"].startswith("attachment"):
                headers["Cache-Control"] = "no-store"  # a download: send_file's "no-cache" would keep a copy
            elif "cache-control" not in present:
                headers.add("Cache-Control", "no-store")
        return response


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _error_page(status: int, title: str, message: str) -> Any:
    if _wants_json():  # an RFC 9457 problem document (the API's own errors: screening.api.problems)
        response = jsonify(type="about:blank", title=title, status=status, detail=message)
        response.mimetype = "application/problem+json"
        return response, status
    return render_template("error.html", status=status, title=title, message=message), status


def _unavailable() -> Any:
    """The database cannot serve: 503 with Retry-After and a short page that says nothing was lost.

    The page is drawn as for a signed-out visitor (the user cannot be read now, and drawing the menu must not
    ask the database again). A change sent now was rolled back, unless the database went away during its very
    commit, so the page asks to check before sending it again rather than promising either."""
    from flask_login import AnonymousUserMixin

    from screening.db import db

    g._login_user = AnonymousUserMixin()  # flask-login's per-request user: no second trip to the database
    with suppress(Exception):  # the connection may be gone already: nothing to roll back then
        db.session.rollback()
    message = translate("The service is temporarily unavailable. Nothing was lost. Please try again in a minute.")
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        # The connection may have dropped during the commit itself: whether it was saved is not known here.
        message += " " + translate("Check whether your last change was saved before you send it again.")
    response, status = _error_page(503, translate("Temporarily unavailable"), message)
    response = current_app.make_response((response, status))
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


#: The error pages' titles and messages by status (Werkzeug's English name and description otherwise).
_HTTP_TITLES = {
    400: N_("Not understood"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    405: N_("Not allowed"),
    413: N_("Too large"),
    429: N_("Too many attempts"),
}
_HTTP_MESSAGES = {
    403: N_("Your role does not give access to this page."),
    404: N_("There is nothing here, or it is not yours to see."),
    413: N_("The upload is too large."),
    429: N_("Too many attempts. Please wait a few minutes and try again."),
}


def init_errors(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(error: DomainError) -> Any:
        return _error_page(error.status, translate("That did not work"), error.localized())

    @app.errorhandler(CSRFError)
    def _csrf(_error: CSRFError) -> Any:
        message = translate("Your form expired or was sent from elsewhere. Please reload the page and try again.")
        return _error_page(400, translate("Form expired"), message)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Any:
        status = error.code or 500
        original = getattr(error, "original_exception", None)  # an error raised while finishing the response
        if status == 500 and original is not None and database_unavailable(original):
            app.logger.warning("database unavailable on %s %s: %s", request.method, request.path, original)
            return _unavailable()
        title, message = _HTTP_TITLES.get(status), _HTTP_MESSAGES.get(status)
        return _error_page(
            status,
            translate(title) if title else str(error.name),
            translate(message) if message else str(error.description or ""),
        )

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Any:
        if database_unavailable(error):
            app.logger.warning("database unavailable on %s %s: %s", request.method, request.path, error)
            return _unavailable()
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        from screening.db import db

        db.session.rollback()
        return _error_page(
            500, translate("Something went wrong"), translate("The error was logged. Nothing was saved.")
        )


STATE_STYLES = {
    "draft": "secondary",
    "awaiting_consent": "info",
    "submitted": "primary",
    "in_review": "primary",
    "info_requested": "warning",
    "positive": "success",
    "negative": "danger",
    "appealed": "warning",
    "final_negative": "danger",
    "consent_refused": "dark",
    "consent_expired": "dark",
    "withdrawn": "secondary",
    "covered": "success",
    "valid": "success",
    "under_reevaluation": "warning",
    "revoked": "danger",
    "expired": "secondary",
}

_MACHINES = (APPLICATION, CLEARANCE)
#: Every event and action of the machines by name (its label, its form's text, its tone), for templates.
EVENTS = {
    event.name: event
    for event in (
        *(e for machine in _MACHINES for e in (*machine.events_declared, *machine.actions)),
        *AUDIT_ACTIONS,
        *OTHER_ACTIONS,
    )
}
#: Labels of the declarations in ``workflows/`` (English there, marked for translation), translated here when
#: they are shown: the states', the events' and the trail's other actions', the events' texts and the roles'.
STATE_LABELS = {state.name: lazy_gettext(state.label) for machine in _MACHINES for state in machine.states}
EVENT_LABELS = {name: lazy_gettext(event.label) for name, event in EVENTS.items()}
REASON_LABELS = {name: lazy_gettext(event.reason_label) for name, event in EVENTS.items() if event.reason_label}
ROLE_LABELS = {role.value: lazy_gettext(role.label) for role in Role}

ADVICE_LABELS = {advice: lazy_gettext(label) for advice, label in ADVICE_LABELS_DECLARED.items()}


def done_flash(machine: str, event: str, target: str, reference: str) -> str:
    """The flash after a step, in words and in the user's language (declared in ``workflows/done.py``)."""
    sentence = done_message(machine, event, target)
    if sentence is None:
        return gettext(FALLBACK, step=gettext(EVENTS[event].label), reference=reference)
    return gettext(sentence, reference=reference)


def _relative_days(day: date | None) -> str:
    return _relative_formatter()(day)


def _relative_formatter() -> Any:
    """``|relative`` with today and the language looked up once: a list takes one for all its rows."""
    on, locale = today(), locale_code()
    return lambda day: "" if day is None else _days_from_today((day - on).days, locale)


@lru_cache(maxsize=4096)
def _days_from_today(delta: int, locale: str) -> str:
    """The words for ``delta`` days in ``locale``, translated once: lists show one per row."""
    if delta == 0:
        return gettext("today")
    if delta > 0:
        return gettext("in %(n)d days", n=delta) if delta != 1 else gettext("tomorrow")
    return gettext("%(n)d days ago", n=-delta) if delta != -1 else gettext("yesterday")


@lru_cache(maxsize=16)
def _state_badges(locale: str) -> dict[str, Markup]:
    """Every state's badge (the ``state_badge`` macro's markup) in ``locale``, built once: a list shows one
    per row, and a macro call plus a translation per row cost more than the rest of the row."""
    badge = Markup('<span class="badge text-bg-{}">{}</span>')
    return {state: badge.format(STATE_STYLES.get(state, "secondary"), label) for state, label in STATE_LABELS.items()}


def _request_catalogue() -> tuple[Any, Any, str]:
    """The current language, its catalogue and its code, looked up once per request (and again only if the
    language changes, as under ``force_locale`` or after Flask-Babel's ``refresh``): Flask-Babel's own lookup
    costs several µs per string and names the locale each time, and a page translates dozens of strings."""
    if has_app_context():
        here = g._get_current_object()
        cached = getattr(here, "_screening_translations", None)
        if cached is not None and cached[0] is getattr(getattr(here, "_flask_babel", None), "babel_locale", None):
            return cached
        locale = get_locale()
        cached = (locale, get_translations(), str(locale or "en"))
        if locale is not None:
            here._screening_translations = cached
        return cached
    return None, get_translations(), "en"


def _request_translations() -> Any:
    """The request's catalogue (see :func:`_request_catalogue`)."""
    return _request_catalogue()[1]


def locale_code() -> str:
    """The request's language code (``"nl"``), as ``str(get_locale() or "en")`` gives it, read once."""
    return _request_catalogue()[2]


def translate(text: str, **variables: Any) -> str:
    """Flask-Babel's ``gettext`` through the request's catalogue: the same text, without its lookups."""
    translated = _request_catalogue()[1].ugettext(text)
    return translated % variables if variables else translated


def _install_fast_gettext(app: Flask) -> None:
    """Templates' ``_()``/``ngettext()`` through :func:`_request_catalogue` (same catalogues, same output)."""
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _request_catalogue()[1].ugettext(s),
        ngettext=lambda s, p, n: _request_catalogue()[1].ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _request_catalogue()[1].upgettext(c, s),
        npgettext=lambda c, s, p, n: _request_catalogue()[1].unpgettext(c, s, p, n),
    )


#: Where each app keeps its links without parameters (the navigation's, static files'): a page builds a dozen.
_URLS_KEY = "screening.parameterless_urls"


def _cached_url_for(endpoint: str, **values: Any) -> str:
    """``url_for`` for templates, remembering links that depend on nothing but the endpoint (and a static
    file's name): the same path every time for the same application root. Anything else is built as usual."""
    if (
        not has_request_context()
        or endpoint.startswith(".")
        or len(values) > 1
        or (values and "filename" not in values)
    ):
        return url_for(endpoint, **values)
    cache: dict[tuple[str, str, str | None], str] = current_app.extensions.setdefault(_URLS_KEY, {})
    key = (request.script_root, endpoint, values.get("filename"))
    found = cache.get(key)
    if found is None:
        found = url_for(endpoint, **values)
        if len(cache) < 1024:
            cache[key] = found
    return found


#: Where each app keeps its layout fragments, rendered once per key (see :func:`_layout_part`).
_LAYOUT_KEY = "screening.layout_parts"


# Markup kept for many requests carries the request's own values as slots: a value's name between two NULs.
# NUL is never in a template's own text nor in the data (every input refuses it, screening.inputs), so the
# rendered markup splits on it and the odd parts are the names. An empty value stays itself (an ``{% if %}``
# sees it empty): which values are empty belongs in the cache key.


def slot_marks(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with each non-empty one replaced by its slot, to render markup that is kept."""
    return {name: Markup("\x00{}\x00").format(name) if value else value for name, value in values.items()}


def split_slots(html: str, names: Any) -> list[str] | None:
    """Markup rendered with :func:`slot_marks` split at its slots (the odd parts are the names); None when a
    NUL that is not a slot is in it after all (then render with the values themselves and keep nothing)."""
    parts = html.split("\x00")
    if len(parts) % 2 and all(name in names for name in parts[1::2]):
        return parts
    return None


def fill_slots(parts: list[str], values: dict[str, Any]) -> Markup:
    """Kept ``parts`` (:func:`split_slots`, of markup or of a whole rendered page) with the request's
    ``values`` filled in, escaped."""
    filled = "".join(str(escape(values[part])) if index % 2 else part for index, part in enumerate(parts))
    return Markup(filled)  # noqa: S704 - the kept parts are our rendered markup, the values are escaped


def _layout_part(name: str, macro: Any, /, **values: Any) -> Markup:
    """``macro()`` of ``base.html`` (the menu, the account and language bar) rendered once per role, language
    and application root, and reused: a fragment that depends on nothing else costs the same on every page.
    The request's own ``values`` (the user's name, the CSRF token, the path to come back to) are slots in the
    cached markup (:func:`slot_marks`), filled in escaped on each call. Templates reloaded while developing
    skip the cache."""
    user, app = current_user._get_current_object(), current_app._get_current_object()  # type: ignore[attr-defined]
    role = user.role if user.is_authenticated else None
    if app.jinja_env.auto_reload:
        return macro(**values)
    key = (name, request.script_root, locale_code(), role, tuple(k for k, v in values.items() if v))
    cache: dict[Any, list[Markup]] = app.extensions.setdefault(_LAYOUT_KEY, {})
    parts = cache.get(key)
    if parts is None:
        parts = split_slots(macro(**slot_marks(values)), values)
        if parts is None:
            return macro(**values)
        if len(cache) < 1024:
            cache[key] = parts
    return fill_slots(parts, values)


#: Set in ``g`` while a page kept for many requests is rendered (:mod:`screening.workforce.page_memo`): the
#: layout's own values are then these slots, filled in per request.
LAYOUT_SLOTS = "layout_slots"


def layout_values() -> dict[str, Any]:
    """The request's own values of the layout's account bar: the reader's name and organisation, the CSRF
    token and the path to come back to after a change of language (or, for a kept page, their slots)."""
    slots = g.get(LAYOUT_SLOTS)
    if slots is not None:
        return dict(slots)
    user = current_user
    signed_in = user.is_authenticated
    return {
        "name": user.display_name if signed_in else "",
        "organisation": user.organisation.name if signed_in and user.organisation else "",
        "csrf": csrf_token(),
        "next": request.full_path if request.query_string else request.path,
    }


def csrf_token() -> str:
    """The request's CSRF token: Flask-WTF's own, made once per request and kept in ``g``, so a form's hidden
    field and the layout's carry one token."""
    return generate_csrf()


#: Where each app keeps markup that depends on its configuration and root only (see :func:`_once_per_root`).
_ONCE_KEY = "screening.once_per_root"


def _once_per_root(name: str, build: Any) -> Markup:
    """``build()`` (Bootstrap-Flask's ``load_css``/``load_js``: three ``url_for`` and string work) once per
    application root: its markup depends on the configuration and the root, never on the request."""
    cache: dict[tuple[str, str], Markup] = current_app.extensions.setdefault(_ONCE_KEY, {})
    key = (name, request.script_root)
    found = cache.get(key)
    if found is None:
        found = build()
        if len(cache) < 64:
            cache[key] = found
    return found


def language_name(code: str | None) -> str:
    """A person's language named in the reader's ("Dutch", "Nederlands", "néerlandais")."""
    from babel import Locale, UnknownLocaleError

    if not code:
        return ""
    try:
        return Locale.parse(code).get_language_name(locale_code()) or code
    except (ValueError, UnknownLocaleError):
        return code


def init_template_helpers(app: Flask) -> None:
    _install_fast_gettext(app)
    app.jinja_env.globals["url_for"] = _cached_url_for
    app.jinja_env.globals["layout_part"] = _layout_part
    app.jinja_env.globals["layout_values"] = layout_values
    app.jinja_env.globals["once_per_root"] = _once_per_root
    # In place of Flask-WTF's (see csrf_token()). Flask-WTF also hands its own to every template through a
    # context processor, which would win over the global, and costs a call per template: both are globals.
    app.jinja_env.globals["csrf_token"] = csrf_token
    processors = app.template_context_processors[None]
    processors[:] = [f for f in processors if getattr(f, "__module__", None) != "flask_wtf.csrf"]
    app.jinja_env.globals.update(
        STATE_STYLES=STATE_STYLES,
        STATE_LABELS=STATE_LABELS,
        EVENT_LABELS=EVENT_LABELS,
        EVENTS=EVENTS,
        EMPLOYER_ROLES=EMPLOYER_ROLES,
        AUTHORITY_ROLES=AUTHORITY_ROLES,
        READER_ROLES=READER_ROLES,
        ADVICE_LABELS=ADVICE_LABELS,
        employer_advice=employer_advice,
        employer_action=employer_action,
        ROLE_LABELS=ROLE_LABELS,
        today=today,
        current_locale=locale_code,
        language_name=language_name,
    )
    app.jinja_env.globals["state_badges"] = lambda: _state_badges(locale_code())
    # The |moment and |day filters' formatters, taken once by a list for all its rows.
    app.jinja_env.globals["moment_formatter"] = moment_formatter
    app.jinja_env.globals["day_formatter"] = day_formatter
    app.jinja_env.globals["relative_formatter"] = _relative_formatter
    app.jinja_env.filters["day"] = day_filter
    app.jinja_env.filters["moment"] = moment_filter
    app.jinja_env.filters["relative"] = _relative_days
