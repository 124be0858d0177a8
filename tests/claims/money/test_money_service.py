"""The money rules through the service (advance, the proposals and payments calls) on a database: what a
claim of version 3 pays, reserves, proposes and writes, every amount worked out by hand to the cent."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from claims.runtime import Runtime
from claims.service import (
    Outcome,
    advance,
    approve_proposal,
    cancel_payment,
    mark_paid,
    reject_proposal,
)
from claims.service.parties import add_party
from claims.storage.models import Claim, Letter, MoneyLine, Payment, Policy, Proposal, User
from notifications.formatting import euro
from tests.claims.driver import LONG_TEXT, Driver, path_to
from tests.conftest import snapshot
from tests.factories import Clock, World, make_user
from workflow.errors import Forbidden, InvalidInput, TransitionNotAllowed

D = Decimal
E = TypeVar("E", bound=Exception)
# the clock's day (tests/conftest.py): a claim reported today has run no statutory interest yet, so a
# settlement pays no interest unless a test sets a date it was due from
TODAY = "2026-11-16"


@pytest.fixture
def driver(engine: Engine, rt: Runtime, world: World) -> Driver:
    return Driver(engine, rt, world)


# --- helpers ---------------------------------------------------------------------------------------


def _claim(engine: Engine, ref: str) -> Claim:
    with Session(engine) as s:
        return s.exec(select(Claim).where(Claim.reference == ref)).one()


def _lines(engine: Engine, ref: str, kind: str, event_id: int | None = None) -> dict[str, Decimal]:
    """Money lines of one kind on the claim (of one event, when given), summed per cost type; zero
    totals left out."""
    claim_id = _claim(engine, ref).id
    out: dict[str, Decimal] = {}
    with Session(engine) as s:
        q = select(MoneyLine).where(MoneyLine.claim_id == claim_id, MoneyLine.kind == kind)
        if event_id is not None:
            q = q.where(MoneyLine.event_id == event_id)
        for line in s.exec(q):
            out[line.cost_type] = out.get(line.cost_type, D(0)) + line.amount
    return {k: v for k, v in out.items() if v}


def _payments(engine: Engine, ref: str) -> list[Payment]:
    claim_id = _claim(engine, ref).id
    with Session(engine) as s:
        return list(s.exec(select(Payment).where(Payment.claim_id == claim_id).order_by(Payment.id)))  # type: ignore[arg-type]


def _proposals(engine: Engine, ref: str) -> list[Proposal]:
    claim_id = _claim(engine, ref).id
    with Session(engine) as s:
        return list(s.exec(select(Proposal).where(Proposal.claim_id == claim_id).order_by(Proposal.id)))  # type: ignore[arg-type]


def _letters(engine: Engine, event_id: int) -> dict[str, Letter]:
    with Session(engine) as s:
        return {x.template: x for x in s.exec(select(Letter).where(Letter.event_id == event_id))}


def _set_policy(engine: Engine, **values: Any) -> None:
    with Session(engine) as s:
        s.execute(update(Policy).where(col(Policy.number) == "BAV-TEST-1").values(**values))
        s.commit()


def _regeling(driver: Driver, kind: str = "contract_breach", **overrides: Any) -> str:
    """A claim in settlement, reported today (no statutory interest has run)."""
    return driver.bring_to(kind, "regeling", **({"date_reported": TODAY} | overrides))


def _settle(driver: Driver, ref: str, damages: str, actor: User, **extra: Any) -> Outcome:
    inputs = {"damages": damages, "payee": driver.payee(ref), "terms": LONG_TEXT} | extra
    return driver.fire(ref, "settle", inputs, actor=actor)


def _advance(driver: Driver, ref: str, amount: str, actor: User) -> Outcome:
    return driver.fire(
        ref, "pay_damages_advance", {"amount": amount, "payee": driver.payee(ref)}, actor=actor
    )


def _assign(engine: Engine, ref: str, handler: User) -> None:
    """Make `handler` the claim's handler (a test set-up: a manager would reassign it)."""
    with Session(engine) as s:
        s.execute(update(Claim).where(col(Claim.reference) == ref).values(handler_id=handler.id))
        s.commit()


def _user(engine: Engine, clock: Clock, email: str, role: str, limit: str) -> User:
    with Session(engine, expire_on_commit=False) as s:
        user = make_user(s, email, role, now=clock(), authority_limit=limit)
        s.commit()
        s.refresh(user)
        return user


def _refusal(
    driver: Driver, ref: str, trigger: str, inputs: dict[str, Any], actor: User, error: type[E]
) -> E:
    """The error firing is refused with, having checked that nothing in the database changed."""
    before = snapshot(driver.engine)
    version = _claim(driver.engine, ref).version
    with Session(driver.engine) as s, pytest.raises(error) as exc:
        advance(s, driver.rt, ref, trigger, inputs, actor, version)
    assert snapshot(driver.engine) == before, f"refused {trigger} changed the database"
    return exc.value


def _unpaid_fee_in_settlement(driver: Driver, invoices: list[tuple[str, str, str]]) -> str:
    """An unpaid-fee claim with `invoices` (number, amount, due date) brought to settlement."""
    ref = driver.open("unpaid_fee", date_reported=TODAY).reference
    for number, amount, due in invoices:
        driver.fire(ref, "register_invoice", {"number": number, "amount": amount, "due_date": due})
    for t in path_to(driver.rt.catalog.spec("unpaid_fee"), "regeling"):
        driver.prepare(ref, t)
        driver.fire(ref, t.trigger)
    return ref


# --- 1. costs outside the limit (7:959 lid 1) ------------------------------------------------------


def test_defence_costs_are_paid_beside_a_settlement_that_uses_the_whole_cover(
    driver: Driver, engine: Engine, world: World
) -> None:
    ref = _regeling(driver)
    # 1,002,500 - 2,500 deductible = 1,000,000 = the cover; defence 1,000 on top (refused before issue 17)
    done = _settle(driver, ref, "1002500", world.manager, defence="1000")
    assert done.state == "gesloten"
    assert _lines(engine, ref, "payment") == {"damages": D("1000000"), "defence": D("1000")}
    assert _lines(engine, ref, "deductible") == {"damages": D("2500")}
    (payment,) = _payments(engine, ref)
    # one transfer to the claimant: 1,000,000 + 1,000 = 1,001,000
    assert payment.amount == D("1001000")
    assert {k: D(v) for k, v in payment.parts.items()} == {"damages": D("1000000"), "defence": D("1000")}


def test_sgoa_costs_are_paid_when_the_cover_is_used_up(driver: Driver, engine: Engine, world: World) -> None:
    ref = _regeling(driver)
    _advance(driver, ref, "1000000", world.manager)  # the whole cover, on account
    driver.fire(ref, "start_dispute")
    done = driver.fire(
        ref,
        "resolve_dispute",
        {"ruling": LONG_TEXT, "dispute_costs": "5000", "payee": driver.payee(ref)},
        actor=world.handler,
    )
    assert done.proposal_id is None
    assert _lines(engine, ref, "payment", done.event_id) == {"sgoa": D("5000")}
    assert _lines(engine, ref, "payment") == {"damages": D("1000000"), "sgoa": D("5000")}


# --- 2. above the cover ----------------------------------------------------------------------------


def test_a_settlement_above_the_cover_pays_the_cover_and_books_the_insured_share(
    driver: Driver, engine: Engine, world: World
) -> None:
    ref = _regeling(driver)
    done = _settle(driver, ref, "1200000", world.manager)
    # 1,200,000 - 2,500 = 1,197,500; 1,000,000 paid; 1,197,500 - 1,000,000 = 197,500 the insured's
    assert _lines(engine, ref, "payment", done.event_id) == {"damages": D("1000000")}
    assert _lines(engine, ref, "insured_share") == {"damages": D("197500")}
    assert _lines(engine, ref, "deductible") == {"damages": D("2500")}


# --- 3. advances netted ----------------------------------------------------------------------------


def test_an_advance_is_deducted_from_the_settlement(driver: Driver, engine: Engine, world: World) -> None:
    ref = _regeling(driver)
    _advance(driver, ref, "20000", world.handler)
    done = _settle(driver, ref, "40000", world.handler)
    # 40,000 - 2,500 = 37,500 in all; 37,500 - 20,000 advanced = 17,500 now
    assert done.proposal_id is None  # 20,000 + 17,500 = 37,500 within the handler's 50,000
    assert _lines(engine, ref, "payment", done.event_id) == {"damages": D("17500")}
    assert _lines(engine, ref, "payment") == {"damages": D("37500")}


def test_an_advance_counts_against_a_small_cover_and_the_rest_is_the_insureds(
    driver: Driver, engine: Engine, world: World
) -> None:
    _set_policy(engine, cover_per_claim=D("100000"))
    ref = _regeling(driver)
    _advance(driver, ref, "20000", world.manager)
    done = _settle(driver, ref, "120000", world.manager)
    # 120,000 - 2,500 = 117,500; at most 100,000 in all: 100,000 - 20,000 = 80,000 now;
    # 117,500 - 100,000 = 17,500 the insured's
    assert _lines(engine, ref, "payment", done.event_id) == {"damages": D("80000")}
    assert _lines(engine, ref, "insured_share") == {"damages": D("17500")}
    assert _lines(engine, ref, "payment") == {"damages": D("100000")}


# --- 4. authority per claim, four eyes -------------------------------------------------------------


def test_a_handlers_authority_weighs_the_sum_of_their_payments_on_the_claim(
    driver: Driver, engine: Engine, world: World
) -> None:
    ref = _regeling(driver)
    first = _advance(driver, ref, "45000", world.handler)
    assert first.proposal_id is None
    version = _claim(engine, ref).version
    # 45,000 + 45,000 = 90,000 > 50,000: held for a manager, nothing moves and nothing is booked
    second = _advance(driver, ref, "45000", world.handler)
    assert second.proposal_id is not None
    assert (second.version, _claim(engine, ref).version) == (version, version)
    assert _lines(engine, ref, "payment") == {"damages": D("45000")}
    (proposal,) = _proposals(engine, ref)
    assert proposal.id is not None
    assert (proposal.id, proposal.status, proposal.amount) == (second.proposal_id, "open", D("45000"))
    held = [p for p in _payments(engine, ref) if p.proposal_id == proposal.id]
    assert [(p.status, p.amount, p.approved_by) for p in held] == [("proposed", D("45000"), None)]

    approved = approve_proposal_as(driver, proposal.id, world.manager)
    assert approved.version == version + 1
    assert _lines(engine, ref, "payment") == {"damages": D("90000")}  # 45,000 + 45,000
    (paid,) = [p for p in _payments(engine, ref) if p.proposal_id == proposal.id]
    assert (paid.status, paid.proposed_by, paid.approved_by) == (
        "approved",
        world.handler.id,
        world.manager.id,
    )
    assert _proposals(engine, ref)[0].status == "approved"


def approve_proposal_as(driver: Driver, proposal_id: int, actor: User) -> Outcome:
    with Session(driver.engine, expire_on_commit=False) as s:
        return approve_proposal(s, driver.rt, proposal_id, actor)


def _approval_refused(driver: Driver, proposal_id: int, actor: User, error: type[Exception]) -> Exception:
    before = snapshot(driver.engine)
    with Session(driver.engine) as s, pytest.raises(error) as exc:
        approve_proposal(s, driver.rt, proposal_id, actor)
    assert snapshot(driver.engine) == before, "a refused approval changed the database"
    return exc.value


def test_the_proposer_and_a_manager_below_the_amount_cannot_approve(
    driver: Driver, engine: Engine, world: World, clock: Clock
) -> None:
    low = _user(engine, clock, "m-laag@test.nl", "manager", "40000")
    ref = _regeling(driver)
    _advance(driver, ref, "45000", world.handler)
    proposal_id = _advance(driver, ref, "45000", world.handler).proposal_id
    assert proposal_id is not None
    _approval_refused(driver, proposal_id, world.handler, Forbidden)  # the proposer, and no manager
    refused = _approval_refused(driver, proposal_id, low, TransitionNotAllowed)
    assert getattr(refused, "guard", None) == "authority"  # 45,000 > the low manager's 40,000
    approve_proposal_as(driver, proposal_id, world.other_manager)  # another manager may


def test_a_manager_cannot_approve_their_own_proposal_and_a_rejection_cancels_its_payment(
    driver: Driver, engine: Engine, world: World, clock: Clock
) -> None:
    low = _user(engine, clock, "m-laag@test.nl", "manager", "40000")
    ref = _regeling(driver)
    proposal_id = _advance(driver, ref, "45000", low).proposal_id  # 45,000 > 40,000
    assert proposal_id is not None
    refused = _approval_refused(driver, proposal_id, low, TransitionNotAllowed)
    assert getattr(refused, "guard", None) == "four_eyes"
    with Session(engine) as s:
        reject_proposal(s, driver.rt, proposal_id, world.manager, "Eerst de expertise afwachten")
    (proposal,) = _proposals(engine, ref)
    assert (proposal.status, proposal.decided_by, proposal.comment) == (
        "rejected",
        world.manager.id,
        "Eerst de expertise afwachten",
    )
    (held,) = _payments(engine, ref)
    assert (held.status, held.cancel_reason) == ("cancelled", "afgewezen: Eerst de expertise afwachten")
    assert _lines(engine, ref, "payment") == {}


# --- 5. reserves ------------------------------------------------------------------------------------


def test_a_handlers_reserve_above_their_authority_becomes_a_proposal(
    driver: Driver, engine: Engine, world: World
) -> None:
    ref = _regeling(driver)
    before = _lines(engine, ref, "reserve")
    done = driver.fire(
        ref, "adjust_reserve", {"cost_type": "damages", "amount": "60000"}, actor=world.handler
    )
    assert done.proposal_id is not None
    assert _lines(engine, ref, "reserve") == before
    (proposal,) = _proposals(engine, ref)
    assert proposal.weighed["over_authority"] and not proposal.weighed["over_cover"]
    assert proposal.amount == D("60000")  # the reserve after it: what an approver's authority must cover


def test_a_reserve_above_the_remaining_cover_needs_a_manager_whatever_the_handlers_authority(
    driver: Driver, engine: Engine, world: World, clock: Clock
) -> None:
    big = _user(engine, clock, "h-groot@test.nl", "handler", "5000000")
    ref = _regeling(driver)
    _assign(engine, ref, big)
    done = driver.fire(ref, "adjust_reserve", {"cost_type": "damages", "amount": "1200000"}, actor=big)
    assert done.proposal_id is not None
    (proposal,) = _proposals(engine, ref)
    assert not proposal.weighed["over_authority"]
    # 1,200,000 > the remaining 1,000,000
    assert proposal.weighed["over_cover"] == [
        f"Reserve schadevergoeding {euro(D('1200000'))} gaat boven de resterende dekking "
        f"({euro(D('1000000'))})."
    ]
    by_manager = driver.fire(
        ref, "adjust_reserve", {"cost_type": "damages", "amount": "1200000"}, actor=world.manager
    )
    assert by_manager.proposal_id is None
    assert _lines(engine, ref, "reserve") == {"damages": D("1200000")}


# --- 6. series: one claim for the deductible and the limit ----------------------------------------


def _series(driver: Driver) -> tuple[str, str]:
    first = _regeling(driver)
    second = _regeling(driver)
    driver.fire(second, "link_to_series", {"series_reference": first})
    assert _claim(driver.engine, second).series_id == _claim(driver.engine, first).id
    return first, second


def test_the_deductible_is_applied_once_to_a_series(driver: Driver, engine: Engine, world: World) -> None:
    first, second = _series(driver)
    _settle(driver, first, "20000", world.manager)  # 20,000 - 2,500 = 17,500
    done = _settle(driver, second, "30000", world.manager)  # the series' deductible is used: 30,000
    assert _lines(engine, first, "payment") == {"damages": D("17500")}
    assert _lines(engine, second, "deductible") == {}
    assert _lines(engine, second, "payment", done.event_id) == {"damages": D("30000")}


def test_the_claim_limit_applies_to_a_series_together(driver: Driver, engine: Engine, world: World) -> None:
    _set_policy(engine, cover_per_claim=D("100000"))
    first, second = _series(driver)
    _settle(driver, first, "82500", world.manager)  # 82,500 - 2,500 = 80,000 of the 100,000
    done = _settle(driver, second, "50000", world.manager)
    # no deductible again; 100,000 - 80,000 = 20,000 left for the series; 50,000 - 20,000 = 30,000 insured
    assert _lines(engine, second, "payment", done.event_id) == {"damages": D("20000")}
    assert _lines(engine, second, "insured_share") == {"damages": D("30000")}


def test_an_advance_on_a_series_claim_is_weighed_against_the_series_cover(
    driver: Driver, engine: Engine, world: World
) -> None:
    _set_policy(engine, cover_per_claim=D("100000"))
    first, second = _series(driver)
    _advance(driver, first, "80000", world.manager)
    # 80,000 + 20,000 = 100,000: fits; a cent more would not
    driver.refuse(
        second,
        "pay_damages_advance",
        {"amount": "20000.01", "payee": driver.payee(second)},
        world.manager,
        TransitionNotAllowed,
        match="verzekerd bedrag per aanspraak",
    )
    _advance(driver, second, "20000", world.manager)


# --- 7. the year's aggregate -------------------------------------------------------------------------


def test_the_second_settlement_of_the_year_pays_what_the_year_leaves(
    driver: Driver, engine: Engine, world: World
) -> None:
    _set_policy(engine, cover_per_year=D("1500000"))
    first, second = _regeling(driver), _regeling(driver)
    _settle(driver, first, "1002500", world.manager)  # 1,000,000 of the year's 1,500,000
    done = _settle(driver, second, "802500", world.manager)
    # 802,500 - 2,500 = 800,000; 1,500,000 - 1,000,000 = 500,000 left; 300,000 the insured's
    assert _lines(engine, second, "payment", done.event_id) == {"damages": D("500000")}
    assert _lines(engine, second, "insured_share") == {"damages": D("300000")}


def test_a_deductible_advanced_for_the_insured_does_not_use_the_years_cover(
    driver: Driver, engine: Engine, world: World
) -> None:
    # the year: 1,017,500; the first claim's cover bears 20,000 - 2,500 = 17,500 of it
    _set_policy(engine, cover_per_year=D("1017500"))
    first, second = _regeling(driver), _regeling(driver)
    _settle(driver, first, "20000", world.manager, deductible_in_full="true")
    done = _settle(driver, second, "1002500", world.manager)
    # 1,017,500 - 17,500 = 1,000,000 left: the second claim's full cover
    assert _lines(engine, second, "payment", done.event_id) == {"damages": D("1000000")}


# --- 8. claims-made -----------------------------------------------------------------------------------


def _confirm(driver: Driver, ref: str, actor: User, **extra: str) -> Outcome:
    inputs = {"expert": driver.world.expert.email, "reserve_damages": "10000"} | extra
    return driver.fire(ref, "confirm_cover", inputs, actor=actor)


def _check_claims_made_override(driver: Driver, ref: str, world: World, finding: str) -> None:
    inputs = {"expert": world.expert.email, "reserve_damages": "10000"}
    refused = _refusal(driver, ref, "confirm_cover", inputs, world.handler, TransitionNotAllowed)
    assert refused.guard == "claims_made_or_reasoned"
    assert finding in str(refused)
    driver.refuse(ref, "confirm_cover", inputs, world.manager, InvalidInput, match="cover_reason")
    done = _confirm(driver, ref, world.manager, cover_reason=LONG_TEXT)
    assert done.state == "expertise"
    decision = _claim(driver.engine, ref).case_data["cover_decision"]
    assert decision["override_reason"] == LONG_TEXT
    assert decision["claims_made"]["covered"] is False
    assert decision["by"] == world.manager.id


def test_an_error_before_the_retroactive_date_is_covered_only_by_a_manager_with_a_reason(
    driver: Driver, world: World
) -> None:
    ref = driver.bring_to(
        "contract_breach", "dekkingsonderzoek", date_error="2014-06-01", date_known="2014-07-01"
    )
    _check_claims_made_override(driver, ref, world, "vóór de datum van terugwerkende kracht")


def test_a_claim_reported_before_the_policy_started_is_covered_only_by_a_manager_with_a_reason(
    driver: Driver, engine: Engine, world: World
) -> None:
    ref = driver.bring_to("contract_breach", "dekkingsonderzoek")  # reported 16 November 2026
    _set_policy(engine, start_date=date(2026, 11, 20))
    _check_claims_made_override(driver, ref, world, "buiten de looptijd")


def test_a_claim_within_the_claims_made_cover_is_confirmed_by_a_handler(driver: Driver, world: World) -> None:
    ref = driver.bring_to("contract_breach", "dekkingsonderzoek")
    _confirm(driver, ref, world.handler)
    decision = _claim(driver.engine, ref).case_data["cover_decision"]
    assert decision["claims_made"]["covered"] is True and "override_reason" not in decision


# --- 9. statutory interest 6:119 --------------------------------------------------------------------


def _claim_due_since_june(driver: Driver, clock: Clock) -> str:
    """A claim reported in June 2026, in settlement, its damages due since 30 June (set_interest)."""
    clock.now = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    ref = driver.bring_to(
        "contract_breach",
        "regeling",
        date_error="2026-05-01",
        date_known="2026-05-10",
        date_reported="2026-06-15",
    )
    driver.fire(ref, "set_interest", {"interest_from": "2026-06-30"})
    return ref


def test_settlement_pays_statutory_interest_on_the_covered_damages(
    driver: Driver, engine: Engine, world: World, clock: Clock
) -> None:
    ref = _claim_due_since_june(driver, clock)
    clock.now = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
    done = _settle(driver, ref, "40000", world.handler)
    # 40,000 - 2,500 = 37,500; 1 July - 16 November: 31 + 31 + 30 + 31 + 16 = 139 days at 4%:
    # 37,500 x 0.04 x 139 / 365 = 208,500 / 365 = 571.2328 -> 571.23
    assert _lines(engine, ref, "payment", done.event_id) == {"damages": D("37500"), "interest": D("571.23")}


def test_an_advance_lowers_the_interest_principal_from_the_day_after(
    driver: Driver, engine: Engine, world: World, clock: Clock
) -> None:
    ref = _claim_due_since_june(driver, clock)
    clock.now = datetime(2026, 9, 30, 9, 0, tzinfo=UTC)
    _advance(driver, ref, "20000", world.handler)
    clock.now = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
    done = _settle(driver, ref, "40000", world.handler)
    # 1 July - 30 September, 92 days on 37,500: 37,500 x 0.04 x 92 / 365 = 138,000 / 365
    # 1 October - 16 November, 47 days on 17,500: 17,500 x 0.04 x 47 / 365 = 32,900 / 365
    # 170,900 / 365 = 468.2192 -> 468.22; damages now 37,500 - 20,000 = 17,500
    assert _lines(engine, ref, "payment", done.event_id) == {"damages": D("17500"), "interest": D("468.22")}


def test_an_advance_after_midnight_in_amsterdam_counts_from_the_dutch_day(
    driver: Driver, engine: Engine, world: World, clock: Clock
) -> None:
    ref = _claim_due_since_june(driver, clock)
    clock.now = datetime(2026, 9, 30, 22, 30, tzinfo=UTC)  # 1 October 2026, 00:30 in Amsterdam (CEST)
    _advance(driver, ref, "20000", world.handler)
    clock.now = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
    done = _settle(driver, ref, "40000", world.handler)
    # 1 July - 1 October, 93 days on 37,500: 37,500 x 0.04 x 93 / 365 = 139,500 / 365
    # 2 October - 16 November, 46 days on 17,500: 17,500 x 0.04 x 46 / 365 = 32,200 / 365
    # 171,700 / 365 = 470.4110 -> 470.41
    assert _lines(engine, ref, "payment", done.event_id) == {"damages": D("17500"), "interest": D("470.41")}


def test_a_manager_sets_another_interest_amount_with_a_reason_a_handler_cannot(
    driver: Driver, engine: Engine, world: World, clock: Clock
) -> None:
    ref = _claim_due_since_june(driver, clock)
    override = {"interest_from": "2026-06-30", "interest_override": "500", "interest_reason": LONG_TEXT}
    driver.refuse(ref, "set_interest", override, world.handler, InvalidInput, match="interest_override")
    driver.refuse(
        ref,
        "set_interest",
        override | {"interest_reason": "kort"},
        world.manager,
        InvalidInput,
        match="interest_reason",
    )
    driver.fire(ref, "set_interest", override, actor=world.manager)
    clock.now = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
    done = _settle(driver, ref, "40000", world.handler)
    assert _lines(engine, ref, "payment", done.event_id) == {"damages": D("37500"), "interest": D("500")}


def test_a_cancelled_advance_no_longer_lowers_the_interest(
    driver: Driver, engine: Engine, world: World, clock: Clock
) -> None:
    ref = _claim_due_since_june(driver, clock)
    clock.now = datetime(2026, 9, 30, 9, 0, tzinfo=UTC)
    _advance(driver, ref, "20000", world.manager)
    (payment,) = _payments(engine, ref)
    with Session(engine) as s:
        cancel_payment(s, driver.rt, payment.id, world.manager, "Verkeerde rekening")  # type: ignore[arg-type]
    clock.now = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
    done = _settle(driver, ref, "40000", world.handler)
    # nothing was advanced after all: 37,500 paid now, interest on 37,500 for 139 days = 571.23
    assert _lines(engine, ref, "payment", done.event_id) == {"damages": D("37500"), "interest": D("571.23")}


# --- 10. 6:119a on unpaid invoices -------------------------------------------------------------------

INVOICES = [("F-1", "10000", "2026-08-31"), ("F-2", "2345.67", "2026-09-30")]
# handelsrente 10.15% (from 1 July 2025) up to 16 November 2026, a day 1/365:
#   F-1: 1 September - 16 November = 30 + 31 + 16 = 77 days:
#        10,000 x 0.1015 x 77 / 365 = 78,155 / 365 = 214.1233 -> 214.12
#   F-2: 1 October - 16 November = 31 + 16 = 47 days:
#        2,345.67 x 0.1015 x 47 / 365 = 11,190.018735 / 365 = 30.6576 -> 30.66
#   214.12 + 30.66 = 244.78
INVOICE_INTEREST = {"F-1": D("214.12"), "F-2": D("30.66")}


def test_invoice_interest_is_computed_per_invoice_and_paid_with_the_settlement(
    driver: Driver, engine: Engine, world: World
) -> None:
    ref = _unpaid_fee_in_settlement(driver, INVOICES)
    computed = _claim(engine, ref).case_data["invoice_interest"]
    assert {i["number"]: D(i["interest"]) for i in computed["invoices"]} == INVOICE_INTEREST
    assert D(computed["total"]) == D("244.78")
    done = _settle(driver, ref, "12345.67", world.handler)
    # 12,345.67 - 2,500 = 9,845.67 damages; the interest on the covered part only (the deductible is the
    # insured's): 244.78 x 9,845.67 / 12,345.67 = 195.2100... -> 195.21
    assert _lines(engine, ref, "payment", done.event_id) == {"damages": D("9845.67"), "interest": D("195.21")}


# --- 11. buitengerechtelijke incassokosten -----------------------------------------------------------


def test_collection_costs_by_the_scale_a_lump_sum_or_a_reasoned_amount(
    driver: Driver, engine: Engine, world: World
) -> None:
    ref = _unpaid_fee_in_settlement(driver, INVOICES)

    def chosen(**inputs: str) -> dict[str, Any]:
        driver.fire(ref, "set_collection_costs", inputs, actor=world.handler)
        found: dict[str, Any] = _claim(engine, ref).case_data["collection_costs"]
        return found

    # 40 a late-paid invoice (6:96 lid 4): 2 x 40 = 80
    assert D(chosen(basis="forfait")["amount"]) == D("80")
    missing = _refusal(
        driver, ref, "set_collection_costs", {"basis": "afwijkend"}, world.handler, InvalidInput
    )
    assert set(missing.errors) == {"amount", "reason"}
    assert D(chosen(basis="afwijkend", amount="600", reason=LONG_TEXT)["amount"]) == D("600")
    # principal 10,000 + 2,345.67 = 12,345.67:
    # 15% of 2,500 = 375 + 10% of 2,500 = 250 + 5% of 5,000 = 250 + 1% of 2,345.67 = 23.4567 -> 23.46
    # 375 + 250 + 250 + 23.46 = 898.46
    scale = chosen(basis="staffel")
    assert (D(scale["principal"]), D(scale["amount"])) == (D("12345.67"), D("898.46"))
    assert [D(t["amount"]) for t in scale["tiers"]] == [D("375"), D("250"), D("250"), D("23.46")]
    done = _settle(driver, ref, "12345.67", world.handler)
    # 9,845.67 damages + 898.46 collection (both within the cover) + the interest on the covered damages
    # (collection costs bear none): 244.78 x 9,845.67 / 12,345.67 = 195.21
    assert _lines(engine, ref, "payment", done.event_id) == {
        "damages": D("9845.67"),
        "collection": D("898.46"),
        "interest": D("195.21"),
    }


# --- 12. recoveries and the deductible collected -----------------------------------------------------


def test_a_recovery_after_closing_is_booked(driver: Driver, engine: Engine, world: World) -> None:
    ref = _regeling(driver)
    _settle(driver, ref, "40000", world.handler)
    driver.fire(
        ref,
        "record_recovery",
        {"amount": "12500.50", "from_whom": "Leverancier X B.V.", "received_on": TODAY},
        actor=world.handler,
    )
    assert _lines(engine, ref, "recovery") == {"damages": D("12500.50")}
    assert _lines(engine, ref, "payment") == {"damages": D("37500")}  # the payments are untouched


def test_the_deductible_paid_in_full_is_collected_from_the_insured_no_more_than_is_due(
    driver: Driver, engine: Engine, world: World
) -> None:
    ref = _regeling(driver)
    done = _settle(driver, ref, "20000", world.handler, deductible_in_full="true")
    # the claimant gets 20,000 - 2,500 + 2,500 = 20,000; 2,500 to collect from the insured
    # the damages within the cover, and the deductible paid for the insured as its own cost type
    assert _lines(engine, ref, "payment", done.event_id) == {
        "damages": D("17500"),
        "advanced_deductible": D("2500"),
    }
    assert _lines(engine, ref, "deductible_due") == {"damages": D("2500")}
    assert "eigen_risico_verzoek" in _letters(engine, done.event_id)
    driver.fire(ref, "collect_deductible", {"amount": "1000", "received_on": TODAY}, actor=world.handler)
    assert _lines(engine, ref, "deductible_due") == {"damages": D("1500")}  # 2,500 - 1,000
    driver.refuse(
        ref,
        "collect_deductible",
        {"amount": "1500.01", "received_on": TODAY},
        world.handler,
        InvalidInput,
        match="amount",
    )
    driver.fire(ref, "collect_deductible", {"amount": "1500", "received_on": TODAY}, actor=world.handler)
    assert _lines(engine, ref, "deductible_due") == {}
    driver.refuse(
        ref, "collect_deductible", {"amount": "1", "received_on": TODAY}, world.handler, TransitionNotAllowed
    )


# --- 13. letters add up ------------------------------------------------------------------------------


def test_payment_confirmations_count_only_what_went_to_their_addressee(
    driver: Driver, engine: Engine, rt: Runtime, world: World
) -> None:
    ref = _regeling(driver)
    driver.payee(ref)  # the claimant, with an IBAN, before the other party that has one
    lawyer = {
        "role": "other",
        "name": "Advocaat van de verzekerde",
        "email": "advocaat@example.nl",
        "channel": "email",
        "iban": "NL02ABNA0123456789",
        "account_holder": "Advocatenkantoor Y",
    }
    with Session(engine) as s:
        lawyer_id = add_party(s, rt, ref, lawyer, world.handler)
    done = _settle(driver, ref, "20000", world.handler, defence="1234.56", defence_payee=lawyer_id)
    written = _letters(engine, done.event_id)
    assert "betalingsbevestiging" not in written  # nothing went to the insured
    claimant = written["betalingsbevestiging_benadeelde"].html
    assert euro(D("17500")) in claimant  # 20,000 - 2,500: what the claimant got
    assert euro(D("1234.56")) not in claimant and euro(D("18734.56")) not in claimant


def test_a_settlement_that_pays_nothing_writes_no_payment_confirmation(
    driver: Driver, engine: Engine, world: World
) -> None:
    ref = _regeling(driver)
    done = _settle(driver, ref, "2000", world.handler)  # all of it within the 2,500 deductible
    assert _lines(engine, ref, "payment") == {}
    written = _letters(engine, done.event_id)
    assert "vaststellingsovereenkomst" in written
    assert not {"betalingsbevestiging", "betalingsbevestiging_benadeelde"} & set(written)


def test_the_settlement_agreement_lists_the_advance_and_the_insureds_share(
    driver: Driver, engine: Engine, world: World
) -> None:
    _set_policy(engine, cover_per_claim=D("100000"))
    ref = _regeling(driver)
    _advance(driver, ref, "20000", world.manager)
    done = _settle(driver, ref, "120000", world.manager)
    html = _letters(engine, done.event_id)["vaststellingsovereenkomst"].html
    assert "voorschot" in html and f"- {euro(D('20000'))}" in html
    assert f"- {euro(D('17500'))}" in html  # the insured's share: 117,500 - 100,000
    assert euro(D("80000")) in html  # paid now


# --- 14. cancelling a payment ------------------------------------------------------------------------


def test_a_cancelled_payment_is_booked_back_and_frees_the_cover(
    driver: Driver, engine: Engine, world: World
) -> None:
    ref = _regeling(driver)
    _advance(driver, ref, "30000", world.manager)
    full = {"amount": "1000000", "payee": driver.payee(ref)}
    # 30,000 + 1,000,000 > 1,000,000
    driver.refuse(
        ref, "pay_damages_advance", full, world.manager, TransitionNotAllowed, match="per aanspraak"
    )
    (payment,) = _payments(engine, ref)
    with Session(engine) as s:
        cancel_payment(s, driver.rt, payment.id, world.manager, "Dubbel ingevoerd")  # type: ignore[arg-type]
    (cancelled,) = _payments(engine, ref)
    assert (cancelled.status, cancelled.cancel_reason) == ("cancelled", "Dubbel ingevoerd")
    assert _lines(engine, ref, "payment") == {}  # 30,000 - 30,000
    with Session(engine) as s:
        amounts = [m.amount for m in s.exec(select(MoneyLine).where(MoneyLine.kind == "payment"))]
    assert amounts == [D("30000"), D("-30000")]
    driver.fire(ref, "pay_damages_advance", full, actor=world.manager)  # the whole cover again


# --- 15. marking paid --------------------------------------------------------------------------------


def test_mark_paid_records_the_day_once(driver: Driver, engine: Engine, world: World) -> None:
    ref = _regeling(driver)
    _advance(driver, ref, "30000", world.handler)
    (payment,) = _payments(engine, ref)
    assert payment.id is not None
    with Session(engine) as s:
        mark_paid(s, driver.rt, payment.id, world.manager, date(2026, 11, 17))
    (paid,) = _payments(engine, ref)
    assert (paid.status, paid.paid_on, paid.paid_marked_by) == ("paid", date(2026, 11, 17), world.manager.id)
    before = snapshot(engine)
    with Session(engine) as s, pytest.raises(TransitionNotAllowed, match="al betaald"):
        mark_paid(s, driver.rt, payment.id, world.manager, date(2026, 11, 18))
    assert snapshot(engine) == before
    with Session(engine) as s, pytest.raises(TransitionNotAllowed, match="al betaald"):
        cancel_payment(s, driver.rt, payment.id, world.manager, "Te laat bedacht")
