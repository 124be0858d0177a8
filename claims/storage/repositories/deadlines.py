"""Deadlines of a claim as transitions open, meet and cancel them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection

from claims.storage.records import DueMoment, RunningDeadline, ToDo
from claims.storage.statements import Prepared, Record
from claims.storage.tables import DEADLINES

_RUNNING = Prepared(
    select(
        DEADLINES.c.id,
        DEADLINES.c.name,
        DEADLINES.c.met_by,
        DEADLINES.c.restarted_by,
        DEADLINES.c.state,
        DEADLINES.c.scope,
    ).where(
        DEADLINES.c.claim_id == bindparam("claim_id"),
        DEADLINES.c.met_at.is_(None),
        DEADLINES.c.cancelled_at.is_(None),
    ),
    RunningDeadline,
)
_DUE = Prepared(
    select(DEADLINES.c.name, DEADLINES.c.due_at).where(
        DEADLINES.c.claim_id == bindparam("claim_id"),
        DEADLINES.c.met_at.is_(None),
        DEADLINES.c.cancelled_at.is_(None),
    ),
    DueMoment,
)
_TO_DO = Prepared(
    select(DEADLINES.c.label, DEADLINES.c.due_at, DEADLINES.c.responsible)
    .where(
        DEADLINES.c.claim_id == bindparam("claim_id"),
        DEADLINES.c.met_at.is_(None),
        DEADLINES.c.cancelled_at.is_(None),
    )
    .order_by(DEADLINES.c.due_at),
    ToDo,
)
_INSERT = Prepared.insert(DEADLINES)
# Meeting and cancelling in one statement (one of the two moments stays NULL): one round trip.
_CLOSE = Prepared(
    update(DEADLINES)
    .where(DEADLINES.c.id == bindparam("_id"))
    .values(
        met_at=bindparam("met_at", type_=DEADLINES.c.met_at.type),
        met_trigger=bindparam("met_trigger"),
        cancelled_at=bindparam("cancelled_at", type_=DEADLINES.c.cancelled_at.type),
    ),
    Record,
)


def running(conn: Connection, claim_id: int) -> list[RunningDeadline]:
    return _RUNNING.all(conn, {"claim_id": claim_id})


def due_moments(conn: Connection, claim_id: int) -> list[DueMoment]:
    """The running deadlines' names and due moments (what a letter may quote)."""
    return _DUE.all(conn, {"claim_id": claim_id})


def to_do(conn: Connection, claim_id: int) -> list[ToDo]:
    """The running deadlines, the first due first."""
    return _TO_DO.all(conn, {"claim_id": claim_id})


def add(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        _INSERT.many(conn, rows)


def close(conn: Connection, closings: Sequence[Mapping[str, Any]]) -> None:
    """Meet or cancel deadlines: each closing has "_id", and "met_at" with "met_trigger" or "cancelled_at"."""
    if closings:
        _CLOSE.many(conn, closings)
