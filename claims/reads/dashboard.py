"""What a team manager watches: open claims by kind and state, overdue deadlines by handler, time spent
per state, claims opened and closed per week, and the settlements waiting for a second pair of eyes."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from claims.people.permissions import check_is_manager
from claims.storage.models import User
from claims.storage.tables import CLAIMS, DEADLINES, EVENTS, USERS

APPROVAL_STATE = "goedkeuring"
WEEKS = 12
STAY_WINDOW = timedelta(days=365)


@dataclass(frozen=True)
class StateStay:
    state: str
    count: int
    median_days: float
    p90_days: float


@dataclass(frozen=True)
class Dashboard:
    open_by_kind_state: dict[tuple[str, str], int]
    overdue_by_handler: list[tuple[str, str, int]]  # (e-mail, name, count)
    stays: list[StateStay]
    weeks: list[tuple[str, int, int]]  # (label, opened, closed)
    approvals: list[dict[str, Any]]


def dashboard(conn: Connection, actor: User, now: datetime, tz: ZoneInfo) -> Dashboard:
    """The figures over all claims, for a manager (who sees all of them); Forbidden for anyone else."""
    check_is_manager(actor)
    return Dashboard(
        open_by_kind_state=_open_by_kind_state(conn),
        overdue_by_handler=_overdue_by_handler(conn, now),
        stays=_stays(conn, now),
        weeks=_weeks(conn, now, tz),
        approvals=_approvals(conn),
    )


def _open_by_kind_state(conn: Connection) -> dict[tuple[str, str], int]:
    rows = conn.execute(
        select(CLAIMS.c.kind, CLAIMS.c.state, func.count())
        .where(CLAIMS.c.closed_at.is_(None))
        .group_by(CLAIMS.c.kind, CLAIMS.c.state)
    ).all()
    return {(k, s): n for k, s, n in rows}


def _overdue_by_handler(conn: Connection, now: datetime) -> list[tuple[str, str, int]]:
    rows = conn.execute(
        select(USERS.c.email, USERS.c.name, func.count())
        .select_from(DEADLINES)
        .join(CLAIMS, CLAIMS.c.id == DEADLINES.c.claim_id)
        .join(USERS, USERS.c.id == CLAIMS.c.handler_id)
        .where(DEADLINES.c.met_at.is_(None), DEADLINES.c.cancelled_at.is_(None), DEADLINES.c.due_at < now)
        .group_by(USERS.c.email, USERS.c.name)
        .order_by(func.count().desc(), USERS.c.email)
    ).all()
    return [(e, n, c) for e, n, c in rows]


def _stays(conn: Connection, now: datetime) -> list[StateStay]:
    """How long claims stayed in each state they left in the last year (internal transitions, which
    stay in their state, are not a stay)."""
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
    rows = conn.execute(
        select(moves.c.from_state, moves.c.entered, moves.c.at).where(
            moves.c.from_state.is_not(None), moves.c.at >= now - STAY_WINDOW
        )
    ).all()
    days: dict[str, list[float]] = defaultdict(list)
    for state, entered, left in rows:
        if entered is not None:
            days[state].append((left - entered).total_seconds() / 86400)
    return [StateStay(state, len(v), statistics.median(v), _p90(v)) for state, v in sorted(days.items())]


def _p90(values: list[float]) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


def _week_start(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _weeks(conn: Connection, now: datetime, tz: ZoneInfo) -> list[tuple[str, int, int]]:
    """Claims opened and closed per ISO week (Amsterdam), the last WEEKS weeks, this one included."""
    this_week = _week_start(now.astimezone(tz).date())
    starts = [this_week - timedelta(weeks=i) for i in reversed(range(WEEKS))]
    since = datetime.combine(starts[0], datetime.min.time(), tz)
    opened: Counter[date] = Counter()
    closed: Counter[date] = Counter()
    for column, counter in ((CLAIMS.c.created_at, opened), (CLAIMS.c.closed_at, closed)):
        for (moment,) in conn.execute(select(column).where(column >= since)):
            counter[_week_start(moment.astimezone(tz).date())] += 1
    return [(f"wk {s.isocalendar().week}", opened[s], closed[s]) for s in starts]


def _approvals(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(
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
            & (DEADLINES.c.state == APPROVAL_STATE)
            & DEADLINES.c.met_at.is_(None)
            & DEADLINES.c.cancelled_at.is_(None),
        )
        .where(CLAIMS.c.state == APPROVAL_STATE)
        .order_by(CLAIMS.c.state_entered_at)
    ).all()
    return [
        {
            "reference": r.reference,
            "kind": r.kind,
            "claimant": r.claimant,
            "since": r.state_entered_at,
            "handler_name": r.handler_name,
            "due_at": r.due_at,
            "proposal": (r.case_data or {}).get("proposal"),
        }
        for r in rows
    ]
