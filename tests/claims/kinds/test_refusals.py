"""What used to be refused inside an effect, after the guards had passed, is refused by a guard before
anything is staged: the refusal names its guard, changes nothing, and where it can be known before
anything is typed the claim page shows the action greyed with the reason."""

from __future__ import annotations

from decimal import Decimal
from typing import TypeVar

import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session

from claims.reads.queries import claim_view
from claims.runtime import Runtime
from claims.service import advance
from claims.storage.models import Claim, Policy
from tests.claims.driver import Driver
from tests.conftest import snapshot
from tests.factories import World
from workflow.engine import Available
from workflow.errors import InvalidInput, TransitionNotAllowed

E = TypeVar("E", bound=Exception)


@pytest.fixture
def driver(engine: Engine, rt: Runtime, world: World) -> Driver:
    return Driver(engine, rt, world)


def _offered(engine: Engine, rt: Runtime, ref: str, actor: object, trigger: str) -> Available:
    with Session(engine) as s:
        view = claim_view(s, rt, ref, actor)  # type: ignore[arg-type]
    return next(a for a in view.allowed if a.trigger == trigger)


def _refusal(
    driver: Driver, ref: str, trigger: str, inputs: dict[str, str], actor: object, error: type[E]
) -> E:
    """The error firing is refused with, having checked that nothing in the database changed."""
    before = snapshot(driver.engine)
    with Session(driver.engine) as s:
        version = claim_view(s, driver.rt, ref).claim.version
    with Session(driver.engine) as s, pytest.raises(error) as exc:
        advance(s, driver.rt, ref, trigger, inputs, actor, version)  # type: ignore[arg-type]
    assert snapshot(driver.engine) == before, f"refused {trigger} changed the database"
    return exc.value


def test_an_advance_with_nothing_left_to_pay_is_refused_by_its_guard(
    driver: Driver, engine: Engine, rt: Runtime, world: World
) -> None:
    ref = driver.bring_to("unpaid_fee", "schadebeperking")
    driver.fire(ref, "register_invoice", {"number": "F1", "amount": "30000", "due_date": "2026-06-30"})
    to_insured = {"booked_as": "beredding", "payee": driver.payee(ref)}
    driver.fire(ref, "pay_advance", {"share_percent": "50"} | to_insured, actor=world.manager)
    exc_value = _refusal(
        driver, ref, "pay_advance", {"share_percent": "40"} | to_insured, world.manager, TransitionNotAllowed
    )
    assert exc_value.guard == "advance_above_paid"
    assert "al € 15.000,00 voorgeschoten; 40% van de onbetaalde facturen is € 12.000,00" in str(exc_value)


def test_a_deduction_above_the_unpaid_invoices_marks_its_field(
    driver: Driver, engine: Engine, world: World
) -> None:
    ref = driver.bring_to("unpaid_fee", "schadebeperking")
    driver.fire(ref, "register_invoice", {"number": "F1", "amount": "1000", "due_date": "2026-06-30"})
    exc_value = _refusal(
        driver,
        ref,
        "pay_advance",
        {"share_percent": "50", "deduction": "1000.01", "booked_as": "beredding", "payee": driver.payee(ref)},
        world.manager,
        InvalidInput,
    )
    assert exc_value.errors == {"deduction": "aftrek is groter dan de onbetaalde facturen"}


def test_interest_that_cannot_be_computed_greys_the_way_to_settlement(
    driver: Driver, engine: Engine, rt: Runtime, world: World
) -> None:
    ref = driver.bring_to("unpaid_fee", "schadebeperking")
    # due before the rate table begins (2020): the handelsrente cannot be worked out
    driver.fire(ref, "register_invoice", {"number": "OUD-1", "amount": "1000", "due_date": "2019-06-30"})
    driver.fire(ref, "to_expertise")
    driver.fire(ref, "submit_report")
    offer = _offered(engine, rt, ref, world.handler, "to_settlement")
    assert offer.refused_by == "interest_rates_known"
    assert offer.refusal is not None and offer.refusal.startswith("Rente niet te berekenen")
    exc_value = _refusal(driver, ref, "to_settlement", {}, world.handler, TransitionNotAllowed)
    assert exc_value.guard == "interest_rates_known"
    assert "rentestanden" in str(exc_value)


def test_defence_costs_above_the_policys_cap_are_refused_before_anything_is_staged(
    driver: Driver, engine: Engine, world: World
) -> None:
    ref = driver.bring_to("contract_breach", "regeling")
    with Session(engine) as s:  # a business policy may cap the defence costs (7:963 lid 2 BW)
        policy_id = s.get(Claim, _claim_id(engine, ref)).policy_id  # type: ignore[union-attr]
        s.exec(update(Policy).where(Policy.id == policy_id).values(cap_defence=Decimal("5000")))  # type: ignore[call-overload]
        s.commit()
    payee = driver.payee(ref)
    inputs = {"damages": "10000", "defence": "5000.01", "payee": payee, "terms": "Finale kwijting"}
    exc_value = _refusal(driver, ref, "settle", inputs, world.manager, TransitionNotAllowed)
    assert exc_value.guard == "settlement_within_cover"
    assert "Kosten van verweer € 5.000,01 gaat boven het maximum van de polis (€ 5.000,00" in str(exc_value)
    driver.fire(ref, "settle", inputs | {"defence": "5000"}, actor=world.manager)  # exactly the cap


def test_advances_above_the_settlement_refuse_it(driver: Driver, engine: Engine, world: World) -> None:
    ref = driver.bring_to("contract_breach", "regeling")
    payee = driver.payee(ref)
    driver.fire(ref, "pay_damages_advance", {"amount": "20000", "payee": payee}, actor=world.manager)
    # 20,000 advanced; 21,000 agreed less the 2,500 deductible is 18,500: 1,500 would have to come back
    inputs = {"damages": "21000", "payee": payee, "terms": "Finale kwijting"}
    exc_value = _refusal(driver, ref, "settle", inputs, world.manager, TransitionNotAllowed)
    assert exc_value.guard == "settlement_within_cover"
    assert "al € 20.000,00 voorgeschoten" in str(exc_value) and "€ 18.500,00" in str(exc_value)


def _claim_id(engine: Engine, ref: str) -> int:
    from sqlmodel import select

    with Session(engine) as s:
        return s.exec(select(Claim.id).where(Claim.reference == ref)).one()  # type: ignore[return-value]


@pytest.mark.parametrize("who", ["nobody@claimflow.test", "handler"])
def test_a_chosen_expert_must_be_an_active_expert(
    driver: Driver, engine: Engine, world: World, who: str
) -> None:
    ref = driver.bring_to("contract_breach", "dekkingsonderzoek")
    email = world.handler.email if who == "handler" else who
    exc_value = _refusal(
        driver,
        ref,
        "confirm_cover",
        {"expert": email, "reserve_damages": "5000"},
        world.handler,
        InvalidInput,
    )
    assert exc_value.errors == {"expert": f"geen actieve expert met e-mailadres {email}"}


def test_reassigning_to_the_handler_it_has_marks_the_field(driver: Driver, world: World) -> None:
    ref = driver.open("contract_breach").reference
    exc_value = _refusal(
        driver, ref, "reassign", {"handler": world.handler.email}, world.manager, InvalidInput
    )
    assert exc_value.errors == {"handler": f"{world.handler.email} behandelt deze claim al"}
    exc_value = _refusal(
        driver, ref, "reassign", {"handler": world.expert.email}, world.manager, InvalidInput
    )
    assert exc_value.errors == {"handler": f"geen actieve behandelaar met e-mailadres {world.expert.email}"}
    driver.fire(ref, "reassign", {"handler": world.other_handler.email}, actor=world.manager)


@pytest.mark.parametrize(("days", "refused"), [("0", True), ("1", False), ("60", False), ("61", True)])
def test_answer_days_keep_the_bounds_the_spec_declares(
    driver: Driver, world: World, days: str, refused: bool
) -> None:
    ref = driver.open("contract_breach").reference
    inputs = {"questions": "Welke facturen staan open?", "answer_days": days}
    if refused:
        exc_value = _refusal(driver, ref, "request_information", inputs, world.handler, InvalidInput)
        assert exc_value.errors == {"answer_days": "Antwoord binnen (werkdagen): tussen 1 en 60"}
    else:
        driver.fire(ref, "request_information", inputs, actor=world.handler)
