"""The deadlines a transition meets, cancels, restarts and opens, as the spec declares them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection

from claims.runtime import Runtime
from claims.storage.records import ClaimRecord
from claims.storage.repositories import deadlines
from workflow.deadlines import base_from_date, compute_due
from workflow.spec import ENTERED, DeadlineSpec, StateSpec, TransitionSpec, WorkflowSpec


def update_deadlines(
    conn: Connection,
    rt: Runtime,
    spec: WorkflowSpec,
    claim: ClaimRecord,
    transition: TransitionSpec,
    new_claim: Mapping[str, Any],
    now: datetime,
) -> None:
    """Meet what the trigger meets; leaving a state cancels what it started and nobody met (closing
    the claim cancels everything); entering a state opens its deadlines."""
    running = deadlines.running(conn, claim.id)
    trigger = transition.trigger
    closing = not transition.internal and spec.is_terminal(transition.dest)
    closed: list[dict[str, Any]] = []
    still_running: set[str] = set()
    restarted: list[tuple[str, str]] = []  # (state, deadline name) to start afresh from now
    for d in running:
        if trigger in d.met_by.split(","):
            closed.append({"_id": d.id, "met_at": now, "met_trigger": trigger})
        elif not transition.internal and (closing or (d.state == claim.state and d.scope == "state")):
            closed.append({"_id": d.id, "cancelled_at": now})
        elif d.restarted_by and trigger in d.restarted_by.split(","):
            closed.append({"_id": d.id, "cancelled_at": now})
            restarted.append((d.state, d.name))
            still_running.add(d.name)
        else:
            still_running.add(d.name)
    deadlines.close(conn, closed)
    for state, name in restarted:
        deadline = next(x for x in spec.states[state].deadlines if x.name == name)
        open_deadlines(conn, rt, spec.states[state], new_claim, now, only=deadline, base=now)
    if not transition.internal:
        open_deadlines(conn, rt, spec.states[transition.dest], new_claim, now, still_running)


def open_deadlines(
    conn: Connection,
    rt: Runtime,
    state: StateSpec,
    claim: Mapping[str, Any],
    now: datetime,
    running: set[str] | None = None,
    *,
    only: DeadlineSpec | None = None,
    base: datetime | None = None,
) -> None:
    """Start the deadlines `state` declares; a claim-wide one already running is not started twice.
    `only` with `base`: start that one afresh from `base` (a restart)."""
    rows = []
    for d in (only,) if only else state.deadlines:
        if (d.when and not claim.get(d.when)) or (running and d.name in running and not only):
            continue
        base_value = base or (now if d.base == ENTERED else claim.get(d.base))
        if base_value is None:
            continue
        start = base_value if isinstance(base_value, datetime) else base_from_date(base_value, rt.tz)
        due = compute_due(d, start, rt.calendar, rt.tz)
        rows.append(
            {
                "claim_id": claim["id"],
                "name": d.name,
                "label": d.label,
                "state": state.name,
                "scope": d.scope,
                "responsible": d.responsible,
                "met_by": ",".join(d.met_by),
                "restarted_by": ",".join(d.restarted_by),
                "started_at": now,
                "due_at": due,
                "remind_at": remind_at(d, now, due, rt),
            }
        )
    deadlines.add(conn, rows)


def remind_at(d: DeadlineSpec, now: datetime, due: datetime, rt: Runtime) -> datetime:
    """When the responsible person is warned: the deadline's own lead, else the general one, but for a
    short term no earlier than halfway (a warning at the start says nothing the deadline did not)."""
    if d.remind_before_days:
        return due - timedelta(days=d.remind_before_days)
    return due - min(rt.rules.reminder_lead, (due - now) / 2)
