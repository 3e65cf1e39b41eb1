"""Errors that operations raise and views turn into clear answers (never a 500)."""

from __future__ import annotations


class DomainError(Exception):
    """Base: ``message`` is safe to show to the user; ``status`` is the HTTP answer."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Conflict(DomainError):
    """Someone else changed the object first; the user should reload and decide again."""

    status = 409


class NotAllowed(DomainError):
    status = 403


class InvalidInput(DomainError):
    status = 422
