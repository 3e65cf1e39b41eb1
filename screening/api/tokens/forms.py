from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, StringField
from wtforms.validators import DataRequired, Length, Optional

from screening.api.operations import NAME_MAX
from screening.inputs import Form


class TokenForm(Form):
    name = StringField(
        _l("Name"), validators=[DataRequired(), Length(max=NAME_MAX)],
        description=_l("Which system uses it, e.g. the HR system's nightly sync"),
    )  # fmt: skip
    read = BooleanField(_l("Read: applications, clearances, certificates"), default=True)
    write = BooleanField(_l("Write: create, submit, withdraw, answer"))
    webhooks = BooleanField(_l("Webhooks: manage webhook subscriptions"))
    expires_on = DateField(_l("Expires on (optional)"), validators=[Optional()])


class AccessControlTokenForm(Form):
    """An access-control organisation's token: its scope is fixed (the status list only)."""

    name = StringField(
        _l("Name"), validators=[DataRequired(), Length(max=NAME_MAX)],
        description=_l("Which system uses it, e.g. the badge system of terminal 2"),
    )  # fmt: skip
    expires_on = DateField(_l("Expires on (optional)"), validators=[Optional()])
