"""Version 5 leaves no way around the money rules: every step into a state where the insurer pays passes
the claims-made check (not only confirming cover), and a settlement offer above the offerer's authority
waits for a manager as a proposal, as every payment and reserve does."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from claims.runtime import Runtime
from claims.service import advance, approve_proposal
from claims.storage.models import Claim, Proposal
from tests.claims.driver import LONG_TEXT, Driver
from tests.conftest import snapshot
from tests.factories import World
from workflow.errors import InvalidInput, TransitionNotAllowed

# an error of 2014, before the test policy's retroactive date
BEFORE_RETROACTIVE = {"date_error": "2014-06-01", "date_known": "2014-07-01"}
MITIGATION = {"measure": "Team inzetten om de schade te beperken.", "reserve_mitigation": "8000"}

# (kind, the state it starts from, trigger, inputs): the steps that take a claim where it is paid
# without confirming cover first
PATHS = [
    ("contract_breach", "dekkingsonderzoek", "fast_track", {"reserve_damages": "5000"}),
    ("contract_breach", "dekkingsonderzoek", "start_mitigation", MITIGATION),
    ("unpaid_fee", "dekkingsonderzoek", "start_mitigation", MITIGATION),
    ("late_delivery", "dekkingsonderzoek", "start_mitigation", MITIGATION),
    ("data_loss", "melding", "start_restore", MITIGATION),
]


@pytest.fixture
def driver(engine: Engine, rt: Runtime, world: World) -> Driver:
    return Driver(engine, rt, world)


def _claim(engine: Engine, ref: str) -> Claim:
    with Session(engine) as s:
        return s.exec(select(Claim).where(Claim.reference == ref)).one()


def _fire_refused(
    driver: Driver, ref: str, trigger: str, inputs: dict[str, Any], actor: Any, error: type
) -> Any:
    before = snapshot(driver.engine)
    version = _claim(driver.engine, ref).version
    with Session(driver.engine) as s, pytest.raises(error) as exc:
        advance(s, driver.rt, ref, trigger, inputs, actor, version)
    assert snapshot(driver.engine) == before, f"refused {trigger} changed the database"
    return exc.value


@pytest.mark.parametrize(("kind", "state", "trigger", "inputs"), PATHS, ids=[f"{p[0]}-{p[2]}" for p in PATHS])
def test_a_claim_outside_the_claims_made_cover_goes_nowhere_paid_without_a_managers_reason(
    driver: Driver, world: World, kind: str, state: str, trigger: str, inputs: dict[str, Any]
) -> None:
    ref = driver.bring_to(kind, state, amount_claimed="9000", **BEFORE_RETROACTIVE)
    assert _claim(driver.engine, ref).spec_version == 5
    refused = _fire_refused(driver, ref, trigger, inputs, world.handler, TransitionNotAllowed)
    assert refused.guard == "claims_made_or_reasoned"
    assert "vóór de datum van terugwerkende kracht" in str(refused)
    problem = _fire_refused(driver, ref, trigger, inputs, world.manager, InvalidInput)
    assert "cover_reason" in problem.errors

    done = driver.fire(ref, trigger, inputs | {"cover_reason": LONG_TEXT}, actor=world.manager)
    assert done.proposal_id is None
    decision = _claim(driver.engine, ref).case_data["cover_decision"]
    assert decision["claims_made"]["covered"] is False
    assert (decision["override_reason"], decision["by"]) == (LONG_TEXT, world.manager.id)


def test_once_cover_is_decided_mitigation_follows_without_another_reason(
    driver: Driver, world: World
) -> None:
    ref = driver.bring_to("contract_breach", "dekkingsonderzoek", **BEFORE_RETROACTIVE)
    driver.fire(
        ref,
        "confirm_cover",
        {"expert": world.expert.email, "reserve_damages": "10000", "cover_reason": LONG_TEXT},
        actor=world.manager,
    )
    decided = _claim(driver.engine, ref).case_data["cover_decision"]
    # the handler goes on from the manager's decision: from expertise into mitigation, and pays
    assert driver.fire(ref, "start_mitigation", MITIGATION, actor=world.handler).state == "schadebeperking"
    assert _claim(driver.engine, ref).case_data["cover_decision"] == decided  # the decision stands


def test_a_claim_within_the_claims_made_cover_takes_the_fast_track_by_a_handler(
    driver: Driver, world: World
) -> None:
    ref = driver.bring_to("contract_breach", "dekkingsonderzoek", amount_claimed="9000")
    assert (
        driver.fire(ref, "fast_track", {"reserve_damages": "5000"}, actor=world.handler).state == "regeling"
    )
    decision = _claim(driver.engine, ref).case_data["cover_decision"]
    assert decision["claims_made"]["covered"] is True and "override_reason" not in decision


def _offer(amount: str) -> dict[str, str]:
    return {"amount": amount, "terms": "Finale kwijting over en weer.", "answer_days": "10"}


def test_an_offer_above_the_handlers_authority_waits_for_a_manager_and_is_made_when_approved(
    driver: Driver, engine: Engine, world: World
) -> None:
    ref = driver.bring_to("contract_breach", "regeling")
    version = _claim(engine, ref).version
    within = driver.fire(ref, "offer_settlement", _offer("50000"), actor=world.handler)  # the limit itself
    assert within.proposal_id is None and within.version == version + 1

    held = driver.fire(ref, "offer_settlement", _offer("60000"), actor=world.handler)
    assert held.proposal_id is not None
    claim = _claim(engine, ref)
    assert claim.version == version + 1  # nothing moved
    assert [o["amount"] for o in claim.case_data["settlement_offers"]] == ["50000.00"]
    with Session(engine) as s:
        proposal = s.get(Proposal, held.proposal_id)
        assert proposal is not None
        assert (proposal.status, proposal.amount) == ("open", Decimal("60000"))
        assert "Het aanbod van € 60.000,00 gaat boven uw bevoegdheid van € 50.000,00." in proposal.reasons

    with Session(engine, expire_on_commit=False) as s:
        made = approve_proposal(
            s, driver.rt, held.proposal_id, world.manager, comment="Akkoord met het aanbod."
        )
    assert made.version == version + 2
    assert [o["amount"] for o in _claim(engine, ref).case_data["settlement_offers"]] == [
        "50000.00",
        "60000.00",
    ]


def test_a_manager_offering_above_their_own_authority_leaves_it_to_another_manager(
    driver: Driver, engine: Engine, world: World
) -> None:
    ref = driver.bring_to("contract_breach", "regeling")
    held = driver.fire(ref, "offer_settlement", _offer("3000000"), actor=world.manager)  # limit 2,500,000
    assert held.proposal_id is not None
    before = snapshot(engine)
    with Session(engine) as s, pytest.raises(TransitionNotAllowed):
        approve_proposal(s, driver.rt, held.proposal_id, world.other_manager)  # 3,000,000 > their limit too
    assert snapshot(engine) == before
