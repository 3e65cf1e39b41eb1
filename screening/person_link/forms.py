"""The person's forms: the answer on the consent page (with the address for the file link) and the short code."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from screening.inputs import Form


class ConsentAnswerForm(Form):
    """Consent or refusal; the address is where the link to the person's own file goes (nowhere else)."""

    email = EmailField(
        _l("Your e-mail address"),
        validators=[Optional(), Email(check_deliverability=False), Length(max=254)],
        description=_l(
            "The link to your own file, your notices and the grounds you may be told are sent only to this "
            "address. Check it, or type your own: your employer does not see it."
        ),
    )


class CodeForm(Form):
    """The short code printed on the consent letter, for those who cannot scan its QR code."""

    code = StringField(
        _l("Code on your letter"),
        validators=[DataRequired(_l("Type the code printed on your letter.")), Length(max=32)],
        description=_l("8 letters and digits, like K7M2-9QXD"),
    )
