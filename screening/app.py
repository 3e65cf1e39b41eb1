"""The application factory: a table of contents of the app, one ``init_*`` call per concern."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Flask, request, session
from flask_login import current_user

from screening.audit.setup import init_audit
from screening.auth.access import init_access
from screening.auth.ldap import init_directory
from screening.certificates.setup import init_certificates
from screening.config import Config
from screening.db import init_db
from screening.extensions import babel, bootstrap, csrf, login_manager
from screening.people.protection import IdentifierVault
from screening.sessions import init_sessions
from screening.web import init_errors, init_security_headers, init_template_helpers

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"


def create_app(config: Config) -> Flask:
    app = Flask("screening", template_folder=str(TEMPLATES), static_folder=str(Path(__file__).parent / "static"))
    init_settings(app, config)
    init_proxies(app, config)
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
    init_certificates(app, config)
    return app


def init_settings(app: Flask, config: Config) -> None:
    app.extensions["screening.config"] = config
    app.extensions["screening.vault"] = IdentifierVault(config.security.identifier_keys, config.security.lookup_key)
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
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).parent / "translations"),
        MAX_CONTENT_LENGTH=10 * 1024 * 1024,
    )


def init_proxies(app: Flask, config: Config) -> None:
    """Behind N trusted reverse proxies, take the client's address and scheme from their headers."""
    count = config.app.trusted_proxies
    if count:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)  # type: ignore[method-assign]


def _select_locale() -> str | None:
    languages = list(app_languages())
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages)


def app_languages() -> tuple[str, ...]:
    from screening.extensions import settings

    return settings().app.languages


def init_extensions(app: Flask, config: Config) -> None:
    babel.init_app(app, locale_selector=_select_locale)
    bootstrap.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"


def init_blueprints(app: Flask) -> None:
    from screening.admin.accounts import bp as accounts_bp
    from screening.admin.views import bp as admin_bp
    from screening.applications.views import bp as applications_bp
    from screening.audit.views import bp as audit_bp
    from screening.auth.account import bp as account_bp
    from screening.auth.factors.views import bp as factors_bp
    from screening.auth.views import bp as auth_bp
    from screening.clearances.views import bp as clearances_bp
    from screening.core.views import bp as core_bp
    from screening.people.views import bp as person_bp

    for blueprint in (
        core_bp,
        auth_bp,
        account_bp,
        factors_bp,
        applications_bp,
        clearances_bp,
        admin_bp,
        audit_bp,
        person_bp,
    ):
        app.register_blueprint(blueprint)
    from screening.people.subject_views import bp as subjects_bp
    from screening.people.views import paper_bp

    app.register_blueprint(subjects_bp)  # data subject tools for officers (issue 6)
    app.register_blueprint(paper_bp)  # the requester's signed paper consent form (issue 6)
    from screening.jobs.views import bp as jobs_bp
    from screening.notifications.views import bp as outbox_bp
    from screening.reports.views import bp as reports_bp

    app.register_blueprint(accounts_bp)  # one account's role; proposals for a second administrator (issue 12)
    for blueprint in (jobs_bp, outbox_bp, reports_bp):  # scheduler, mail and reports (issue 3)
        app.register_blueprint(blueprint)
    from screening.certificates.views import bp as certificates_bp

    app.register_blueprint(certificates_bp)  # certificates and their public check (issue 5)
