"""The manager's dashboard as a read model: counts over all claims, their deadlines and their moves
between states (the figures are computed in claims.reads.dashboard)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.engine import Connection

from claims.storage.tables import CLAIMS, DEADLINES, EVENTS, USERS


def open_by_kind_state(conn: Connection) -> list[Row[Any]]:
    """(kind, state, count) of the claims not closed."""
    return list(
        conn.execute(
            select(CLAIMS.c.kind, CLAIMS.c.state, func.count())
            .where(CLAIMS.c.closed_at.is_(None))
            .group_by(CLAIMS.c.kind, CLAIMS.c.state)
        ).all()
    )


def overdue_by_handler(conn: Connection, now: datetime) -> list[Row[Any]]:
    """(e-mail, name, count) of each handler's running deadlines due before `now`, the most first."""
    return list(
        conn.execute(
            select(USERS.c.email, USERS.c.name, func.count())
            .select_from(DEADLINES)
            .join(CLAIMS, CLAIMS.c.id == DEADLINES.c.claim_id)
            .join(USERS, USERS.c.id == CLAIMS.c.handler_id)
            .where(
                DEADLINES.c.met_at.is_(None),
                DEADLINES.c.cancelled_at.is_(None),
                DEADLINES.c.paused_at.is_(None),
                DEADLINES.c.due_at < now,
            )
            .group_by(USERS.c.email, USERS.c.name)
            .order_by(func.count().desc(), USERS.c.email)
        ).all()
    )


def states_left(conn: Connection, since: datetime) -> list[Row[Any]]:
    """(state, entered, left) of each state a claim left since `since`: a claim's opening and each
    transition to another state (an internal transition stays in its state); `entered` is the moment of
    the claim's move before (None if there was none)."""
    moves = (
        select(
            EVENTS.c.claim_id,
            EVENTS.c.at,
            EVENTS.c.from_state,
            func.lag(EVENTS.c.at, type_=EVENTS.c.at.type)
            .over(partition_by=EVENTS.c.claim_id, order_by=EVENTS.c.id)
            .label("entered"),
        )
        .where(
            EVENTS.c.kind.in_(("opened", "transition")),
            (EVENTS.c.from_state.is_(None)) | (EVENTS.c.from_state != EVENTS.c.to_state),
        )
        .subquery()
    )
    return list(
        conn.execute(
            select(moves.c.from_state, moves.c.entered, moves.c.at).where(
                moves.c.from_state.is_not(None), moves.c.at >= since
            )
        ).all()
    )


def opened_since(conn: Connection, since: datetime) -> list[datetime]:
    """When each claim opened since `since` was opened."""
    return list(conn.execute(select(CLAIMS.c.created_at).where(CLAIMS.c.created_at >= since)).scalars())


def closed_since(conn: Connection, since: datetime) -> list[datetime]:
    """When each claim closed since `since` was closed."""
    return list(conn.execute(select(CLAIMS.c.closed_at).where(CLAIMS.c.closed_at >= since)).scalars())


def in_state_with_deadline(conn: Connection, state: str) -> list[Row[Any]]:
    """The claims in `state`, the longest waiting first: reference, kind, claimant, state_entered_at,
    case_data, the handler's name ("handler_name") and the due moment of the state's running deadline
    ("due_at", None if it has none)."""
    return list(
        conn.execute(
            select(
                CLAIMS.c.reference,
                CLAIMS.c.kind,
                CLAIMS.c.claimant,
                CLAIMS.c.state_entered_at,
                CLAIMS.c.case_data,
                USERS.c.name.label("handler_name"),
                DEADLINES.c.due_at,
            )
            .join(USERS, USERS.c.id == CLAIMS.c.handler_id)
            .outerjoin(
                DEADLINES,
                (DEADLINES.c.claim_id == CLAIMS.c.id)
                & (DEADLINES.c.state == state)
                & DEADLINES.c.met_at.is_(None)
                & DEADLINES.c.cancelled_at.is_(None),
            )
            .where(CLAIMS.c.state == state)
            .order_by(CLAIMS.c.state_entered_at)
        ).all()
    )
