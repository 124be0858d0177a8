"""Workflow specs: YAML files loaded into typed, checked objects.

A spec is data a claims expert can read: states (label, terminal, deadlines started on entry) and
transitions (trigger, from, to, label, roles, guards, fields, letters, notifications, effects).
`load_spec` refuses a bad spec at load time with a message naming the file and the problem.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from workflow.errors import SpecError

FIELD_TYPES = frozenset(
    {"text", "textarea", "money", "percent", "integer", "date", "datetime", "boolean", "choice", "user"}
)
DEADLINE_UNITS = frozenset({"hours", "calendar_days", "working_days", "weeks", "months", "years"})
ANY_OPEN_STATE = "*"
SAME_STATE = "same"  # `to: same`: an internal transition that stays in the state it fires from
ENTERED = "entered"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One input a transition needs from the person firing it."""

    name: str
    type: str
    label: str
    required: bool = True
    choices: tuple[tuple[str, str], ...] = ()
    role: str | None = None  # for type 'user': the role the chosen user must have
    help: str = ""

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "label": self.label,
            "required": self.required,
        }
        if self.choices:
            out["choices"] = [{"value": v, "label": lbl} for v, lbl in self.choices]
        if self.role:
            out["role"] = self.role
        if self.help:
            out["help"] = self.help
        return out


@dataclass(frozen=True, slots=True)
class DeadlineSpec:
    """A deadline started when its state is entered and met by one of `met_by`."""

    name: str
    label: str
    amount: int
    unit: str
    base: str = ENTERED
    met_by: tuple[str, ...] = ()
    responsible: str = "handler"
    statutory: bool = False  # the Algemene termijnenwet rolls a statutory term forward
    scope: str = "state"  # 'state': cancelled when the state is left unmet; 'claim': runs until met or closed
    when: str | None = None  # only started when this claim flag is true
    # these triggers start the term afresh from the moment they fire (e.g. 7:942 BW: an acknowledgement
    # or an unambiguous written rejection starts a new limitation period)
    restarted_by: tuple[str, ...] = ()
    remind_before_days: int | None = None  # warn this long before due instead of the general lead time

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "amount": self.amount,
            "unit": self.unit,
            "base": self.base,
            "met_by": list(self.met_by),
            "responsible": self.responsible,
            "statutory": self.statutory,
            "scope": self.scope,
            "when": self.when,
            "restarted_by": list(self.restarted_by),
            "remind_before_days": self.remind_before_days,
        }


@dataclass(frozen=True, slots=True)
class LetterSpec:
    """A letter a transition sends: its template, to whom, and whether the person firing it may add a
    paragraph of their own."""

    template: str
    to: str = "insured"
    paragraph: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"template": self.template, "to": self.to, "paragraph": self.paragraph}


# The field a transition gets when one of its letters takes a free paragraph.
PARAGRAPH_FIELD = "paragraph"


@dataclass(frozen=True, slots=True)
class StateSpec:
    name: str
    label: str
    terminal: bool = False
    deadlines: tuple[DeadlineSpec, ...] = ()
    description: str = ""


@dataclass(frozen=True, slots=True)
class TransitionSpec:
    trigger: str
    source: str
    dest: str
    label: str
    roles: tuple[str, ...]
    guards: tuple[str, ...] = ()
    fields: tuple[FieldSpec, ...] = ()
    letters: tuple[LetterSpec, ...] = ()
    notify: tuple[str, ...] = ()
    effects: tuple[str, ...] = ()
    outcome: str | None = None

    @property
    def internal(self) -> bool:
        """A transition back to its own state: nothing is left or entered, deadlines run on."""
        return self.source == self.dest

    def as_dict(self) -> dict[str, Any]:
        return {
            "trigger": self.trigger,
            "from": self.source,
            "to": self.dest,
            "label": self.label,
            "roles": list(self.roles),
            "guards": list(self.guards),
            "fields": [f.as_dict() for f in self.fields],
            "letters": [letter.as_dict() for letter in self.letters],
            "notify": list(self.notify),
            "outcome": self.outcome,
        }


@dataclass(frozen=True)
class WorkflowSpec:
    kind: str
    version: int
    label: str
    initial: str
    states: Mapping[str, StateSpec]
    transitions: tuple[TransitionSpec, ...]
    description: str = ""
    source_file: str = ""
    _by_source: dict[str, tuple[TransitionSpec, ...]] = field(default_factory=dict, repr=False)
    _by_key: dict[tuple[str, str], TransitionSpec] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        grouped: dict[str, list[TransitionSpec]] = {name: [] for name in self.states}
        for t in self.transitions:
            grouped[t.source].append(t)
            self._by_key[(t.source, t.trigger)] = t
        self._by_source.update({k: tuple(v) for k, v in grouped.items()})

    @property
    def key(self) -> tuple[str, int]:
        return (self.kind, self.version)

    def transitions_from(self, state: str) -> tuple[TransitionSpec, ...]:
        return self._by_source.get(state, ())

    def transition(self, state: str, trigger: str) -> TransitionSpec | None:
        return self._by_key.get((state, trigger))

    def triggers(self) -> set[str]:
        return {t.trigger for t in self.transitions}

    def is_terminal(self, state: str) -> bool:
        return self.states[state].terminal


@dataclass(frozen=True)
class SpecVocabulary:
    """What a spec may name: the guards, effects, letter templates, roles, date bases and flags the
    application provides. The engine knows only names; the domain supplies them."""

    guards: Collection[str] = ()
    effects: Collection[str] = ()
    templates: Collection[str] = ()
    recipients: Collection[str] = ()  # to whom a letter may be addressed
    roles: Collection[str] = ()
    bases: Collection[str] = (ENTERED,)
    flags: Collection[str] = ()
    outcomes: Collection[str] = ()


def load_spec(path: Path, vocabulary: SpecVocabulary) -> WorkflowSpec:
    """Load and check one spec file; raise SpecError naming the file and the problem."""
    raw = _read_yaml(path)
    if isinstance(raw, dict) and "extends" in raw:
        raw = _extend(raw, path)
    return parse_spec(raw, vocabulary, source=str(path))


def _read_yaml(path: Path) -> object:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SpecError(str(path), f"cannot read YAML: {exc}") from exc


def _extend(raw: dict[str, Any], path: Path) -> dict[str, Any]:
    """A kind that `extends` a shared base: its states replace the base's of the same name; its
    transitions replace the base's of the same trigger and add the rest."""
    base_path = path.parent / f"{raw['extends']}.yaml"
    if not base_path.is_file():
        raise SpecError(str(path), f"extends unknown base '{raw['extends']}'")
    base = _read_yaml(base_path)
    if not isinstance(base, dict):
        raise SpecError(str(base_path), "the base must be a mapping")
    merged = {k: v for k, v in raw.items() if k != "extends"}
    merged["states"] = {**(base.get("states") or {}), **(raw.get("states") or {})}
    own = list(raw.get("transitions") or [])
    replaced = {t.get("trigger") for t in own if isinstance(t, dict)}
    inherited = [t for t in base.get("transitions") or [] if t.get("trigger") not in replaced]
    merged["transitions"] = [*inherited, *own]
    return merged


def parse_spec(raw: object, vocabulary: SpecVocabulary, source: str = "<spec>") -> WorkflowSpec:
    """Build a WorkflowSpec from already-parsed YAML and check it."""
    p = _Parser(source, vocabulary)
    spec = p.spec(raw)
    check_spec(spec, vocabulary)
    return spec


_KEYS = {
    "the spec": {"kind", "version", "label", "description", "initial", "states", "transitions"},
    "state": {"label", "terminal", "deadlines", "description"},
    "deadline": {
        "name",
        "label",
        "amount",
        "unit",
        "base",
        "met_by",
        "responsible",
        "statutory",
        "scope",
        "when",
        "restarted_by",
        "remind_before_days",
    },
    "letter": {"template", "to", "paragraph"},
    "field": {"name", "type", "label", "required", "choices", "role", "help"},
    "transition": {
        "trigger",
        "from",
        "to",
        "label",
        "roles",
        "guards",
        "fields",
        "letters",
        "notify",
        "effects",
        "outcome",
    },
}


class _Parser:
    def __init__(self, source: str, vocab: SpecVocabulary) -> None:
        self.source = source
        self.vocab = vocab

    def fail(self, msg: str) -> SpecError:
        return SpecError(self.source, msg)

    def _mapping(self, raw: object, where: str, kind: str | None = None) -> dict[str, Any]:
        """A mapping with only the keys `kind` allows: a typo or a YAML slip never passes silently."""
        if not isinstance(raw, dict):
            raise self.fail(f"{where} must be a mapping")
        if kind is not None:
            unknown = sorted(str(k) for k in raw if k not in _KEYS[kind])
            if unknown:
                raise self.fail(f"{where}: unknown key {', '.join(repr(k) for k in unknown)}")
        return raw

    def _str(self, raw: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
        value = raw.get(key, default)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{where}: '{key}' must be a non-empty text")
        return value

    def _names(self, raw: object, where: str) -> tuple[str, ...]:
        if raw is None:
            return ()
        if isinstance(raw, str):
            return (raw,)
        if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
            raise self.fail(f"{where} must be a name or a list of names")
        return tuple(raw)

    def spec(self, raw: object) -> WorkflowSpec:
        top = self._mapping(raw, "the spec", "the spec")
        kind = self._str(top, "kind", "the spec")
        version = top.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise self.fail("'version' must be a positive integer")
        states_raw = self._mapping(top.get("states"), "'states'")
        if not states_raw:
            raise self.fail("'states' is empty")
        states = {name: self.state(name, body) for name, body in states_raw.items()}
        initial = self._str(top, "initial", "the spec")
        if initial not in states:
            raise self.fail(f"unknown state '{initial}' as initial state")
        trans_raw = top.get("transitions")
        if not isinstance(trans_raw, list) or not trans_raw:
            raise self.fail("'transitions' must be a non-empty list")
        transitions: list[TransitionSpec] = []
        for i, body in enumerate(trans_raw, 1):
            transitions.extend(self.transition(i, body, states))
        return WorkflowSpec(
            kind=kind,
            version=version,
            label=self._str(top, "label", "the spec", default=kind),
            initial=initial,
            states=states,
            transitions=tuple(transitions),
            description=str(top.get("description", "")),
            source_file=self.source,
        )

    def state(self, name: str, raw: object) -> StateSpec:
        body = self._mapping(raw if raw is not None else {}, f"state '{name}'", "state")
        deadlines = tuple(self.deadline(name, d) for d in (body.get("deadlines") or []))
        names = [d.name for d in deadlines]
        for dup in sorted({n for n in names if names.count(n) > 1}):
            raise self.fail(f"bad deadline: '{dup}' is declared twice in state '{name}'")
        return StateSpec(
            name=name,
            label=self._str(body, "label", f"state '{name}'", default=name),
            terminal=bool(body.get("terminal", False)),
            deadlines=deadlines,
            description=str(body.get("description", "")),
        )

    def deadline(self, state: str, raw: object) -> DeadlineSpec:
        where = f"deadline in state '{state}'"
        body = self._mapping(raw, where, "deadline")
        name = self._str(body, "name", where)
        where = f"deadline '{name}' in state '{state}'"
        amount = body.get("amount")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise self.fail(f"bad deadline: {where}: 'amount' must be a positive integer, got {amount!r}")
        unit = body.get("unit")
        if unit not in DEADLINE_UNITS:
            raise self.fail(
                f"bad deadline: {where}: unit {unit!r} is not one of {', '.join(sorted(DEADLINE_UNITS))}"
            )
        scope = body.get("scope", "state")
        if scope not in ("state", "claim"):
            raise self.fail(f"bad deadline: {where}: scope must be 'state' or 'claim'")
        when = body.get("when")
        if when is not None and not isinstance(when, str):
            raise self.fail(f"bad deadline: {where}: 'when' must be a flag name")
        remind = body.get("remind_before_days")
        if remind is not None and (not isinstance(remind, int) or isinstance(remind, bool) or remind <= 0):
            raise self.fail(f"bad deadline: {where}: 'remind_before_days' must be a positive integer")
        return DeadlineSpec(
            name=name,
            label=self._str(body, "label", where, default=name),
            amount=amount,
            unit=unit,
            base=str(body.get("base", ENTERED)),
            met_by=self._names(body.get("met_by"), f"{where}: 'met_by'"),
            responsible=str(body.get("responsible", "handler")),
            statutory=bool(body.get("statutory", False)),
            scope=scope,
            when=when,
            restarted_by=self._names(body.get("restarted_by"), f"{where}: 'restarted_by'"),
            remind_before_days=remind,
        )

    def field_spec(self, where: str, raw: object) -> FieldSpec:
        body = self._mapping(raw, f"{where}: field", "field")
        name = self._str(body, "name", where)
        ftype = body.get("type", "text")
        if ftype not in FIELD_TYPES:
            raise self.fail(f"{where}: field '{name}' has unknown type {ftype!r}")
        choices_raw = body.get("choices") or {}
        if not isinstance(choices_raw, dict):
            raise self.fail(f"{where}: field '{name}': 'choices' must map value to label")
        if ftype == "choice" and not choices_raw:
            raise self.fail(f"{where}: choice field '{name}' needs 'choices' as value: label")
        if ftype != "choice" and choices_raw:
            raise self.fail(f"{where}: field '{name}' of type {ftype} cannot have 'choices'")
        required = body.get("required", True)
        if not isinstance(required, bool):
            raise self.fail(f"{where}: field '{name}': 'required' must be true or false, not {required!r}")
        choices = tuple((str(k), str(v)) for k, v in dict(choices_raw).items())
        role = body.get("role")
        if ftype == "user" and role not in self.vocab.roles:
            raise self.fail(f"{where}: user field '{name}' names unknown role {role!r}")
        return FieldSpec(
            name=name,
            type=ftype,
            label=self._str(body, "label", where, default=name),
            required=required,
            choices=choices,
            role=role if isinstance(role, str) else None,
            help=str(body.get("help", "")),
        )

    def letters(self, raw: object, where: str) -> tuple[LetterSpec, ...]:
        """`letters:` holds template names, or mappings {template, to, paragraph} for a letter that is
        not for the insured or that takes a free paragraph."""
        if raw is None:
            return ()
        if not isinstance(raw, list):
            raise self.fail(f"{where}: 'letters' must be a list")
        out = []
        for item in raw:
            if isinstance(item, str):
                out.append(LetterSpec(item))
                continue
            body = self._mapping(item, f"{where}: a letter", "letter")
            paragraph = body.get("paragraph", False)
            if not isinstance(paragraph, bool):
                raise self.fail(f"{where}: a letter's 'paragraph' must be true or false")
            out.append(
                LetterSpec(
                    self._str(body, "template", f"{where}: a letter"),
                    self._str(body, "to", f"{where}: a letter", default="insured"),
                    paragraph,
                )
            )
        return tuple(out)

    def transition(
        self, index: int, raw: object, states: Mapping[str, StateSpec]
    ) -> Iterable[TransitionSpec]:
        where = f"transition #{index}"
        body = self._mapping(raw, where, "transition")
        trigger = self._str(body, "trigger", where)
        where = f"transition '{trigger}'"
        to = self._str(body, "to", where)
        sources_raw = body.get("from")
        if sources_raw == ANY_OPEN_STATE:
            sources: tuple[str, ...] = tuple(n for n, s in states.items() if not s.terminal and n != to)
        else:
            sources = self._names(sources_raw, f"{where}: 'from'")
        if not sources:
            raise self.fail(f"{where}: 'from' names no state")
        for name in sources:
            if name not in states:
                raise self.fail(f"{where}: unknown state '{name}'")
        if to not in states and to != SAME_STATE:
            raise self.fail(f"{where}: unknown state '{to}'")
        roles = self._names(body.get("roles"), f"{where}: 'roles'")
        if not roles:
            raise self.fail(f"{where}: 'roles' must name who may fire it")
        fields = tuple(self.field_spec(where, f) for f in (body.get("fields") or []))
        letters = self.letters(body.get("letters"), where)
        if any(letter.paragraph for letter in letters):
            fields += (
                FieldSpec(
                    PARAGRAPH_FIELD,
                    "textarea",
                    "Extra alinea in de brief",
                    required=False,
                    help="Komt ongewijzigd in de brief, boven de ondertekening.",
                ),
            )
        names = [f.name for f in fields]
        for dup in sorted({n for n in names if names.count(n) > 1}):
            raise self.fail(f"{where}: field '{dup}' is declared twice")
        outcome = body.get("outcome")
        for src in sources:
            yield TransitionSpec(
                trigger=trigger,
                source=src,
                dest=src if to == SAME_STATE else to,
                label=self._str(body, "label", where, default=trigger),
                roles=roles,
                guards=self._names(body.get("guards"), f"{where}: 'guards'"),
                fields=fields,
                letters=letters,
                notify=self._names(body.get("notify"), f"{where}: 'notify'"),
                effects=self._names(body.get("effects"), f"{where}: 'effects'"),
                outcome=str(outcome) if outcome is not None else None,
            )


def check_spec(spec: WorkflowSpec, vocab: SpecVocabulary) -> None:
    """Refuse what would misbehave at run time; every message names the file and the culprit."""

    def fail(msg: str) -> SpecError:
        return SpecError(spec.source_file, msg)

    seen: set[tuple[str, str]] = set()
    for t in spec.transitions:
        if (t.source, t.trigger) in seen:
            raise fail(f"duplicate trigger '{t.trigger}' from state '{t.source}'")
        seen.add((t.source, t.trigger))
        if spec.states[t.source].terminal:
            raise fail(f"terminal state '{t.source}' has an exit: transition '{t.trigger}'")
        for g in t.guards:
            if g not in vocab.guards:
                raise fail(f"transition '{t.trigger}': unknown guard '{g}'")
        for e in t.effects:
            if e not in vocab.effects:
                raise fail(f"transition '{t.trigger}': unknown effect '{e}'")
        for letter in t.letters:
            if letter.template not in vocab.templates:
                raise fail(f"transition '{t.trigger}': unknown template '{letter.template}'")
            if vocab.recipients and letter.to not in vocab.recipients:
                raise fail(f"transition '{t.trigger}': unknown letter recipient '{letter.to}'")
        for role in (*t.roles, *t.notify):
            if role not in vocab.roles:
                raise fail(f"transition '{t.trigger}': unknown role '{role}'")
        if t.outcome is not None and t.outcome not in vocab.outcomes:
            raise fail(f"transition '{t.trigger}': unknown outcome '{t.outcome}'")
        if spec.states[t.dest].terminal and t.outcome is None and vocab.outcomes:
            raise fail(f"transition '{t.trigger}' ends in '{t.dest}' without an outcome")
        if t.outcome is not None and not spec.states[t.dest].terminal:
            raise fail(f"transition '{t.trigger}' has an outcome but '{t.dest}' is not a terminal state")

    triggers = spec.triggers()
    for state in spec.states.values():
        for d in state.deadlines:
            where = f"bad deadline: '{d.name}' in state '{state.name}'"
            if d.base not in vocab.bases:
                raise fail(f"{where}: unknown base '{d.base}'")
            if not d.met_by:
                raise fail(f"{where}: no transition meets it ('met_by' is empty)")
            for trig in d.met_by:
                if trig not in triggers:
                    raise fail(f"{where}: met_by names unknown trigger '{trig}'")
            for trig in d.restarted_by:
                if trig not in triggers:
                    raise fail(f"{where}: restarted_by names unknown trigger '{trig}'")
            if d.responsible not in vocab.roles:
                raise fail(f"{where}: unknown role '{d.responsible}'")
            if d.when is not None and d.when not in vocab.flags:
                raise fail(f"{where}: unknown flag '{d.when}'")
            if state.terminal:
                raise fail(f"{where}: a terminal state starts no deadline")

    reachable = _reachable(spec)
    for name, state in spec.states.items():
        if name not in reachable:
            raise fail(f"unreachable state '{name}'")
        exits = [t for t in spec.transitions_from(name) if not t.internal]
        if not state.terminal and not exits:
            raise fail(f"non-terminal state '{name}' has no way out")
    if not any(s.terminal for s in spec.states.values()):
        raise fail("no terminal state")
    can_end = _can_reach_terminal(spec)
    for name in spec.states:
        if name not in can_end:
            raise fail(f"state '{name}' can never reach a terminal state")


def _reachable(spec: WorkflowSpec) -> set[str]:
    seen = {spec.initial}
    queue = deque([spec.initial])
    while queue:
        state = queue.popleft()
        for t in spec.transitions_from(state):
            if t.dest not in seen:
                seen.add(t.dest)
                queue.append(t.dest)
    return seen


def _can_reach_terminal(spec: WorkflowSpec) -> set[str]:
    """States from which some chain of transitions ends in a terminal state."""
    done = {n for n, s in spec.states.items() if s.terminal}
    changed = True
    while changed:
        changed = False
        for t in spec.transitions:
            if t.dest in done and t.source not in done:
                done.add(t.source)
                changed = True
    return done
