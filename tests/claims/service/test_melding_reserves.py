"""Reserves set with the melding, per cost type: booked with the melding's event, weighed as any reserve
is (the actor's authority on the claim, what the cover holds); above it the melding is refused naming the
field, and nothing is stored."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from claims.runtime import Runtime
from claims.service import open_claim
from claims.storage.models import Claim, MoneyLine, TimelineEvent
from tests.conftest import snapshot
from tests.factories import World, melding
from workflow.errors import InvalidInput

D = Decimal


def _reserves(engine: Engine, ref: str) -> dict[str, Decimal]:
    with Session(engine) as s:
        claim = s.exec(select(Claim).where(Claim.reference == ref)).one()
        opened = s.exec(select(TimelineEvent).where(TimelineEvent.claim_id == claim.id)).first()
        lines = s.exec(select(MoneyLine).where(MoneyLine.claim_id == claim.id)).all()
    assert opened is not None and all(line.event_id == opened.id for line in lines)
    assert all(line.kind == "reserve" for line in lines)
    return {line.cost_type: line.amount for line in lines}


def test_a_handler_reserves_per_cost_type_with_the_melding(engine: Engine, rt: Runtime, world: World) -> None:
    with Session(engine) as s:
        ref = open_claim(
            s,
            rt,
            melding(reserve_damages="20000", reserve_defence="7500.50", reserve_expert=""),
            world.handler,
        ).reference
    assert _reserves(engine, ref) == {"damages": D("20000"), "defence": D("7500.50")}


def test_reserves_above_the_handlers_authority_refuse_the_melding_and_store_nothing(
    engine: Engine, rt: Runtime, world: World
) -> None:
    before = snapshot(engine)
    # 40,000 + 15,000 = 55,000 on the claim, above the handler's 50,000
    with Session(engine) as s, pytest.raises(InvalidInput) as exc:
        open_claim(s, rt, melding(reserve_damages="40000", reserve_mitigation="15000"), world.handler)
    assert set(exc.value.errors) == {"reserve_damages", "reserve_mitigation"}
    assert "€ 55.000,00, boven uw bevoegdheid van € 50.000,00" in exc.value.errors["reserve_damages"]
    assert snapshot(engine) == before


def test_a_manager_reserves_what_a_handler_may_not(engine: Engine, rt: Runtime, world: World) -> None:
    with Session(engine) as s:
        ref = open_claim(
            s, rt, melding(reserve_damages="400000", handler=world.handler.email), world.manager
        ).reference
    assert _reserves(engine, ref) == {"damages": D("400000")}


def test_a_bad_reserve_is_named_with_the_other_problems(engine: Engine, rt: Runtime, world: World) -> None:
    with Session(engine) as s, pytest.raises(InvalidInput) as exc:
        open_claim(s, rt, melding(reserve_damages="-5", claimant=""), world.handler)
    assert {"reserve_damages", "claimant"} <= set(exc.value.errors)
