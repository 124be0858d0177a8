"""Reopening a closed claim (heropenen): into the state the spec names, the reason on the timeline, the
state's terms started afresh from the reopening; refused while open, without a reason, for an expert,
for a stale version, and under a spec version that knows no reopening."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session

from claims.errors import StaleClaim
from claims.runtime import Runtime
from claims.service import reopen_claim
from claims.storage.tables import CLAIMS, DEADLINES, EVENTS
from tests.claims.driver import Driver
from tests.conftest import snapshot
from tests.factories import Clock, World
from workflow.errors import Forbidden, InvalidInput, TransitionNotAllowed


@pytest.fixture
def driver(engine: Engine, rt: Runtime, world: World) -> Driver:
    return Driver(engine, rt, world)


REASON = "De benadeelde komt terug met een nieuwe factuur van de herstelwerkzaamheden."


def _closed(driver: Driver) -> str:
    ref = driver.open("late_delivery").reference
    driver.fire(ref, "withdraw", {"reason": "Verzekerde ziet af van de aanspraak."})
    return ref


def _claim(engine: Engine, ref: str) -> dict:  # type: ignore[type-arg]
    with engine.connect() as conn:
        return dict(conn.execute(select(CLAIMS).where(CLAIMS.c.reference == ref)).one()._mapping)


def test_a_closed_claim_reopens_into_the_coverage_check_with_fresh_terms(
    driver: Driver, engine: Engine, rt: Runtime, world: World, clock: Clock
) -> None:
    ref = _closed(driver)
    before = _claim(engine, ref)
    assert (before["state"], before["outcome"]) == ("gesloten", "withdrawn")
    clock.advance(days=30)
    with Session(engine) as s:
        done = reopen_claim(s, rt, ref, REASON, world.manager, before["version"])
    after = _claim(engine, ref)
    assert (done.state, after["state"], after["outcome"], after["closed_at"]) == (
        "dekkingsonderzoek",
        "dekkingsonderzoek",
        None,
        None,
    )
    assert after["version"] == before["version"] + 1
    with engine.connect() as conn:
        event = conn.execute(
            select(EVENTS).where(EVENTS.c.claim_id == after["id"]).order_by(EVENTS.c.id.desc())
        ).first()
        cover = conn.execute(
            select(DEADLINES).where(
                DEADLINES.c.claim_id == after["id"],
                DEADLINES.c.name == "standpunt_dekking",
                DEADLINES.c.met_at.is_(None),
                DEADLINES.c.cancelled_at.is_(None),
            )
        ).one()
    assert event is not None and (event.kind, event.claim_version, event.note) == (
        "reopened",
        after["version"],
        REASON,
    )
    assert (event.from_state, event.to_state, event.data["outcome_was"]) == (
        "gesloten",
        "dekkingsonderzoek",
        "withdrawn",
    )
    # counted from the reopening (not from the melding: it would have been overdue at once)
    assert cover.counted_from == clock() and cover.due_at > clock()


def test_reopening_is_refused_without_reason_while_open_for_an_expert_and_when_stale(
    driver: Driver, engine: Engine, rt: Runtime, world: World
) -> None:
    open_ref = driver.open("late_delivery").reference
    with Session(engine) as s, pytest.raises(TransitionNotAllowed, match="niet gesloten"):
        reopen_claim(s, rt, open_ref, REASON, world.manager, 1)
    ref = _closed(driver)
    version = _claim(engine, ref)["version"]
    before = snapshot(engine)
    with Session(engine) as s:
        with pytest.raises(InvalidInput) as short:
            reopen_claim(s, rt, ref, "terug", world.handler, version)
        assert "reason" in short.value.errors
        with pytest.raises(Forbidden):
            reopen_claim(s, rt, ref, REASON, world.expert, version)
        with pytest.raises(StaleClaim):
            reopen_claim(s, rt, ref, REASON, world.handler, version - 1)
    assert snapshot(engine) == before
    with Session(engine) as s:  # the handler with a reason may
        assert reopen_claim(s, rt, ref, REASON, world.handler, version).state == "dekkingsonderzoek"
