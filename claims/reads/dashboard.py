"""What a team manager watches: open claims by kind and state, overdue deadlines by handler, time spent
per state, claims opened and closed per week, and the settlements waiting for a second pair of eyes."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection

from claims.people.permissions import check_is_manager
from claims.storage.models import User
from claims.storage.repositories import dashboard as figures
from claims.storage.repositories import payments

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


def dashboard(
    conn: Connection, actor: User, now: datetime, tz: ZoneInfo, *, approval_states: Collection[str]
) -> Dashboard:
    """The figures over all claims, for a manager (who sees all of them); Forbidden for anyone else.
    `approval_states`: the states where proposals wait for approval (the specs' `role: approval`)."""
    check_is_manager(actor)
    return Dashboard(
        open_by_kind_state=_open_by_kind_state(conn),
        overdue_by_handler=_overdue_by_handler(conn, now),
        stays=_stays(conn, now),
        weeks=_weeks(conn, now, tz),
        approvals=_approvals(conn, approval_states),
    )


def _open_by_kind_state(conn: Connection) -> dict[tuple[str, str], int]:
    return {(k, s): n for k, s, n in figures.open_by_kind_state(conn)}


def _overdue_by_handler(conn: Connection, now: datetime) -> list[tuple[str, str, int]]:
    return [(e, n, c) for e, n, c in figures.overdue_by_handler(conn, now)]


def _stays(conn: Connection, now: datetime) -> list[StateStay]:
    """How long claims stayed in each state they left in the last year (internal transitions, which
    stay in their state, are not a stay)."""
    days: dict[str, list[float]] = defaultdict(list)
    for state, entered, left in figures.states_left(conn, now - STAY_WINDOW):
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
    for moments, counter in (
        (figures.opened_since(conn, since), opened),
        (figures.closed_since(conn, since), closed),
    ):
        for moment in moments:
            counter[_week_start(moment.astimezone(tz).date())] += 1
    return [(f"wk {s.isocalendar().week}", opened[s], closed[s]) for s in starts]


def _approvals(conn: Connection, states: Collection[str]) -> list[dict[str, Any]]:
    rows = sorted(
        (r for state in sorted(states) for r in figures.in_state_with_deadline(conn, state)),
        key=lambda r: r.state_entered_at,
    )
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
    ] + [
        # a transition above its actor's authority waits the same way (spec version 3 on)
        {
            "reference": p.claim_reference,
            "kind": p.kind,
            "claimant": p.claimant,
            "since": p.proposed_at,
            "handler_name": p.proposer_name,
            "due_at": None,
            "proposal": {"total": str(p.amount), "label": p.weighed.get("label", p.trigger)},
        }
        for p in payments.open_proposals(conn)
    ]
