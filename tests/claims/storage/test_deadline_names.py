"""The names of a claim's terms that run or were met (deadlines.names_not_cancelled: what the claim page
leaves out of its "waiting" sentences), read by name without the claim's every deadline row."""

from __future__ import annotations

from sqlalchemy import Engine, select, update

from claims.runtime import Runtime
from claims.storage.repositories import deadlines
from claims.storage.tables import CLAIMS, DEADLINES
from tests.claims.driver import Driver
from tests.factories import World


def test_the_names_are_those_of_running_and_met_terms_not_of_cancelled_ones(
    engine: Engine, rt: Runtime, world: World
) -> None:
    driver = Driver(engine, rt, world)
    ref = driver.bring_to("contract_breach", "gesloten")  # terms met on the way, and cancelled at the end
    with engine.begin() as conn:  # and one term cancelled by hand whose name no other row has
        claim_id = conn.execute(select(CLAIMS.c.id).where(CLAIMS.c.reference == ref)).scalar_one()
        first = conn.execute(select(DEADLINES.c.id).where(DEADLINES.c.claim_id == claim_id)).scalars().first()
        conn.execute(update(DEADLINES).where(DEADLINES.c.id == first).values(name="alleen_vervallen"))
        conn.execute(
            update(DEADLINES).where(DEADLINES.c.id == first).values(cancelled_at=DEADLINES.c.started_at)
        )
    with engine.connect() as conn:
        rows = deadlines.of_claim(conn, claim_id)
        found = deadlines.names_not_cancelled(conn, claim_id)
    assert {r.name for r in rows if r.cancelled_at is not None}, "the claim has cancelled terms"
    assert found == {r.name for r in rows if r.cancelled_at is None}
    assert "alleen_vervallen" not in found
