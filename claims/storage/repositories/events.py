"""The timeline: events appended to a claim (a transition, a note, a flag), and read back in order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Row, insert, select
from sqlalchemy.engine import Connection

from claims.storage.statements import InsertReturningId
from claims.storage.tables import EVENTS, USERS

_INSERT = InsertReturningId(EVENTS)


def append(conn: Connection, **values: Any) -> int:
    """A new timeline event; its id."""
    return _INSERT.run(conn, {"note": "", **values})


def append_many(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """New timeline events, in one statement; their ids in the order of `rows`."""
    if not rows:
        return []
    return list(
        conn.execute(insert(EVENTS).returning(EVENTS.c.id, sort_by_parameter_order=True), rows).scalars()
    )


def of_claim(conn: Connection, claim_id: int) -> list[Row[Any]]:
    """The claim's events in the order they happened, each with its actor's e-mail address ("actor")."""
    return list(
        conn.execute(
            select(EVENTS, USERS.c.email.label("actor"))
            .outerjoin(USERS, USERS.c.id == EVENTS.c.actor_id)
            .where(EVENTS.c.claim_id == claim_id)
            .order_by(EVENTS.c.id)
        ).all()
    )
