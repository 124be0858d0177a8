"""Declared contracts, checked at load: a spec whose transition lacks an input, a deadline or a role that
one of its guards, effects or letters declares it needs is refused, naming the file, the transition and
the missing name."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from claims.kinds.catalog import SPEC_DIR, load_catalog
from claims.kinds.context import effects
from claims.kinds.guards import guards
from claims.kinds.lock import LOCK_FILE
from claims.letters.facts import LETTER_NEEDS
from workflow.errors import SpecError
from workflow.guards import Contract, EffectRegistry, GuardRegistry

CLAIMFLOW = Path(sys.executable).parent / "claimflow"


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    """A copy of the real specs without their lock (a changed spec, as while an expert tries it)."""
    folder = tmp_path / "workflows"
    shutil.copytree(SPEC_DIR, folder)
    (folder / LOCK_FILE).unlink()
    return folder


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CLAIMFLOW), "workflows", "check", str(path)], capture_output=True, text=True)


def test_the_real_specs_keep_every_contract() -> None:
    assert load_catalog(letters=LETTER_NEEDS).kinds() == [
        "contract_breach",
        "data_loss",
        "late_delivery",
        "unpaid_fee",
    ]
    result = subprocess.run([str(CLAIMFLOW), "workflows", "check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_every_guard_and_effect_that_reads_inputs_declares_them() -> None:
    # the ones the issue names: a rename of these fields in YAML used to fail only at run time
    assert effects.contract("pay_advance").inputs == {"share_percent": "percent", "deduction": "money?"}
    assert effects.contract("record_mitigation_plan").inputs["reserve_mitigation"] == "money"
    assert guards.contract("reasons_given").inputs == {"reasons": "text"}
    assert guards.contract("four_eyes").role == "manager"
    assert LETTER_NEEDS["ontvangstbevestiging"].deadlines == ("standpunt_dekking",)


def test_a_renamed_field_that_an_effect_reads_is_refused_at_load(specs: Path) -> None:
    path = specs / "unpaid_fee.yaml"
    _edit(path, "{name: number, type: text", "{name: factuurnummer, type: text")
    message = (
        r"unpaid_fee\.yaml: transition 'register_invoice' from 'melding': effect 'register_invoice' "
        r"reads input 'number' \(text\), which the transition has no field for"
    )
    with pytest.raises(SpecError, match=message):
        load_catalog(specs)
    result = _check(path)
    assert result.returncode != 0
    assert "effect 'register_invoice' reads input 'number'" in result.stderr
    assert "transition 'register_invoice' from 'melding'" in result.stderr


def test_an_effect_used_without_the_guard_it_relies_on_is_refused(specs: Path) -> None:
    # the advance's refusals (a deduction above the invoices, nothing left to advance) are guards now:
    # a transition paying an advance without them would stage money that nothing has weighed
    path = specs / "unpaid_fee.yaml"
    _edit(path, "deduction_within_unpaid, advance_above_paid, ", "deduction_within_unpaid, ")
    message = (
        r"unpaid_fee\.yaml: transition 'pay_advance' from 'schadebeperking': effect 'pay_advance' relies "
        r"on guard 'advance_above_paid', which the transition does not list in its guards"
    )
    with pytest.raises(SpecError, match=message):
        load_catalog(specs)
    result = _check(path)
    assert result.returncode != 0
    assert "relies on guard 'advance_above_paid'" in result.stderr


def test_a_letter_whose_facts_no_effect_of_its_transition_supplies_is_refused(specs: Path) -> None:
    # the settlement agreement states what was settled: only a transition that settles can send it
    path = specs / "_base.yaml"
    _edit(
        path,
        "    effects: [propose_settlement]\n",
        "    effects: [propose_settlement]\n    letters: [vaststellingsovereenkomst]\n",
    )
    message = (
        r"\.yaml: transition 'submit_for_approval' from 'regeling': letter 'vaststellingsovereenkomst' "
        r"needs fact 'settlement', which none of the transition's effects supplies"
    )
    with pytest.raises(SpecError, match=message):
        load_catalog(specs, letters=LETTER_NEEDS)
    result = _check(specs / "contract_breach.yaml")
    assert result.returncode != 0
    assert "needs fact 'settlement'" in result.stderr


def test_a_field_of_another_type_is_refused(specs: Path) -> None:
    _edit(
        specs / "unpaid_fee.yaml", "{name: share_percent, type: percent", "{name: share_percent, type: money"
    )
    with pytest.raises(SpecError, match=r"'share_percent' as percent, but the transition's field is money"):
        load_catalog(specs)


def test_a_text_is_read_alike_from_a_textarea_and_an_optional_input_may_be_missing(specs: Path) -> None:
    # `description` declared as text; an optional input (`deduction`) left out entirely still loads
    _edit(specs / "_base.yaml", "{name: description, type: text", "{name: description, type: textarea")
    _edit(
        specs / "unpaid_fee.yaml",
        "      - {name: deduction, type: money, label: Af - marge en belastingen, required: false}\n",
        "",
    )
    assert ("unpaid_fee", 1) in load_catalog(specs).specs


def test_a_required_input_left_optional_in_the_spec_is_refused(specs: Path) -> None:
    _edit(
        specs / "unpaid_fee.yaml",
        "label: Aandeel van de onbetaalde facturen (%)}",
        "label: Aandeel (%), required: false}",
    )
    with pytest.raises(
        SpecError, match=r"reads input 'share_percent' \(percent\), which the transition leaves optional"
    ):
        load_catalog(specs)


def test_a_guard_reading_a_renamed_field_is_refused(specs: Path) -> None:
    _edit(
        specs / "_base.yaml",
        "{name: reasons, type: textarea, label: Motivering",
        "{name: motivering, type: textarea, label: Motivering",
    )
    with pytest.raises(
        SpecError,
        match=r"transition 'reject' from 'dekkingsonderzoek': guard 'reasons_given' reads input 'reasons'",
    ):
        load_catalog(specs)


def test_a_guard_whose_role_may_not_fire_the_transition_is_refused(specs: Path) -> None:
    _edit(
        specs / "_base.yaml",
        "    roles: [manager]\n    guards: [four_eyes]",
        "    roles: [handler]\n    guards: [four_eyes]",
    )
    with pytest.raises(
        SpecError,
        match=r"transition 'refuse_settlement' from 'goedkeuring': guard 'four_eyes' requires role 'manager'",
    ):
        load_catalog(specs)


def test_a_letter_sent_without_the_input_it_quotes_is_refused(specs: Path) -> None:
    # data_loss's own start_restore sends the mitigation proposal, which quotes the reserve
    path = specs / "data_loss.yaml"
    _edit(path, "{name: reserve_mitigation, type: money", "{name: reserve_herstel, type: money")
    _edit(path, "    effects: [record_mitigation_plan]\n", "")  # so that only the letter still reads it
    message = (
        r"data_loss\.yaml: transition 'start_restore' from 'melding': letter 'schadebeperkingsvoorstel' "
        r"reads input 'reserve_mitigation' \(money\)"
    )
    with pytest.raises(SpecError, match=message):
        load_catalog(specs, letters=LETTER_NEEDS)
    load_catalog(specs)  # without the letters' needs the catalog cannot know them
    result = _check(path)
    assert result.returncode != 0 and "letter 'schadebeperkingsvoorstel' reads input" in result.stderr


def test_a_letter_naming_a_deadline_the_transition_does_not_start_is_refused(specs: Path) -> None:
    # the acknowledgement quotes the date of the coverage decision, a deadline of the state it enters
    _edit(specs / "_base.yaml", "      - name: standpunt_dekking\n", "      - name: standpunt\n")
    with pytest.raises(
        SpecError,
        match=r"transition 'start_coverage_check' from 'melding': letter 'ontvangstbevestiging' names "
        r"deadline 'standpunt_dekking', which does not run once the transition is done",
    ):
        load_catalog(specs, letters=LETTER_NEEDS)


def test_a_registry_keeps_each_contract_and_what_an_effect_pays() -> None:
    checks: GuardRegistry[dict[str, Decimal]] = GuardRegistry()
    does: EffectRegistry[dict[str, Decimal]] = EffectRegistry()
    inputs = {"amount": "money"}

    @checks.register("positive", inputs=inputs, deadlines=("d",), role="manager")
    def positive(ctx: dict[str, Decimal]) -> str | None:
        return None

    @does.register("pay", inputs={"amount": "money"}, pays=lambda ctx: ctx["amount"])
    def pay(ctx: dict[str, Decimal]) -> None:
        return None

    @does.register("note")
    def note(ctx: dict[str, Decimal]) -> None:
        return None

    inputs["amount"] = "text"  # a contract is frozen once registered
    assert checks.contract("positive") == Contract({"amount": "money"}, ("d",), "manager")
    assert does.contract("note") == Contract()
    payment = does.payment("pay")
    assert payment is not None and payment({"amount": Decimal("5")}) == Decimal("5")
    assert does.payment("note") is None
    assert Contract({"a": "money", "b": "text?"}).optional_inputs() == {"b": "text"}


def _inputs_read(node: ast.AST) -> set[str]:
    """The input names read by literal in `node`: ctx.inputs["x"] and ctx.inputs.get("x")."""
    names: set[str] = set()
    for sub in ast.walk(node):
        target: ast.AST | None = None
        if isinstance(sub, ast.Subscript):
            target, key = sub.value, sub.slice
        elif isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr == "get":
            target, key = sub.func.value, sub.args[0] if sub.args else None
        if (
            isinstance(target, ast.Attribute)
            and target.attr == "inputs"
            and isinstance(key, ast.Constant)
            and isinstance(key.value, str)
        ):
            names.add(key.value)
    return names


def _helpers() -> dict[str, ast.FunctionDef]:
    """Every top-level function of the modules guards and effects are written in, by name."""
    kinds = Path(__file__).resolve().parents[3] / "claims" / "kinds"
    out: dict[str, ast.FunctionDef] = {}
    for module in ("guards", "effects", "payouts"):
        tree = ast.parse((kinds / f"{module}.py").read_text(encoding="utf-8"))
        out |= {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef)}
    return out


def _inputs_read_through(func: ast.FunctionDef, functions: dict[str, ast.FunctionDef]) -> set[str]:
    """The inputs `func` reads, also through the functions of these modules that it calls."""
    read: set[str] = set()
    seen: set[str] = set()
    todo = [func]
    while todo:
        f = todo.pop()
        if f.name in seen:
            continue
        seen.add(f.name)
        read |= _inputs_read(f)
        for sub in ast.walk(f):
            if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id in functions:
                todo.append(functions[sub.func.id])
    return read


@pytest.mark.parametrize("module", ["guards", "effects"])
def test_what_each_guard_and_effect_reads_by_name_it_declares(module: str) -> None:
    # a guard or effect that reads an input by name without declaring it escapes the load check; it
    # may read it itself or through a helper it calls (claims.kinds.payouts)
    source = Path(__file__).resolve().parents[3] / "claims" / "kinds" / f"{module}.py"
    tree = ast.parse(source.read_text(encoding="utf-8"))
    functions = _helpers()
    registry = {"guards": guards, "effects": effects}[module]
    checked = 0
    for func in (f for f in tree.body if isinstance(f, ast.FunctionDef)):
        for deco in func.decorator_list:
            if not (isinstance(deco, ast.Call) and isinstance(deco.func, ast.Attribute)):
                continue
            if deco.func.attr != "register" or not isinstance(deco.args[0], ast.Constant):
                continue
            name = str(deco.args[0].value)
            read = _inputs_read_through(func, functions)
            for kw in deco.keywords:  # what a paying effect weighs is read from the same inputs
                if kw.arg == "pays" and isinstance(kw.value, ast.Name):
                    read |= _inputs_read_through(functions[kw.value.id], functions)
            assert read <= set(registry.contract(name).inputs), (name, read)
            checked += 1
    assert checked >= {"guards": 3, "effects": 20}[module]


def test_the_input_check_follows_helpers() -> None:
    # the advance's amount is read in claims.kinds.payouts: the walk must see share_percent there
    functions = _helpers()
    assert {"share_percent", "deduction"} <= _inputs_read_through(functions["advance_above_paid"], functions)
