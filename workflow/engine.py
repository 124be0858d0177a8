"""The engine: one transitions.Machine per (kind, spec version), built once and cached.

A claim is never given a Machine of its own. Firing binds a throw-away cursor (just a `state`
attribute) to the cached machine for the length of one call, so the machine cannot write anyone's
ORM fields and memory does not grow with the number of claims.

The machine does the work it is there for: its event table is the one lookup of a trigger from a
state, each transition's `prepare` callback hands the domain the transition taken so it can build the
context (checking permission and inputs on the way), and its conditions are the guards. `Engine.available`
asks the same machine, on a throw-away cursor, what the guards say now, before anything is typed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Generic, NoReturn, TypeVar

from transitions import EventData, Machine

from workflow.errors import TransitionNotAllowed
from workflow.guards import GuardRegistry
from workflow.spec import FieldSpec, LetterSpec, TransitionSpec, WorkflowSpec

C = TypeVar("C")


class InputsNotTyped(LookupError):
    """A guard read an input while the engine was answering "what can I do" before anything was typed:
    that guard is checked when the form is submitted."""


class UntypedInputs(dict[str, Any]):
    """The inputs of a transition nobody has filled in yet: reading any of them raises InputsNotTyped,
    so a guard that depends on them is told apart from one that can answer now."""

    def _untyped(self, name: object = None) -> NoReturn:
        raise InputsNotTyped(name)

    def __getitem__(self, name: str) -> Any:
        self._untyped(name)

    def get(self, name: str, default: Any = None) -> Any:
        self._untyped(name)

    def __contains__(self, name: object) -> bool:
        self._untyped(name)

    def __iter__(self) -> Iterator[str]:
        self._untyped()

    def __len__(self) -> int:
        self._untyped()

    def keys(self) -> Any:
        self._untyped()

    def values(self) -> Any:
        self._untyped()

    def items(self) -> Any:
        self._untyped()


@dataclass(frozen=True, slots=True)
class Available:
    """A transition an actor's role may fire from the current state, with what it asks for and, when a
    guard would refuse it now, why (`refusal`); `unchecked` names the guards that depend on the inputs
    and are checked when the form is submitted."""

    trigger: str
    label: str
    dest: str
    dest_label: str
    fields: tuple[FieldSpec, ...]
    letters: tuple[LetterSpec, ...] = ()
    refusal: str | None = None
    refused_by: str | None = None
    unchecked: tuple[str, ...] = ()

    @property
    def refused(self) -> bool:
        return self.refusal is not None

    def as_dict(self) -> dict[str, Any]:
        return {
            "trigger": self.trigger,
            "label": self.label,
            "to": self.dest,
            "to_label": self.dest_label,
            "fields": [f.as_dict() for f in self.fields],
            "refused": self.refusal,
            "checked_on_submit": list(self.unchecked),
        }


def _offer(spec: WorkflowSpec, t: TransitionSpec) -> Available:
    return Available(t.trigger, t.label, t.dest, spec.states[t.dest].label, t.fields, t.letters)


def available(spec: WorkflowSpec, state: str, role: str) -> list[Available]:
    """What an actor with `role` may do from `state`, each with the input fields it needs; by role
    only (Engine.available adds what the guards say now)."""
    return [_offer(spec, t) for t in spec.transitions_from(state) if role in t.roles]


class _Cursor:
    """The only object the machine ever writes to."""

    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


@dataclass
class _Run(Generic[C]):
    """One pass through the machine: how to build the context, and what the guards said."""

    prepare: Callable[[TransitionSpec], C]
    answering: bool = False  # asked "what can I do now": a guard needing inputs is left for the submit
    transition: TransitionSpec | None = None
    context: C | None = None
    refusal: str | None = None
    refused_by: str | None = None
    unchecked: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Fired(Generic[C]):
    """The transition the machine took and the context its guards passed on."""

    transition: TransitionSpec
    context: C


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
                prepare=[_preparer(t)],
                conditions=[self._condition(g) for g in t.guards],
            )
        return m

    def _condition(self, name: str) -> Callable[[EventData], bool]:
        guard = self.guards[name]

        def check(event: EventData) -> bool:
            run: _Run[C] = event.kwargs["run"]
            try:
                reason = guard(run.context)  # type: ignore[arg-type]  # prepare has set it
            except InputsNotTyped:
                if not run.answering:
                    raise
                run.unchecked.append(name)
                return True  # the later guards may still refuse now
            if reason is None:
                return True
            run.refusal, run.refused_by = reason, name
            return False

        return check

    def _run(self, spec: WorkflowSpec, state: str, trigger: str, run: _Run[C]) -> bool:
        event = self.machine(spec).events.get(trigger)
        if event is None or state not in event.transitions:
            label = spec.states[state].label if state in spec.states else state
            raise TransitionNotAllowed(f"'{trigger}' is niet mogelijk in de fase '{label}'")
        return bool(event.trigger(_Cursor(state), run=run))

    def attempt(
        self, spec: WorkflowSpec, state: str, trigger: str, prepare: Callable[[TransitionSpec], C]
    ) -> Fired[C]:
        """Find the trigger's transition from `state`, let `prepare(transition)` build the context (it
        may refuse: permission, inputs), run the guards on it, and return the transition and context.

        Raises TransitionNotAllowed when the trigger does not leave `state` or a guard refuses.
        """
        run: _Run[C] = _Run(prepare)
        if not self._run(spec, state, trigger, run):
            raise TransitionNotAllowed(run.refusal or "geweigerd", guard=run.refused_by)
        assert run.transition is not None  # the machine ran the transition's prepare
        return Fired(run.transition, run.context)  # type: ignore[arg-type]

    def fire(self, spec: WorkflowSpec, state: str, trigger: str, context: C) -> TransitionSpec:
        """Run the trigger's guards against `context` and return the transition taken.

        Raises TransitionNotAllowed when the trigger does not leave `state` or a guard refuses.
        """
        return self.attempt(spec, state, trigger, lambda _t: context).transition

    def available(
        self, spec: WorkflowSpec, state: str, role: str, context: Callable[[TransitionSpec], C]
    ) -> list[Available]:
        """What `role` may do from `state`, each with what its guards say now against
        `context(transition)`: a read-only context whose inputs are UntypedInputs. A guard that reads
        an input is left for the submit (`unchecked`); the first that refuses gives `refusal`."""
        out = []
        for t in spec.transitions_from(state):
            if role not in t.roles:
                continue
            offer = _offer(spec, t)
            if t.guards:
                run: _Run[C] = _Run(context, answering=True)
                self._run(spec, state, t.trigger, run)
                offer = replace(
                    offer, refusal=run.refusal, refused_by=run.refused_by, unchecked=tuple(run.unchecked)
                )
            out.append(offer)
        return out


def _preparer(t: TransitionSpec) -> Callable[[EventData], None]:
    """The transition's prepare callback: the machine found `t`; the domain builds its context."""

    def prepare(event: EventData) -> None:
        run: _Run[Any] = event.kwargs["run"]
        run.transition = t
        run.context = run.prepare(t)

    return prepare
