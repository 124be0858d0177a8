"""The timeline: events appended to a claim (a transition, a note, a flag)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Connection

from claims.storage.statements import InsertReturningId
from claims.storage.tables import EVENTS

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
