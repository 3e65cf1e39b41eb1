"""The one form of every irreversible step (an advice, an appeal, a ruling, a revocation, a refusal, a
withdrawal): its fields follow the event's declaration in ``workflows/``."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import DateField, HiddenField, RadioField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from screening.inputs import Form

TEXT_MAX = 5000


class DecisionForm(Form):
    """Filled on the review page, shown back on the check page, confirmed from there (GOV.UK "check your
    answers"). The confirming submission carries the same names, prefixed with the event, to the step itself."""

    version = HiddenField(validators=[DataRequired()])
    #: The advice form only: which advice (positive, with warning, negative).
    outcome = RadioField(_l("Outcome"), choices=[], validate_choice=False, validators=[Optional()])
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=TEXT_MAX)])
    disclosed = TextAreaField(_l("Grounds the person may be told"), validators=[Optional(), Length(max=TEXT_MAX)])
    lodged_on = DateField(_l("Date the appeal was lodged"), validators=[Optional()])
    letter = FileField(_l("Appeal letter (PDF, JPEG or PNG)"))
    #: The uploaded letter carried from the check page to the confirmation (base64), and its name.
    letter_data = HiddenField(validators=[Optional(), Length(max=7 * 1024 * 1024)])
    letter_name = HiddenField(validators=[Optional(), Length(max=200)])
