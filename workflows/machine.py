"""A small, strict, table-driven state machine engine.

The declarations in :mod:`workflows.application` and :mod:`workflows.clearance` are plain data
read by this engine. The engine never performs side effects: it answers which transition an event
takes from a state, for a role, given a context of facts; the caller (``screening``'s operations)
then writes the change and its audit entry. Anything not declared is refused: an unknown event, an
event with no transition from the current state, a role without permission, or a failed guard.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Guard = Callable[[Mapping[str, Any]], bool]


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


@dataclass(frozen=True)
class Deadline:
    """A time limit started when a state is entered, watched by the scheduler."""

    name: str
    days: int
    description: str
    calendar: str = "calendar"  # "calendar" days, or "appeal" (Belgian working-day rule for the last day)


@dataclass(frozen=True)
class State:
    name: str
    label: str
    final: bool = False
    deadlines: tuple[Deadline, ...] = ()


@dataclass(frozen=True)
class Transition:
    """One arrow: ``event`` from any of ``sources`` to ``target`` for ``roles`` when ``guard`` holds.

    Several transitions may share an event and a source; the first whose guard holds is taken, so a
    declaration reads top to bottom like a decision (see ``submit``).
    """

    event: str
    sources: tuple[str, ...]
    target: str
    roles: frozenset[str]
    label: str
    guard: Guard | None = None
    guard_name: str = ""
    requires_reason: bool = False

    def allows(self, role: str) -> bool:
        return role in self.roles


@dataclass(frozen=True)
class Machine:
    name: str
    states: tuple[State, ...]
    transitions: tuple[Transition, ...]
    initial: str
    _by_name: dict[str, State] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name = {state.name: state for state in self.states}
        if len(by_name) != len(self.states):
            raise ValueError(f"{self.name}: duplicate state names")
        if self.initial not in by_name:
            raise ValueError(f"{self.name}: initial state {self.initial!r} is not declared")
        for transition in self.transitions:
            for name in (*transition.sources, transition.target):
                if name not in by_name:
                    raise ValueError(f"{self.name}.{transition.event}: undeclared state {name!r}")
            if not transition.roles:
                raise ValueError(f"{self.name}.{transition.event}: no role may fire it")
            if transition.guard is not None and not transition.guard_name:
                raise ValueError(f"{self.name}.{transition.event}: a guard needs a name")
        object.__setattr__(self, "_by_name", by_name)

    # -- reading the declaration -------------------------------------------------------------
    def state(self, name: str) -> State:
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"{self.name}: unknown state {name!r}") from None

    @property
    def events(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for transition in self.transitions:
            seen.setdefault(transition.event, None)
        return tuple(seen)

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(role for t in self.transitions for role in t.roles)

    def transitions_from(self, state: str, event: str | None = None) -> tuple[Transition, ...]:
        return tuple(t for t in self.transitions if state in t.sources and (event is None or t.event == event))

    # -- deciding ---------------------------------------------------------------------------
    def resolve(self, state: str, event: str, role: str, context: Mapping[str, Any] | None = None) -> Transition:
        """Return the transition ``event`` takes from ``state`` for ``role``, or raise why not."""
        context = context or {}
        self.state(state)
        if event not in self.events:
            raise UnknownEvent(self.name, event, state, f"{self.name}: unknown event {event!r}")
        candidates = self.transitions_from(state, event)
        if not candidates:
            raise IllegalTransition(self.name, event, state, f"{self.name}: {event!r} is not possible from {state!r}")
        permitted = [t for t in candidates if t.allows(role)]
        if not permitted:
            raise NotPermitted(self.name, event, state, f"{self.name}: role {role!r} may not {event!r}")
        for transition in permitted:
            if transition.guard is None or transition.guard(context):
                return transition
        names = ", ".join(t.guard_name for t in permitted if t.guard_name)
        raise GuardFailed(self.name, event, state, f"{self.name}: {event!r} refused by guard ({names})")

    def available(self, state: str, role: str, context: Mapping[str, Any] | None = None) -> tuple[Transition, ...]:
        """The transitions ``role`` may fire now, one per event, in declaration order."""
        found: dict[str, Transition] = {}
        for event in self.events:
            if event in found:
                continue
            try:
                found[event] = self.resolve(state, event, role, context)
            except TransitionError:
                continue
        return tuple(found.values())

    # -- printing ---------------------------------------------------------------------------
    def table(self) -> str:
        """A plain-text transition table; docs/workflows.md holds the committed copy."""
        rows = [("event", "from", "to", "roles", "guard")]
        for t in self.transitions:
            rows.append((t.event, " | ".join(t.sources), t.target, ", ".join(sorted(t.roles)), t.guard_name))
        widths = [max(len(row[i]) for row in rows) for i in range(5)]
        lines = [f"{self.name} (initial: {self.initial})"]
        for index, row in enumerate(rows):
            lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
            if index == 0:
                lines.append("  ".join("-" * w for w in widths))
        deadline_lines = [
            f"  {state.name}: {d.name} after {d.days} days ({d.description})"
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
    roles: Iterable[str],
    label: str,
    *,
    guard: Guard | None = None,
    guard_name: str = "",
    requires_reason: bool = False,
) -> Transition:
    """Shorthand used by the declarations so each arrow fits on one or two lines."""
    return Transition(
        event=event,
        sources=(sources,) if isinstance(sources, str) else tuple(sources),
        target=target,
        roles=frozenset(roles),
        label=label,
        guard=guard,
        guard_name=guard_name,
        requires_reason=requires_reason,
    )
