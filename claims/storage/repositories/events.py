"""The timeline: events appended to a claim (a transition, a note, a flag)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from claims.storage.statements import InsertReturningId
from claims.storage.tables import EVENTS

_INSERT = InsertReturningId(EVENTS)


def append(conn: Connection, **values: Any) -> int:
    """A new timeline event; its id."""
    return _INSERT.run(conn, {"note": "", **values})
