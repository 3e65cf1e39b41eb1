"""What an employer may learn of an advice: its outcome, never how the authority qualified it.

A positive advice "with warning" carries a warning that belongs to the grounds: the employer's pages,
timeline, reports, CSV files and mail show it as a positive advice. This is the one mapping they all use
(``tests/privacy/test_with_warning.py`` renders every employer-facing output of such a file).
"""

from __future__ import annotations

from workflows.application import ADVICE_EVENTS

#: Each advice type as an employer is told it.
EMPLOYER_ADVICE: dict[str, str] = {"positive": "positive", "positive_with_warning": "positive", "negative": "negative"}
#: The advice types an employer can be told, in the order reports list them.
EMPLOYER_ADVICE_TYPES: tuple[str, ...] = tuple(dict.fromkeys(EMPLOYER_ADVICE.values()))
#: Each advice event as an employer sees it in a timeline: the event that records the advice it is told.
_EVENT_OF_ADVICE = {advice: event for event, advice in ADVICE_EVENTS.items()}
EMPLOYER_ACTIONS: dict[str, str] = {
    event: _EVENT_OF_ADVICE[EMPLOYER_ADVICE[advice]] for event, advice in ADVICE_EVENTS.items()
}

if set(EMPLOYER_ADVICE) != set(ADVICE_EVENTS.values()):
    raise RuntimeError("every advice type needs its employer's view in EMPLOYER_ADVICE")


def employer_advice(advice_type: str | None) -> str | None:
    """The advice type an employer is told (``None`` while there is none)."""
    return EMPLOYER_ADVICE[advice_type] if advice_type is not None else None


def employer_action(action: str) -> str:
    """The trail action an employer sees in place of ``action`` (itself for every action but an advice's)."""
    return EMPLOYER_ACTIONS.get(action, action)
