"""The engine: one cached Machine per (kind, version), guards run in order, nothing grows per fire; what
an actor may do now, and why not."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from claims.kinds.catalog import load_catalog
from workflow.engine import Available, Engine, InputsNotTyped, UntypedInputs, available
from workflow.errors import Forbidden, TransitionNotAllowed
from workflow.guards import GuardRegistry
from workflow.spec import FieldSpec, SpecVocabulary, TransitionSpec, WorkflowSpec, parse_spec


@dataclass
class Ctx:
    """What the test guards see; they log every call here."""

    name: str = "ctx"
    calls: list[str] = field(default_factory=list)


REFUSAL = "Nee: er ontbreekt een rapport."


def make_guards() -> GuardRegistry[Ctx]:
    registry: GuardRegistry[Ctx] = GuardRegistry()

    @registry.register("ok")
    def ok(ctx: Ctx) -> str | None:
        ctx.calls.append("ok")
        return None

    @registry.register("deny")
    def deny(ctx: Ctx) -> str | None:
        ctx.calls.append("deny")
        return REFUSAL

    @registry.register("after")
    def after(ctx: Ctx) -> str | None:
        ctx.calls.append("after")
        return None

    return registry


RAW: dict[str, Any] = {
    "kind": "tiny",
    "version": 1,
    "initial": "open",
    "states": {
        "open": {"label": "Open"},
        "busy": {"label": "Bezig"},
        "done": {"label": "Klaar", "terminal": True},
    },
    "transitions": [
        {
            "trigger": "start",
            "from": "open",
            "to": "busy",
            "label": "Beginnen",
            "roles": ["handler"],
            "guards": ["ok"],
            "fields": [
                {"name": "amount", "type": "money", "label": "Bedrag"},
                {"name": "why", "type": "textarea", "label": "Waarom", "required": False},
            ],
        },
        {
            "trigger": "pause",
            "from": "busy",
            "to": "open",
            "label": "Pauzeren",
            "roles": ["handler", "manager"],
        },
        {
            "trigger": "note",
            "from": "busy",
            "to": "same",
            "label": "Notitie",
            "roles": ["expert"],
            "guards": ["ok"],
        },
        {
            "trigger": "close",
            "from": "busy",
            "to": "done",
            "label": "Sluiten",
            "roles": ["manager"],
            "guards": ["ok", "deny", "after"],
        },
        {"trigger": "finish", "from": "busy", "to": "done", "label": "Afronden", "roles": ["manager"]},
    ],
}


def make_spec(version: int = 1) -> WorkflowSpec:
    vocab = SpecVocabulary(guards=make_guards().names(), roles={"handler", "manager", "expert"})
    return parse_spec({**RAW, "version": version}, vocab, source="tiny.yaml")


@pytest.fixture
def spec() -> WorkflowSpec:
    return make_spec()


@pytest.fixture
def engine() -> Engine[Ctx]:
    return Engine(make_guards())


def test_fire_returns_the_transition_taken(engine: Engine[Ctx], spec: WorkflowSpec) -> None:
    ctx = Ctx()
    t = engine.fire(spec, "open", "start", ctx)
    assert t is spec.transition("open", "start")
    assert (t.trigger, t.source, t.dest) == ("start", "open", "busy")
    assert ctx.calls == ["ok"]


def test_machine_is_built_once_and_reused(engine: Engine[Ctx], spec: WorkflowSpec) -> None:
    assert engine.builds == 0
    first = engine.machine(spec)
    assert engine.builds == 1
    ctx = Ctx()
    state = "open"
    for _ in range(50):
        state = engine.fire(spec, state, "start", ctx).dest
        assert state == "busy"
        assert engine.fire(spec, state, "note", ctx).dest == "busy"
        state = engine.fire(spec, state, "pause", ctx).dest
        assert state == "open"
    assert engine.fire(spec, "busy", "finish", ctx).dest == "done"
    assert engine.builds == 1
    assert engine.machine(spec) is first
    assert engine.builds == 1
    assert ctx.calls == ["ok"] * 100


def test_first_fire_builds_the_machine(engine: Engine[Ctx], spec: WorkflowSpec) -> None:
    engine.fire(spec, "busy", "finish", Ctx())
    assert engine.builds == 1
    machine = engine.machine(spec)
    engine.fire(spec, "busy", "finish", Ctx())
    assert engine.machine(spec) is machine
    assert engine.builds == 1


def test_an_equal_spec_object_reuses_the_cached_machine(engine: Engine[Ctx], spec: WorkflowSpec) -> None:
    machine = engine.machine(spec)
    again = make_spec()
    assert again is not spec
    assert engine.machine(again) is machine
    assert engine.builds == 1


def test_another_version_gets_its_own_machine(engine: Engine[Ctx], spec: WorkflowSpec) -> None:
    v1 = engine.machine(spec)
    v2 = engine.machine(make_spec(version=2))
    assert v2 is not v1
    assert engine.builds == 2
    assert engine.machine(spec) is v1
    assert engine.builds == 2


def test_machine_has_no_auto_transitions(engine: Engine[Ctx], spec: WorkflowSpec) -> None:
    machine = engine.machine(spec)
    assert set(machine.events) == {"start", "pause", "note", "close", "finish"}
    assert not any(name.startswith("to_") for name in machine.events)
    assert not hasattr(machine, "to_open")
    assert machine.auto_transitions is False


@pytest.mark.parametrize(
    ("state", "trigger"),
    [("open", "finish"), ("open", "note"), ("busy", "start"), ("done", "pause"), ("open", "fly")],
)
def test_trigger_not_available_from_state_is_refused(
    engine: Engine[Ctx], spec: WorkflowSpec, state: str, trigger: str
) -> None:
    ctx = Ctx()
    with pytest.raises(TransitionNotAllowed) as exc:
        engine.fire(spec, state, trigger, ctx)
    assert exc.value.guard is None
    label = spec.states[state].label
    assert str(exc.value) == f"'{trigger}' is niet mogelijk in de fase '{label}'"
    assert ctx.calls == []


def test_refusing_guard_gives_its_reason_and_name_and_stops_the_chain(
    engine: Engine[Ctx], spec: WorkflowSpec
) -> None:
    ctx = Ctx()
    with pytest.raises(TransitionNotAllowed) as exc:
        engine.fire(spec, "busy", "close", ctx)
    assert str(exc.value) == REFUSAL
    assert exc.value.guard == "deny"
    assert ctx.calls == ["ok", "deny"]  # 'after' never ran


def test_refusal_leaves_no_trace_on_the_next_attempt(engine: Engine[Ctx], spec: WorkflowSpec) -> None:
    with pytest.raises(TransitionNotAllowed):
        engine.fire(spec, "busy", "close", Ctx())
    ctx = Ctx()
    t = engine.fire(spec, "busy", "finish", ctx)  # same source, no guards: passes
    assert t.dest == "done"
    assert ctx.calls == []


def test_guards_see_the_context_passed_to_fire(engine: Engine[Ctx], spec: WorkflowSpec) -> None:
    first, second = Ctx("first"), Ctx("second")
    engine.fire(spec, "open", "start", first)
    engine.fire(spec, "busy", "note", second)
    with pytest.raises(TransitionNotAllowed):
        engine.fire(spec, "busy", "close", second)
    assert first.calls == ["ok"]
    assert second.calls == ["ok", "ok", "deny"]


def test_internal_transition_keeps_the_state(engine: Engine[Ctx], spec: WorkflowSpec) -> None:
    ctx = Ctx()
    t = engine.fire(spec, "busy", "note", ctx)
    assert t.internal is True
    assert (t.source, t.dest) == ("busy", "busy")
    assert ctx.calls == ["ok"]


def test_available_lists_only_what_the_role_may_fire(spec: WorkflowSpec) -> None:
    def triggers(state: str, role: str) -> list[str]:
        return [a.trigger for a in available(spec, state, role)]

    assert triggers("open", "handler") == ["start"]
    assert triggers("open", "manager") == []
    assert triggers("busy", "handler") == ["pause"]
    assert triggers("busy", "manager") == ["pause", "close", "finish"]
    assert triggers("busy", "expert") == ["note"]
    assert triggers("busy", "admin") == []
    assert triggers("done", "manager") == []


def test_available_carries_the_fields(spec: WorkflowSpec) -> None:
    (start,) = available(spec, "open", "handler")
    assert isinstance(start, Available)
    assert start.fields == (
        FieldSpec(name="amount", type="money", label="Bedrag"),
        FieldSpec(name="why", type="textarea", label="Waarom", required=False),
    )
    assert start.as_dict() == {
        "trigger": "start",
        "label": "Beginnen",
        "to": "busy",
        "to_label": "Bezig",
        "fields": [
            {"name": "amount", "type": "money", "label": "Bedrag", "required": True},
            {"name": "why", "type": "textarea", "label": "Waarom", "required": False},
        ],
        "refused": None,
        "checked_on_submit": [],
    }
    (note,) = available(spec, "busy", "expert")
    assert note.as_dict() == {
        "trigger": "note",
        "label": "Notitie",
        "to": "busy",
        "to_label": "Bezig",
        "fields": [],
        "refused": None,
        "checked_on_submit": [],
    }


def test_a_hundred_thousand_fires_do_not_grow_the_machines(engine: Engine[Ctx], spec: WorkflowSpec) -> None:
    machine = engine.machine(spec)
    ctx = Ctx()
    state = "open"
    sequence = {"open": "start", "busy": "pause"}
    for _ in range(100_000):
        state = engine.fire(spec, state, sequence[state], ctx).dest
    assert state == "open"  # an even number of fires ends where it began
    assert len(ctx.calls) == 50_000  # 'start' runs guard 'ok'; 'pause' has none
    assert engine.builds == 1
    assert engine.cached() == [("tiny", 1)]
    assert engine.machine(spec) is machine
    assert machine.models == []  # the throwaway cursors were never registered with the machine


# --- the real catalog --------------------------------------------------------------------------------


def test_catalog_builds_one_machine_per_spec_and_no_more() -> None:
    catalog = load_catalog()
    n = len(catalog.specs)
    assert n == len(catalog.specs) == 20  # four kinds in five versions
    assert catalog.engine.builds == n
    machines = {key: catalog.engine.machine(spec) for key, spec in catalog.specs.items()}
    assert catalog.engine.builds == n

    no_context: Any = None  # these transitions have no guards, so nothing reads the context
    refused = 0
    for spec in catalog.specs.values():
        for _ in range(25):
            fire = catalog.engine.fire
            assert fire(spec, "melding", "start_coverage_check", no_context).dest == "dekkingsonderzoek"
            assert fire(spec, "regeling", "adjust_reserve", no_context).dest == "regeling"
            assert fire(spec, "geschil", "withdraw", no_context).dest == "gesloten"
            no_report: Any = SimpleNamespace(case_data={})
            with pytest.raises(TransitionNotAllowed) as exc:
                catalog.engine.fire(spec, "expertise", "to_settlement", no_report)
            assert exc.value.guard == "expert_report_present"
            assert str(exc.value) == "Er is nog geen expertiserapport."
            refused += 1
    assert refused == n * 25
    assert catalog.engine.builds == n
    for key, spec in catalog.specs.items():
        assert catalog.engine.machine(spec) is machines[key]
    assert catalog.engine.builds == n


# --- one lookup: the machine finds the transition, prepare builds the context --------------------------


def test_attempt_hands_prepare_the_transition_the_machine_found(
    engine: Engine[Ctx], spec: WorkflowSpec
) -> None:
    seen: list[TransitionSpec] = []
    built = Ctx("built")

    def prepare(t: TransitionSpec) -> Ctx:
        seen.append(t)
        return built

    fired = engine.attempt(spec, "busy", "note", prepare)
    assert seen == [spec.transition("busy", "note")]
    assert fired.transition is seen[0] and fired.context is built
    assert built.calls == ["ok"]  # the guards ran on what prepare built


def test_prepare_runs_before_the_guards_and_may_refuse(engine: Engine[Ctx], spec: WorkflowSpec) -> None:
    ctx = Ctx()

    def prepare(t: TransitionSpec) -> Ctx:
        raise Forbidden(f"niet voor u: {t.label}")

    with pytest.raises(Forbidden, match="niet voor u: Sluiten"):
        engine.attempt(spec, "busy", "close", prepare)
    assert ctx.calls == []


def test_a_trigger_not_leaving_the_state_never_reaches_prepare(
    engine: Engine[Ctx], spec: WorkflowSpec
) -> None:
    def prepare(t: TransitionSpec) -> Ctx:
        raise AssertionError("prepare must not run")

    for state, trigger in [("open", "close"), ("open", "fly")]:
        with pytest.raises(TransitionNotAllowed, match="niet mogelijk in de fase 'Open'"):
            engine.attempt(spec, state, trigger, prepare)


# --- what can I do now, and why not --------------------------------------------------------------------

ANSWER_RAW: dict[str, Any] = {
    "kind": "ask",
    "version": 1,
    "initial": "open",
    "states": {"open": {"label": "Open"}, "done": {"label": "Klaar", "terminal": True}},
    "transitions": [
        {
            "trigger": "plain",
            "from": "open",
            "to": "same",
            "label": "Zonder voorwaarden",
            "roles": ["handler"],
        },
        {
            "trigger": "passes",
            "from": "open",
            "to": "same",
            "label": "Mag",
            "roles": ["handler"],
            "guards": ["ok"],
        },
        {
            "trigger": "refused",
            "from": "open",
            "to": "done",
            "label": "Mag niet",
            "roles": ["handler"],
            "guards": ["ok", "deny", "after"],
        },
        {
            "trigger": "typed",
            "from": "open",
            "to": "same",
            "label": "Hangt af van het bedrag",
            "roles": ["handler"],
            "guards": ["small_amount", "ok"],
            "fields": [{"name": "amount", "type": "money", "label": "Bedrag"}],
        },
        {
            "trigger": "typed_then_refused",
            "from": "open",
            "to": "done",
            "label": "Bedrag, dan nee",
            "roles": ["handler"],
            "guards": ["small_amount", "deny"],
            "fields": [{"name": "amount", "type": "money", "label": "Bedrag"}],
        },
        {"trigger": "boss", "from": "open", "to": "done", "label": "Alleen manager", "roles": ["manager"]},
    ],
}


@dataclass
class Typed(Ctx):
    inputs: dict[str, Any] = field(default_factory=dict)


def answer_guards() -> GuardRegistry[Ctx]:
    registry = make_guards()

    @registry.register("small_amount")
    def small_amount(ctx: Ctx) -> str | None:
        assert isinstance(ctx, Typed)
        ctx.calls.append("small_amount")
        return None if ctx.inputs["amount"] < 100 else "Te groot bedrag."

    return registry


@pytest.fixture
def asking() -> tuple[Engine[Ctx], WorkflowSpec]:
    registry = answer_guards()
    vocab = SpecVocabulary(guards=registry.names(), roles={"handler", "manager"})
    return Engine(registry), parse_spec(ANSWER_RAW, vocab, source="ask.yaml")


def test_available_says_what_the_guards_would_refuse_now(asking: tuple[Engine[Ctx], WorkflowSpec]) -> None:
    engine, spec = asking
    contexts: list[Typed] = []

    def now(t: TransitionSpec) -> Ctx:
        contexts.append(Typed(t.trigger, inputs=UntypedInputs()))
        return contexts[-1]

    answer = {a.trigger: a for a in engine.available(spec, "open", "handler", now)}
    assert list(answer) == ["plain", "passes", "refused", "typed", "typed_then_refused"]  # not 'boss'
    assert (answer["plain"].refusal, answer["plain"].unchecked) == (None, ())
    assert (answer["passes"].refusal, answer["passes"].unchecked) == (None, ())
    refused = answer["refused"]
    assert (refused.refusal, refused.refused_by, refused.refused) == (REFUSAL, "deny", True)
    assert refused.as_dict()["refused"] == REFUSAL
    # a guard that reads an input nobody typed yet is left for the submit; the later ones still run
    typed = answer["typed"]
    assert (typed.refusal, typed.unchecked) == (None, ("small_amount",))
    assert typed.as_dict()["checked_on_submit"] == ["small_amount"]
    assert answer["typed_then_refused"].refusal == REFUSAL
    assert answer["typed_then_refused"].unchecked == ("small_amount",)
    assert {c.name: c.calls for c in contexts} == {
        "passes": ["ok"],
        "refused": ["ok", "deny"],
        "typed": ["small_amount", "ok"],
        "typed_then_refused": ["small_amount", "deny"],
    }  # one context per guarded transition, none for 'plain'


def test_the_answer_gives_the_reason_firing_gives(asking: tuple[Engine[Ctx], WorkflowSpec]) -> None:
    engine, spec = asking
    (refused,) = [
        a
        for a in engine.available(spec, "open", "handler", lambda t: Typed(inputs=UntypedInputs()))
        if a.trigger == "refused"
    ]
    with pytest.raises(TransitionNotAllowed) as exc:
        engine.fire(spec, "open", "refused", Ctx())
    assert (str(exc.value), exc.value.guard) == (refused.refusal, refused.refused_by)


def test_firing_with_untyped_inputs_is_an_error_not_a_pass(asking: tuple[Engine[Ctx], WorkflowSpec]) -> None:
    engine, spec = asking
    with pytest.raises(InputsNotTyped):
        engine.fire(spec, "open", "typed", Typed(inputs=UntypedInputs()))
    with pytest.raises(TransitionNotAllowed, match="Te groot bedrag"):
        engine.fire(spec, "open", "typed", Typed(inputs={"amount": 500}))
    assert engine.fire(spec, "open", "typed", Typed(inputs={"amount": 5})).trigger == "typed"


def test_untyped_inputs_refuse_every_read() -> None:
    untyped = UntypedInputs()
    reads = [
        lambda: untyped["amount"],
        lambda: untyped.get("amount", 0),
        lambda: "amount" in untyped,
        lambda: list(untyped),
        lambda: len(untyped),
        lambda: dict(untyped),
        lambda: {**untyped},
        lambda: list(untyped.items()),
    ]
    for read in reads:
        with pytest.raises(InputsNotTyped):
            read()


def test_the_answer_moves_no_claim_and_builds_no_machine(asking: tuple[Engine[Ctx], WorkflowSpec]) -> None:
    engine, spec = asking
    machine = engine.machine(spec)
    for _ in range(100):
        engine.available(spec, "open", "handler", lambda t: Typed(inputs=UntypedInputs()))
    assert engine.builds == 1 and engine.machine(spec) is machine and machine.models == []
