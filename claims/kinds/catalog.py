"""The claim kinds: every spec in kinds/workflows/ loaded and checked against what the domain offers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from claims.kinds.context import TransitionContext
from claims.kinds.effects import effects
from claims.kinds.guards import guards
from claims.kinds.lock import check_locked, read_lock
from claims.storage.models import Outcome, Role
from workflow.engine import Engine
from workflow.errors import SpecError
from workflow.guards import OPTIONAL, Contract
from workflow.spec import ENTERED, SpecVocabulary, TransitionSpec, WorkflowSpec, load_spec

# whom a spec's `letters:` may address; claims.letters.facts builds each one's facts
RECIPIENTS = ("insured", "claimant", "counsel", "broker", "expert", "handler", "manager")

SPEC_DIR = Path(__file__).parent / "workflows"
LETTER_DIR = Path(__file__).resolve().parents[2] / "templates" / "letters"
LETTER_SUFFIX = ".html.j2"

# Claim dates a deadline may count from; `entered` is the moment the state was entered.
DEADLINE_BASES = (ENTERED, "date_error", "date_known", "date_reported", "awareness_at")
# Claim fields a deadline's `when` may test: a flag, or a field with a value (data_role=controller).
FLAGS = ("personal_data", "data_role")


def letter_templates(directory: Path = LETTER_DIR) -> set[str]:
    # a name starting with '_' is a layout the letters extend, not a letter
    return {p.name.removesuffix(LETTER_SUFFIX) for p in directory.glob(f"[!_]*{LETTER_SUFFIX}")}


def vocabulary(templates: Iterable[str] | None = None) -> SpecVocabulary:
    return SpecVocabulary(
        guards=guards.names(),
        effects=effects.names(),
        templates=set(templates) if templates is not None else letter_templates(),
        recipients=RECIPIENTS,
        roles={r.value for r in Role},
        bases=DEADLINE_BASES,
        flags=FLAGS,
        flag_values={"data_role": ("controller", "processor")},
        outcomes={o.value for o in Outcome},
    )


@dataclass
class Catalog:
    """Specs by (kind, version) and the one engine that fires them."""

    specs: dict[tuple[str, int], WorkflowSpec]
    engine: Engine[TransitionContext] = field(default_factory=lambda: Engine(guards))

    def spec(self, kind: str, version: int | None = None) -> WorkflowSpec:
        if version is None:
            version = self.latest_version(kind)
        try:
            return self.specs[(kind, version)]
        except KeyError:
            raise KeyError(f"onbekende soort claim '{kind}' (versie {version})") from None

    def latest_version(self, kind: str) -> int:
        versions = [v for k, v in self.specs if k == kind]
        if not versions:
            raise KeyError(f"onbekende soort claim '{kind}'")
        return max(versions)

    def kinds(self) -> list[str]:
        return sorted({k for k, _ in self.specs})

    def latest(self) -> list[WorkflowSpec]:
        return [self.spec(k) for k in self.kinds()]

    def approval_states(self) -> set[str]:
        """The states, in any kind's current spec, where a proposal waits for approval (`role: approval`)."""
        return {
            name for spec in self.latest() for name, state in spec.states.items() if state.role == "approval"
        }

    def state_label(self, kind: str, state: str, version: int | None = None) -> str:
        """The Dutch label of `state` in the kind's spec `version` (default the latest); a state that
        version lacks (one renamed by a migration, named in the claim's older events) is labelled as the
        newest version that had it calls it; an unknown name is shown as it is."""
        preferred = version if version is not None else None
        versions = sorted((v for k, v in self.specs if k == kind), reverse=True)
        if preferred in versions:
            versions.remove(preferred)
            versions.insert(0, preferred)
        for v in versions:
            found = self.specs[(kind, v)].states.get(state)
            if found is not None:
                return found.label
        return state

    def trigger_labels(self, kind: str, version: int) -> dict[str, str]:
        """Every trigger of the kind with its label as `version` has it; a trigger only older versions
        have (in the events of a migrated claim) keeps the newest label it had."""
        labels: dict[str, str] = {}
        for v in sorted(v for k, v in self.specs if k == kind and v != version):
            labels |= {t.trigger: t.label for t in self.specs[(kind, v)].transitions}
        spec = self.specs.get((kind, version))
        if spec is not None:
            labels |= {t.trigger: t.label for t in spec.transitions}
        return labels

    def state_labels(self) -> dict[str, str]:
        """Every state a claim can be in, with its Dutch label, in workflow order (first seen): those of the
        current specs first, then those only an older version has (a version 2 claim waiting for
        approval is still found by its state)."""
        labels: dict[str, str] = {}
        older = sorted(self.specs.values(), key=lambda s: -s.version)
        for spec in [*self.latest(), *older]:
            for name, state in spec.states.items():
                labels.setdefault(name, state.label)
        return labels


def load_catalog(
    directory: Path = SPEC_DIR,
    vocab: SpecVocabulary | None = None,
    letters: Mapping[str, Contract] | None = None,
) -> Catalog:
    """Load every spec file (files starting with '_' are shared bases, not kinds); a version whose
    fingerprint differs from its lock (claims.kinds.lock) is refused. `letters`: what each letter
    template needs (claims.letters.facts.LETTER_NEEDS), checked against every transition sending it."""
    vocab = vocab or vocabulary()
    specs: dict[tuple[str, int], WorkflowSpec] = {}
    for path in sorted(directory.glob("*.yaml")):
        if path.name.startswith("_"):
            continue
        spec = load_kind(path, vocab, letters)
        if spec.key in specs:
            raise SpecError(str(path), f"kind '{spec.kind}' version {spec.version} is defined twice")
        specs[spec.key] = spec
    if not specs:
        raise SpecError(str(directory), "no workflow specs found")
    check_locked(specs.values(), read_lock(directory))
    check_migrations(specs)
    catalog = Catalog(specs)
    for spec in specs.values():
        catalog.engine.machine(spec)  # build every machine once, at start-up
    return catalog


def check_migrations(specs: Mapping[tuple[str, int], WorkflowSpec]) -> None:
    """SpecError for a `migrates_from` that renames a state its older version does not have (the new
    state is checked with the spec itself). A version no longer loaded has no claims left to migrate, so
    its map is not checked: removing that old file must not force a change, and so a new fingerprint, on
    the version that superseded it."""
    for spec in specs.values():
        for old_version, renamed in spec.migrates_from.items():
            old = specs.get((spec.kind, old_version))
            if old is None:
                continue
            for state in renamed:
                if state not in old.states:
                    raise SpecError(
                        spec.source_file,
                        f"migrates_from {old_version}: unknown state '{state}' in version {old_version} "
                        f"({old.source_file})",
                    )


def load_kind(
    path: Path, vocab: SpecVocabulary, letters: Mapping[str, Contract] | None = None
) -> WorkflowSpec:
    """One spec file, loaded and checked, its contracts included (check_contracts)."""
    spec = load_spec(path, vocab)
    check_contracts(spec, letters or {})
    return spec


# A declared type and the field types that satisfy it: code reading a text reads a textarea alike.
COMPATIBLE_TYPES: Mapping[str, frozenset[str]] = {"text": frozenset({"text", "textarea"})}


def check_contracts(spec: WorkflowSpec, letters: Mapping[str, Contract]) -> None:
    """SpecError for a transition that lacks what one of its guards, effects or letters declares it
    reads (claims.kinds.guards, claims.kinds.effects, `letters`): the input fields with a fitting
    type, the deadlines, the role; the guards an effect relies on; the facts a letter needs from the
    transition's effects. The message names the file, the transition and the missing name."""
    deadlines = {d.name for state in spec.states.values() for d in state.deadlines}
    for t in spec.transitions:
        needs = [(f"guard '{g}'", guards.contract(g)) for g in t.guards]
        needs += [(f"effect '{e}'", effects.contract(e)) for e in t.effects]
        for who, contract in needs:
            _check_contract(spec, t, who, contract, deadlines, "which the spec does not declare")
        for e in t.effects:
            for g in effects.contract(e).guards:
                if g not in t.guards:
                    raise SpecError(
                        spec.source_file,
                        f"transition '{t.trigger}' from '{t.source}': effect '{e}' relies on guard "
                        f"'{g}', which the transition does not list in its guards",
                    )
        supplied = {fact for e in t.effects for fact in effects.contract(e).supplies}
        # a letter reads the deadlines the claim has once the transition is done: those of the state
        # it enters, and those that run for the whole claim
        running = {d.name for d in spec.states[t.dest].deadlines} | {
            d.name for state in spec.states.values() for d in state.deadlines if d.scope == "claim"
        }
        for letter in t.letters:
            facts = letters.get(letter.template)
            if facts is not None:
                who = f"letter '{letter.template}'"
                _check_contract(
                    spec, t, who, facts, running, "which does not run once the transition is done"
                )
                for fact in facts.facts:
                    if fact not in supplied:
                        raise SpecError(
                            spec.source_file,
                            f"transition '{t.trigger}' from '{t.source}': {who} needs fact '{fact}', "
                            "which none of the transition's effects supplies",
                        )


def _check_contract(
    spec: WorkflowSpec,
    t: TransitionSpec,
    who: str,
    contract: Contract,
    deadlines: set[str],
    no_deadline: str,
) -> None:
    def fail(problem: str) -> SpecError:
        return SpecError(spec.source_file, f"transition '{t.trigger}' from '{t.source}': {who} {problem}")

    fields = {f.name: f for f in t.fields}
    for name, wanted in contract.required_inputs().items():
        got = fields.get(name)
        if got is None:
            raise fail(f"reads input '{name}' ({wanted}), which the transition has no field for")
        if not got.required:
            raise fail(f"reads input '{name}' ({wanted}), which the transition leaves optional")
    for name, wanted in contract.inputs.items():
        got = fields.get(name)
        wanted = wanted.removesuffix(OPTIONAL)
        if got is not None and got.type not in COMPATIBLE_TYPES.get(wanted, frozenset({wanted})):
            raise fail(f"reads input '{name}' as {wanted}, but the transition's field is {got.type}")
    for name in contract.deadlines:
        if name not in deadlines:
            raise fail(f"names deadline '{name}', {no_deadline}")
    if contract.role is not None and contract.role not in t.roles:
        raise fail(f"requires role '{contract.role}', which may not fire the transition")
