"""The screening application's workflow, as declared in the product brief.

Roles (:class:`~workflows.roles.Role`): ``requester`` (employer's screening manager), ``hr``, ``officer``
(security officer of the authority), ``admin``, ``auditor``, ``person`` (the worker, through a signed link)
and ``system`` (the scheduler). Guards read facts that the caller puts in the context; they never query
anything, and a fact the caller forgot raises instead of reading as false.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflows.machine import Deadline, Event, Machine, State, guard, transition
from workflows.roles import Role
from workflows.text import N_

REQUESTER, HR, OFFICER, PERSON, SYSTEM = Role.REQUESTER, Role.HR, Role.OFFICER, Role.PERSON, Role.SYSTEM


@guard()
def holds_valid_clearance(facts: Mapping[str, Any]) -> bool:
    """Screened once: the person already holds a valid clearance. Read only when the person consents, so the
    employer learns it only then (the DBS Update Service model: consent first, then the status)."""
    return bool(facts["holds_valid_clearance"])


@guard()
def no_valid_clearance(facts: Mapping[str, Any]) -> bool:
    return not facts["holds_valid_clearance"]


@guard(refusal=N_("The appeal window is still open."))
def appeal_window_closed(facts: Mapping[str, Any]) -> bool:
    """The appeal deadline has passed without an appeal being lodged."""
    return bool(facts["appeal_window_closed"])


@guard(refusal=N_("The appeal window has closed."))
def appeal_window_open(facts: Mapping[str, Any]) -> bool:
    return not facts["appeal_window_closed"]


@guard(
    refusal=N_(
        "An appeal against a missing advice is possible once the legal term has passed, within the appeal period."
    )
)
def missed_term_appealable(facts: Mapping[str, Any]) -> bool:
    """The legal term for the advice has passed without one, and the appeal period after it is still open."""
    return bool(facts["legal_term_passed"]) and not facts["missed_term_appeal_closed"]


@guard(refusal=N_("The consent period is not over yet."))
def consent_period_over(facts: Mapping[str, Any]) -> bool:
    return bool(facts["consent_period_over"])


# The deadlines the states start, each reading its days from the [deadlines] setting it names; the
# operations and the scheduler's scans read the days through these, e.g. CONSENT_EXPIRY.days(config).
CONSENT_REMINDER = Deadline("consent_reminder", "consent_reminder_days", "remind the person to give or refuse consent")
CONSENT_EXPIRY = Deadline("consent_expiry", "consent_expiry_days", "no consent in time: consent_expired")
REVIEW_DUE = Deadline("review_due", "review_days", "advice due, counted from submission")
INFO_REMINDER = Deadline("info_reminder", "info_reminder_days", "remind the requester to provide the information")
APPEAL_WINDOW = Deadline(
    "appeal_window", "appeal_days", "appeal window from notification; a last day on a weekend or holiday moves on"
)
APPEAL_RULING = Deadline(
    "appeal_ruling", "appeal_ruling_days", "ruling due, counted from lodging; officers are reminded"
)
MISSED_TERM_APPEAL = Deadline(
    "missed_term_appeal", "missed_term_appeal_days", "appeal against a missing advice, from the day after it was due"
)

STATES = (
    State("draft", N_("Draft")),
    State("awaiting_consent", N_("Awaiting consent"), deadlines=(CONSENT_REMINDER, CONSENT_EXPIRY)),
    State("submitted", N_("Submitted"), deadlines=(REVIEW_DUE, MISSED_TERM_APPEAL)),
    State("in_review", N_("In review"), deadlines=(MISSED_TERM_APPEAL,)),
    State("info_requested", N_("Information requested"), deadlines=(INFO_REMINDER, MISSED_TERM_APPEAL)),
    State("positive", N_("Positive advice"), final=True),
    State("negative", N_("Negative advice"), deadlines=(APPEAL_WINDOW,)),
    State("appealed", N_("Appeal lodged"), deadlines=(APPEAL_RULING,)),
    State("appealed_no_advice", N_("Appeal lodged against a missing advice"), deadlines=(APPEAL_RULING,)),
    State("final_negative", N_("Final negative advice"), final=True),
    State("consent_refused", N_("Consent refused"), final=True),
    State("consent_expired", N_("Consent expired"), final=True),
    State("withdrawn", N_("Withdrawn"), final=True),
    State("covered", N_("Covered by a valid clearance"), final=True),
)

GROUNDS = N_("Grounds (authority only)")
RULING_GROUNDS = N_("Grounds of the ruling (authority only)")

EVENTS = (
    Event("submit", N_("Submit")),
    Event("consent", N_("Record consent")),
    Event("refuse", N_("Record refusal"), danger=True, irreversible=True),
    Event("expire_consent", N_("Consent period expired")),
    Event("start_review", N_("Start review")),
    Event("request_info", N_("Request information"), reason_label=N_("Question to the employer")),
    Event("provide_info", N_("Provide information"), reason_label=N_("Your answer")),
    Event(
        "advise_positive", N_("Positive advice"), grounds=True, advice="positive", irreversible=True, decision="advice",
    ),
    Event(
        "advise_positive_with_warning", N_("Positive advice with warning"), reason_label=GROUNDS, grounds=True,
        discloses_grounds=True, advice="positive_with_warning", irreversible=True, decision="advice",
    ),
    Event(
        "advise_negative", N_("Negative advice"), reason_label=GROUNDS, grounds=True, discloses_grounds=True,
        danger=True, advice="negative", irreversible=True, decision="advice",
    ),
    Event("lodge_appeal", N_("Record appeal"), irreversible=True, decision="appeal"),
    Event(
        "lodge_appeal_missed_term", N_("Record appeal against a missing advice"), irreversible=True,
        decision="appeal",
    ),
    Event(
        "appeal_upheld", N_("Appeal upheld"), reason_label=RULING_GROUNDS, grounds=True, irreversible=True,
        decision="ruling",
    ),
    Event(
        "appeal_rejected", N_("Appeal rejected"), reason_label=RULING_GROUNDS, grounds=True, discloses_grounds=True,
        danger=True, irreversible=True, decision="ruling",
    ),
    Event("close_appeal_window", N_("Appeal window closed")),
    Event("withdraw", N_("Withdraw"), reason_label=N_("Reason for withdrawal"), danger=True, irreversible=True),
    Event("withdraw_consent", N_("Consent withdrawn by the person"), irreversible=True),
)  # fmt: skip

#: Entries of the trail about an application that are not transitions.
ACTIONS = (
    Event("create", N_("Created")),
    Event("edit", N_("Draft edited")),
    Event("read_grounds", N_("Grounds read")),
    Event("read_appeal_letter", N_("Appeal letter read")),
    Event("read_disclosed_grounds", N_("Disclosed grounds read by the person")),
    Event("download_notice", N_("Notice downloaded by the person")),
)

#: The states of a lodged appeal: against a negative advice, or against no advice in the legal term.
APPEALED = ("appealed", "appealed_no_advice")

TRANSITIONS = (
    transition("submit", "draft", "awaiting_consent", {REQUESTER}),
    transition("consent", "awaiting_consent", "covered", {PERSON, REQUESTER}, guard=holds_valid_clearance),
    transition("consent", "awaiting_consent", "submitted", {PERSON, REQUESTER}, guard=no_valid_clearance),
    transition("refuse", "awaiting_consent", "consent_refused", {PERSON, REQUESTER}),
    transition("expire_consent", "awaiting_consent", "consent_expired", {SYSTEM}, guard=consent_period_over),
    transition("start_review", "submitted", "in_review", {OFFICER}),
    transition("request_info", "in_review", "info_requested", {OFFICER}, requires_reason=True),
    transition("provide_info", "info_requested", "in_review", {REQUESTER}, requires_reason=True),
    transition("advise_positive", "in_review", "positive", {OFFICER}),
    transition("advise_positive_with_warning", "in_review", "positive", {OFFICER}, requires_reason=True),
    transition("advise_negative", "in_review", "negative", {OFFICER}, requires_reason=True),
    transition("lodge_appeal", "negative", "appealed", {OFFICER}, guard=appeal_window_open),
    transition(
        "lodge_appeal_missed_term", ("submitted", "in_review", "info_requested"), "appealed_no_advice", {OFFICER},
        guard=missed_term_appealable,
    ),
    transition("appeal_upheld", APPEALED, "positive", {OFFICER}, requires_reason=True),
    transition("appeal_rejected", APPEALED, "final_negative", {OFFICER}, requires_reason=True),
    transition("close_appeal_window", "negative", "final_negative", {SYSTEM}, guard=appeal_window_closed),
    transition(
        "withdraw", ("draft", "awaiting_consent", "submitted", "info_requested"), "withdrawn", {REQUESTER},
        requires_reason=True,
    ),
    transition("withdraw_consent", ("submitted", "in_review", "info_requested"), "withdrawn", {PERSON}),
)  # fmt: skip

APPLICATION = Machine(
    name="application", states=STATES, events_declared=EVENTS, transitions=TRANSITIONS, initial="draft",
    actions=ACTIONS,
)  # fmt: skip

#: States in which the file is still open: the person's data is needed and the file may still move.
OPEN_STATES = frozenset(s.name for s in STATES if not s.final)
#: States where an advice has been given (a decision date is required).
DECIDED_STATES = frozenset({"positive", "negative", "appealed", "final_negative"})
#: States in an officer's work queue, in the order the queue's tabs show them.
QUEUE_STATES = ("submitted", "in_review", "info_requested", *APPEALED)
#: An employer's files that are under way: from the person's consent to the end of an appeal.
IN_PROGRESS_STATES = ("awaiting_consent", "submitted", "in_review", "info_requested", "negative", *APPEALED)
#: The advice types the advice events record, with their labels (the authority's view of an advice).
ADVICE_LABELS = {
    "positive": N_("Positive"),
    "positive_with_warning": N_("Positive with warning"),
    "negative": N_("Negative"),
}
#: Events that record an advice, with the advice type they record.
ADVICE_EVENTS = {event.name: event.advice for event in EVENTS if event.advice is not None}
#: Events whose text is the grounds of an advice or ruling (authority only; the trail notes only that they
#: were given, and the grounds the person may be told are set anew).
GROUNDS_EVENTS = frozenset(event.name for event in EVENTS if event.grounds)
#: Events whose form also asks which grounds the person may be told.
DISCLOSING_EVENTS = frozenset(event.name for event in EVENTS if event.discloses_grounds)
#: Events that write a decision record, with its kind (advice, appeal, ruling).
DECISION_EVENTS = {event.name: event.decision for event in EVENTS if event.decision is not None}
#: Events that go through the review page and a confirmation.
IRREVERSIBLE_EVENTS = APPLICATION.irreversible
#: What the person may do through the signed link.
PERSON_EVENTS = APPLICATION.fired_by(PERSON)
#: Events a role may record only with evidence, never with a bare button: the employer's screening manager
#: records the person's consent only by uploading the signed paper form (screening/applications/paper.py).
PAPER_ONLY = frozenset({("consent", REQUESTER.value)})
