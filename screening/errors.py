"""Errors that operations raise and views turn into clear answers (never a 500)."""

from __future__ import annotations


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

        return gettext(self.template, **self.params)


class Conflict(DomainError):
    """Someone else changed the object first; the user should reload and decide again."""

    status = 409


class NotAllowed(DomainError):
    status = 403


class InvalidInput(DomainError):
    status = 422
