"""The screening application's workflow, as declared in the product brief.

Roles: ``requester`` (employer's screening manager), ``hr``, ``officer`` (security officer of the
authority), ``admin``, ``auditor``, ``person`` (the worker, through a signed link) and ``system``
(the scheduler). Guards read facts that the caller puts in the context; they never query anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflows.machine import Deadline, Machine, State, transition

REQUESTER = "requester"
HR = "hr"
OFFICER = "officer"
ADMIN = "admin"
AUDITOR = "auditor"
PERSON = "person"
SYSTEM = "system"

#: Roles a user account can hold; ``person`` and ``system`` are never accounts.
ACCOUNT_ROLES = (REQUESTER, HR, OFFICER, ADMIN, AUDITOR)


def holds_valid_clearance(context: Mapping[str, Any]) -> bool:
    """Screened once: the person already holds a valid clearance."""
    return bool(context.get("holds_valid_clearance"))


def no_valid_clearance(context: Mapping[str, Any]) -> bool:
    return not holds_valid_clearance(context)


def appeal_window_closed(context: Mapping[str, Any]) -> bool:
    """The appeal deadline has passed without an appeal being lodged."""
    return bool(context.get("appeal_window_closed"))


def appeal_window_open(context: Mapping[str, Any]) -> bool:
    return not appeal_window_closed(context)


def consent_period_over(context: Mapping[str, Any]) -> bool:
    return bool(context.get("consent_period_over"))


STATES = (
    State("draft", "Draft"),
    State(
        "awaiting_consent",
        "Awaiting consent",
        deadlines=(
            Deadline("consent_reminder", 7, "remind the person to give or refuse consent"),
            Deadline("consent_expiry", 30, "no consent in time: consent_expired"),
        ),
    ),
    State(
        "submitted",
        "Submitted",
        deadlines=(Deadline("review_due", 30, "advice due, counted from submission"),),
    ),
    State("in_review", "In review"),
    State(
        "info_requested",
        "Information requested",
        deadlines=(Deadline("info_reminder", 7, "remind the requester to provide the information"),),
    ),
    State("positive", "Positive advice", final=True),
    State(
        "negative",
        "Negative advice",
        deadlines=(
            Deadline(
                "appeal_window",
                8,
                "appeal window from notification; a last day on a weekend or holiday moves on",
                calendar="appeal",
            ),
        ),
    ),
    State(
        "appealed",
        "Appeal lodged",
        deadlines=(Deadline("appeal_ruling", 30, "remind officers to record the appeal ruling"),),
    ),
    State("final_negative", "Final negative advice", final=True),
    State("consent_refused", "Consent refused", final=True),
    State("consent_expired", "Consent expired", final=True),
    State("withdrawn", "Withdrawn", final=True),
    State("covered", "Covered by a valid clearance", final=True),
)

TRANSITIONS = (
    transition(
        "submit", "draft", "covered", {REQUESTER}, "Submit",
        guard=holds_valid_clearance, guard_name="holds_valid_clearance",
    ),
    transition(
        "submit", "draft", "awaiting_consent", {REQUESTER}, "Submit",
        guard=no_valid_clearance, guard_name="no_valid_clearance",
    ),
    transition("consent", "awaiting_consent", "submitted", {PERSON, REQUESTER}, "Record consent"),
    transition("refuse", "awaiting_consent", "consent_refused", {PERSON, REQUESTER}, "Record refusal"),
    transition(
        "expire_consent", "awaiting_consent", "consent_expired", {SYSTEM}, "Expire consent",
        guard=consent_period_over, guard_name="consent_period_over",
    ),
    transition("start_review", "submitted", "in_review", {OFFICER}, "Start review"),
    transition(
        "request_info", "in_review", "info_requested", {OFFICER}, "Request information",
        requires_reason=True,
    ),
    transition(
        "provide_info", "info_requested", "in_review", {REQUESTER}, "Provide information",
        requires_reason=True,
    ),
    transition("advise_positive", "in_review", "positive", {OFFICER}, "Positive advice"),
    transition(
        "advise_positive_with_warning", "in_review", "positive", {OFFICER},
        "Positive advice with warning", requires_reason=True,
    ),
    transition("advise_negative", "in_review", "negative", {OFFICER}, "Negative advice", requires_reason=True),
    transition(
        "lodge_appeal", "negative", "appealed", {OFFICER}, "Record appeal",
        guard=appeal_window_open, guard_name="appeal_window_open",
    ),
    transition("appeal_upheld", "appealed", "positive", {OFFICER}, "Appeal upheld", requires_reason=True),
    transition(
        "appeal_rejected", "appealed", "final_negative", {OFFICER}, "Appeal rejected", requires_reason=True
    ),
    transition(
        "close_appeal_window", "negative", "final_negative", {SYSTEM}, "Close appeal window",
        guard=appeal_window_closed, guard_name="appeal_window_closed",
    ),
    transition(
        "withdraw", ("draft", "awaiting_consent", "submitted", "info_requested"), "withdrawn", {REQUESTER},
        "Withdraw", requires_reason=True,
    ),
    transition(
        "withdraw_consent", ("submitted", "in_review", "info_requested"), "withdrawn", {PERSON},
        "Withdraw consent",
    ),
)  # fmt: skip

APPLICATION = Machine(name="application", states=STATES, transitions=TRANSITIONS, initial="draft")

#: States in which the file is still open: the person's data is needed and the file may still move.
OPEN_STATES = frozenset(s.name for s in STATES if not s.final)
#: States where an advice has been given (a decision date is required).
DECIDED_STATES = frozenset({"positive", "negative", "appealed", "final_negative"})
#: States in an officer's work queue.
QUEUE_STATES = frozenset({"submitted", "in_review", "info_requested", "appealed"})
#: Events that record an advice, with the advice type they record.
ADVICE_EVENTS = {
    "advise_positive": "positive",
    "advise_positive_with_warning": "positive_with_warning",
    "advise_negative": "negative",
}
