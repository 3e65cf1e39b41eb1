"""The signed session cookie, re-signed at most once a minute instead of on every response.

Flask re-signs a permanent session's cookie on every response (``SESSION_REFRESH_EACH_REQUEST``) so that
its lifetime runs from the last request: an idle timeout. Encoding, signing and sending it again cost a
tenth of a small page (docs/benchmarks-pages.md). Here the cookie is re-signed when the session changed
(sign-in, a flashed message, a language choice) or when its signature is at least
:data:`REFRESH_AFTER` old, so the lifetime still runs from the last request, give or take a minute: a
session idle for ``session_lifetime_minutes`` ends as before (at the earliest one minute sooner), and an
active one is never cut short. The signature and its timestamp are checked on every request as before.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, Request, Response, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer

#: A permanent session's cookie is re-signed once its signature is this old (and whenever it changes).
REFRESH_AFTER = timedelta(seconds=60)


class _Session(SecureCookieSession):
    #: When the cookie this session came from was signed (None: a new session).
    signed_at: datetime | None = None


class RefreshingSessionInterface(SecureCookieSessionInterface):
    session_class = _Session

    def __init__(self) -> None:
        #: Flask's serializer for each secret key and fallbacks (one per app, in practice): Flask builds it on
        #: every request, and building one serializes an empty dict to learn its payload is text.
        self._serializers: dict[tuple[Any, ...], URLSafeTimedSerializer] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        key = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        found = self._serializers.get(key)
        if found is None:
            found = super().get_signing_serializer(app)
            if found is not None and len(self._serializers) < 16:
                self._serializers[key] = found
        return found

    def open_session(self, app: Flask, request: Request) -> _Session | None:
        if token_call(request):  # an empty session, never saved: the cookie is neither read nor written
            return self.session_class()
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data, signed_at = serializer.loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        session = self.session_class(data)
        session.signed_at = signed_at
        return session

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        if not token_call(request):
            super().save_session(app, session, response)

    def should_set_cookie(self, app: Flask, session: Any) -> bool:
        if session.modified:
            return True
        if not (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            return False
        signed_at = getattr(session, "signed_at", None)
        return signed_at is None or datetime.now(UTC) - signed_at >= REFRESH_AFTER


def token_call(request: Request) -> bool:
    """An API call with a bearer token: it carries no browser session, so its cookie (a browser may send one)
    is not read, the signed-in user not loaded and nothing written back; its language is Accept-Language's."""
    return request.path.startswith("/api/") and request.headers.get("Authorization", "")[:7].lower() == "bearer "


def init_sessions(app: Flask) -> None:
    app.session_interface = RefreshingSessionInterface()
