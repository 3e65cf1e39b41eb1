"""The declared machines: strict, every transition allowed for its roles and refused for all others."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from screening.config import DeadlinesConfig
from workflows.application import (
    ADVICE_EVENTS,
    ADVICE_LABELS,
    APPLICATION,
    IN_PROGRESS_STATES,
    PAPER_ONLY,
    PERSON_EVENTS,
    QUEUE_STATES,
    no_valid_clearance,
)
from workflows.clearance import CLEARANCE
from workflows.deadlines import appeal_deadline, is_working_day
from workflows.machine import (
    Event,
    GuardFailed,
    IllegalTransition,
    Machine,
    MissingFact,
    NotPermitted,
    State,
    UnknownEvent,
    transition,
)
from workflows.roles import Role

ALL_ROLES = ("requester", "hr", "officer", "admin", "auditor", "person", "system")

pytestmark = pytest.mark.nodb


def _passing_context(machine: Machine, t):
    for holds in (True, False):
        context = {
            "holds_valid_clearance": holds,
            "appeal_window_closed": holds,
            "consent_period_over": True,
            "end_date_reached": True,
            "legal_term_passed": True,
            "missed_term_appeal_closed": not holds,
        }
        # the guard holds, and the first branch of the event that passes is this one
        passes = t.guard is None or t.guard(context)
        if passes and machine.resolve(t.sources[0], t.event, sorted(t.roles)[0], context) is t:
            return context
    raise AssertionError(f"no context selects {t.event} -> {t.target}")


CASES = [
    (machine, t, source, role)
    for machine in (APPLICATION, CLEARANCE)
    for t in machine.transitions
    for source in t.sources
    for role in ALL_ROLES
]


@pytest.mark.parametrize(
    ("machine", "t", "source", "role"),
    CASES,
    ids=[f"{m.name}.{t.event}:{s}->{t.target}:{r}" for m, t, s, r in CASES],
)
def test_every_transition_is_allowed_for_its_roles_only(machine, t, source, role):
    context = _passing_context(machine, t)
    if role in t.roles:
        assert machine.resolve(source, t.event, role, context).target == t.target
    else:
        with pytest.raises(NotPermitted):
            machine.resolve(source, t.event, role, context)


ILLEGAL = [
    (machine, event, state.name)
    for machine in (APPLICATION, CLEARANCE)
    for event in machine.events
    for state in machine.states
    if not machine.transitions_from(state.name, event)
]


@pytest.mark.parametrize(("machine", "event", "state"), ILLEGAL, ids=[f"{m.name}.{e}@{s}" for m, e, s in ILLEGAL])
def test_every_undeclared_transition_is_refused(machine, event, state):
    for role in ALL_ROLES:
        with pytest.raises(IllegalTransition):
            machine.resolve(state, event, role, {"holds_valid_clearance": True, "appeal_window_closed": True})


def test_unknown_event_and_state_are_refused():
    with pytest.raises(UnknownEvent):
        APPLICATION.resolve("draft", "approve_everything", "officer")
    with pytest.raises(KeyError):
        APPLICATION.resolve("limbo", "submit", "requester")


def test_consent_branches_on_screened_once_and_submit_does_not():
    """The employer learns "covered" only after the person consents: submit reads no clearance at all."""
    for holds in (True, False):
        facts = {"holds_valid_clearance": holds}
        assert APPLICATION.resolve("draft", "submit", "requester", facts).target == "awaiting_consent"
        assert APPLICATION.resolve("draft", "submit", "requester", {}).target == "awaiting_consent"
        for role in ("person", "requester"):
            target = APPLICATION.resolve("awaiting_consent", "consent", role, facts).target
            assert target == ("covered" if holds else "submitted")
    assert ("consent", "requester") in PAPER_ONLY


@pytest.mark.parametrize(
    ("machine", "state", "event", "role", "fact"),
    [
        (APPLICATION, "awaiting_consent", "consent", "person", "holds_valid_clearance"),
        (APPLICATION, "awaiting_consent", "expire_consent", "system", "consent_period_over"),
        (APPLICATION, "negative", "lodge_appeal", "officer", "appeal_window_closed"),
        (APPLICATION, "negative", "close_appeal_window", "system", "appeal_window_closed"),
        (CLEARANCE, "valid", "expire", "system", "end_date_reached"),
        (APPLICATION, "in_review", "lodge_appeal_missed_term", "officer", "legal_term_passed"),
        (CLEARANCE, "revoked", "lodge_revocation_appeal", "officer", "appeal_window_closed"),
    ],
)
def test_a_fact_the_caller_forgot_raises_instead_of_reading_as_false(machine, state, event, role, fact):
    """Screened once must never be skipped because a caller left out the fact: the engine names it."""
    with pytest.raises(MissingFact, match=f"{machine.name}.{event} .*'{fact}'"):
        machine.resolve(state, event, role, {})
    with pytest.raises(MissingFact):
        machine.available(state, role, {"something_else": True})
    with pytest.raises(MissingFact):
        no_valid_clearance({})


def test_guards_refuse():
    with pytest.raises(GuardFailed):
        APPLICATION.resolve("negative", "close_appeal_window", "system", {"appeal_window_closed": False})
    with pytest.raises(GuardFailed):
        APPLICATION.resolve("negative", "lodge_appeal", "officer", {"appeal_window_closed": True})
    with pytest.raises(GuardFailed):
        CLEARANCE.resolve("valid", "expire", "system", {"end_date_reached": False})


def test_admin_can_never_record_an_advice():
    advice_events = {"advise_positive", "advise_positive_with_warning", "advise_negative"}
    for state in APPLICATION.states:
        assert not advice_events & {t.event for t in APPLICATION.available(state.name, "admin", {})}


def test_available_lists_what_the_role_may_do():
    in_term = {"legal_term_passed": False, "missed_term_appeal_closed": False}
    assert [t.event for t in APPLICATION.available("in_review", "officer", in_term)] == [
        "request_info",
        "advise_positive",
        "advise_positive_with_warning",
        "advise_negative",
    ]
    late = {"legal_term_passed": True, "missed_term_appeal_closed": False}
    assert [t.event for t in APPLICATION.available("in_review", "officer", late)][-1] == "lodge_appeal_missed_term"
    assert [t.event for t in APPLICATION.available("in_review", "requester", in_term)] == []
    facts = {"holds_valid_clearance": False}
    assert [t.event for t in APPLICATION.available("draft", "requester", facts)] == ["submit", "withdraw"]


def test_declaration_errors_are_caught_at_import():
    go = (Event("go", "Go"),)
    with pytest.raises(ValueError, match="undeclared state"):
        Machine("m", (State("a", "A"),), go, (transition("go", "a", "b", {Role.OFFICER}),), initial="a")
    with pytest.raises(ValueError, match="no role"):
        Machine("m", (State("a", "A"),), go, (transition("go", "a", "a", set()),), initial="a")
    with pytest.raises(ValueError, match="undeclared event"):
        Machine("m", (State("a", "A"),), (), (transition("go", "a", "a", {Role.OFFICER}),), initial="a")
    stop = (*go, Event("stop", "Stop"))
    with pytest.raises(ValueError, match="no transition fires it"):
        Machine("m", (State("a", "A"),), stop, (transition("go", "a", "a", {Role.OFFICER}),), initial="a")


def test_every_deadline_names_a_deadlines_setting():
    settings = {f.name for f in fields(DeadlinesConfig)}
    for machine in (APPLICATION, CLEARANCE):
        for state in machine.states:
            for deadline in state.deadlines:
                assert deadline.setting in settings, f"{state.name}.{deadline.name}: [deadlines] {deadline.setting}?"
                assert deadline.days(DeadlinesConfig(**{deadline.setting: 3})) == 3  # the setting, not a copy


def test_the_declared_sets_name_declared_states_and_events():
    states = {s.name for s in APPLICATION.states}
    assert set(QUEUE_STATES) <= states and set(IN_PROGRESS_STATES) <= states
    assert PERSON_EVENTS == ("consent", "refuse", "withdraw_consent")
    assert set(ADVICE_EVENTS.values()) == ADVICE_LABELS.keys()
    names = [e.name for m in (APPLICATION, CLEARANCE) for e in (*m.events_declared, *m.actions)]
    assert len(names) == len(set(names)), "one label per event name across the machines"
    assert not {s.name for s in APPLICATION.states} & {s.name for s in CLEARANCE.states}


def test_committed_table_matches_the_declaration():
    """docs/workflows.md holds the printed machines; regenerate with `screening workflow show`."""
    committed = (Path(__file__).parent.parent / "docs" / "workflows.md").read_text(encoding="utf-8")
    for machine in (APPLICATION, CLEARANCE):
        assert machine.table(DeadlinesConfig()) in committed, f"docs/workflows.md is out of date for {machine.name}"
        assert machine.mermaid() in committed, f"docs/workflows.md diagram is out of date for {machine.name}"


@pytest.mark.parametrize(
    ("notified", "deadline", "why"),
    [
        ("2026-11-02", "2026-11-10", "plain Tuesday"),
        ("2026-11-03", "2026-11-12", "last day 11 November (Armistice) moves to Thursday"),
        ("2026-11-06", "2026-11-16", "last day Saturday moves to Monday"),
        ("2026-11-07", "2026-11-16", "last day Sunday moves to Monday"),
        ("2026-12-17", "2026-12-28", "Christmas Friday, then the weekend"),
        ("2027-03-21", "2027-03-30", "last day Easter Monday moves to Tuesday"),
        ("2026-07-13", "2026-07-22", "last day 21 July (national day) moves on"),
    ],
)
def test_appeal_deadline_working_day_rule(notified, deadline, why):
    from datetime import date

    result = appeal_deadline(date.fromisoformat(notified))
    assert result == date.fromisoformat(deadline), why
    assert is_working_day(result)
    assert (result - date.fromisoformat(notified)).days >= 8


@pytest.mark.parametrize(
    ("passed", "closed", "allowed"), [(False, False, False), (True, False, True), (True, True, False)]
)
def test_an_appeal_against_a_missing_advice_needs_the_term_passed_and_the_window_open(passed, closed, allowed):
    facts = {"legal_term_passed": passed, "missed_term_appeal_closed": closed}
    for state in ("submitted", "in_review", "info_requested"):
        if allowed:
            step = APPLICATION.resolve(state, "lodge_appeal_missed_term", "officer", facts)
            assert step.target == "appealed_no_advice"
        else:
            with pytest.raises(GuardFailed, match="missed_term_appealable"):
                APPLICATION.resolve(state, "lodge_appeal_missed_term", "officer", facts)


def test_a_revocation_can_be_appealed_while_its_window_is_open():
    open_window = {"appeal_window_closed": False}
    assert CLEARANCE.resolve("revoked", "lodge_revocation_appeal", "officer", open_window).target == (
        "revocation_appealed"
    )
    with pytest.raises(GuardFailed):
        CLEARANCE.resolve("revoked", "lodge_revocation_appeal", "officer", {"appeal_window_closed": True})
    assert CLEARANCE.resolve("revocation_appealed", "revocation_appeal_upheld", "officer").target == "valid"
    assert CLEARANCE.resolve("revocation_appealed", "revocation_appeal_rejected", "officer").target == "revoked"


def test_every_decision_and_every_end_goes_through_review():
    """An outcome, an appeal, a ruling, a revocation cannot be undone: the declaration marks each."""
    for machine in (APPLICATION, CLEARANCE):
        for event in machine.events_declared:
            if event.decision is not None or event.advice is not None:
                assert event.irreversible, (machine.name, event.name)
    assert {"refuse", "withdraw", "lodge_appeal", "appeal_rejected"} <= APPLICATION.irreversible
    assert {"revoke", "lodge_revocation_appeal", "revocation_appeal_upheld"} <= CLEARANCE.irreversible
