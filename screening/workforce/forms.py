from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, ValidationError

from screening.applications.forms import NAME_RULE, STRIP, ApplicationForm, Rule, country_choices
from screening.inputs import Form
from screening.people.rules import REQUIRED_MESSAGE, national_number_problem
from screening.workforce.bulk import Completion
from screening.workforce.operations import PERSONNEL_NUMBER_MAX, MemberFields, personnel_number_problem


class MemberForm(Form):
    """A person in a critical function, with the application form's rules (screening/people/rules.py, which
    the register import calls too) for names, date of birth and national register number."""

    personnel_number = StringField(
        _l("Personnel number"),
        filters=STRIP,
        validators=[Rule(personnel_number_problem, required=True, maxlength=PERSONNEL_NUMBER_MAX)],
        description=_l("Your own number for this person; an import finds the person again by it"),
    )
    given_names = StringField(_l("Given names"), filters=STRIP, validators=[NAME_RULE])
    family_name = StringField(_l("Family name"), filters=STRIP, validators=[NAME_RULE])
    date_of_birth = DateField(_l("Date of birth"), validators=[InputRequired()])
    #: The application form's field (label, help, length); only a number is taken here, never a document.
    national_number = ApplicationForm.national_number
    function_id = SelectField(_l("Critical function"), coerce=int, validators=[DataRequired()])
    started_on = DateField(_l("In the function since"), validators=[InputRequired()])

    validate_date_of_birth = ApplicationForm.validate_date_of_birth

    #: On an edit a blank number keeps the stored one (the page never shows it in clear).
    number_required = True

    def validate_national_number(self, field: StringField) -> None:
        if not field.data:
            if self.number_required:
                raise ValidationError(str(REQUIRED_MESSAGE))
            return
        problem = national_number_problem(field.data, None if self.date_of_birth.errors else self.date_of_birth.data)
        if problem is not None:
            raise ValidationError(str(problem))

    def member_fields(self) -> MemberFields:
        return MemberFields(
            personnel_number=self.personnel_number.data or "",
            given_names=self.given_names.data or "",
            family_name=self.family_name.data or "",
            date_of_birth=self.date_of_birth.data,  # type: ignore[arg-type]
            function_id=self.function_id.data,  # type: ignore[arg-type]
            started_on=self.started_on.data,  # type: ignore[arg-type]
            national_number=self.national_number.data or None,
        )


class EditMemberForm(MemberForm):
    """The same form for an entry being changed, with the version the manager saw."""

    number_required = False
    version = HiddenField(validators=[DataRequired()])


class LeaverForm(Form):
    version = HiddenField(validators=[DataRequired()])
    ended_on = DateField(
        _l("Last day in the function"),
        validators=[InputRequired()],
        description=_l("From the next day your organisation no longer relies on the person's clearance"),
    )


class CompletionForm(Form):
    """One ticked person on the review page: what the register does not hold, with the application form's
    fields (the outer page carries the CSRF token, so this one does not)."""

    class Meta(Form.Meta):
        csrf = False

    nationality = ApplicationForm.nationality
    locale = ApplicationForm.locale
    email = ApplicationForm.email

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.nationality.choices = country_choices()

    def completion(self) -> Completion:
        return Completion(self.nationality.data or "", self.locale.data or "nl", self.email.data or None)
