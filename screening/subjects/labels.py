"""What the data subject export's PDF calls each part of the record, in the reader's language. The JSON
export keeps its keys (a machine reads it); the PDF is read by the person and their counsel."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

#: Section titles, in the order the PDF prints them, keyed as ``subject_record`` keys them.
SECTION_TITLES = {
    "person": _l("Person"),
    "applications": _l("Applications"),
    "clearances": _l("Clearances"),
    "staff_registers": _l("Employers' registers of staff in critical functions"),
    "paper_consent_forms": _l("Paper consent forms"),
    "mail_sent": _l("Mail sent to the person"),
    "audit_trail": _l("Audit trail of the files"),
}

#: Field names of ``subject_record``; a key missing here prints as itself, spaced.
FIELD_LABELS = {
    "action": _l("Action"),
    "actor": _l("By"),
    "advice_type": _l("Advice"),
    "appeal_deadline": _l("Appeal deadline"),
    "appealed_at": _l("Appealed at"),
    "application": _l("Application"),
    "at": _l("At"),
    "created_at": _l("Created at"),
    "critical_function": _l("Critical function"),
    "date_of_birth": _l("Date of birth"),
    "decided_at": _l("Decided at"),
    "decided_on": _l("Decided on"),
    "decisions": _l("Decisions"),
    "declared_by_the_employer": _l("Declared by the employer"),
    "document_number": _l("Document number"),
    "email": _l("Email address"),
    "ended_on": _l("Last day in the function"),
    "end_reason": _l("Reason it ended"),
    "ends": _l("Ends"),
    "erased_at": _l("Erased at"),
    "family_name": _l("Family name"),
    "from_state": _l("From"),
    "given_names": _l("Given names"),
    "grounds": _l("Grounds"),
    "grounds_disclosed_to_the_person": _l("Grounds disclosed to the person"),
    "id": _l("Record number"),
    "information_provided": _l("Information provided"),
    "information_requested": _l("Information requested"),
    "kind": _l("Kind"),
    "language": _l("Language"),
    "media_type": _l("File type"),
    "national_number": _l("National register number"),
    "nationality": _l("Nationality"),
    "object": _l("Object"),
    "officer": _l("Officer"),
    "officer_notes": _l("Officer's notes"),
    "organisation": _l("Organisation"),
    "outcome": _l("Outcome"),
    "personnel_number": _l("Personnel number"),
    "recorded_at": _l("Recorded at"),
    "reference": _l("Reference"),
    "revoked_at": _l("Revoked at"),
    "role": _l("Role"),
    "size": _l("Size (bytes)"),
    "started_on": _l("In the function since"),
    "state": _l("State"),
    "submitted_at": _l("Submitted at"),
    "to_state": _l("To"),
    "uploaded_at": _l("Uploaded at"),
    "valid_from": _l("Valid from"),
    "valid_until": _l("Valid until"),
    "withdrawal_reason": _l("Reason for withdrawal"),
}


def resolved(labels: dict[str, object]) -> dict[str, str]:
    """The labels in the request's language, as plain strings for the Flask-free PDF builder."""
    return {key: str(label) for key, label in labels.items()}
