"""Workflow specs: what loads, what is refused (naming the file and the culprit), `extends`, and the
real claim kinds in claims/kinds/workflows/."""

from __future__ import annotations

import copy
import shutil
from collections import deque
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from claims.kinds.catalog import SPEC_DIR, Catalog, load_catalog
from workflow.engine import available
from workflow.errors import SpecError
from workflow.spec import (
    PARAGRAPH_FIELD,
    DeadlineSpec,
    FieldSpec,
    LetterSpec,
    SpecVocabulary,
    TransitionSpec,
    WorkflowSpec,
    json_schema,
    load_spec,
    parse_spec,
)
from workflow.spec.model import SpecFile

SOURCE = "demo.yaml"

VOCAB = SpecVocabulary(
    guards={"has_report", "small_claim"},
    effects={"pay", "note_down"},
    templates={"welcome", "payment"},
    recipients={"insured", "expert"},
    roles={"handler", "manager", "expert"},
    bases={"entered", "awareness_at"},
    flags={"personal_data"},
    outcomes={"settled", "withdrawn"},
)

# A vocabulary without outcomes: a transition into a terminal state then needs none.
VOCAB_NO_OUTCOMES = SpecVocabulary(
    guards=VOCAB.guards,
    effects=VOCAB.effects,
    templates=VOCAB.templates,
    roles=VOCAB.roles,
    bases=VOCAB.bases,
    flags=VOCAB.flags,
)

_GOOD: dict[str, Any] = {
    "kind": "demo",
    "version": 3,
    "label": "Demo",
    "initial": "open",
    "states": {
        "open": {"label": "Open"},
        "busy": {
            "label": "Bezig",
            "deadlines": [
                {
                    "name": "respond",
                    "label": "Reageren",
                    "amount": 5,
                    "unit": "working_days",
                    "met_by": ["finish"],
                },
                {
                    "name": "report_breach",
                    "amount": 72,
                    "unit": "hours",
                    "base": "awareness_at",
                    "when": "personal_data",
                    "responsible": "manager",
                    "scope": "claim",
                    "met_by": "note",
                },
            ],
        },
        "done": {"label": "Klaar", "terminal": True},
    },
    "transitions": [
        {
            "trigger": "start",
            "from": "open",
            "to": "busy",
            "label": "Beginnen",
            "roles": ["handler"],
            "guards": ["has_report"],
            "letters": ["welcome"],
            "notify": ["manager"],
            "effects": ["note_down"],
            "fields": [
                {"name": "amount", "type": "money", "label": "Bedrag"},
                {"name": "why", "type": "textarea", "label": "Waarom", "required": False},
                {
                    "name": "kind",
                    "type": "choice",
                    "label": "Soort",
                    "choices": {"a": "Eerste", "b": "Tweede"},
                },
                {"name": "expert", "type": "user", "role": "expert", "label": "Expert"},
            ],
        },
        {"trigger": "note", "from": "busy", "to": "same", "roles": ["expert"]},
        {
            "trigger": "finish",
            "from": "busy",
            "to": "done",
            "roles": ["handler", "manager"],
            "letters": ["payment"],
            "effects": ["pay"],
            "outcome": "settled",
        },
    ],
}


def good() -> dict[str, Any]:
    """A fresh copy of a spec that loads; each refusal test breaks one thing in it."""
    return copy.deepcopy(_GOOD)


def transition(raw: dict[str, Any], trigger: str) -> dict[str, Any]:
    return next(t for t in raw["transitions"] if t["trigger"] == trigger)


def deadline(raw: dict[str, Any], name: str) -> dict[str, Any]:
    return next(d for d in raw["states"]["busy"]["deadlines"] if d["name"] == name)


def refused(raw: object, *culprits: str, vocab: SpecVocabulary = VOCAB) -> str:
    """Assert parse_spec refuses `raw` with a SpecError naming the file and every culprit."""
    with pytest.raises(SpecError) as exc:
        parse_spec(raw, vocab, source=SOURCE)
    msg = str(exc.value)
    assert exc.value.source == SOURCE
    assert msg.startswith(f"{SOURCE}: ")
    for culprit in culprits:
        assert culprit in msg, f"{culprit!r} not in {msg!r}"
    return msg


# --- a good spec ------------------------------------------------------------------------------------


def test_good_spec_loads_with_states_transitions_and_typed_fields() -> None:
    spec = parse_spec(good(), VOCAB, source=SOURCE)
    assert isinstance(spec, WorkflowSpec)
    assert spec.key == ("demo", 3)
    assert spec.label == "Demo"
    assert spec.initial == "open"
    assert spec.source_file == SOURCE
    assert list(spec.states) == ["open", "busy", "done"]
    assert spec.states["busy"].label == "Bezig"
    assert [s.name for s in spec.states.values() if s.terminal] == ["done"]
    assert spec.is_terminal("done") is True
    assert spec.is_terminal("open") is False
    assert [(t.trigger, t.source, t.dest) for t in spec.transitions] == [
        ("start", "open", "busy"),
        ("note", "busy", "busy"),
        ("finish", "busy", "done"),
    ]
    assert spec.triggers() == {"start", "note", "finish"}

    start = spec.transition("open", "start")
    assert isinstance(start, TransitionSpec)
    assert start.label == "Beginnen"
    assert start.roles == ("handler",)
    assert start.guards == ("has_report",)
    assert start.letters == (LetterSpec("welcome", to="insured", paragraph=False),)
    assert start.notify == ("manager",)
    assert start.effects == ("note_down",)
    assert start.outcome is None
    assert start.internal is False
    assert all(isinstance(f, FieldSpec) for f in start.fields)
    assert start.fields == (
        FieldSpec(name="amount", type="money", label="Bedrag", required=True),
        FieldSpec(name="why", type="textarea", label="Waarom", required=False),
        FieldSpec(name="kind", type="choice", label="Soort", choices=(("a", "Eerste"), ("b", "Tweede"))),
        FieldSpec(name="expert", type="user", label="Expert", role="expert"),
    )

    finish = spec.transition("busy", "finish")
    assert finish is not None
    assert finish.outcome == "settled"
    assert finish.label == "finish"  # the trigger when no label is given
    assert spec.transition("open", "finish") is None
    assert [t.trigger for t in spec.transitions_from("busy")] == ["note", "finish"]
    assert spec.transitions_from("done") == ()


def test_good_spec_deadlines_are_typed() -> None:
    spec = parse_spec(good(), VOCAB, source=SOURCE)
    respond, breach = spec.states["busy"].deadlines
    assert respond == DeadlineSpec(
        name="respond", label="Reageren", amount=5, unit="working_days", met_by=("finish",)
    )
    assert respond.base == "entered"
    assert respond.responsible == "handler"
    assert breach.amount == 72
    assert breach.unit == "hours"
    assert breach.base == "awareness_at"
    assert breach.when == "personal_data"
    assert breach.responsible == "manager"
    assert breach.scope == "claim"
    assert breach.met_by == ("note",)  # a single name is read as a list of one


def test_any_open_state_expands_to_every_non_terminal_state_but_the_destination() -> None:
    raw = good()
    raw["states"]["review"] = {"label": "Beoordeling"}
    raw["transitions"] += [
        {"trigger": "withdraw", "from": "*", "to": "done", "roles": ["handler"], "outcome": "withdrawn"},
        {"trigger": "escalate", "from": "*", "to": "review", "roles": ["manager"]},
        {"trigger": "back", "from": "review", "to": "busy", "roles": ["manager"]},
    ]
    spec = parse_spec(raw, VOCAB, source=SOURCE)
    withdraws = [t for t in spec.transitions if t.trigger == "withdraw"]
    assert [t.source for t in withdraws] == ["open", "busy", "review"]
    assert {t.dest for t in withdraws} == {"done"}
    assert all(t.outcome == "withdrawn" for t in withdraws)
    escalations = [t for t in spec.transitions if t.trigger == "escalate"]
    assert [t.source for t in escalations] == ["open", "busy"]  # not from review itself, nor from done
    assert spec.transition("review", "escalate") is None
    assert spec.transition("done", "withdraw") is None


def test_to_same_gives_an_internal_transition_from_each_source() -> None:
    raw = good()
    raw["transitions"].append(
        {"trigger": "comment", "from": ["open", "busy"], "to": "same", "roles": ["handler"]}
    )
    spec = parse_spec(raw, VOCAB, source=SOURCE)
    note = spec.transition("busy", "note")
    assert note is not None
    assert note.dest == "busy"
    assert note.internal is True
    comments = [t for t in spec.transitions if t.trigger == "comment"]
    assert [(t.source, t.dest, t.internal) for t in comments] == [
        ("open", "open", True),
        ("busy", "busy", True),
    ]
    start = spec.transition("open", "start")
    assert start is not None
    assert start.internal is False


def test_any_open_state_with_to_same_is_internal_everywhere_open() -> None:
    raw = good()
    raw["transitions"].append({"trigger": "annotate", "from": "*", "to": "same", "roles": ["handler"]})
    spec = parse_spec(raw, VOCAB, source=SOURCE)
    annotations = [t for t in spec.transitions if t.trigger == "annotate"]
    assert [(t.source, t.dest) for t in annotations] == [("open", "open"), ("busy", "busy")]
    assert all(t.internal for t in annotations)


def test_terminal_transition_needs_no_outcome_when_the_vocabulary_has_none() -> None:
    raw = good()
    del transition(raw, "finish")["outcome"]
    spec = parse_spec(raw, VOCAB_NO_OUTCOMES, source=SOURCE)
    finish = spec.transition("busy", "finish")
    assert finish is not None
    assert finish.outcome is None


# --- refusals: states --------------------------------------------------------------------------------


def test_unknown_state_in_from_is_refused() -> None:
    raw = good()
    transition(raw, "finish")["from"] = ["busy", "nowhere"]
    refused(raw, "'nowhere'", "unknown state", "'finish'")


def test_unknown_state_in_to_is_refused() -> None:
    raw = good()
    transition(raw, "start")["to"] = "elsewhere"
    refused(raw, "'elsewhere'", "unknown state", "'start'")


def test_unknown_initial_state_is_refused() -> None:
    raw = good()
    raw["initial"] = "beginning"
    refused(raw, "'beginning'", "unknown state", "initial")


def test_from_same_is_refused_as_an_unknown_state() -> None:
    raw = good()
    raw["transitions"].append({"trigger": "odd", "from": "same", "to": "busy", "roles": ["handler"]})
    refused(raw, "'same'", "'odd'")


def test_unreachable_state_is_refused() -> None:
    raw = good()
    raw["states"]["orphan"] = {"label": "Wees"}
    raw["transitions"].append(
        {"trigger": "leave", "from": "orphan", "to": "done", "roles": ["handler"], "outcome": "settled"}
    )
    refused(raw, "unreachable state 'orphan'")


def test_non_terminal_state_without_transitions_is_refused() -> None:
    raw = good()
    raw["states"]["stuck"] = {"label": "Vast"}
    raw["transitions"].append({"trigger": "park", "from": "busy", "to": "stuck", "roles": ["handler"]})
    refused(raw, "non-terminal state 'stuck' has no way out")


def test_internal_transition_is_not_a_way_out() -> None:
    raw = good()
    raw["states"]["stuck"] = {"label": "Vast"}
    raw["transitions"] += [
        {"trigger": "park", "from": "busy", "to": "stuck", "roles": ["handler"]},
        {"trigger": "wait", "from": "stuck", "to": "same", "roles": ["handler"]},
    ]
    refused(raw, "non-terminal state 'stuck' has no way out")


def test_explicit_self_loop_is_not_a_way_out_either() -> None:
    raw = good()
    raw["states"]["stuck"] = {"label": "Vast"}
    raw["transitions"] += [
        {"trigger": "park", "from": "busy", "to": "stuck", "roles": ["handler"]},
        {"trigger": "wait", "from": "stuck", "to": "stuck", "roles": ["handler"]},
    ]
    refused(raw, "non-terminal state 'stuck' has no way out")


def test_terminal_state_with_an_exit_is_refused() -> None:
    raw = good()
    raw["transitions"].append({"trigger": "reopen", "from": "done", "to": "busy", "roles": ["manager"]})
    refused(raw, "terminal state 'done'", "'reopen'")


def test_terminal_state_with_an_internal_transition_is_allowed_but_not_an_exit() -> None:
    # a closed file may still record what happens after it (a recovery received); it is never left
    raw = good()
    raw["transitions"].append({"trigger": "remark", "from": "done", "to": "same", "roles": ["manager"]})
    remark = parse_spec(raw, VOCAB, source=SOURCE).transition("done", "remark")
    assert remark is not None and remark.internal and remark.outcome is None
    leaving = good()
    leaving["transitions"].append({"trigger": "reopen", "from": "done", "to": "open", "roles": ["manager"]})
    refused(leaving, "terminal state 'done'", "'reopen'")


def test_spec_without_terminal_state_is_refused() -> None:
    raw = good()
    raw["states"]["done"]["terminal"] = False
    del transition(raw, "finish")["outcome"]
    raw["transitions"].append({"trigger": "reopen", "from": "done", "to": "open", "roles": ["manager"]})
    refused(raw, "no terminal state")


# --- refusals: transitions ---------------------------------------------------------------------------


def test_duplicate_trigger_from_one_state_is_refused() -> None:
    raw = good()
    raw["transitions"].append({"trigger": "finish", "from": "busy", "to": "open", "roles": ["handler"]})
    refused(raw, "duplicate trigger 'finish'", "'busy'")


def test_duplicate_trigger_via_any_open_state_is_refused() -> None:
    raw = good()
    raw["transitions"].append(
        {"trigger": "finish", "from": "*", "to": "done", "roles": ["handler"], "outcome": "withdrawn"}
    )
    refused(raw, "duplicate trigger 'finish'", "'busy'")


def test_same_trigger_from_different_states_is_allowed() -> None:
    raw = good()
    raw["transitions"].append(
        {"trigger": "finish", "from": "open", "to": "done", "roles": ["handler"], "outcome": "withdrawn"}
    )
    spec = parse_spec(raw, VOCAB, source=SOURCE)
    open_finish = spec.transition("open", "finish")
    busy_finish = spec.transition("busy", "finish")
    assert open_finish is not None
    assert busy_finish is not None
    assert (open_finish.outcome, busy_finish.outcome) == ("withdrawn", "settled")


def test_unknown_guard_is_refused() -> None:
    raw = good()
    transition(raw, "finish")["guards"] = ["has_report", "has_reprot"]
    refused(raw, "unknown guard 'has_reprot'", "'finish'")


def test_unknown_effect_is_refused() -> None:
    raw = good()
    transition(raw, "finish")["effects"] = ["pay", "pay_twice"]
    refused(raw, "unknown effect 'pay_twice'", "'finish'")


def test_unknown_letter_template_is_refused() -> None:
    raw = good()
    transition(raw, "start")["letters"] = ["welcome", "goodbye"]
    refused(raw, "unknown template 'goodbye'", "'start'")


def test_a_letter_names_its_recipient_and_may_take_a_paragraph_field() -> None:
    raw = good()
    transition(raw, "start")["letters"] = [
        "welcome",
        {"template": "payment", "to": "expert", "paragraph": True},
    ]
    start = parse_spec(raw, VOCAB, source=SOURCE).transition("open", "start")
    assert start is not None
    assert start.letters == (LetterSpec("welcome"), LetterSpec("payment", "expert", True))
    paragraph = start.fields[-1]
    assert (paragraph.name, paragraph.type, paragraph.required) == (PARAGRAPH_FIELD, "textarea", False)
    assert start.as_dict()["letters"][1] == {
        "template": "payment",
        "to": "expert",
        "cc": [],
        "paragraph": True,
    }
    finish = parse_spec(raw, VOCAB, source=SOURCE).transition("busy", "finish")
    assert finish is not None and PARAGRAPH_FIELD not in {f.name for f in finish.fields}


@pytest.mark.parametrize(
    ("letter", "culprit"),
    [
        ({"template": "welcome", "to": "neighbour"}, "unknown letter recipient 'neighbour'"),
        ({"template": "welcome", "paragraph": "yes"}, "'paragraph' must be true or false"),
        ({"template": "welcome", "bcc": "expert"}, "unknown key 'bcc'"),
        ({"template": "welcome", "cc": ["neighbour"]}, "unknown letter recipient 'neighbour'"),
        ({"template": "welcome", "to": "expert", "cc": "expert"}, "copies its own recipient"),
        ({"to": "expert"}, "'template' is missing"),
        ({"template": " ", "to": "expert"}, "'template' must be a non-empty text"),
        ({"template": "goodbye", "to": "expert"}, "unknown template 'goodbye'"),
    ],
)
def test_a_bad_letter_entry_is_refused(letter: dict[str, Any], culprit: str) -> None:
    raw = good()
    transition(raw, "start")["letters"] = [letter]
    refused(raw, culprit, "'start'")


def test_a_paragraph_field_declared_by_hand_next_to_a_paragraph_letter_is_refused() -> None:
    raw = good()
    start = transition(raw, "start")
    start["letters"] = [{"template": "welcome", "paragraph": True}]
    start.setdefault("fields", []).append({"name": "paragraph", "type": "text", "label": "Alinea"})
    refused(raw, "field 'paragraph' is declared twice", "'start'")


def test_unknown_role_in_roles_is_refused() -> None:
    raw = good()
    transition(raw, "finish")["roles"] = ["handler", "intern"]
    refused(raw, "unknown role 'intern'", "'finish'")


def test_unknown_role_in_notify_is_refused() -> None:
    raw = good()
    transition(raw, "start")["notify"] = ["manager", "ceo"]
    refused(raw, "unknown role 'ceo'", "'start'")


def test_transition_without_roles_is_refused() -> None:
    raw = good()
    del transition(raw, "start")["roles"]
    refused(raw, "'start'", "'roles'")


def test_unknown_outcome_is_refused() -> None:
    raw = good()
    transition(raw, "finish")["outcome"] = "forgotten"
    refused(raw, "unknown outcome 'forgotten'", "'finish'")


def test_transition_into_terminal_state_without_outcome_is_refused() -> None:
    raw = good()
    del transition(raw, "finish")["outcome"]
    refused(raw, "'finish'", "'done'", "without an outcome")


# --- refusals: deadlines -----------------------------------------------------------------------------


@pytest.mark.parametrize("unit", ["days", "minutes", "fortnights", None])
def test_deadline_with_unit_not_allowed_is_refused(unit: str | None) -> None:
    raw = good()
    deadline(raw, "respond")["unit"] = unit
    refused(raw, "bad deadline", "'respond'", "'busy'", repr(unit))


@pytest.mark.parametrize("amount", [0, -3, 2.5, "5", True, None])
def test_deadline_with_bad_amount_is_refused(amount: object) -> None:
    raw = good()
    deadline(raw, "respond")["amount"] = amount
    refused(raw, "bad deadline", "'respond'", "'busy'", "'amount'", repr(amount))


@pytest.mark.parametrize("met_by", [[], None])
def test_deadline_with_empty_met_by_is_refused(met_by: object) -> None:
    raw = good()
    deadline(raw, "respond")["met_by"] = met_by
    refused(raw, "bad deadline", "'respond'", "'busy'", "met_by")


def test_deadline_met_by_unknown_trigger_is_refused() -> None:
    raw = good()
    deadline(raw, "respond")["met_by"] = ["finish", "finsh"]
    refused(raw, "bad deadline", "'respond'", "'busy'", "unknown trigger 'finsh'")


def test_deadline_with_unknown_base_is_refused() -> None:
    raw = good()
    deadline(raw, "respond")["base"] = "date_of_birth"
    refused(raw, "bad deadline", "'respond'", "'busy'", "unknown base 'date_of_birth'")


def test_deadline_with_unknown_when_flag_is_refused() -> None:
    raw = good()
    deadline(raw, "report_breach")["when"] = "vip"
    refused(raw, "bad deadline", "'report_breach'", "'busy'", "unknown flag 'vip'")


def test_deadline_with_unknown_responsible_role_is_refused() -> None:
    raw = good()
    deadline(raw, "respond")["responsible"] = "janitor"
    refused(raw, "bad deadline", "'respond'", "'busy'", "unknown role 'janitor'")


def test_deadline_in_a_terminal_state_is_refused() -> None:
    raw = good()
    raw["states"]["done"]["deadlines"] = [
        {"name": "archive", "amount": 1, "unit": "years", "met_by": ["finish"]}
    ]
    refused(raw, "bad deadline", "'archive'", "'done'", "terminal")


# --- refusals: fields --------------------------------------------------------------------------------


def test_field_with_unknown_type_is_refused() -> None:
    raw = good()
    transition(raw, "start")["fields"][0]["type"] = "currency"
    refused(raw, "field 'amount'", "unknown type 'currency'", "'start'")


@pytest.mark.parametrize("choices", [None, {}, ["a", "b"]])
def test_choice_field_without_choices_is_refused(choices: object) -> None:
    raw = good()
    field = transition(raw, "start")["fields"][2]
    if choices is None:
        del field["choices"]
    else:
        field["choices"] = choices
    refused(raw, "field 'kind'", "choices", "'start'")


@pytest.mark.parametrize("role", ["intern", None])
def test_user_field_with_unknown_role_is_refused(role: str | None) -> None:
    raw = good()
    field = transition(raw, "start")["fields"][3]
    if role is None:
        del field["role"]
    else:
        field["role"] = role
    refused(raw, "user field 'expert'", f"unknown role {role!r}", "'start'")


def test_duplicate_field_name_is_refused() -> None:
    raw = good()
    transition(raw, "start")["fields"].append({"name": "amount", "type": "money", "label": "Nog een bedrag"})
    refused(raw, "'start'", "field 'amount' is declared twice")


def test_duplicate_field_name_message_names_the_field() -> None:
    raw = good()
    transition(raw, "start")["fields"].append({"name": "amount", "type": "money", "label": "Nog een bedrag"})
    refused(raw, "'amount'")


def test_list_of_choices_on_a_text_field_is_a_spec_error() -> None:
    raw = good()
    transition(raw, "start")["fields"][1]["choices"] = ["x", "y"]
    refused(raw, "'why'")


# --- refusals: top level -----------------------------------------------------------------------------


@pytest.mark.parametrize("version", [0, -1, "1", 1.0, True, None])
def test_bad_version_is_refused(version: object) -> None:
    raw = good()
    raw["version"] = version
    refused(raw, "'version'")


def test_spec_that_is_not_a_mapping_is_refused() -> None:
    refused(["states"], "must be a mapping")


def test_empty_transitions_are_refused() -> None:
    raw = good()
    raw["transitions"] = []
    refused(raw, "'transitions'")


# --- load_spec from files: extends, missing base, bad YAML ------------------------------------------


def write(path: Path, data: object) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


BASE: dict[str, Any] = {
    "states": {
        "open": {"label": "Open (basis)"},
        "busy": {
            "label": "Bezig (basis)",
            "deadlines": [{"name": "respond", "amount": 5, "unit": "working_days", "met_by": ["finish"]}],
        },
        "done": {"label": "Klaar", "terminal": True},
    },
    "transitions": [
        {"trigger": "start", "from": "open", "to": "busy", "label": "Beginnen (basis)", "roles": ["handler"]},
        {
            "trigger": "finish",
            "from": "busy",
            "to": "done",
            "label": "Afronden (basis)",
            "roles": ["handler"],
            "outcome": "settled",
        },
        {
            "trigger": "cancel",
            "from": ["open", "busy"],
            "to": "done",
            "label": "Annuleren (basis)",
            "roles": ["handler"],
            "outcome": "withdrawn",
        },
        {"trigger": "withdraw", "from": "*", "to": "done", "roles": ["manager"], "outcome": "withdrawn"},
    ],
}

KIND: dict[str, Any] = {
    "kind": "special",
    "version": 2,
    "label": "Bijzonder",
    "extends": "_base",
    "initial": "open",
    "states": {
        "busy": {"label": "Bezig (soort)"},
        "extra": {"label": "Extra"},
    },
    "transitions": [
        {
            "trigger": "finish",
            "from": "busy",
            "to": "done",
            "label": "Afronden (soort)",
            "roles": ["manager"],
            "guards": ["small_claim"],
            "outcome": "settled",
        },
        {
            "trigger": "cancel",
            "from": "open",
            "to": "done",
            "label": "Annuleren (soort)",
            "roles": ["manager"],
            "outcome": "withdrawn",
        },
        {"trigger": "detour", "from": "busy", "to": "extra", "roles": ["handler"]},
        {"trigger": "back", "from": "extra", "to": "busy", "roles": ["handler"]},
    ],
}


def test_extends_merges_states_and_transitions(tmp_path: Path) -> None:
    write(tmp_path / "_base.yaml", BASE)
    path = write(tmp_path / "special.yaml", KIND)
    spec = load_spec(path, VOCAB)

    assert spec.key == ("special", 2)
    assert spec.source_file == str(path)
    assert list(spec.states) == ["open", "busy", "done", "extra"]
    # the kind's state replaces the base's of the same name, deadlines and all
    assert spec.states["busy"].label == "Bezig (soort)"
    assert spec.states["busy"].deadlines == ()
    # base states the kind does not name are kept
    assert spec.states["open"].label == "Open (basis)"
    assert spec.states["done"].terminal is True

    start = spec.transition("open", "start")
    assert start is not None
    assert start.label == "Beginnen (basis)"  # inherited
    finish = spec.transition("busy", "finish")
    assert finish is not None
    assert (finish.label, finish.roles, finish.guards) == ("Afronden (soort)", ("manager",), ("small_claim",))
    assert [t.label for t in spec.transitions if t.trigger == "finish"] == ["Afronden (soort)"]
    # a replaced trigger replaces every base transition with that trigger, from any state
    cancels = [t for t in spec.transitions if t.trigger == "cancel"]
    assert [(t.source, t.label) for t in cancels] == [("open", "Annuleren (soort)")]
    assert spec.transition("busy", "cancel") is None
    # the kind's own transitions are added
    detour = spec.transition("busy", "detour")
    assert detour is not None
    assert detour.dest == "extra"
    # the base's `from: "*"` expands over the merged states, the kind's new state included
    assert sorted(t.source for t in spec.transitions if t.trigger == "withdraw") == ["busy", "extra", "open"]
    assert spec.triggers() == {"start", "finish", "cancel", "withdraw", "detour", "back"}


def test_extends_of_a_missing_base_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "special.yaml", {**KIND, "extends": "_nowhere"})
    with pytest.raises(SpecError) as exc:
        load_spec(path, VOCAB)
    assert exc.value.source == str(path)
    assert str(path) in str(exc.value)
    assert "'_nowhere'" in str(exc.value)


def test_extends_of_a_base_that_is_no_mapping_is_refused(tmp_path: Path) -> None:
    base = write(tmp_path / "_base.yaml", ["not", "a", "mapping"])
    path = write(tmp_path / "special.yaml", KIND)
    with pytest.raises(SpecError) as exc:
        load_spec(path, VOCAB)
    assert exc.value.source == str(base)
    assert "mapping" in str(exc.value)


def test_unreadable_yaml_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("kind: broken\nstates: [unclosed\n  melding: {\n", encoding="utf-8")
    with pytest.raises(SpecError) as exc:
        load_spec(path, VOCAB)
    assert exc.value.source == str(path)
    assert str(exc.value).startswith(f"{path}: cannot read YAML")


def test_missing_file_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    with pytest.raises(SpecError) as exc:
        load_spec(path, VOCAB)
    assert exc.value.source == str(path)
    assert "cannot read YAML" in str(exc.value)


def test_an_error_in_an_extending_file_names_that_file(tmp_path: Path) -> None:
    write(tmp_path / "_base.yaml", BASE)
    broken = copy.deepcopy(KIND)
    broken["transitions"][2]["guards"] = ["no_such_guard"]
    path = write(tmp_path / "special.yaml", broken)
    with pytest.raises(SpecError) as exc:
        load_spec(path, VOCAB)
    assert exc.value.source == str(path)
    assert "unknown guard 'no_such_guard'" in str(exc.value)


# --- the real claim kinds ----------------------------------------------------------------------------

KINDS = ["contract_breach", "data_loss", "late_delivery", "unpaid_fee"]
SHARED_STATES = {
    "melding",
    "dekkingsonderzoek",
    "expertise",
    "schadebeperking",
    "regeling",
    "geschil",
    "afgewezen",
    "gesloten",
}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def reachable(spec: WorkflowSpec) -> set[str]:
    seen = {spec.initial}
    queue = deque([spec.initial])
    while queue:
        for t in spec.transitions_from(queue.popleft()):
            if t.dest not in seen:
                seen.add(t.dest)
                queue.append(t.dest)
    return seen


def test_catalog_holds_the_four_kinds(catalog: Catalog) -> None:
    assert catalog.kinds() == KINDS
    assert sorted(catalog.specs) == [(k, v) for k in KINDS for v in (1, 2, 3, 4, 5)]
    assert all(
        s.source_file.endswith(f"{s.kind}.yaml" if s.version == 1 else f"{s.kind}_v{s.version}.yaml")
        for s in catalog.specs.values()
    )


@pytest.mark.parametrize("kind", KINDS)
def test_real_spec_has_the_shared_states(catalog: Catalog, kind: str) -> None:
    spec = catalog.spec(kind)
    assert set(spec.states) >= SHARED_STATES
    assert spec.initial == "melding"
    assert [n for n, s in spec.states.items() if s.terminal] == ["gesloten"]


@pytest.mark.parametrize("kind", KINDS)
def test_real_spec_every_state_is_reachable(catalog: Catalog, kind: str) -> None:
    spec = catalog.spec(kind)
    assert reachable(spec) == set(spec.states)


@pytest.mark.parametrize("kind", KINDS)
def test_real_spec_can_withdraw_from_every_open_state(catalog: Catalog, kind: str) -> None:
    spec = catalog.spec(kind)
    open_states = [n for n, s in spec.states.items() if not s.terminal]
    assert len(open_states) >= 7
    for name in open_states:
        t = spec.transition(name, "withdraw")
        assert t is not None, name
        assert (t.dest, t.outcome) == ("gesloten", "withdrawn")
    assert spec.transition("gesloten", "withdraw") is None


@pytest.mark.parametrize("kind", KINDS)
def test_version_2_settlement_above_authority_needs_a_manager(catalog: Catalog, kind: str) -> None:
    spec = catalog.spec(kind, 2)
    settle = spec.transition("regeling", "settle")
    assert settle is not None
    assert settle.guards == ("within_authority_limit", "settlement_within_cover")
    assert (settle.dest, settle.outcome) == ("gesloten", "settled")
    submit = spec.transition("regeling", "submit_for_approval")
    assert submit is not None
    assert submit.dest == "goedkeuring"
    assert submit.guards == ("above_authority_limit", "settlement_within_cover")
    approve = spec.transition("goedkeuring", "approve_settlement")
    assert approve is not None
    assert approve.roles == ("manager",)
    assert approve.guards == ("four_eyes", "proposal_within_cover")
    assert (approve.dest, approve.outcome) == ("gesloten", "settled")
    assert "approve_settlement" not in {a.trigger for a in available(spec, "goedkeuring", "handler")}
    assert "approve_settlement" not in {a.trigger for a in available(spec, "goedkeuring", "expert")}
    assert "approve_settlement" in {a.trigger for a in available(spec, "goedkeuring", "manager")}
    assert [t.source for t in spec.transitions if t.trigger == "approve_settlement"] == ["goedkeuring"]


@pytest.mark.parametrize("version", [3, 4])
@pytest.mark.parametrize("kind", KINDS)
def test_version_3_settles_with_a_payee_and_no_state_of_its_own_for_approval(
    catalog: Catalog, kind: str, version: int
) -> None:
    spec = catalog.spec(kind, version)
    assert spec.version == version and "goedkeuring" not in spec.states
    settle = spec.transition("regeling", "settle")
    assert settle is not None and (settle.dest, settle.outcome) == ("gesloten", "settled")
    assert settle.guards == ("settlement_within_cover", "statutory_rates_known")
    assert {f.name: f.type for f in settle.fields}["payee"] == "party"
    assert not {"submit_for_approval", "approve_settlement", "refuse_settlement"} & spec.triggers()
    # the advance on the damages, from every state where a handler pays, and money after closing
    assert {t.source for t in spec.transitions if t.trigger == "pay_damages_advance"} == {
        "expertise",
        "schadebeperking",
        "regeling",
        "geschil",
    }
    assert spec.transition("gesloten", "record_recovery") is not None
    assert spec.transition("gesloten", "collect_deductible") is not None


def test_unpaid_fee_pays_an_advance_during_mitigation(catalog: Catalog) -> None:
    spec = catalog.spec("unpaid_fee")
    t = spec.transition("schadebeperking", "pay_advance")
    assert t is not None
    assert t.internal is True
    assert t.guards == (
        "has_unpaid_invoices",
        "deduction_within_unpaid",
        "advance_above_paid",
        "advance_within_cover",
    )
    assert [f.name for f in t.fields] == ["share_percent", "deduction", "booked_as", "payee"]
    assert t.fields[0].type == "percent"
    assert [t.source for t in spec.transitions if t.trigger == "pay_advance"] == ["schadebeperking"]
    assert spec.transition("melding", "register_invoice") is not None
    assert "pay_advance" not in catalog.spec("contract_breach").triggers()


def test_data_loss_restores_before_expertise(catalog: Catalog) -> None:
    spec = catalog.spec("data_loss")
    restore = spec.transition("melding", "start_restore")
    assert restore is not None
    assert restore.dest == "schadebeperking"
    to_expertise = spec.transition("schadebeperking", "to_expertise")
    assert to_expertise is not None
    assert to_expertise.dest == "expertise"
    assert "start_restore" not in catalog.spec("contract_breach").triggers()


def test_data_loss_has_the_72_hour_dpa_deadline(catalog: Catalog) -> None:
    spec = catalog.spec("data_loss", 3)
    by_name = {d.name: d for d in spec.states["melding"].deadlines}
    assert set(by_name) == {"ontvangstbevestiging", "melding_ap", "verjaring"}
    ap = by_name["melding_ap"]
    assert (ap.amount, ap.unit) == (72, "hours")
    assert ap.base == "awareness_at"
    assert ap.when == "personal_data"
    assert ap.scope == "claim"
    assert ap.met_by == ("record_dpa_notification",)
    assert by_name["ontvangstbevestiging"].met_by == ("start_coverage_check", "start_restore")
    record = spec.transition("melding", "record_dpa_notification")
    assert record is not None
    assert record.internal is True
    # version 4: the clock by the insured's role (AVG art. 33 lid 1 and 2), met at the moment entered
    v4 = {d.name: d for d in catalog.spec("data_loss", 4).states["melding"].deadlines}
    assert set(v4) == {
        "ontvangstbevestiging",
        "melding_ap",
        "melding_verwerkingsverantwoordelijke",
        "verjaring",
        "antwoord_informatie",
    }
    assert v4["melding_ap"].conditions == (("personal_data", None), ("data_role", "controller"))
    assert v4["melding_verwerkingsverantwoordelijke"].conditions[-1] == ("data_role", "processor")
    assert (v4["melding_verwerkingsverantwoordelijke"].amount, v4["melding_ap"].met_at) == (24, "notified_at")
    assert v4["verjaring"].started_by == ("confirm_cover", "offer_settlement", "reject")
    # the base's melding deadline list is replaced by data_loss's own
    assert [d.name for d in catalog.spec("contract_breach").states["melding"].deadlines] == [
        "ontvangstbevestiging",
        "verjaring",
        "antwoord_informatie",
    ]


def test_data_loss_settles_from_mitigation_without_expert_report(catalog: Catalog) -> None:
    spec = catalog.spec("data_loss")
    from_mitigation = spec.transition("schadebeperking", "to_settlement")
    from_expertise = spec.transition("expertise", "to_settlement")
    assert from_mitigation is not None
    assert from_expertise is not None
    assert from_mitigation.guards == ()
    assert from_expertise.guards == ("expert_report_present",)


def test_late_delivery_deploys_a_backlog_team(catalog: Catalog) -> None:
    spec = catalog.spec("late_delivery")
    t = spec.transition("schadebeperking", "deploy_backlog_team")
    assert t is not None
    assert t.internal is True
    assert t.effects == ("pay_team",)
    assert [f.name for f in t.fields] == ["team", "cost", "payee"]
    assert "deploy_backlog_team" not in catalog.spec("unpaid_fee").triggers()


def test_contract_breach_fast_tracks_to_settlement(catalog: Catalog) -> None:
    spec = catalog.spec("contract_breach")
    t = spec.transition("dekkingsonderzoek", "fast_track")
    assert t is not None
    assert t.dest == "regeling"
    # the fast track confirms cover: the claims-made check too (version 5)
    assert t.guards == ("small_claim", "claims_made_or_reasoned")
    assert [d.met_by for d in spec.states["dekkingsonderzoek"].deadlines] == [
        ("confirm_cover", "reject", "fast_track", "start_mitigation")
    ]
    assert "fast_track" not in catalog.spec("data_loss").triggers()


def test_catalog_refuses_a_misspelled_guard_naming_the_file(tmp_path: Path) -> None:
    shutil.copy(SPEC_DIR / "_base.yaml", tmp_path / "_base.yaml")
    text = (SPEC_DIR / "contract_breach.yaml").read_text(encoding="utf-8")
    assert "guards: [small_claim]" in text
    broken = tmp_path / "contract_breach.yaml"
    broken.write_text(text.replace("guards: [small_claim]", "guards: [smal_claim]"), encoding="utf-8")
    with pytest.raises(SpecError) as exc:
        load_catalog(tmp_path)
    assert exc.value.source == str(broken)
    assert str(broken) in str(exc.value)
    assert "unknown guard 'smal_claim'" in str(exc.value)


def test_catalog_loads_an_unaltered_copy(tmp_path: Path) -> None:
    for name in ("_base.yaml", "contract_breach.yaml"):
        shutil.copy(SPEC_DIR / name, tmp_path / name)
    catalog = load_catalog(tmp_path)
    assert catalog.kinds() == ["contract_breach"]
    assert catalog.engine.builds == 1


@pytest.mark.parametrize(
    ("where", "patch"),
    [
        (
            "field",
            lambda raw: raw["transitions"][0].setdefault(
                "fields", [{"name": "x", "label": "X", "extern)": None}]
            ),
        ),
        ("transition", lambda raw: raw["transitions"][0].update(guard=["typo"])),
        ("state", lambda raw: raw["states"]["a"].update(labl="typo")),
    ],
)
def test_unknown_keys_are_refused(where: str, patch: object) -> None:
    """A YAML slip (a comma inside an unquoted flow value) or a typo must not pass silently."""
    raw = {
        "kind": "demo",
        "version": 1,
        "initial": "a",
        "states": {"a": {"label": "A"}, "b": {"label": "B", "terminal": True}},
        "transitions": [{"trigger": "go", "from": "a", "to": "b", "roles": ["handler"]}],
    }
    patch(raw)  # type: ignore[operator]
    with pytest.raises(SpecError, match="unknown key"):
        parse_spec(raw, SpecVocabulary(roles={"handler"}), source="demo.yaml")


def _base_raw() -> dict[str, object]:
    return {
        "kind": "demo",
        "version": 1,
        "initial": "a",
        "states": {"a": {"label": "A"}, "b": {"label": "B"}, "z": {"label": "Z", "terminal": True}},
        "transitions": [
            {"trigger": "go", "from": "a", "to": "b", "roles": ["handler"]},
            {"trigger": "end", "from": "b", "to": "z", "roles": ["handler"], "outcome": "settled"},
        ],
    }


VOCAB_WITH_OUTCOMES = SpecVocabulary(roles={"handler"}, outcomes={"settled"})


def test_outcome_on_a_non_terminal_destination_is_refused() -> None:
    raw = _base_raw()
    raw["transitions"][0]["outcome"] = "settled"  # type: ignore[index]
    with pytest.raises(SpecError, match="not a terminal state"):
        parse_spec(raw, VOCAB_WITH_OUTCOMES, source="demo.yaml")


def test_required_must_be_a_boolean() -> None:
    raw = _base_raw()
    raw["transitions"][0]["fields"] = [{"name": "x", "required": "no"}]  # type: ignore[index]
    with pytest.raises(SpecError, match="'required' must be true or false"):
        parse_spec(raw, VOCAB_WITH_OUTCOMES, source="demo.yaml")


def test_choices_on_a_non_choice_field_are_refused() -> None:
    raw = _base_raw()
    raw["transitions"][0]["fields"] = [{"name": "x", "type": "text", "choices": {"a": "A"}}]  # type: ignore[index]
    with pytest.raises(SpecError, match="cannot have 'choices'"):
        parse_spec(raw, VOCAB_WITH_OUTCOMES, source="demo.yaml")


@pytest.mark.parametrize(
    ("field", "problem"),
    [
        ({"name": "x", "type": "text", "minimum": 1}, "cannot have 'minimum' or 'maximum'"),
        ({"name": "x", "type": "integer", "minimum": 5, "maximum": 4}, "minimum 5 is above maximum 4"),
        ({"name": "x", "type": "integer", "maximum": "60"}, "maximum"),
    ],
)
def test_bounds_only_on_integers_and_in_order(field: dict[str, object], problem: str) -> None:
    raw = _base_raw()
    raw["transitions"][0]["fields"] = [field]  # type: ignore[index]
    with pytest.raises(SpecError, match=problem):
        parse_spec(raw, VOCAB_WITH_OUTCOMES, source="demo.yaml")


def test_bounds_reach_the_field_and_its_description() -> None:
    raw = _base_raw()
    raw["transitions"][0]["fields"] = [{"name": "days", "type": "integer", "minimum": 1, "maximum": 60}]  # type: ignore[index]
    spec = parse_spec(raw, VOCAB_WITH_OUTCOMES, source="demo.yaml")
    days = spec.transitions[0].fields[0]
    assert (days.minimum, days.maximum) == (1, 60)
    assert days.as_dict()["minimum"] == 1 and days.as_dict()["maximum"] == 60


def test_a_cycle_that_never_ends_is_refused() -> None:
    raw = _base_raw()
    raw["states"]["c"] = {"label": "C"}  # type: ignore[index]
    raw["transitions"] += [  # type: ignore[operator]
        {"trigger": "loop", "from": "a", "to": "c", "roles": ["handler"]},
        {"trigger": "back", "from": "c", "to": "c2", "roles": ["handler"]},
    ]
    raw["states"]["c2"] = {"label": "C2"}  # type: ignore[index]
    raw["transitions"].append({"trigger": "again", "from": "c2", "to": "c", "roles": ["handler"]})  # type: ignore[attr-defined]
    with pytest.raises(SpecError, match="can never reach a terminal state"):
        parse_spec(raw, VOCAB_WITH_OUTCOMES, source="demo.yaml")


def test_a_deadline_declared_twice_in_a_state_is_refused() -> None:
    raw = _base_raw()
    deadline = {"name": "d", "amount": 1, "unit": "hours", "met_by": ["go"]}
    raw["states"]["a"]["deadlines"] = [deadline, dict(deadline)]  # type: ignore[index]
    with pytest.raises(SpecError, match="'d' is declared twice"):
        parse_spec(raw, VOCAB_WITH_OUTCOMES, source="demo.yaml")


# --- the file format as a model, and its JSON Schema -------------------------------------------------


def test_a_slip_in_the_base_is_refused_naming_the_base(tmp_path: Path) -> None:
    base = copy.deepcopy(BASE)
    base["transitions"][0]["gaurds"] = ["small_claim"]
    base_path = write(tmp_path / "_base.yaml", base)
    path = write(tmp_path / "special.yaml", KIND)
    with pytest.raises(SpecError) as exc:
        load_spec(path, VOCAB)
    assert exc.value.source == str(base_path)
    assert "transition 'start': unknown key 'gaurds'" in str(exc.value)


def test_every_problem_of_the_file_format_is_named_at_once() -> None:
    raw = good()
    transition(raw, "start")["guard"] = ["has_report"]
    deadline(raw, "respond")["unit"] = "days"
    msg = refused(raw, "transition 'start': unknown key 'guard'", "unknown unit 'days'")
    assert "deadline 'respond' in state 'busy'" in msg


def test_the_validated_file_is_frozen() -> None:
    model = SpecFile.model_validate(good())
    with pytest.raises(ValidationError):
        model.kind = "other"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        model.transitions[0].trigger = "other"  # type: ignore[misc]


def test_the_json_schema_refuses_unknown_keys_everywhere() -> None:
    schema = json_schema()
    objects = {name: d for name, d in schema["$defs"].items() if d.get("type") == "object"}
    assert set(objects) >= {"SpecFile", "SpecBase", "StateModel", "TransitionModel", "FieldModel"}
    assert {name: d.get("additionalProperties") for name, d in objects.items()} == dict.fromkeys(
        objects, False
    )
    transition_keys = set(objects["TransitionModel"]["properties"])
    assert {"from", "to", "trigger", "roles"} <= transition_keys
    assert "source" not in transition_keys  # the YAML key, not the Python name
    assert all(p.get("description") for p in objects["DeadlineModel"]["properties"].values())


@pytest.mark.parametrize("path", sorted(SPEC_DIR.glob("*.yaml")), ids=lambda p: p.name)
def test_the_fast_yaml_parser_reads_each_real_spec_as_the_plain_one_does(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is None:
        pytest.skip("PyYAML without libyaml: the loader uses the plain parser")
    assert yaml.load(text, Loader=fast) == yaml.safe_load(text)
