"""The clearance's own lifecycle: the positive advice a person holds, beside the application's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflows.machine import Deadline, Event, Machine, State, guard, transition
from workflows.roles import Role
from workflows.text import N_


@guard(refusal=N_("The clearance has not reached its end date."))
def end_date_reached(facts: Mapping[str, Any]) -> bool:
    """A clearance expires on its end date, never before."""
    return bool(facts["end_date_reached"])


@guard(refusal=N_("The appeal window has closed."))
def revocation_appeal_open(facts: Mapping[str, Any]) -> bool:
    """The revocation's appeal window is open and no appeal against it was lodged yet."""
    return not facts["appeal_window_closed"]


REVOCATION_APPEAL_WINDOW = Deadline(
    "revocation_appeal_window", "revocation_appeal_days",
    "appeal window from the revocation; a last day on a weekend or holiday moves on",
)  # fmt: skip
APPEAL_RULING = Deadline("appeal_ruling", "appeal_ruling_days", "ruling due, counted from lodging")

STATES = (
    State("valid", N_("Valid")),
    State("under_reevaluation", N_("Under re-evaluation")),
    # Final once its appeal window has closed or an appeal against it was rejected.
    State("revoked", N_("Revoked"), deadlines=(REVOCATION_APPEAL_WINDOW,)),
    State("revocation_appealed", N_("Revocation appealed"), deadlines=(APPEAL_RULING,)),
    State("expired", N_("Expired"), final=True),
)

RULING_GROUNDS = N_("Grounds of the ruling (authority only)")

EVENTS = (
    Event("start_reevaluation", N_("Start re-evaluation")),
    Event(
        "confirm", N_("Confirm clearance"), reason_label=N_("Grounds (authority only)"), grounds=True,
        irreversible=True, decision="reevaluation",
    ),
    Event(
        "revoke", N_("Revoke clearance"), reason_label=N_("Grounds (authority only)"), grounds=True,
        discloses_grounds=True, danger=True, irreversible=True, decision="revocation",
    ),
    Event("expire", N_("Expired")),
    Event("lodge_revocation_appeal", N_("Record appeal against the revocation"), irreversible=True, decision="appeal"),
    Event(
        "revocation_appeal_upheld", N_("Appeal upheld: revocation annulled"), reason_label=RULING_GROUNDS, grounds=True,
        irreversible=True, decision="ruling",
    ),
    Event(
        "revocation_appeal_rejected", N_("Appeal rejected: revocation stands"), reason_label=RULING_GROUNDS,
        grounds=True, discloses_grounds=True,
        danger=True, irreversible=True, decision="ruling",
    ),
)  # fmt: skip

#: Entries of the trail about a clearance that are not transitions.
ACTIONS = (
    Event("grant", N_("Clearance granted")),
    Event("extend", N_("Clearance extended")),
    Event("read_clearance_grounds", N_("Grounds read")),
    Event("read_revocation_appeal_letter", N_("Appeal letter read")),
)

TRANSITIONS = (
    # the system opens the periodic re-screening of a clearance that is due (screening/clearances/rescreening.py)
    transition("start_reevaluation", "valid", "under_reevaluation", {Role.OFFICER, Role.SYSTEM}, requires_reason=True),
    transition("confirm", "under_reevaluation", "valid", {Role.OFFICER}, requires_reason=True),
    transition("revoke", "under_reevaluation", "revoked", {Role.OFFICER}, requires_reason=True),
    transition("expire", ("valid", "under_reevaluation"), "expired", {Role.SYSTEM}, guard=end_date_reached),
    transition(
        "lodge_revocation_appeal", "revoked", "revocation_appealed", {Role.OFFICER}, guard=revocation_appeal_open
    ),
    transition("revocation_appeal_upheld", "revocation_appealed", "valid", {Role.OFFICER}, requires_reason=True),
    transition("revocation_appeal_rejected", "revocation_appealed", "revoked", {Role.OFFICER}, requires_reason=True),
)

CLEARANCE = Machine(
    name="clearance", states=STATES, events_declared=EVENTS, transitions=TRANSITIONS, initial="valid",
    actions=ACTIONS,
)  # fmt: skip

#: A clearance in these states still covers its holder ("screened once").
COVERING_STATES = frozenset({"valid", "under_reevaluation"})
#: A clearance in these states has ended (revoked, expired); a revoked one may still come back on appeal.
ENDED_STATES = frozenset({"revoked", "expired"})
#: Events that write a decision record, with its kind (re-evaluation, revocation, appeal, ruling).
DECISION_EVENTS = {event.name: event.decision for event in EVENTS if event.decision is not None}
#: Events whose text is the grounds of a decision (authority only; the trail notes only that they were given).
GROUNDS_EVENTS = frozenset(event.name for event in EVENTS if event.grounds)
#: Events that go through the review page and a confirmation.
IRREVERSIBLE_EVENTS = CLEARANCE.irreversible
