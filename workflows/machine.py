"""A small, strict, table-driven state machine engine.

The declarations in :mod:`workflows.application` and :mod:`workflows.clearance` are plain data
read by this engine. The engine never performs side effects: it answers which transition an event
takes from a state, for a role, given a context of facts; the caller (``screening``'s operations)
then writes the change and its audit entry. Anything not declared is refused: an unknown event, an
event with no transition from the current state, a role without permission, or a failed guard.
Guards read the facts they need as ``facts["name"]``; a fact the caller did not give raises
:class:`MissingFact` (a mistake of the caller, never a refusal).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from workflows.roles import Role
from workflows.text import N_

#: The kinds of decision record an event may write (ZGW's "besluittype"), in the order a history lists them.
DECISION_KINDS = ("advice", "appeal", "ruling", "reevaluation", "revocation")

#: The refusal of a guard that declares none of its own.
NOT_MET = N_("The conditions for this step are not met.")


class TransitionError(Exception):
    """Base of every refusal by the engine."""

    def __init__(self, machine: str, event: str, state: str, message: str) -> None:
        super().__init__(message)
        self.machine = machine
        self.event = event
        self.state = state


class UnknownEvent(TransitionError):
    """The event is not declared by the machine at all."""


class IllegalTransition(TransitionError):
    """The event is declared but has no transition from the current state."""


class NotPermitted(TransitionError):
    """The role may not fire this event."""


class GuardFailed(TransitionError):
    """Every transition of the event from this state has a guard that does not hold."""

    def __init__(self, machine: str, event: str, state: str, message: str, refusal: str) -> None:
        super().__init__(machine, event, state, message)
        #: What the user is told (English, marked for translation in the declaration).
        self.refusal = refusal


class MissingFact(LookupError):
    """A guard asked for a fact the caller did not put in the context."""


@dataclass(frozen=True)
class Guard:
    """A pure condition on the facts, with the message that explains a refusal."""

    name: str
    test: Callable[[Mapping[str, Any]], bool]
    refusal: str = NOT_MET

    def __call__(self, facts: Mapping[str, Any], where: str = "") -> bool:
        """Whether the guard holds; reading a fact not in ``facts`` raises :class:`MissingFact`."""
        return self.test(_Facts(facts, where or f"guard {self.name}"))


def guard(*, refusal: str = NOT_MET) -> Callable[[Callable[[Mapping[str, Any]], bool]], Guard]:
    """Declare a guard: ``@guard(refusal=N_("..."))`` above a function of the facts."""

    def declare(test: Callable[[Mapping[str, Any]], bool]) -> Guard:
        return Guard(name=test.__name__, test=test, refusal=refusal)

    return declare


class _Facts(Mapping[str, Any]):
    """The caller's context as a guard sees it: reading a fact that is not there raises :class:`MissingFact`."""

    def __init__(self, facts: Mapping[str, Any], where: str) -> None:
        self._facts = facts
        self._where = where

    def __getitem__(self, name: str) -> Any:
        try:
            return self._facts[name]
        except KeyError:
            raise MissingFact(f"{self._where} needs the fact {name!r}, which the caller did not give") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._facts)

    def __len__(self) -> int:
        return len(self._facts)


@dataclass(frozen=True)
class Deadline:
    """A time limit started when a state is entered, watched by the scheduler. Its days are the ``[deadlines]``
    setting it names, so the documentation prints the setting and its default rather than a number of its own."""

    name: str
    setting: str
    description: str

    def days(self, deadlines: object) -> int:
        """The days configured for this deadline in ``deadlines`` (the ``[deadlines]`` section)."""
        value = getattr(deadlines, self.setting)
        if not isinstance(value, int):
            raise TypeError(f"[deadlines] {self.setting} is not a number of days: {value!r}")
        return value


@dataclass(frozen=True)
class State:
    name: str
    label: str
    final: bool = False
    deadlines: tuple[Deadline, ...] = ()


@dataclass(frozen=True)
class Event:
    """What an event is to the people who fire and read it: one label (buttons, timelines, the audit trail)
    and how its form and the file treat the text given with it."""

    name: str
    label: str
    #: The label of the text its form asks for; None: "Reason".
    reason_label: str | None = None
    #: The text is the grounds of an advice or appeal ruling: kept for the authority, the trail only notes it.
    grounds: bool = False
    #: The form also asks which grounds the person may be told (never the employer).
    discloses_grounds: bool = False
    #: Its button warns (an end or a negative outcome for the file).
    danger: bool = False
    #: The advice type the event records, if it records one.
    advice: str | None = None
    #: It cannot be undone (an outcome, an appeal, an end): its page shows what will be recorded and sent,
    #: and only a second, confirming submission fires it (GOV.UK's "check your answers").
    irreversible: bool = False
    #: The kind of decision record it writes (``screening.decisions``): advice, appeal, ruling,
    #: reevaluation or revocation; None for a step that decides nothing.
    decision: str | None = None


@dataclass(frozen=True)
class Transition:
    """One arrow: ``event`` from any of ``sources`` to ``target`` for ``roles`` when ``guard`` holds.

    Several transitions may share an event and a source; the first whose guard holds is taken, so a
    declaration reads top to bottom like a decision (see ``submit``).
    """

    event: str
    sources: tuple[str, ...]
    target: str
    roles: frozenset[Role]
    guard: Guard | None = None
    requires_reason: bool = False

    @property
    def guard_name(self) -> str:
        return self.guard.name if self.guard is not None else ""


@dataclass(frozen=True)
class Machine:
    """States, events and the transitions between them. ``actions`` are entries of the trail that are not
    transitions (a file created, a clearance granted); they are declared here so they have one label too."""

    name: str
    states: tuple[State, ...]
    events_declared: tuple[Event, ...]
    transitions: tuple[Transition, ...]
    initial: str
    actions: tuple[Event, ...] = ()
    _by_name: dict[str, State] = field(init=False, repr=False, compare=False)
    _events: dict[str, Event] = field(init=False, repr=False, compare=False)
    _fired: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name = {state.name: state for state in self.states}
        if len(by_name) != len(self.states):
            raise ValueError(f"{self.name}: duplicate state names")
        if self.initial not in by_name:
            raise ValueError(f"{self.name}: initial state {self.initial!r} is not declared")
        events = {event.name: event for event in (*self.events_declared, *self.actions)}
        if len(events) != len(self.events_declared) + len(self.actions):
            raise ValueError(f"{self.name}: duplicate event names")
        fired = {transition.event for transition in self.transitions}
        for event in self.events_declared:
            if event.name not in fired:
                raise ValueError(f"{self.name}.{event.name}: declared but no transition fires it")
        for event in (*self.events_declared, *self.actions):
            if event.decision is not None and event.decision not in DECISION_KINDS:
                raise ValueError(f"{self.name}.{event.name}: unknown decision kind {event.decision!r}")
        for event in self.actions:
            if event.name in fired:
                raise ValueError(f"{self.name}.{event.name}: an action is not a transition")
        for transition in self.transitions:
            if transition.event not in events:
                raise ValueError(f"{self.name}.{transition.event}: undeclared event")
            for name in (*transition.sources, transition.target):
                if name not in by_name:
                    raise ValueError(f"{self.name}.{transition.event}: undeclared state {name!r}")
            if not transition.roles:
                raise ValueError(f"{self.name}.{transition.event}: no role may fire it")
        object.__setattr__(self, "_by_name", by_name)
        object.__setattr__(self, "_events", events)
        object.__setattr__(self, "_fired", frozenset(fired))

    # -- reading the declaration -------------------------------------------------------------
    def state(self, name: str) -> State:
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"{self.name}: unknown state {name!r}") from None

    def event(self, name: str) -> Event:
        """The declaration of an event or action (its label, its form)."""
        try:
            return self._events[name]
        except KeyError:
            raise KeyError(f"{self.name}: unknown event {name!r}") from None

    @property
    def irreversible(self) -> frozenset[str]:
        """The events that go through a review page and a confirmation."""
        return frozenset(event.name for event in self.events_declared if event.irreversible)

    @property
    def events(self) -> tuple[str, ...]:
        """The names of the events that fire transitions, in declaration order."""
        return tuple(event.name for event in self.events_declared)

    def transitions_from(self, state: str, event: str | None = None) -> tuple[Transition, ...]:
        return tuple(t for t in self.transitions if state in t.sources and (event is None or t.event == event))

    def transition_roles(self, event: str) -> frozenset[Role]:
        """Every role that may fire ``event`` from some state."""
        return frozenset(role for t in self.transitions if t.event == event for role in t.roles)

    def fired_by(self, role: Role) -> tuple[str, ...]:
        """The events ``role`` may fire from some state, in declaration order."""
        return tuple(e for e in self.events if any(role in t.roles for t in self.transitions if t.event == e))

    # -- deciding ---------------------------------------------------------------------------
    def resolve(self, state: str, event: str, role: str, context: Mapping[str, Any] | None = None) -> Transition:
        """Return the transition ``event`` takes from ``state`` for ``role``, or raise why not."""
        self.state(state)
        if event not in self._fired:
            raise UnknownEvent(self.name, event, state, f"{self.name}: unknown event {event!r}")
        candidates = self.transitions_from(state, event)
        if not candidates:
            raise IllegalTransition(self.name, event, state, f"{self.name}: {event!r} is not possible from {state!r}")
        permitted = [t for t in candidates if role in t.roles]
        if not permitted:
            raise NotPermitted(self.name, event, state, f"{self.name}: role {role!r} may not {event!r}")
        facts = context or {}
        refused: list[Guard] = []
        for transition in permitted:
            if transition.guard is None:
                return transition
            if transition.guard(facts, f"{self.name}.{event} (guard {transition.guard.name})"):
                return transition
            refused.append(transition.guard)
        names = ", ".join(g.name for g in refused)
        message = f"{self.name}: {event!r} refused by guard ({names})"
        raise GuardFailed(self.name, event, state, message, refusal=refused[0].refusal)

    def available(self, state: str, role: str, context: Mapping[str, Any] | None = None) -> tuple[Transition, ...]:
        """The transitions ``role`` may fire now, one per event, in declaration order."""
        found: list[Transition] = []
        for event in self.events:
            try:
                found.append(self.resolve(state, event, role, context))
            except TransitionError:
                continue
        return tuple(found)

    # -- printing ---------------------------------------------------------------------------
    def table(self, deadlines: object) -> str:
        """A plain-text transition table, with the days of each deadline as configured in ``deadlines`` (the
        defaults of ``[deadlines]``, for docs/workflows.md, which holds the committed copy)."""
        rows = [("event", "from", "to", "roles", "guard", "review")]
        for t in self.transitions:
            review = "confirm" if self._events[t.event].irreversible else ""
            rows.append((t.event, " | ".join(t.sources), t.target, ", ".join(sorted(t.roles)), t.guard_name, review))
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines = [f"{self.name} (initial: {self.initial})"]
        for index, row in enumerate(rows):
            lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
            if index == 0:
                lines.append("  ".join("-" * w for w in widths))
        deadline_lines = [
            f"  {state.name}: {d.name} after [deadlines] {d.setting} days, default {d.days(deadlines)} "
            f"({d.description})"
            for state in self.states
            for d in state.deadlines
        ]
        if deadline_lines:
            lines.append("deadlines")
            lines.extend(deadline_lines)
        return "\n".join(lines)

    def mermaid(self) -> str:
        """A Mermaid state diagram generated from the same declaration."""
        lines = ["stateDiagram-v2", f"    [*] --> {self.initial}"]
        for t in self.transitions:
            for source in t.sources:
                guard = f" [{t.guard_name}]" if t.guard_name else ""
                lines.append(f"    {source} --> {t.target}: {t.event}{guard}")
        for state in self.states:
            if state.final:
                lines.append(f"    {state.name} --> [*]")
        return "\n".join(lines)


def transition(
    event: str,
    sources: str | Iterable[str],
    target: str,
    roles: Iterable[Role],
    *,
    guard: Guard | None = None,
    requires_reason: bool = False,
) -> Transition:
    """Shorthand used by the declarations so each arrow fits on one or two lines."""
    return Transition(
        event=event,
        sources=(sources,) if isinstance(sources, str) else tuple(sources),
        target=target,
        roles=frozenset(roles),
        guard=guard,
        requires_reason=requires_reason,
    )
