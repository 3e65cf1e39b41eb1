from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional

from screening.inputs import Form


class LoginForm(Form):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=120)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    #: Asked only while sign-in from this address is throttled: the password and a second factor together.
    code = StringField(
        _l("Code from your authenticator app, or a recovery code"), validators=[Optional(), Length(max=40)],
        render_kw={"autocomplete": "one-time-code"},
    )  # fmt: skip


class DirectoryLookupForm(Form):
    """The administrator's look-up of one directory user (no password: the service account reads)."""

    username = StringField(_l("User name in the directory"), validators=[DataRequired(), Length(max=256)])


class PasswordChangeForm(Form):
    """A local account's new password; the current one proves it is the owner at the keyboard."""

    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=256)])
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=256)])
