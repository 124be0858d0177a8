"""The claim's row lock on PostgreSQL (claims.storage.repositories.claims.lock): a transition holding it
does not stop an event beside the claim's course (a note) from being appended, which holds the claim's
chain lock while its foreign key is checked; FOR UPDATE did, and the two deadlocked under load."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from claims.runtime import Runtime
from claims.service import open_claim
from claims.storage.repositories import claims, events
from tests.factories import World, melding

postgres_only = pytest.mark.parametrize("engine", ["postgres"], indirect=True)


@postgres_only
def test_a_note_is_appended_while_a_transition_holds_the_claim(
    engine: Engine, rt: Runtime, world: World
) -> None:
    with Session(engine, expire_on_commit=False) as s:
        ref = open_claim(s, rt, melding("contract_breach"), world.handler).reference
    with engine.connect() as holder, engine.connect() as noter:
        found = claims.by_reference(holder, ref)
        assert found is not None
        claims.lock(holder, found.id)  # a transition's write transaction, not yet at its append
        with noter.begin():
            # blocked, this would fail after two seconds instead of waiting for the holder
            noter.exec_driver_sql("SET LOCAL lock_timeout = '2s'")
            events.append(
                noter,
                claim_id=found.id,
                claim_version=found.version,
                at=rt.clock(),
                actor_id=world.handler.id,
                kind="note",
                data={},
                note="gebeld met verzekerde",
            )
        holder.rollback()
    with engine.connect() as conn:
        assert [e.note for e in events.of_claim(conn, found.id) if e.kind == "note"] == [
            "gebeld met verzekerde"
        ]
