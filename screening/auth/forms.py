from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=120)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])


class DirectoryLookupForm(FlaskForm):
    """The administrator's look-up of one directory user (no password: the service account reads)."""

    username = StringField(_l("User name in the directory"), validators=[DataRequired(), Length(max=256)])
