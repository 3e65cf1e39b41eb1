from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from babel import Locale
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, EmailField, Field, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, StopValidation, ValidationError

from screening.inputs import Form
from screening.people.identifiers import IdentifierError, parse_document_number
from screening.people.operations import PersonDetails
from screening.people.rules import (
    NAME_MAX,
    NATIONAL_NUMBER_MAX,
    birth_date_problem,
    name_problem,
    national_number_problem,
)

TEXT_MAX = 5000


def _strip(value: object) -> object:
    """Blank or whitespace is "missing": every text field is stripped before it is validated."""
    return value.strip() if isinstance(value, str) else value


STRIP = (_strip,)


class Rule:
    """A rule of :mod:`screening.people.rules` as a field's validator (the register import calls the same
    function); ``flags`` are the browser's hints (``required``, ``maxlength``) the field renders."""

    def __init__(self, check: Callable[[Any], Any], **flags: Any) -> None:
        self.check = check
        self.field_flags = flags

    def __call__(self, _form: Any, field: Field) -> None:
        problem = self.check(field.data)
        if problem is not None:
            raise StopValidation(str(problem))


NAME_RULE = Rule(name_problem, required=True, maxlength=NAME_MAX)

#: The identity documents a person without a national register number may be identified by.
DOCUMENT_TYPE_CHOICES = [
    SelectChoice("", _l("Choose the type")),
    SelectChoice("passport", _l("Passport")),
    SelectChoice("identity_card", _l("Identity card")),
    SelectChoice("residence_permit", _l("Residence permit")),
]


def country_choices() -> list[SelectChoice]:
    """ISO 3166 countries named in the user's language, Belgium first."""
    locale = get_locale() or Locale("en")
    territories = {
        code: name for code, name in locale.territories.items() if len(code) == 2 and code.isalpha() and code != "ZZ"
    }
    rest = sorted(((c, n) for c, n in territories.items() if c != "BE"), key=lambda item: item[1])
    return [SelectChoice("BE", territories.get("BE", "Belgium")), *(SelectChoice(c, n) for c, n in rest)]


class ApplicationForm(Form):
    given_names = StringField(_l("Given names"), filters=STRIP, validators=[NAME_RULE])
    family_name = StringField(_l("Family name"), filters=STRIP, validators=[NAME_RULE])
    date_of_birth = DateField(_l("Date of birth"), validators=[InputRequired()])
    nationality = SelectField(_l("Nationality"), validators=[DataRequired()])
    national_number = StringField(
        _l("National register number"),
        filters=STRIP,
        render_kw={"maxlength": NATIONAL_NUMBER_MAX},
        description=_l("Belgian national register or BIS number, e.g. 85.07.30-033.28"),
    )
    document_number = StringField(
        _l("Identity document number"),
        filters=STRIP,
        validators=[Length(max=40)],
        description=_l("Only for people without a Belgian national register or BIS number"),
    )
    document_type = SelectField(_l("Type of document"), choices=DOCUMENT_TYPE_CHOICES, default="")
    document_country = SelectField(
        _l("Country that issued the document"),
        description=_l("Leave empty when it is the country of the nationality"),
        default="",
    )
    email = EmailField(
        _l("E-mail address of the person"),
        filters=STRIP,
        validators=[Optional(), Email(check_deliverability=False), Length(max=254)],
        description=_l("Used to ask for consent and to send notices"),
    )
    locale = SelectField(
        _l("Language of the person"),
        choices=[SelectChoice("nl", "Nederlands"), SelectChoice("fr", "Français"), SelectChoice("en", "English")],
        default="nl",
        validators=[DataRequired()],
        description=_l("The consent request and the notices are written in this language"),
    )
    function_id = SelectField(_l("Critical function"), coerce=int, validators=[DataRequired()])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.nationality.choices = country_choices()
        self.document_country.choices = [SelectChoice("", _l("Country of the nationality")), *country_choices()]

    def person_details(self) -> PersonDetails:
        """The person as declared on the form: the page and the API build it here, the same way."""
        return PersonDetails(
            given_names=self.given_names.data or "",
            family_name=self.family_name.data or "",
            date_of_birth=self.date_of_birth.data,  # type: ignore[arg-type]
            nationality=self.nationality.data or "",
            national_number=self.national_number.data or None,
            document_number=None if self.national_number.data else self.document_number.data or None,
            document_type=self.document_type.data or None,
            document_country=self.document_country.data or None,
            email=self.email.data or None,
            locale=self.locale.data or "nl",
        )

    def validate_date_of_birth(self, field: DateField) -> None:
        problem = None if field.data is None else birth_date_problem(field.data, date.today())
        if problem is not None:
            raise ValidationError(str(problem))

    def validate_national_number(self, field: StringField) -> None:
        if not field.data:
            if not self.document_number.data:
                raise ValidationError(_l("Give a national register number, or an identity document number."))
            return
        born = None if self.date_of_birth.errors else self.date_of_birth.data
        problem = national_number_problem(field.data, born)
        if problem is not None:
            raise ValidationError(str(problem))

    def validate_document_number(self, field: StringField) -> None:
        if not field.data or self.national_number.data:
            return
        try:
            parse_document_number(field.data)
        except IdentifierError as error:
            raise ValidationError(_l(str(error))) from None

    def validate_document_type(self, field: SelectField) -> None:
        if self.document_number.data and not self.national_number.data and not field.data:
            raise ValidationError(_l("Choose the type of the identity document."))


class DraftForm(ApplicationForm):
    """The same form for a draft being edited, with the version the requester saw."""

    version = HiddenField(validators=[DataRequired()])


class TransitionForm(Form):
    """One action on an application: the version the user saw, and a reason or text when needed."""

    version = HiddenField(validators=[DataRequired()])
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=TEXT_MAX)])
    #: With an advice or ruling: the part of the grounds the officer decides the person may be told.
    disclosed = TextAreaField(_l("Grounds the person may be told"), validators=[Optional(), Length(max=TEXT_MAX)])


class ConsentFormUpload(Form):
    """The requester's alternative to the person's link: the scan of a consent form signed on paper."""

    version = HiddenField(validators=[DataRequired()])
    form_code = StringField(
        _l("Form code"),
        validators=[DataRequired(_l("Type the form code printed under the signature.")), Length(max=20)],
        description=_l("Printed under the signature on the consent letter, like F2-7KQ4M2"),
    )
    document = FileField(
        _l("Scan of the signed consent form (PDF, JPEG or PNG)"),
        validators=[FileRequired(_l("Choose the file of the signed consent form."))],
    )
