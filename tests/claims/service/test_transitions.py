"""Every transition of every claim kind fires, from every state it leaves, with the effects it promises."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from claims.kinds.catalog import load_catalog
from claims.runtime import Runtime
from claims.storage.models import Claim, TimelineEvent
from tests.claims.driver import Driver
from tests.factories import World

CATALOG = load_catalog()
ALL = [
    pytest.param(spec.kind, t.source, t.trigger, id=f"{spec.kind}:{t.source}:{t.trigger}")
    for spec in CATALOG.latest()
    for t in spec.transitions
]
# PostgreSQL fires each trigger of a kind once, from the first state it leaves; SQLite from every state
# (the storage is the same code on both: tests/claims/storage/test_statements.py compares them row by row)
FIRST_SOURCE = {
    (spec.kind, t.trigger): next(u.source for u in spec.transitions if u.trigger == t.trigger)
    for spec in CATALOG.latest()
    for t in spec.transitions
}


@pytest.mark.parametrize(("kind", "source", "trigger"), ALL)
def test_every_transition_fires_and_is_recorded(
    engine: Engine, rt: Runtime, world: World, kind: str, source: str, trigger: str
) -> None:
    if engine.dialect.name != "sqlite" and FIRST_SOURCE[(kind, trigger)] != source:
        pytest.skip("PostgreSQL fires each trigger once per kind; SQLite from every state")
    driver = Driver(engine, rt, world)
    spec = rt.catalog.spec(kind)
    t = spec.transition(source, trigger)
    assert t is not None
    ref = driver.bring_for(kind, t)
    driver.prepare(ref, t)
    result = driver.fire(ref, trigger)
    assert result.state == t.dest
    with Session(engine) as s:
        claim = s.exec(select(Claim).where(Claim.reference == ref)).one()
        assert claim.state == t.dest
        if t.outcome:
            assert claim.outcome == t.outcome and claim.closed_at is not None
        # every step on the claim's course is an event; a party added beside it is one too, not a step
        events = s.exec(
            select(func.count())
            .select_from(TimelineEvent)
            .where(TimelineEvent.claim_id == claim.id, TimelineEvent.kind.in_(("opened", "transition")))  # type: ignore[attr-defined]
        ).one()
        assert events == claim.version
        last = s.exec(
            select(TimelineEvent).where(TimelineEvent.claim_id == claim.id).order_by(TimelineEvent.id.desc())  # type: ignore[union-attr]
        ).first()
        assert last is not None
        assert (last.trigger, last.from_state, last.to_state) == (trigger, source, t.dest)
