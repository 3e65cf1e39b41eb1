from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField
from wtforms.validators import Optional, ValidationError

from screening.inputs import Form


class BulkRetryForm(Form):
    """Send failed messages again: all, or one kind, written between two days."""

    template = SelectField(_l("Kind"), validators=[Optional()], choices=[])
    first_day = DateField(_l("Written from"), validators=[Optional()])
    last_day = DateField(_l("Written until"), validators=[Optional()])

    def validate_last_day(self, field: DateField) -> None:
        if field.data and self.first_day.data and field.data < self.first_day.data:
            raise ValidationError(_l("The last day comes before the first."))
