"""What the user is told after a step of a machine: one past-tense sentence per transition, in words.

A flash message says what happened and what follows from it ("Application SCR-2026-000123 submitted; the
person has been asked for consent"), never the button's label ("Done: Submit."). The sentences are keyed
by machine, event and target, since one event may lead to different places (``consent`` covers, or sends
the file to the authority). ``%(reference)s`` is the file's reference. tests/test_done_messages.py checks
that every declared transition has its sentence; :data:`FALLBACK` keeps a transition declared without one
readable meanwhile.
"""

from __future__ import annotations

from workflows.text import N_

#: (machine, event, target) -> the sentence shown after the step.
DONE: dict[tuple[str, str, str], str] = {
    ("application", "submit", "awaiting_consent"): N_(
        "Application %(reference)s submitted; the person has been asked for consent."
    ),
    ("application", "consent", "covered"): N_(
        "Consent recorded for application %(reference)s; the person holds a valid clearance, so no new "
        "verification is needed."
    ),
    ("application", "consent", "submitted"): N_(
        "Consent recorded for application %(reference)s; the file has gone to the authority."
    ),
    ("application", "refuse", "consent_refused"): N_(
        "Refusal recorded for application %(reference)s; no verification will take place."
    ),
    ("application", "expire_consent", "consent_expired"): N_(
        "Application %(reference)s ended: the person did not answer in time."
    ),
    ("application", "start_review", "in_review"): N_("Review of application %(reference)s started."),
    ("application", "request_info", "info_requested"): N_(
        "Information requested for application %(reference)s; the employer has been asked by e-mail."
    ),
    ("application", "provide_info", "in_review"): N_(
        "Your answer for application %(reference)s was sent to the authority; the review continues."
    ),
    ("application", "advise_positive", "positive"): N_(
        "Positive advice recorded for application %(reference)s; the person and the employer are told."
    ),
    ("application", "advise_positive_with_warning", "positive"): N_(
        "Positive advice with warning recorded for application %(reference)s; the person and the employer are told."
    ),
    ("application", "advise_negative", "negative"): N_(
        "Negative advice recorded for application %(reference)s; the person and the employer are told, and the "
        "appeal window is open."
    ),
    ("application", "lodge_appeal", "appealed"): N_(
        "Appeal recorded for application %(reference)s; the person and the employer are told."
    ),
    ("application", "appeal_upheld", "positive"): N_(
        "Appeal upheld for application %(reference)s: the advice is now positive; the person and the employer are told."
    ),
    ("application", "appeal_rejected", "final_negative"): N_(
        "Appeal rejected for application %(reference)s: the negative advice is final; the person and the "
        "employer are told."
    ),
    ("application", "lodge_appeal_missed_term", "appealed_no_advice"): N_(
        "Appeal against the missing advice recorded for application %(reference)s; the person and the employer "
        "are told."
    ),
    ("application", "close_appeal_window", "final_negative"): N_(
        "The appeal window of application %(reference)s closed: the negative advice is final."
    ),
    ("application", "withdraw", "withdrawn"): N_("Application %(reference)s withdrawn."),
    ("application", "withdraw_consent", "withdrawn"): N_(
        "Consent withdrawn for application %(reference)s; the verification stops."
    ),
    ("clearance", "start_reevaluation", "under_reevaluation"): N_("Re-evaluation of clearance %(reference)s started."),
    ("clearance", "confirm", "valid"): N_("Clearance %(reference)s confirmed; it stays valid."),
    ("clearance", "revoke", "revoked"): N_("Clearance %(reference)s revoked."),
    ("clearance", "expire", "expired"): N_("Clearance %(reference)s expired."),
    ("clearance", "lodge_revocation_appeal", "revocation_appealed"): N_(
        "Appeal against the revocation of clearance %(reference)s recorded."
    ),
    ("clearance", "revocation_appeal_upheld", "valid"): N_(
        "Appeal upheld: the revocation of clearance %(reference)s is annulled and the clearance is valid again."
    ),
    ("clearance", "revocation_appeal_rejected", "revoked"): N_(
        "Appeal rejected: the revocation of clearance %(reference)s stands."
    ),
}

#: For a transition declared without its own sentence yet: still words, naming the step and the file.
FALLBACK = N_("%(step)s: recorded for %(reference)s.")


def done_message(machine: str, event: str, target: str) -> str | None:
    """The untranslated sentence for one step, or None when only :data:`FALLBACK` applies."""
    return DONE.get((machine, event, target))
