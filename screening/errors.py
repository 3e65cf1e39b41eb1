"""Errors that operations raise and views turn into clear answers (never a 500)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Label:
    """A message parameter that is itself a text to translate (a state's label from ``workflows/``), so the
    sentence around it and the label are in one language; ``lower`` for a label in the middle of a sentence."""

    text: str
    lower: bool = False

    def __str__(self) -> str:
        return self.text.lower() if self.lower else self.text

    def localized(self) -> str:
        from flask_babel import gettext

        text = gettext(self.text)
        return text.lower() if self.lower else text


class DomainError(Exception):
    """Base: ``message`` is safe to show to the user; ``status`` is the HTTP answer."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None, **params: object) -> None:
        text = message % params if params else message
        super().__init__(text)
        #: The English text, for logs and the command line.
        self.message = text
        #: The source string and its parameters, for translation (extracted by Babel: see babel.cfg).
        self.template = message
        self.params = params
        self.field = field

    def localized(self) -> str:
        """The message in the user's language."""
        from flask_babel import gettext

        params = {name: value.localized() if isinstance(value, Label) else value for name, value in self.params.items()}
        return gettext(self.template, **params)


class Conflict(DomainError):
    """Someone else changed the object first; the user should reload and decide again."""

    status = 409


class NotAllowed(DomainError):
    status = 403


class InvalidInput(DomainError):
    status = 422


#: What a 503 (database unavailable, not ready) asks the client to wait before trying again, in seconds.
RETRY_AFTER_SECONDS = 30

#: PostgreSQL SQLSTATE classes of a server that cannot serve now: connection exceptions (08), insufficient
#: resources (53), operator intervention (57: shutting down, starting up); and a read-only server (25006).
_OUTAGE_SQLSTATE_CLASSES = ("08", "53", "57")
_READ_ONLY_SQLSTATE = "25006"
#: SQLite's words for a database file that cannot be written or read now (not for a bug in a statement).
_SQLITE_OUTAGE_WORDS = (
    "database is locked", "readonly database", "disk i/o error", "unable to open database file",
    "database or disk is full", "database is busy",
)  # fmt: skip


def database_unavailable(error: BaseException) -> bool:
    """Whether ``error`` means the database cannot serve now (down, restarting, read-only, out of connections),
    so the user should try again in a minute, as opposed to a fault in the application (a real 500)."""
    from sqlalchemy import exc

    if isinstance(error, exc.TimeoutError):  # no connection free in the pool
        return True
    if not isinstance(error, exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    sqlstate = str(getattr(error.orig, "sqlstate", "") or "")
    if sqlstate:
        return sqlstate == _READ_ONLY_SQLSTATE or sqlstate[:2] in _OUTAGE_SQLSTATE_CLASSES
    module = type(error.orig).__module__
    if module.startswith("sqlite3"):
        text = str(error.orig).lower()
        return any(words in text for words in _SQLITE_OUTAGE_WORDS)
    return isinstance(error, exc.OperationalError | exc.InterfaceError)  # psycopg: the server is not there
