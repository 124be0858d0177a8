"""The loaded spec: frozen objects the engine and the domain read, built from a validated spec file.

A spec is data a claims expert can read: states (label, terminal, deadlines started on entry) and
transitions (trigger, from, to, label, roles, guards, fields, letters, notifications, effects). By the time
one of these exists, `from: "*"` and `to: same` are expanded and every default is filled in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

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
    minimum: int | None = None  # for type 'integer': the bounds a value must keep
    maximum: int | None = None

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
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
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
    statutory: bool = False  # a statutory term: the Atw moves its end where art. 4 lets it (atw_applies)
    scope: str = "state"  # 'state': cancelled when the state is left unmet; 'claim': runs until met or closed
    when: str | None = None  # only started when this claim flag is true
    # these triggers start the term afresh from the moment they fire (e.g. 7:942 BW: an acknowledgement
    # or an unambiguous written rejection starts a new limitation period)
    restarted_by: tuple[str, ...] = ()
    remind_before_days: int | None = None  # warn this long before due instead of the general lead time
    # not opened when its state is entered but when one of these fires (afresh if it runs): 7:942 BW's
    # new limitation period runs from an acknowledgement or a rejection, not from the melding
    started_by: tuple[str, ...] = ()
    stopped_by: tuple[str, ...] = ()  # cancelled, not restarted: a new written claim waits for a position
    paused_by: tuple[str, ...] = ()  # opschorting: the term waits while these wait for an answer
    resumed_by: tuple[str, ...] = ()  # the answer: the term runs on with the time it had left
    met_at: str | None = None  # the meeting trigger's input holding the moment it was met (not the recording)
    # the opening trigger's input giving the amount (the answer days asked); such a term stands for the
    # earliest answer still awaited when several requests are open
    amount_from: str | None = None
    # a restarting trigger's date input the new term counts from, where it has one (the day of a
    # negotiation, not the day it was recorded); a day before the running term's start restarts nothing
    from_field: str | None = None
    waiting: str | None = None  # said on the claim page while a started_by term does not run

    @property
    def conditions(self) -> tuple[tuple[str, str | None], ...]:
        """`when` read as conditions that must all hold: `flag`, or `field=value` ("personal_data and
        data_role=controller")."""
        if not self.when:
            return ()
        found: list[tuple[str, str | None]] = []
        for part in self.when.split(" and "):
            name, equals, value = part.strip().partition("=")
            found.append((name.strip(), value.strip() if equals else None))
        return tuple(found)

    def applies_to(self, claim: Any) -> bool:
        """True when the claim meets every condition of `when` (a claim mapping or record with .get)."""
        for name, value in self.conditions:
            found = claim.get(name)
            if (value is None and not found) or (value is not None and str(found or "") != value):
                return False
        return True

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
        } | {
            # only when set: the fingerprints of versions written before these existed stay as locked
            k: list(v) if isinstance(v, tuple) else v
            for k, v in (
                ("started_by", self.started_by),
                ("stopped_by", self.stopped_by),
                ("paused_by", self.paused_by),
                ("resumed_by", self.resumed_by),
                ("met_at", self.met_at),
                ("amount_from", self.amount_from),
                ("from_field", self.from_field),
                ("waiting", self.waiting),
            )
            if v
        }


@dataclass(frozen=True, slots=True)
class LetterSpec:
    """A letter a transition sends: its template, to whom, and whether the person firing it may add a
    paragraph of their own."""

    template: str
    to: str = "insured"
    paragraph: bool = False
    cc: tuple[str, ...] = ()  # who gets a copy, by the same roles as `to`

    def as_dict(self) -> dict[str, Any]:
        return {"template": self.template, "to": self.to, "cc": list(self.cc), "paragraph": self.paragraph}


# The field a transition gets when one of its letters takes a free paragraph.
PARAGRAPH_FIELD = "paragraph"


@dataclass(frozen=True, slots=True)
class StateSpec:
    name: str
    label: str
    terminal: bool = False
    deadlines: tuple[DeadlineSpec, ...] = ()
    description: str = ""
    role: str | None = None  # "approval": a proposal waits here for a second pair of eyes
    reopens_to: str | None = None  # a terminal state: where a reopened claim comes back


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
    approval: bool = False  # approves a proposal: the approver's own authority must cover it

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
    # sha256 of the resolved spec (after `extends`, defaults filled in): what "version N" means
    fingerprint: str = ""
    # older version -> {old state: new state}: the versions whose open claims may move to this one, and
    # the states renamed on the way (a state that keeps its name is not listed)
    migrates_from: Mapping[int, Mapping[str, str]] = field(default_factory=dict)
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

    def migrated_state(self, from_version: int, state: str) -> str | None:
        """The state a claim in `state` under `from_version` is in under this version; None when this
        version does not migrate from that one, or the state has no counterpart here."""
        renamed = self.migrates_from.get(from_version)
        if renamed is None:
            return None
        target = renamed.get(state, state)
        return target if target in self.states else None
