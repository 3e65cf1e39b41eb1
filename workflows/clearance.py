"""The clearance's own lifecycle: the positive advice a person holds, beside the application's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflows.application import OFFICER, SYSTEM
from workflows.machine import Machine, State, transition


def end_date_reached(context: Mapping[str, Any]) -> bool:
    """A clearance expires on its end date, never before."""
    return bool(context.get("end_date_reached"))


STATES = (
    State("valid", "Valid"),
    State("under_reevaluation", "Under re-evaluation"),
    State("revoked", "Revoked", final=True),
    State("expired", "Expired", final=True),
)

TRANSITIONS = (
    transition(
        "start_reevaluation", "valid", "under_reevaluation", {OFFICER}, "Start re-evaluation",
        requires_reason=True,
    ),
    transition("confirm", "under_reevaluation", "valid", {OFFICER}, "Confirm clearance", requires_reason=True),
    transition("revoke", "under_reevaluation", "revoked", {OFFICER}, "Revoke clearance", requires_reason=True),
    transition(
        "expire", ("valid", "under_reevaluation"), "expired", {SYSTEM}, "Expire",
        guard=end_date_reached, guard_name="end_date_reached",
    ),
)  # fmt: skip

CLEARANCE = Machine(name="clearance", states=STATES, transitions=TRANSITIONS, initial="valid")

#: A clearance in these states still covers its holder ("screened once").
COVERING_STATES = frozenset({"valid", "under_reevaluation"})
