from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField
from wtforms.validators import DataRequired

from screening.inputs import Form


class UploadForm(Form):
    document = FileField(
        _l("Register file (CSV or XLSX)"), validators=[FileRequired(_l("Choose the file of your register."))]
    )


class ConfirmForm(Form):
    """Confirm or discard the preview the manager saw (its version)."""

    version = HiddenField(validators=[DataRequired()])
