"""The dashboard's figures stored with the moment they were computed (a snapshot), so that at a million
claims a manager's view reads one row instead of aggregating every claim, timeline event and money
line: the scheduler refreshes the snapshot on an interval, a manager can refresh it at once.

What the page shows is the newest snapshot while it is recent (no older than `max_age`, two refresh
intervals by default: one missed refresh is tolerated, a stopped scheduler is not), with its moment
("Stand van ..."); without one (a fresh database, the tests, a scheduler that is off or stopped) the
figures are computed for the view, as before the snapshot existed, and the page says so. The approvals
waiting for a manager are never taken from a snapshot: they are a to-do list, read as it is.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.engine import Connection
from sqlmodel import Session

from claims.config import Settings
from claims.people.permissions import check_is_manager
from claims.reads.dashboard import (
    CycleTime,
    Dashboard,
    HandlerLoad,
    LargeLoss,
    MoneyCell,
    MoneyFigures,
    StateStay,
    aggregates,
    approvals_waiting,
    assemble_money,
    dashboard,
    money_aggregates,
    money_figures,
)
from claims.runtime import Runtime
from claims.storage.db import in_write
from claims.storage.models import User
from claims.storage.repositories import dashboard_cache as snapshots

if TYPE_CHECKING:
    from claims.deadlines.scheduler import Job

log = logging.getLogger("claimflow.scheduler")

FORMAT = 1  # the figures' JSON layout: a snapshot of another layout is not read (computed live instead)


@dataclass(frozen=True)
class ShownFigures:
    dashboard: Dashboard
    money: MoneyFigures
    computed_at: datetime  # the snapshot's moment, or now when computed for this view
    live: bool  # computed for this view: no snapshot recent enough


def max_age(settings: Settings) -> timedelta:
    """How old a snapshot may be and still be shown: two refresh intervals (one refresh may be missed,
    by a busy database or a node restarting; a scheduler that stopped is not hidden behind old figures)."""
    return timedelta(seconds=2 * settings.dashboard_refresh_seconds)


def scheduled(engine: Engine, rt: Runtime, settings: Settings) -> Job:
    """The scheduler's refresh job, every CLAIMFLOW_DASHBOARD_REFRESH_SECONDS. Several nodes each
    running it only compute the same figures more often (the newest row is shown)."""
    return ("dashboard-refresh", _refresh_job, (engine, rt), settings.dashboard_refresh_seconds)


def _refresh_job(engine: Engine, rt: Runtime) -> None:
    with engine.connect() as conn:
        moment = refresh(conn, rt)
    log.info("dashboard: figures of %s stored", moment.isoformat(timespec="seconds"))


def refresh(db: Session | Connection, rt: Runtime) -> datetime:
    """Compute the figures over all claims and store them as the newest snapshot; their moment. The
    computation reads in its own transaction, the write is a short one of its own (SQLite cannot turn
    a long read into a write once another writer got in between)."""
    conn = db.connection() if isinstance(db, Session) else db
    now = rt.clock()
    started = time.perf_counter()
    figures = encode(
        aggregates(conn, now, rt.tz),
        money_aggregates(
            conn, now, rt.tz, large_loss_above=rt.rules.large_loss_threshold, calendar=rt.calendar
        ),
    )
    took_ms = round((time.perf_counter() - started) * 1000)
    if isinstance(db, Connection) and db.in_transaction():
        db.rollback()  # the read's transaction ends before the write's begins
    in_write(db, lambda c: snapshots.store(c, now, took_ms, figures))
    return now


def shown(
    conn: Connection, actor: User, rt: Runtime, *, max_age: timedelta, approval_states: list[str]
) -> ShownFigures:
    """The figures a manager's dashboard shows now: the newest snapshot if it is no older than
    `max_age` and made under today's rules, else computed for this view. Forbidden for anyone but a
    manager."""
    check_is_manager(actor)
    now = rt.clock()
    waiting = approvals_waiting(conn, approval_states)
    row = snapshots.latest(conn)
    if row is not None and abs(now - row.computed_at) <= max_age:
        stored = decode(row.figures)
        if stored is not None and stored[1].large_loss_above == rt.rules.large_loss_threshold:
            return ShownFigures(replace(stored[0], approvals=waiting), stored[1], row.computed_at, False)
    d = dashboard(conn, actor, now, rt.tz, approval_states=approval_states)
    m = money_figures(
        conn, actor, now, rt.tz, large_loss_above=rt.rules.large_loss_threshold, calendar=rt.calendar
    )
    return ShownFigures(d, m, now, True)


# --------------------------------------------------------------------------------- the JSON layout


def encode(d: Dashboard, m: MoneyFigures) -> dict[str, Any]:
    """The figures as JSON: amounts as decimal text (never a float), dates in ISO."""
    fp = m.first_position
    return {
        "format": FORMAT,
        "open_by_kind_state": [[k, s, n] for (k, s), n in d.open_by_kind_state.items()],
        "overdue_by_handler": [list(row) for row in d.overdue_by_handler],
        "stays": [[s.state, s.count, s.median_days, s.p90_days] for s in d.stays],
        "weeks": [list(w) for w in d.weeks],
        "since": m.since.isoformat(),
        "cells": [[k, c, str(cell.reserve), str(cell.paid)] for (k, c), cell in m.cells.items()],
        "months": [[start.isoformat(), str(paid)] for start, paid in m.months],
        "large_loss_above": str(m.large_loss_above),
        "large_losses": [
            {**x.__dict__, "reserve": str(x.reserve), "paid": str(x.paid), "total": str(x.total)}
            for x in m.large_losses
        ],
        "handlers": [[h.email, h.name, h.open_claims, str(h.open_reserve)] for h in m.handlers],
        "first_position": [
            fp.count,
            fp.median_days,
            fp.p90_days,
            fp.median_working_days,
            fp.p90_working_days,
        ],
    }


def decode(data: dict[str, Any]) -> tuple[Dashboard, MoneyFigures] | None:
    """The figures of encode(), the approvals empty; None for a snapshot of another layout."""
    if data.get("format") != FORMAT:
        return None
    d = Dashboard(
        open_by_kind_state={(k, s): n for k, s, n in data["open_by_kind_state"]},
        overdue_by_handler=[(e, n, c) for e, n, c in data["overdue_by_handler"]],
        stays=[StateStay(s, n, median, p90) for s, n, median, p90 in data["stays"]],
        weeks=[(label, opened, closed) for label, opened, closed in data["weeks"]],
        approvals=[],
    )
    m = assemble_money(
        since=date.fromisoformat(data["since"]),
        cells={(k, c): MoneyCell(Decimal(r), Decimal(p)) for k, c, r, p in data["cells"]},
        months=[(date.fromisoformat(start), Decimal(paid)) for start, paid in data["months"]],
        large_loss_above=Decimal(data["large_loss_above"]),
        large_losses=[
            LargeLoss(
                **{
                    **x,
                    "reserve": Decimal(x["reserve"]),
                    "paid": Decimal(x["paid"]),
                    "total": Decimal(x["total"]),
                }
            )
            for x in data["large_losses"]
        ],
        handlers=[HandlerLoad(e, n, c, Decimal(r)) for e, n, c, r in data["handlers"]],
        first_position=CycleTime(*data["first_position"]),
    )
    return d, m
