"""The manager's dashboard as a read model: counts over all claims, their deadlines and their moves
between states (the figures are computed in claims.reads.dashboard)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from decimal import Decimal
from itertools import pairwise
from typing import Any

from sqlalchemy import Row, Select, case, func, select, union_all
from sqlalchemy.engine import Connection

from claims.storage.models import CostType, MoneyKind
from claims.storage.tables import CLAIMS, DEADLINES, EVENTS, MONEY, POLICIES, USERS


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


def money_by_kind(conn: Connection) -> list[Row[Any]]:
    """(claim kind, cost type, reserve, paid): the open reserves of the claims not closed, and the
    payments of all claims (net of cancellations, booked when the payment was made), per claim kind and
    cost type; combinations with neither left out."""
    is_open = CLAIMS.c.closed_at.is_(None)
    reserve = func.sum(
        case((is_open & (MONEY.c.kind == MoneyKind.reserve.value), MONEY.c.amount), else_=0),
        type_=MONEY.c.amount.type,
    )
    paid = func.sum(
        case((MONEY.c.kind == MoneyKind.payment.value, MONEY.c.amount), else_=0), type_=MONEY.c.amount.type
    )
    return list(
        conn.execute(
            select(CLAIMS.c.kind, MONEY.c.cost_type, reserve.label("reserve"), paid.label("paid"))
            .select_from(MONEY)
            .join(CLAIMS, CLAIMS.c.id == MONEY.c.claim_id)
            .where(MONEY.c.kind.in_((MoneyKind.reserve.value, MoneyKind.payment.value)))
            .group_by(CLAIMS.c.kind, MONEY.c.cost_type)
            .having((reserve != 0) | (paid != 0))
        ).all()
    )


def paid_between(conn: Connection, bounds: Sequence[datetime]) -> list[Decimal]:
    """The payments booked (net of cancellations) in each period [bounds[i], bounds[i+1]), in one pass:
    len(bounds) - 1 amounts."""
    periods = list(pairwise(bounds))
    if not periods:
        return []
    sums = [
        func.sum(
            case(((MONEY.c.at >= start) & (MONEY.c.at < end), MONEY.c.amount), else_=0),
            type_=MONEY.c.amount.type,
        ).label(f"p{i}")
        for i, (start, end) in enumerate(periods)
    ]
    row = conn.execute(
        select(*sums).where(
            MONEY.c.kind == MoneyKind.payment.value, MONEY.c.at >= bounds[0], MONEY.c.at < bounds[-1]
        )
    ).one()
    return [Decimal(0) if v is None else v for v in row]


def large_losses(conn: Connection, above: Decimal) -> list[Row[Any]]:
    """The claims not closed whose damages reserved and paid together are above `above`, the largest
    first: reference, kind, state, insured, claimant, handler_name, reserve, paid and total (damages)."""
    reserve = func.sum(
        case((MONEY.c.kind == MoneyKind.reserve.value, MONEY.c.amount), else_=0), type_=MONEY.c.amount.type
    )
    paid = func.sum(
        case((MONEY.c.kind == MoneyKind.payment.value, MONEY.c.amount), else_=0), type_=MONEY.c.amount.type
    )
    total = func.sum(MONEY.c.amount, type_=MONEY.c.amount.type)
    return list(
        conn.execute(
            select(
                CLAIMS.c.reference,
                CLAIMS.c.kind,
                CLAIMS.c.state,
                POLICIES.c.insured,
                CLAIMS.c.claimant,
                USERS.c.name.label("handler_name"),
                reserve.label("reserve"),
                paid.label("paid"),
                total.label("total"),
            )
            .select_from(MONEY)
            .join(CLAIMS, CLAIMS.c.id == MONEY.c.claim_id)
            .join(POLICIES, POLICIES.c.id == CLAIMS.c.policy_id)
            .join(USERS, USERS.c.id == CLAIMS.c.handler_id)
            .where(
                CLAIMS.c.closed_at.is_(None),
                MONEY.c.cost_type == CostType.damages.value,
                MONEY.c.kind.in_((MoneyKind.reserve.value, MoneyKind.payment.value)),
            )
            .group_by(
                CLAIMS.c.id,
                CLAIMS.c.reference,
                CLAIMS.c.kind,
                CLAIMS.c.state,
                POLICIES.c.insured,
                CLAIMS.c.claimant,
                USERS.c.name,
            )
            .having(total > above)
            .order_by(total.desc(), CLAIMS.c.reference)
        ).all()
    )


def open_by_handler(conn: Connection) -> list[Row[Any]]:
    """(e-mail, name, open claims, open reserve) of each handler with a claim not closed, by name."""
    reserves = (
        select(MONEY.c.claim_id, func.sum(MONEY.c.amount, type_=MONEY.c.amount.type).label("reserve"))
        .where(MONEY.c.kind == MoneyKind.reserve.value)
        .group_by(MONEY.c.claim_id)
        .subquery()
    )
    reserve = func.coalesce(func.sum(reserves.c.reserve), 0, type_=MONEY.c.amount.type)
    return list(
        conn.execute(
            select(USERS.c.email, USERS.c.name, func.count(CLAIMS.c.id), reserve.label("reserve"))
            .select_from(CLAIMS)
            .join(USERS, USERS.c.id == CLAIMS.c.handler_id)
            .outerjoin(reserves, reserves.c.claim_id == CLAIMS.c.id)
            .where(CLAIMS.c.closed_at.is_(None))
            .group_by(USERS.c.email, USERS.c.name)
            .order_by(USERS.c.name, USERS.c.email)
        ).all()
    )


def _first_positions(triggers: Collection[str], deadline: str) -> Select[Any]:
    """(claim_id, date_reported, at) of each claim with a position on cover: the earlier of its first
    transition by one of `triggers` and the moment its deadline named `deadline` was met."""
    moments = union_all(
        select(EVENTS.c.claim_id, EVENTS.c.at.label("at")).where(
            EVENTS.c.kind == "transition", EVENTS.c.trigger.in_(list(triggers))
        ),
        select(DEADLINES.c.claim_id, DEADLINES.c.met_at.label("at")).where(
            DEADLINES.c.name == deadline, DEADLINES.c.met_at.is_not(None)
        ),
    ).subquery()
    first = func.min(moments.c.at, type_=EVENTS.c.at.type)
    return (
        select(CLAIMS.c.id.label("claim_id"), CLAIMS.c.date_reported, first.label("at"))
        .join(moments, moments.c.claim_id == CLAIMS.c.id)
        .group_by(CLAIMS.c.id, CLAIMS.c.date_reported)
    )


def first_positions(
    conn: Connection, triggers: Collection[str], deadline: str, since: datetime
) -> list[Row[Any]]:
    """(date_reported, moment) of each claim whose first position on cover came at or after `since`."""
    found = _first_positions(triggers, deadline).subquery()
    return list(conn.execute(select(found.c.date_reported, found.c.at).where(found.c.at >= since)).all())


def first_positioned_since(triggers: Collection[str], deadline: str, since: datetime) -> Select[Any]:
    """The ids of the claims first_positions counts: for the claims list the dashboard links to."""
    found = _first_positions(triggers, deadline).subquery()
    return select(found.c.claim_id).where(found.c.at >= since)
