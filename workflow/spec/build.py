"""A validated spec file built into the loaded objects: defaults filled in, `from: "*"` and `to: same`
expanded, every state a transition names known."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping

from workflow.errors import SpecError
from workflow.spec.model import DeadlineModel, FieldModel, LetterModel, SpecFile, StateModel, TransitionModel
from workflow.spec.objects import (
    ANY_OPEN_STATE,
    PARAGRAPH_FIELD,
    SAME_STATE,
    DeadlineSpec,
    FieldSpec,
    LetterSpec,
    StateSpec,
    TransitionSpec,
    WorkflowSpec,
)

# The field a transition gets when one of its letters takes a free paragraph.
_PARAGRAPH = FieldSpec(
    PARAGRAPH_FIELD,
    "textarea",
    "Extra alinea in de brief",
    required=False,
    help="Komt ongewijzigd in de brief, boven de ondertekening.",
)


def fingerprint(model: SpecFile) -> str:
    """sha256 over the resolved spec as validated (after `extends`): two files that mean the same spec
    have the same fingerprint, whatever their layout, key order or defaults spelled out; any change of
    meaning, also one made in a shared base, changes it. Defaults are left out, so a key the format gains
    later (with a default) changes no existing fingerprint."""
    resolved = json.dumps(
        model.model_dump(mode="json", exclude_defaults=True),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(resolved.encode("utf-8")).hexdigest()


def build_spec(model: SpecFile, source: str) -> WorkflowSpec:
    """The WorkflowSpec of a validated file; raise SpecError for a state that is named but not declared."""

    def fail(msg: str) -> SpecError:
        return SpecError(source, msg)

    if not model.states:
        raise fail("'states' is empty")
    if not model.transitions:
        raise fail("'transitions' must be a non-empty list")
    states = {name: _state(name, body) for name, body in model.states.items()}
    if model.initial not in states:
        raise fail(f"unknown state '{model.initial}' as initial state")
    for renamed in model.migrates_from.values():
        for new_state in renamed.values():
            if new_state not in states:
                raise fail(f"migrates_from: unknown state '{new_state}'")
    transitions: list[TransitionSpec] = []
    for body in model.transitions:
        transitions.extend(_transitions(body, states, fail))
    return WorkflowSpec(
        kind=model.kind,
        version=model.version,
        label=model.label or model.kind,
        initial=model.initial,
        states=states,
        transitions=tuple(transitions),
        description=model.description,
        source_file=source,
        fingerprint=fingerprint(model),
        migrates_from={old: dict(renamed) for old, renamed in model.migrates_from.items()},
    )


def _state(name: str, body: StateModel) -> StateSpec:
    return StateSpec(
        name=name,
        label=body.label or name,
        terminal=body.terminal,
        deadlines=tuple(_deadline(d) for d in body.deadlines),
        description=body.description,
        role=body.role,
        reopens_to=body.reopens_to,
    )


def _deadline(body: DeadlineModel) -> DeadlineSpec:
    return DeadlineSpec(
        name=body.name,
        label=body.label or body.name,
        amount=body.amount,
        unit=body.unit,
        base=body.base,
        met_by=body.met_by,
        responsible=body.responsible,
        statutory=body.statutory,
        scope=body.scope,
        when=body.when,
        restarted_by=body.restarted_by,
        remind_before_days=body.remind_before_days,
        started_by=body.started_by,
        stopped_by=body.stopped_by,
        paused_by=body.paused_by,
        resumed_by=body.resumed_by,
        met_at=body.met_at,
        amount_from=body.amount_from,
        from_field=body.from_field,
        waiting=body.waiting,
    )


def _field(body: FieldModel) -> FieldSpec:
    return FieldSpec(
        name=body.name,
        type=body.type,
        label=body.label or body.name,
        required=body.required,
        choices=tuple(body.choices.items()),
        role=body.role,
        help=body.help,
        minimum=body.minimum,
        maximum=body.maximum,
    )


def _letter(body: str | LetterModel) -> LetterSpec:
    if isinstance(body, str):
        return LetterSpec(body)
    return LetterSpec(body.template, body.to, body.paragraph, body.cc)


def _transitions(
    body: TransitionModel, states: Mapping[str, StateSpec], fail: Callable[[str], SpecError]
) -> Iterator[TransitionSpec]:
    """One TransitionSpec per state the transition leaves from."""
    where = f"transition '{body.trigger}'"
    if body.source == (ANY_OPEN_STATE,):
        sources = tuple(n for n, s in states.items() if not s.terminal and n != body.to)
    else:
        sources = body.source
    if not sources:
        raise fail(f"{where}: 'from' names no state")
    for name in sources:
        if name not in states:
            raise fail(f"{where}: unknown state '{name}'")
    if body.to not in states and body.to != SAME_STATE:
        raise fail(f"{where}: unknown state '{body.to}'")
    letters = tuple(_letter(letter) for letter in body.letters)
    fields = tuple(_field(f) for f in body.fields)
    if any(letter.paragraph for letter in letters):
        fields += (_PARAGRAPH,)
    for source in sources:
        yield TransitionSpec(
            trigger=body.trigger,
            source=source,
            dest=source if body.to == SAME_STATE else body.to,
            label=body.label or body.trigger,
            roles=body.roles,
            guards=body.guards,
            fields=fields,
            letters=letters,
            notify=body.notify,
            effects=body.effects,
            outcome=body.outcome,
            approval=body.approval,
        )
