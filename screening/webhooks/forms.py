from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from screening.inputs import Form, parse_id
from screening.webhooks.events import EVENT_TYPES


class EndpointForm(Form):
    """An endpoint: its URL, the events it receives, a note for the organisation's own staff."""

    url = StringField(
        _l("Endpoint URL"), validators=[DataRequired(), Length(max=2000)],
        description=_l("An https:// address of your HR system that accepts POST requests."),
    )  # fmt: skip
    event_types = SelectMultipleField(
        _l("Events"), choices=[SelectChoice(name, _l(label)) for name, label in EVENT_TYPES.items()],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
    )  # fmt: skip
    description = StringField(_l("Description"), validators=[Optional(), Length(max=200)])
    version = HiddenField()


class AccessControlEndpointForm(Form):
    """An access-control organisation's endpoint: its one event is fixed (``status_list.changed``)."""

    url = StringField(
        _l("Endpoint URL"), validators=[DataRequired(), Length(max=2000)],
        description=_l("An https:// address of the gate or badge system that accepts POST requests."),
    )  # fmt: skip
    description = StringField(_l("Description"), validators=[Optional(), Length(max=200)])


class VersionForm(Form):
    """A button acting on an endpoint: CSRF and the version the user saw."""

    version = HiddenField()


def expected_version(form: EndpointForm | VersionForm) -> int | None:
    return parse_id(form.version.data)
