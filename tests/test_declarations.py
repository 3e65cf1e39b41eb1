"""Facts that several modules must agree on, checked here rather than by import-time ``assert``s (which
vanish under ``python -O``, so a production process would start with the disagreement)."""

from __future__ import annotations

import pytest

from scheduler.jobs import JOBS
from screening.config import JOB_SCHEDULES
from screening.jobs.catalogue import DESCRIPTIONS, JOB_NAMES
from screening.web import EVENT_LABELS, STATE_LABELS
from workflows.application import APPLICATION
from workflows.clearance import CLEARANCE

pytestmark = pytest.mark.nodb


def test_every_scheduled_job_has_a_function_a_description_and_a_default_schedule() -> None:
    assert tuple(JOBS) == JOB_NAMES == tuple(JOB_SCHEDULES)
    assert DESCRIPTIONS.keys() == JOB_SCHEDULES.keys()


def test_every_declared_state_and_event_has_a_label() -> None:
    states = {state.name for state in (*APPLICATION.states, *CLEARANCE.states)}
    assert states - STATE_LABELS.keys() == set()
    assert {*APPLICATION.events, *CLEARANCE.events} - EVENT_LABELS.keys() == set()
