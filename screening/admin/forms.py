from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, EmailField, IntegerField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from screening.catalogue.models import DEFAULT_RENEWAL_DAYS, MAX_RENEWAL_DAYS
from screening.inputs import Form
from screening.web import ROLE_LABELS
from workflows.roles import ACCOUNT_ROLES


class OrganisationForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    enterprise_number = StringField(
        _l("Enterprise number"), validators=[DataRequired(), Length(max=20)], description=_l("e.g. 0403.170.701")
    )
    code = StringField(
        _l("Code"), validators=[DataRequired(), Length(max=40)], description=_l("Short name used in directory mappings")
    )
    contact_email = EmailField(_l("Contact e-mail"), validators=[Optional(), Email(check_deliverability=False)])
    kind = SelectField(
        _l("Kind of organisation"),
        choices=[
            SelectChoice("employer", _l("Employer: requests screenings, relies on clearances")),
            SelectChoice("authority", _l("The screening authority")),
            SelectChoice("access_control", _l("Access control: reads the status list with API tokens")),
        ],
        default="employer",
        description=_l("An access-control organisation (gates, badge system) has no accounts: you make its tokens."),
    )
    active = BooleanField(_l("Active"), default=True)


class FunctionForm(Form):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=200)])
    name_nl = StringField(_l("Name (Dutch)"), validators=[DataRequired(), Length(max=200)])
    name_fr = StringField(_l("Name (French)"), validators=[DataRequired(), Length(max=200)])
    category = IntegerField(_l("Category"), validators=[DataRequired(), NumberRange(min=1, max=4)])
    active = BooleanField(_l("Active"), default=True)
    notify_recognition = BooleanField(
        _l("Tell the recognition body of a final negative advice or a revocation"), default=False
    )
    required_from = DateField(
        _l("Positive advice required from"),
        validators=[Optional()],
        description=_l("The function's transition deadline. Leave empty: required at once, before starting."),
    )
    renewal_days = IntegerField(
        _l("Renewal starts (days before a clearance ends)"),
        default=DEFAULT_RENEWAL_DAYS,
        validators=[Optional(), NumberRange(min=0, max=MAX_RENEWAL_DAYS)],
        description=_l("When the re-screening of a holder in this function must be requested. Empty: 180 days."),
    )


class UserForm(Form):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=120)])
    display_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Email(check_deliverability=False)])
    role = SelectField(_l("Role"), choices=[SelectChoice(r, ROLE_LABELS[r]) for r in ACCOUNT_ROLES])
    organisation = SelectField(_l("Organisation"), validators=[Optional()])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=12, max=256)])


class RoleForm(Form):
    """An account's role (and, for employer roles, its organisation)."""

    role = SelectField(_l("Role"), choices=[SelectChoice(r, ROLE_LABELS[r]) for r in ACCOUNT_ROLES])
    organisation = SelectField(_l("Organisation"), validators=[Optional()])
