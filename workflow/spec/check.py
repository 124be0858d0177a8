"""The checks of a loaded spec as a whole: every name it uses known, and a graph in which every state is
reachable, every open state has a way out and every claim can end."""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from workflow.errors import SpecError
from workflow.spec.objects import ENTERED, WorkflowSpec


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
    flag_values: Mapping[str, Collection[str]] = field(default_factory=dict)  # the values a flag can have
    outcomes: Collection[str] = ()


def check_spec(spec: WorkflowSpec, vocab: SpecVocabulary) -> None:
    """Refuse what would misbehave at run time; every message names the file and the culprit."""

    def fail(msg: str) -> SpecError:
        return SpecError(spec.source_file, msg)

    seen: set[tuple[str, str]] = set()
    for t in spec.transitions:
        if (t.source, t.trigger) in seen:
            raise fail(f"duplicate trigger '{t.trigger}' from state '{t.source}'")
        seen.add((t.source, t.trigger))
        # a closed file may still record what happens after (a recovery received): it is not left
        if spec.states[t.source].terminal and not t.internal:
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
            for whom in (letter.to, *letter.cc):
                if vocab.recipients and whom not in vocab.recipients:
                    raise fail(f"transition '{t.trigger}': unknown letter recipient '{whom}'")
            if letter.to in letter.cc:
                raise fail(f"transition '{t.trigger}': letter '{letter.template}' copies its own recipient")
        for role in (*t.roles, *t.notify):
            if role not in vocab.roles:
                raise fail(f"transition '{t.trigger}': unknown role '{role}'")
        names = [f.name for f in t.fields]
        for dup in sorted({n for n in names if names.count(n) > 1}):
            raise fail(f"transition '{t.trigger}': field '{dup}' is declared twice")
        for f in t.fields:
            if f.type == "user" and f.role not in vocab.roles:
                raise fail(f"transition '{t.trigger}': user field '{f.name}' names unknown role {f.role!r}")
        if t.outcome is not None and t.outcome not in vocab.outcomes:
            raise fail(f"transition '{t.trigger}': unknown outcome '{t.outcome}'")
        if spec.states[t.dest].terminal and not t.internal and t.outcome is None and vocab.outcomes:
            raise fail(f"transition '{t.trigger}' ends in '{t.dest}' without an outcome")
        if t.outcome is not None and (t.internal or not spec.states[t.dest].terminal):
            raise fail(f"transition '{t.trigger}' has an outcome but '{t.dest}' is not a terminal state")

    for state in spec.states.values():
        if state.reopens_to is not None:
            if not state.terminal:
                raise fail(f"state '{state.name}': reopens_to only on a terminal state")
            back = spec.states.get(state.reopens_to)
            if back is None or back.terminal:
                raise fail(f"state '{state.name}': reopens_to names no open state ('{state.reopens_to}')")

    triggers = spec.triggers()
    for state in spec.states.values():
        names = [d.name for d in state.deadlines]
        for dup in sorted({n for n in names if names.count(n) > 1}):
            raise fail(f"bad deadline: '{dup}' is declared twice in state '{state.name}'")
        for d in state.deadlines:
            where = f"bad deadline: '{d.name}' in state '{state.name}'"
            if d.base not in vocab.bases:
                raise fail(f"{where}: unknown base '{d.base}'")
            if not d.met_by:
                raise fail(f"{where}: no transition meets it ('met_by' is empty)")
            for trig in d.met_by:
                if trig not in triggers:
                    raise fail(f"{where}: met_by names unknown trigger '{trig}'")
            for key in ("restarted_by", "started_by", "stopped_by", "paused_by", "resumed_by"):
                for trig in getattr(d, key):
                    if trig not in triggers:
                        raise fail(f"{where}: {key} names unknown trigger '{trig}'")
            if d.paused_by and not d.resumed_by:
                raise fail(f"{where}: paused_by without resumed_by would pause it for good")
            if d.met_at is not None and not all(
                any(f.name == d.met_at and f.type == "datetime" for f in t.fields)
                for t in spec.transitions
                if t.trigger in d.met_by
            ):
                raise fail(f"{where}: met_at '{d.met_at}' is not a datetime field of every met_by trigger")
            if d.amount_from is not None and not all(
                any(f.name == d.amount_from and f.type == "integer" for f in t.fields)
                for t in spec.transitions
                if t.trigger in (*d.started_by, *d.restarted_by)
            ):
                raise fail(f"{where}: amount_from '{d.amount_from}' is not an integer field of its starters")
            if d.from_field is not None and not any(
                f.name == d.from_field and f.type == "date"
                for t in spec.transitions
                if t.trigger in d.restarted_by
                for f in t.fields
            ):
                raise fail(f"{where}: from_field '{d.from_field}' is no date field of a restarted_by trigger")
            if d.waiting is not None:
                try:
                    d.waiting.format(**{b: "" for b in vocab.bases})
                except (KeyError, IndexError, ValueError) as exc:
                    raise fail(
                        f"{where}: waiting names {exc} (it may name {', '.join(vocab.bases)})"
                    ) from None
            if d.responsible not in vocab.roles:
                raise fail(f"{where}: unknown role '{d.responsible}'")
            for flag, value in d.conditions:
                if flag not in vocab.flags:
                    raise fail(f"{where}: unknown flag '{flag}'")
                allowed = vocab.flag_values.get(flag)
                if value is not None and allowed is not None and value not in allowed:
                    raise fail(f"{where}: {flag} is never '{value}' (it is one of {', '.join(allowed)})")
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
