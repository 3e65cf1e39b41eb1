from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError


def printable(_form: Any, field: Any) -> None:
    """No user name holds control characters; NUL would even be refused by PostgreSQL (a 500)."""
    if any(ord(character) < 32 or ord(character) == 127 for character in field.data or ""):
        raise ValidationError(_l("A user name cannot contain control characters."))


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=120), printable])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    #: Asked only while sign-in from this address is throttled: the password and a second factor together.
    code = StringField(
        _l("Code from your authenticator app, or a recovery code"), validators=[Optional(), Length(max=40)],
        render_kw={"autocomplete": "one-time-code"},
    )  # fmt: skip


class DirectoryLookupForm(FlaskForm):
    """The administrator's look-up of one directory user (no password: the service account reads)."""

    username = StringField(_l("User name in the directory"), validators=[DataRequired(), Length(max=256), printable])


class PasswordChangeForm(FlaskForm):
    """A local account's new password; the current one proves it is the owner at the keyboard."""

    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=256)])
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=256)])
