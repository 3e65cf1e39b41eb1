"""The application factory: a table of contents of the app, one ``init_*`` call per concern."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from importlib import import_module
from pathlib import Path
from typing import Any

from babel import Locale
from flask import Flask, g, request, session
from flask_login import current_user

from screening.api.views import init_api
from screening.audit.setup import init_audit
from screening.auth.access import init_access
from screening.auth.ldap import init_directory
from screening.certificates.setup import init_certificates
from screening.config import Config
from screening.db import init_db
from screening.extensions import babel, bootstrap, csrf, login_manager
from screening.fonts import use_font_dir
from screening.inputs import init_input
from screening.sessions import init_sessions, token_call
from screening.vault import IdentifierVault
from screening.web import init_errors, init_security_headers, init_template_helpers

ROOT = Path(__file__).resolve().parent.parent
#: The packages with pages (a subpackage counts as a package), each with one blueprint ``bp`` in its
#: ``views`` module, registered in this order.
BLUEPRINT_PACKAGES = (
    "decisions",
    "fees",
    "workforce",
    "imports",
    "core",
    "auth",
    "auth.account",
    "auth.factors",
    "applications",
    "clearances",
    "admin",
    "audit",
    "person_link",
    "person_link.notice",
    "subjects",
    "admin.accounts",
    "admin.access_control",
    "jobs",
    "notifications",
    "reports",
    "certificates",
    "webhooks",
)
TEMPLATES = ROOT / "templates"


def create_app(config: Config) -> Flask:
    app = Flask("screening", template_folder=str(TEMPLATES), static_folder=str(Path(__file__).parent / "static"))
    init_settings(app, config)
    init_proxies(app, config)
    init_input(app)
    init_sessions(app)
    init_db(app, config.database.url, echo=config.database.echo, pool_size=config.database.pool_size)
    init_audit(app, config)
    init_extensions(app, config)
    init_directory(app, config)
    init_access(app)
    init_security_headers(app)
    init_errors(app)
    init_template_helpers(app)
    init_blueprints(app)
    init_api(app)
    init_certificates(app, config)
    init_fonts(config)
    return app


def init_settings(app: Flask, config: Config) -> None:
    app.extensions["screening.config"] = config
    app.extensions["screening.vault"] = IdentifierVault(config.security.identifier_keys, config.security.lookup_key)
    # a request may carry all the documents of an answer ([documents]); never less than 10 MB
    # (or a register file to import, [imports])
    request_mb = max(
        10, config.documents.attachment_max_mb * config.documents.attachments_per_answer + 1, config.imports.max_mb + 1
    )
    app.config.update(
        SECRET_KEY=config.app.secret_key,
        SESSION_COOKIE_SECURE=config.app.session_cookie_secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="screening_session",
        REMEMBER_COOKIE_SECURE=config.app.session_cookie_secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=config.app.session_lifetime_minutes),
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        BOOTSTRAP_SERVE_LOCAL=True,
        BABEL_DEFAULT_LOCALE=config.app.default_locale,
        BABEL_DEFAULT_TIMEZONE=config.site.timezone,
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).parent / "translations"),
        MAX_CONTENT_LENGTH=request_mb * 1024 * 1024,
    )


def init_fonts(config: Config) -> None:
    """Every PDF embeds DejaVu: a missing font file stops the start here, named, not the first export."""
    use_font_dir(config.documents.font_dir)


def init_proxies(app: Flask, config: Config) -> None:
    """Behind N trusted reverse proxies, take the client's address and scheme from their headers."""
    count = config.app.trusted_proxies
    if count:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)  # type: ignore[method-assign]


def _select_locale() -> Locale:
    """The request's language: a token call's Accept-Language, else the account's, the session's choice or
    Accept-Language, else the default. A ``Locale`` parsed once per code (Flask-Babel parses a code returned
    here, or the default, on every request)."""
    from screening.extensions import settings

    app_settings = settings().app
    languages = app_settings.languages
    if token_call(request):
        code = request.accept_languages.best_match(languages)
    elif (user := _user_for_locale()) is not None and user.is_authenticated and user.locale in languages:
        code = user.locale
    elif session.get("locale") in languages:
        code = session["locale"]
    else:
        code = request.accept_languages.best_match(languages)
    return _parsed(code or app_settings.default_locale)


def _user_for_locale() -> Any:
    """The signed-in user, loading them if need be; None while they are being loaded (the loader's own
    messages, such as "Your session has ended", would otherwise select a locale through the loader again)."""
    if g.get("_loading_user_for_locale"):
        return None
    g._loading_user_for_locale = True
    try:
        return current_user._get_current_object()
    finally:
        g._loading_user_for_locale = False


@lru_cache(maxsize=64)
def _parsed(code: str) -> Locale:
    return Locale.parse(code)


def init_extensions(app: Flask, config: Config) -> None:
    babel.init_app(app, locale_selector=_select_locale)
    bootstrap.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"


def init_blueprints(app: Flask) -> None:
    """One blueprint per package, each in its ``views`` module."""
    for package in BLUEPRINT_PACKAGES:
        app.register_blueprint(import_module(f"screening.{package}.views").bp)
