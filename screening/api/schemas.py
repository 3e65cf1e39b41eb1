"""The API's documents as marshmallow schemas: flask-smorest serialises responses through them and writes
the OpenAPI document from them. Request bodies are validated by the pages' own forms (the same rules and
the same messages); the body schemas here document them, and a test keeps them equal to the forms' fields."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from screening.people.identifiers import DOCUMENT_TYPES
from workflows.application import APPLICATION
from workflows.clearance import CLEARANCE
from workflows.employer import EMPLOYER_ADVICE_TYPES

APPLICATION_STATES = tuple(state.name for state in APPLICATION.states)
CLEARANCE_STATES = tuple(state.name for state in CLEARANCE.states)
#: The advice as an employer is told it (workflows.employer): never "with warning", which is about the grounds.
EMPLOYER_ADVICE = EMPLOYER_ADVICE_TYPES


class Strict(Schema):
    class Meta:
        ordered = True


class ProblemField(Strict):
    field = fields.String(required=True, metadata={"description": "The request field at fault."})
    detail = fields.String(required=True)


class Problem(Strict):
    """RFC 9457 problem details."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.List(fields.Nested(ProblemField), metadata={"description": "One entry per field at fault."})


class PersonOut(Strict):
    given_names = fields.String(required=True)
    family_name = fields.String(required=True)
    date_of_birth = fields.Date(required=True)
    nationality = fields.String(required=True)
    national_number_masked = fields.String(
        required=True, allow_none=True, metadata={"description": "Masked as on the pages; never the number."}
    )


class DeclaredPersonOut(PersonOut):
    """The person as your organisation declared them on the file."""

    email = fields.String(required=True, allow_none=True)
    locale = fields.String(required=True)


class FunctionOut(Strict):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)


class ClearanceRef(Strict):
    id = fields.Integer(required=True)
    reference = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(CLEARANCE_STATES))
    valid_from = fields.Date(required=True)
    valid_until = fields.Date(required=True)


class InformationRequest(Strict):
    question = fields.String(required=True)
    answer = fields.String(required=True, allow_none=True)


class ApplicationOut(Strict):
    id = fields.Integer(required=True)
    reference = fields.String(required=True)
    external_id = fields.String(required=True, allow_none=True)
    state = fields.String(required=True, validate=validate.OneOf(APPLICATION_STATES))
    state_label = fields.String(required=True, metadata={"description": "The state in the request's language."})
    version = fields.Integer(required=True, metadata={"description": "Also the ETag: send it back in If-Match."})
    created_at = fields.DateTime(required=True)
    state_changed_at = fields.DateTime(required=True)
    submitted_at = fields.DateTime(required=True, allow_none=True)
    decided_at = fields.DateTime(required=True, allow_none=True)
    advice = fields.String(required=True, allow_none=True, validate=validate.OneOf(EMPLOYER_ADVICE))
    appeal_deadline = fields.Date(required=True, allow_none=True)
    withdrawal_reason = fields.String(required=True, allow_none=True)
    person = fields.Nested(DeclaredPersonOut, required=True)
    function = fields.Nested(FunctionOut, required=True)
    clearance = fields.Nested(ClearanceRef, required=True, allow_none=True)
    information_request = fields.Nested(InformationRequest, required=True, allow_none=True)
    actions = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "What the token may do now (submit, withdraw, answer)."},
    )


class ApplicationItem(Strict):
    id = fields.Integer(required=True)
    reference = fields.String(required=True)
    external_id = fields.String(required=True, allow_none=True)
    state = fields.String(required=True, validate=validate.OneOf(APPLICATION_STATES))
    version = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    state_changed_at = fields.DateTime(required=True)
    submitted_at = fields.DateTime(required=True, allow_none=True)
    given_names = fields.String(required=True)
    family_name = fields.String(required=True)
    function_name = fields.String(required=True)


class ApplicationList(Strict):
    items = fields.List(fields.Nested(ApplicationItem), required=True)
    next_cursor = fields.String(
        required=True, allow_none=True, metadata={"description": "Pass as `cursor` for the next page; null at the end."}
    )


class ApplicationListQuery(Strict):
    state = fields.String(
        validate=validate.OneOf(APPLICATION_STATES, error=_l("Not a valid choice.")),
        metadata={"description": "Only files in this state."},
    )
    updated_since = fields.AwareDateTime(
        error_messages={"invalid": _l("Not a valid date and time."), "invalid_awareness": _l("Give the time zone.")},
        metadata={"description": "Only files whose state changed at or after this moment (ISO 8601 with its time "
                  "zone), oldest change first: poll with the last one you saw."},
    )  # fmt: skip
    limit = fields.Integer(
        load_default=50,
        validate=validate.Range(1, 200, error=_l("Give a number from 1 to 200.")),
        error_messages={"invalid": _l("Give a number from 1 to 200.")},
    )
    cursor = fields.String(
        validate=validate.Length(max=200), metadata={"description": "`next_cursor` of the last page."}
    )


class ApplicationCreate(Strict):
    """The new-application form's fields (the form validates them: same rules, same messages)."""

    external_id = fields.String(
        allow_none=True,
        metadata={"description": "Your own id of the file (personnel number...), unique in your organisation."},
    )
    function_id = fields.Integer(required=True, metadata={"description": "A critical function of the catalogue."})
    given_names = fields.String(required=True)
    family_name = fields.String(required=True)
    date_of_birth = fields.Date(required=True)
    nationality = fields.String(required=True, metadata={"description": "ISO 3166-1 alpha-2 country code."})
    national_number = fields.String(
        allow_none=True, metadata={"description": "Belgian national register or BIS number."}
    )
    document_number = fields.String(allow_none=True, metadata={"description": "Without a national register number."})
    document_type = fields.String(allow_none=True, validate=validate.OneOf(("", *DOCUMENT_TYPES)))
    document_country = fields.String(
        allow_none=True,
        metadata={"description": "ISO 3166-1 alpha-2 code of the issuing country (default: the nationality)."},
    )
    email = fields.String(allow_none=True)
    locale = fields.String(
        validate=validate.OneOf(("nl", "fr", "en")), metadata={"description": "The person's language."}
    )


class Withdrawal(Strict):
    reason = fields.String(allow_none=True)


class Answer(Strict):
    answer = fields.String(required=True, metadata={"description": "Your answer to the information request."})


#: The answer with documents (``multipart/form-data``): marshmallow has no file field, so written out.
ANSWER_WITH_DOCUMENTS = {
    "type": "object",
    "required": ["answer"],
    "properties": {
        "answer": {"type": "string", "description": "Your answer to the information request."},
        "documents": {
            "type": "array",
            "items": {"type": "string", "format": "binary"},
            "description": "PDF, JPEG or PNG files (the type is read from the bytes), as many and as large as the "
            "page allows ([documents] attachments_per_answer, attachment_max_mb: 4 of 5 MB by default).",
        },
    },
}
DOCUMENT_ENCODING = {"documents": {"contentType": "application/pdf, image/jpeg, image/png"}}


class ClearanceOut(Strict):
    id = fields.Integer(required=True)
    reference = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(CLEARANCE_STATES))
    state_label = fields.String(required=True)
    advice = fields.String(required=True, validate=validate.OneOf(EMPLOYER_ADVICE))
    valid_from = fields.Date(required=True)
    valid_until = fields.Date(required=True)
    holder = fields.Nested(PersonOut, required=True)


class ClearanceList(Strict):
    items = fields.List(fields.Nested(ClearanceOut), required=True)
    page = fields.Integer(required=True)
    has_next = fields.Boolean(required=True)


class PageQuery(Strict):
    """The pages' own pagination (``page``), for lists that are not cursor-paginated."""

    page = fields.Integer(
        load_default=1,
        validate=validate.Range(1, 100_000, error=_l("Give a number from 1 to 100000.")),
        error_messages={"invalid": _l("Give a number from 1 to 100000.")},
    )


class ClearanceListQuery(PageQuery):
    state = fields.String(validate=validate.OneOf(CLEARANCE_STATES, error=_l("Not a valid choice.")))


class CertificateQuery(Strict):
    english = fields.Boolean(load_default=False, metadata={"description": "Add English to Dutch and French."})
