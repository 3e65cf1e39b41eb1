from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length

from screening.inputs import Form

#: A pasted verify URL is about 170 characters; anything much longer is not ours.
CODE_INPUT_MAX = 600


class ExportForm(Form):
    """The export page's one form: the language choice, the selection and the buttons that post it."""

    english = BooleanField(_l("Also in English (third column)"))


class VerifyForm(Form):
    code = StringField(
        _l("Verification code"),
        validators=[DataRequired(), Length(max=CODE_INPUT_MAX)],
        description=_l("The code printed under the QR code, e.g. 7KQ4-M2XD-9PAY. Case and hyphens do not matter."),
    )
