"""The clearance's own lifecycle: the positive advice a person holds, beside the application's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflows.machine import Event, Machine, State, guard, transition
from workflows.roles import Role
from workflows.text import N_


@guard(refusal=N_("The clearance has not reached its end date."))
def end_date_reached(facts: Mapping[str, Any]) -> bool:
    """A clearance expires on its end date, never before."""
    return bool(facts["end_date_reached"])


STATES = (
    State("valid", N_("Valid")),
    State("under_reevaluation", N_("Under re-evaluation")),
    State("revoked", N_("Revoked"), final=True),
    State("expired", N_("Expired"), final=True),
)

EVENTS = (
    Event("start_reevaluation", N_("Start re-evaluation")),
    Event("confirm", N_("Confirm clearance")),
    Event("revoke", N_("Revoke clearance"), danger=True),
    Event("expire", N_("Expired")),
)

#: Entries of the trail about a clearance that are not transitions.
ACTIONS = (
    Event("grant", N_("Clearance granted")),
    Event("extend", N_("Clearance extended")),
)

TRANSITIONS = (
    transition("start_reevaluation", "valid", "under_reevaluation", {Role.OFFICER}, requires_reason=True),
    transition("confirm", "under_reevaluation", "valid", {Role.OFFICER}, requires_reason=True),
    transition("revoke", "under_reevaluation", "revoked", {Role.OFFICER}, requires_reason=True),
    transition("expire", ("valid", "under_reevaluation"), "expired", {Role.SYSTEM}, guard=end_date_reached),
)

CLEARANCE = Machine(
    name="clearance", states=STATES, events_declared=EVENTS, transitions=TRANSITIONS, initial="valid",
    actions=ACTIONS,
)  # fmt: skip

#: A clearance in these states still covers its holder ("screened once").
COVERING_STATES = frozenset({"valid", "under_reevaluation"})
