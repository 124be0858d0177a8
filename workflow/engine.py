"""The engine: one transitions.Machine per (kind, spec version), built once and cached.

A claim is never given a Machine of its own. Firing binds a throw-away cursor (just a `state`
attribute) to the cached machine for the length of one call, so the machine cannot write anyone's
ORM fields and memory does not grow with the number of claims.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from transitions import EventData, Machine

from workflow.errors import TransitionNotAllowed
from workflow.guards import GuardRegistry
from workflow.spec import FieldSpec, TransitionSpec, WorkflowSpec

C = TypeVar("C")


@dataclass(frozen=True, slots=True)
class Available:
    """A transition an actor may fire now, with what it asks for."""

    trigger: str
    label: str
    dest: str
    dest_label: str
    fields: tuple[FieldSpec, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "trigger": self.trigger,
            "label": self.label,
            "to": self.dest,
            "to_label": self.dest_label,
            "fields": [f.as_dict() for f in self.fields],
        }


def available(spec: WorkflowSpec, state: str, role: str) -> list[Available]:
    """What an actor with `role` may do from `state`, each with the input fields it needs."""
    return [
        Available(t.trigger, t.label, t.dest, spec.states[t.dest].label, t.fields)
        for t in spec.transitions_from(state)
        if role in t.roles
    ]


class _Cursor:
    """The only object the machine ever writes to."""

    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


@dataclass
class _Attempt(Generic[C]):
    context: C
    refusal: str | None = None
    refused_by: str | None = None


@dataclass
class Engine(Generic[C]):
    """Fires triggers for claims of any registered spec; guards come from the domain's registry."""

    guards: GuardRegistry[C]
    _machines: dict[tuple[str, int], Machine] = field(default_factory=dict)
    builds: int = 0

    def machine(self, spec: WorkflowSpec) -> Machine:
        """The cached machine for this spec, built on first use."""
        m = self._machines.get(spec.key)
        if m is None:
            m = self._build(spec)
            self._machines[spec.key] = m
        return m

    def cached(self) -> list[tuple[str, int]]:
        """The (kind, version) of every machine built so far."""
        return list(self._machines)

    def _build(self, spec: WorkflowSpec) -> Machine:
        self.builds += 1
        m = Machine(
            model=None,
            states=[{"name": s.name, "final": s.terminal} for s in spec.states.values()],
            initial=spec.initial,
            auto_transitions=False,
            send_event=True,
            ignore_invalid_triggers=False,
            name=f"{spec.kind}@v{spec.version}",
        )
        for t in spec.transitions:
            m.add_transition(
                trigger=t.trigger,
                source=t.source,
                dest=None if t.internal else t.dest,
                conditions=[self._condition(g) for g in t.guards],
            )
        return m

    def _condition(self, name: str) -> Callable[[EventData], bool]:
        guard = self.guards[name]

        def check(event: EventData) -> bool:
            attempt: _Attempt[C] = event.kwargs["attempt"]
            reason = guard(attempt.context)
            if reason is None:
                return True
            attempt.refusal, attempt.refused_by = reason, name
            return False

        return check

    def fire(self, spec: WorkflowSpec, state: str, trigger: str, context: C) -> TransitionSpec:
        """Run the trigger's guards against `context` and return the transition taken.

        Raises TransitionNotAllowed when the trigger does not leave `state` or a guard refuses.
        """
        t = spec.transition(state, trigger)
        if t is None:
            label = spec.states[state].label if state in spec.states else state
            raise TransitionNotAllowed(f"'{trigger}' is niet mogelijk in de fase '{label}'")
        event = self.machine(spec).events[trigger]
        cursor = _Cursor(state)
        attempt: _Attempt[C] = _Attempt(context)
        if not event.trigger(cursor, attempt=attempt):
            raise TransitionNotAllowed(attempt.refusal or "geweigerd", guard=attempt.refused_by)
        if cursor.state != t.dest and not t.internal:  # the spec and the machine must agree
            raise RuntimeError(f"machine moved to {cursor.state!r}, spec says {t.dest!r}")
        return t
