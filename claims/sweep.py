"""The deadline sweep: warn before a deadline, flag it when it passes, escalate to the managers after a
grace period. Each step happens once per deadline, whatever runs twice, at once, or crashes.

Once is guaranteed by the database, not by the scheduler: a batch claims its deadlines with a
conditional UPDATE (`... WHERE flagged_at IS NULL`), so of two sweeps only one sets the moment, and only
the deadlines it set get a timeline event and notifications, in the same transaction. A sweep that dies
mid-batch leaves nothing of that batch behind; the next sweep does it. On PostgreSQL the batches are
picked with FOR UPDATE SKIP LOCKED, so several nodes share the work instead of queueing behind each
other; on SQLite writes are serialised anyway (BEGIN IMMEDIATE). A clock that jumps back finds nothing
new: every step asks for moments at or before `now`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, func, insert, select, update
from sqlalchemy.engine import Connection

from claims.db import WRITE
from claims.formatting import local_moment
from claims.models import Role
from claims.runtime import Runtime
from claims.tables import CLAIMS, DEADLINES, EVENTS, NOTIFICATIONS, USERS

BATCH = 500
_OPEN = and_(DEADLINES.c.met_at.is_(None), DEADLINES.c.cancelled_at.is_(None))


@dataclass(frozen=True)
class Step:
    """One kind of work: which deadlines are due for it, which column records it, who is told."""

    name: str  # reminded | flagged | escalated
    column: str
    event: str
    due: Callable[[datetime, Runtime], Any]  # WHERE clause for deadlines ready at `now`
    order: Any
    to_managers: bool
    message: Callable[[Any, str], str]


STEPS: tuple[Step, ...] = (
    Step(
        "reminded",
        "reminded_at",
        "deadline_reminder",
        lambda now, rt: and_(
            _OPEN,
            DEADLINES.c.reminded_at.is_(None),
            DEADLINES.c.flagged_at.is_(None),
            DEADLINES.c.remind_at <= now,
            DEADLINES.c.due_at > now,
        ),
        DEADLINES.c.remind_at,
        False,
        lambda d, due: f"{d.reference}: termijn '{d.label}' verloopt op {due}.",
    ),
    Step(
        "flagged",
        "flagged_at",
        "deadline_overdue",
        lambda now, rt: and_(_OPEN, DEADLINES.c.flagged_at.is_(None), DEADLINES.c.due_at <= now),
        DEADLINES.c.due_at,
        False,
        lambda d, due: f"{d.reference}: termijn '{d.label}' is verlopen (uiterlijk {due}).",
    ),
    Step(
        "escalated",
        "escalated_at",
        "deadline_escalated",
        lambda now, rt: and_(
            _OPEN,
            DEADLINES.c.flagged_at.is_not(None),
            DEADLINES.c.escalated_at.is_(None),
            DEADLINES.c.due_at <= now - rt.rules.escalation_grace,
        ),
        DEADLINES.c.due_at,
        True,
        lambda d, due: (
            f"{d.reference}: termijn '{d.label}' is sinds {due} verlopen en nog niet gehaald "
            f"(behandelaar {d.handler_name})."
        ),
    ),
)


@dataclass
class SweepReport:
    reminded: int = 0
    flagged: int = 0
    escalated: int = 0
    batches: int = 0
    notifications: int = 0

    def add(self, step: str, done: int, told: int) -> None:
        setattr(self, step, getattr(self, step) + done)
        self.notifications += told
        self.batches += 1


def sweep(
    engine: Engine,
    rt: Runtime,
    now: datetime | None = None,
    *,
    batch: int = BATCH,
    pause: float = 0.0,
) -> SweepReport:
    """Remind, flag and escalate everything due at `now` (default: the runtime's clock), in batches of
    `batch` deadlines, each batch one transaction. `pause` sleeps between batches (tests that need a
    sweep to be caught mid-way)."""
    now = now or rt.clock()
    report = SweepReport()
    with engine.connect() as conn:
        managers = _managers_by_team(conn)  # once a sweep: who is told of an escalation
        conn.commit()  # a plain read; from here on each batch begins as a write (BEGIN IMMEDIATE)
        conn.execution_options(**WRITE)
        for step in STEPS:
            while True:
                done, told = _batch(conn, rt, step, now, batch, managers)
                if done is None:
                    break
                report.add(step.name, done, told)
                if pause:
                    time.sleep(pause)
    return report


def _batch(
    conn: Connection, rt: Runtime, step: Step, now: datetime, size: int, managers: dict[str | None, list[int]]
) -> tuple[int | None, int]:
    """One transaction: claim up to `size` deadlines for `step`, record them, tell people. (None, 0)
    when nothing was left to claim."""
    with conn.begin():  # BEGIN IMMEDIATE on SQLite (claims.db): the write lock first, no upgrade later
        pick = select(DEADLINES.c.id).where(step.due(now, rt)).order_by(step.order).limit(size)
        if conn.dialect.name != "sqlite":
            pick = pick.with_for_update(skip_locked=True, of=DEADLINES)
        ids = list(conn.execute(pick).scalars())
        if not ids:
            return None, 0
        column = DEADLINES.c[step.column]
        # the compare-and-set that makes each step happen once: only rows still waiting are taken
        taken = set(
            conn.execute(
                update(DEADLINES)
                .where(DEADLINES.c.id.in_(ids), column.is_(None), step.due(now, rt))
                .values({step.column: now})
                .returning(DEADLINES.c.id)
            ).scalars()
        )
        told = _record(conn, rt, step, now, taken, managers) if taken else 0
        return len(taken), told


def _record(
    conn: Connection,
    rt: Runtime,
    step: Step,
    now: datetime,
    ids: set[int],
    managers: dict[str | None, list[int]],
) -> int:
    """A timeline event per deadline and a notification per person to tell; the notifications sent."""
    handler = USERS.alias("handler")
    rows = conn.execute(
        select(
            DEADLINES.c.id,
            DEADLINES.c.name,
            DEADLINES.c.label,
            DEADLINES.c.due_at,
            DEADLINES.c.responsible,
            CLAIMS.c.id.label("claim_id"),
            CLAIMS.c.reference,
            CLAIMS.c.version,
            CLAIMS.c.state,
            CLAIMS.c.handler_id,
            CLAIMS.c.expert_id,
            handler.c.name.label("handler_name"),
            handler.c.team,
        )
        .join(CLAIMS, CLAIMS.c.id == DEADLINES.c.claim_id)
        .join(handler, handler.c.id == CLAIMS.c.handler_id)
        .where(DEADLINES.c.id.in_(ids))
        .order_by(DEADLINES.c.id)
    ).all()
    events = [
        {
            "claim_id": d.claim_id,
            "claim_version": d.version,
            "at": now,
            "actor_id": None,
            "kind": step.event,
            "trigger": None,
            "from_state": d.state,
            "to_state": d.state,
            "data": {"deadline": d.name, "label": d.label, "due_at": d.due_at.isoformat()},
            "note": step.message(d, local_moment(d.due_at, rt.tz)),
        }
        for d in rows
    ]
    event_ids = conn.execute(
        insert(EVENTS).returning(EVENTS.c.id, sort_by_parameter_order=True), events
    ).scalars()
    notes = []
    for d, event_id, event in zip(rows, event_ids, events, strict=True):
        for user_id in _recipients(step, d, managers):
            notes.append(
                {
                    "user_id": user_id,
                    "claim_id": d.claim_id,
                    "event_id": event_id,
                    "kind": step.event,
                    "message": event["note"],
                    "created_at": now,
                }
            )
    if notes:
        conn.execute(insert(NOTIFICATIONS), notes)
    return len(notes)


def _insert_events(conn: Connection, events: list[dict[str, Any]]) -> list[int]:
    """Insert the events; their ids in order. SQLite returns ids from a multi-row insert only one row
    at a time, so there the ids are counted on from the largest: this transaction holds the write lock
    (BEGIN IMMEDIATE) and an INTEGER PRIMARY KEY without AUTOINCREMENT takes max + 1 for each new row."""
    if conn.dialect.name == "sqlite":
        last = conn.execute(select(func.max(EVENTS.c.id))).scalar_one() or 0
        conn.execute(insert(EVENTS), events)
        return list(range(last + 1, last + 1 + len(events)))
    returning = insert(EVENTS).returning(EVENTS.c.id, sort_by_parameter_order=True)
    return list(conn.execute(returning, events).scalars())


def _managers_by_team(conn: Connection) -> dict[str | None, list[int]]:
    """Active managers per team; under None, all of them (for a team without its own)."""
    out: dict[str | None, list[int]] = {None: []}
    for user_id, team in conn.execute(
        select(USERS.c.id, USERS.c.team).where(USERS.c.role == Role.manager, USERS.c.active)
    ):
        out.setdefault(team, []).append(user_id)
        out[None].append(user_id)
    return out


def _recipients(step: Step, d: Any, managers: dict[str | None, list[int]]) -> list[int]:
    team_managers = managers.get(d.team) or managers[None]
    if step.to_managers:
        return list(team_managers)
    if d.responsible == Role.expert and d.expert_id:
        return [d.expert_id]
    if d.responsible == Role.manager:
        return list(team_managers)
    return [d.handler_id]


__all__ = ["STEPS", "SweepReport", "sweep"]
