"""Where a person in an employer's register stands against their function's deadline: the one decision the
compliance view, its counts and filters, the CSV export and the authority's summary all use (no Flask).

The inputs are what the employer may know: the state and advice of its own latest file on the person, and
whether a clearance its files are linked to covers the person today. A clearance the person holds through
another employer only counts once this employer's file is linked to it ("screened once" after consent),
so typing a number in the register never tells an employer what the authority knows of the person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from workflows.application import APPEALED, DECIDED_STATES, IN_PROGRESS_STATES, STATES
from workflows.employer import EMPLOYER_ADVICE, employer_advice
from workflows.roles import Role
from workflows.text import N_


class Standing(StrEnum):
    """A person's standing, in the order the view counts them."""

    COVERED = "covered"  #: a clearance the organisation relies on covers them today
    IN_PROGRESS = "in_progress"  #: a file is under way (consent, review, information, appeal)
    NEGATIVE = "negative"  #: the employer was told a negative advice (final or still appealable)
    REFUSED = "refused"  #: the person refused consent
    NOT_REQUESTED = "not_requested"  #: no file, a draft, a withdrawn or lapsed one, or a clearance that ended

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Standing.COVERED: N_("Covered"),
    Standing.IN_PROGRESS: N_("In progress"),
    Standing.NEGATIVE: N_("Negative advice"),
    Standing.REFUSED: N_("Consent refused"),
    Standing.NOT_REQUESTED: N_("Not requested"),
}

#: Whose move it is in each state of a file under way (the view's "waits on").
WAITS_ON: dict[str, Role] = {
    "awaiting_consent": Role.PERSON,
    "submitted": Role.OFFICER,
    "in_review": Role.OFFICER,
    "info_requested": Role.REQUESTER,
    "negative": Role.PERSON,  # the appeal window is open
    **dict.fromkeys(APPEALED, Role.OFFICER),
}
if set(WAITS_ON) != set(IN_PROGRESS_STATES):
    raise RuntimeError("every in-progress state needs the party it waits on in WAITS_ON")

#: Every (file state, advice type) the decision can be asked about; None: no file, no advice.
FILE_STATES: tuple[str | None, ...] = (None, *(state.name for state in STATES))
ADVICE_TYPES: tuple[str | None, ...] = (None, *EMPLOYER_ADVICE)


def standing(state: str | None, advice_type: str | None, covered: bool) -> Standing:
    """The standing of a person from this employer's latest file on them and its covering clearance."""
    if covered:
        return Standing.COVERED
    if state in APPEALED:
        return Standing.IN_PROGRESS
    if state in DECIDED_STATES and employer_advice(advice_type) == "negative":
        return Standing.NEGATIVE
    if state in IN_PROGRESS_STATES:
        return Standing.IN_PROGRESS
    if state == "consent_refused":
        return Standing.REFUSED
    return Standing.NOT_REQUESTED


def inputs_of(wanted: Standing) -> tuple[bool, frozenset[tuple[str | None, str | None]]]:
    """What ``standing`` maps to ``wanted``: whether a cover is required, and the (state, advice) pairs of the
    uncovered files that do. The database filters with this, so the list and the counts never disagree."""
    if wanted is Standing.COVERED:
        return True, frozenset()
    pairs = frozenset(
        (state, advice)
        for state in FILE_STATES
        for advice in ADVICE_TYPES
        if standing(state, advice, covered=False) is wanted
    )
    return False, pairs


@dataclass(frozen=True)
class Compliance:
    """One line of the compliance view."""

    standing: Standing
    #: The file's state while it is under way (or negative), and whose move it is.
    state: str | None
    waits_on: Role | None
    covered_until: date | None
    #: The day from which the person must hold a positive advice (the function's deadline for them).
    deadline: date
    #: Days until the deadline (negative: overdue by that many days); None when covered.
    days_left: int | None

    @property
    def overdue(self) -> bool:
        """Past the deadline (or on it) without a covering advice."""
        return self.days_left is not None and self.days_left <= 0


def compliance(
    *, state: str | None, advice_type: str | None, covered_until: date | None, deadline: date, today: date
) -> Compliance:
    """The line for a person: ``covered_until`` is the end of the covering clearance, if any."""
    covered = covered_until is not None and covered_until >= today
    result = standing(state, advice_type, covered)
    shown = state if result in (Standing.IN_PROGRESS, Standing.NEGATIVE) else None
    return Compliance(
        standing=result,
        state=shown,
        waits_on=WAITS_ON.get(shown) if shown is not None else None,
        covered_until=covered_until if covered else None,
        deadline=deadline,
        days_left=None if covered else (deadline - today).days,
    )
