"""The side-effect table of the application machine agrees with its declaration."""

from __future__ import annotations

import pytest

from screening.applications.effects import EFFECTS, NO_EFFECT
from workflows.application import APPLICATION, GROUNDS_EVENTS

pytestmark = pytest.mark.nodb


def test_every_event_has_its_effects_declared_once() -> None:
    """A new transition must say what it does besides the state change, or that it does nothing."""
    events = set(APPLICATION.events)
    assert set(EFFECTS) | NO_EFFECT == events
    assert set(EFFECTS) & NO_EFFECT == set()


def test_the_events_giving_grounds_have_effects_that_keep_them() -> None:
    assert set(EFFECTS) >= GROUNDS_EVENTS
