"""The deadlines a transition meets, cancels, restarts, pauses, resumes and opens, as the spec declares
them.

A term opens when its state is entered, or, with `started_by`, when one of those triggers fires (the new
7:942 limitation period runs from an acknowledgement or a rejection, not from the melding). A pause
(opschorting: `paused_by`, an information request the term waits on) stops the clock; the answer
(`resumed_by`) lets it run on with the time it had left, counted in its own unit:
- working days: the working days after the day of the pause up to the due day, counted again from the
  day of the answer (the day of the pause is used, the day of the answer is not);
- hours: the exact time that was left;
- calendar days, weeks, months, years: the calendar days that were left, from the day of the answer (the
  Algemene termijnenwet's art. 1 still moves a statutory term's end off a weekend or holiday).
A term already overdue when it was paused stays due when it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection

from claims.runtime import Runtime
from claims.storage.records import ClaimRecord
from claims.storage.repositories import deadlines
from workflow.deadlines import atw_applies, base_from_date, end_of_day, explain_due
from workflow.spec import ENTERED, DeadlineSpec, StateSpec, TransitionSpec, WorkflowSpec


def declared(spec: WorkflowSpec, state: str, name: str) -> DeadlineSpec | None:
    """The deadline `name` as the spec declares it in `state` (None: not a term of this spec, e.g. one
    opened outside the state machine)."""
    found = spec.states.get(state)
    return next((d for d in found.deadlines if d.name == name), None) if found else None


def started_by(spec: WorkflowSpec) -> list[tuple[StateSpec, DeadlineSpec]]:
    """The terms triggers start rather than a state's entry, with the state that declares them."""
    return [(s, d) for s in spec.states.values() for d in s.deadlines if d.started_by]


def update_deadlines(
    conn: Connection,
    rt: Runtime,
    spec: WorkflowSpec,
    claim: ClaimRecord,
    transition: TransitionSpec,
    new_claim: Mapping[str, Any],
    now: datetime,
    inputs: Mapping[str, Any] | None = None,
) -> dict[str, list[dict[str, str]]]:
    """Meet what the trigger meets; leaving a state cancels what it started and nobody met (closing
    the claim cancels everything); pause and resume what waits on an answer; start afresh what the
    trigger restarts; entering a state opens its deadlines. Returns what changed besides meeting, for
    the timeline (`clocks`: opened, cancelled, paused, resumed), empty lists left out."""
    inputs = inputs or {}
    changes: dict[str, list[dict[str, str]]] = {"opened": [], "cancelled": [], "paused": [], "resumed": []}
    trigger = transition.trigger
    closing = not transition.internal and spec.is_terminal(transition.dest)
    running = deadlines.running(conn, claim.id)
    closed: list[dict[str, Any]] = []
    still_running: set[str] = set()
    restarted: list[tuple[StateSpec, DeadlineSpec]] = []  # to start afresh from now
    for d in running:
        own = declared(spec, d.state, d.name)
        if trigger in d.met_by.split(","):
            met = inputs.get(own.met_at) if own is not None and own.met_at else None
            # the moment entered (the AP was told at 09:10), not the moment it was recorded
            closed.append({"_id": d.id, "met_at": met or now, "met_trigger": trigger})
        elif not transition.internal and (closing or (d.state == claim.state and d.scope == "state")):
            closed.append({"_id": d.id, "cancelled_at": now})
            changes["cancelled"].append({"label": d.label})
        elif (own is not None and trigger in (*own.started_by, *own.restarted_by)) or (
            own is None and d.restarted_by and trigger in d.restarted_by.split(",")
        ):
            closed.append({"_id": d.id, "cancelled_at": now})
            changes["cancelled"].append({"label": d.label})
            if own is not None:
                restarted.append((spec.states[d.state], own))
                still_running.add(d.name)
        elif own is not None and trigger in own.stopped_by:
            closed.append({"_id": d.id, "cancelled_at": now})
            changes["cancelled"].append({"label": d.label})
        else:
            still_running.add(d.name)
            if own is not None:
                _pause_or_resume(conn, rt, own, d, trigger, now, changes)
    deadlines.close(conn, closed)
    if not closing:
        for state, term in started_by(spec):
            if trigger in term.started_by and term.name not in still_running and term.applies_to(new_claim):
                restarted.append((state, term))
    for state, term in restarted:
        changes["opened"] += open_deadlines(
            conn, rt, state, new_claim, now, only=term, base=now, inputs=inputs
        )
    if not transition.internal:
        changes["opened"] += open_deadlines(
            conn, rt, spec.states[transition.dest], new_claim, now, still_running
        )
    return {k: v for k, v in changes.items() if v}


def answer_received(
    conn: Connection, rt: Runtime, spec: WorkflowSpec, claim: ClaimRecord, trigger: str
) -> dict[str, list[dict[str, str]]]:
    """What `trigger` does to the terms outside a transition: a received letter marked as the answer to an
    information request counts as registering the answer (it meets the answer term and resumes what
    waited on it)."""
    now = rt.clock()
    met: list[dict[str, Any]] = []
    changes: dict[str, list[dict[str, str]]] = {"paused": [], "resumed": []}
    for d in deadlines.running(conn, claim.id):
        own = declared(spec, d.state, d.name)
        if own is None:
            continue
        if trigger in d.met_by.split(","):
            met.append({"_id": d.id, "met_at": now, "met_trigger": trigger})
        else:
            _pause_or_resume(conn, rt, own, d, trigger, now, changes)
    deadlines.close(conn, met)
    return {k: v for k, v in changes.items() if v}


def _pause_or_resume(
    conn: Connection,
    rt: Runtime,
    own: DeadlineSpec,
    d: Any,
    trigger: str,
    now: datetime,
    changes: dict[str, list[dict[str, str]]],
) -> None:
    if trigger in own.paused_by:
        deadlines.pause(conn, d.id, now)
        changes["paused"].append({"label": d.label})
    elif trigger in own.resumed_by:
        row = deadlines.resume(conn, d.id)
        if row is not None:  # the last open request answered: the clock runs on
            due, rule = resumed_due(own, row.due_at, row.paused_at, now, rt)
            deadlines.set_due(conn, d.id, due, remind_at(own, now, due, rt), f"{row.due_rule}; {rule}")
            changes["resumed"].append({"label": d.label, "due_at": due.isoformat()})


def resumed_due(
    d: DeadlineSpec, due: datetime, paused_at: datetime, now: datetime, rt: Runtime
) -> tuple[datetime, str]:
    """The new due moment of a term paused at `paused_at` and resumed `now`, with the rule said in Dutch."""
    pause_day, answer_day = paused_at.astimezone(rt.tz).date(), now.astimezone(rt.tz).date()
    paused = f"opgeschort van {pause_day:%d-%m-%Y} tot {answer_day:%d-%m-%Y}"
    if due <= paused_at:
        return due, f"{paused}; was al verlopen, blijft verlopen"
    if d.unit == "hours":
        left = due - paused_at
        hours = left.total_seconds() / 3600
        return now.astimezone(UTC) + left, f"{paused}; resterend {hours:g} uur"
    due_day = due.astimezone(rt.tz).date()
    if d.unit == "working_days":
        working = _working_days_between(rt, pause_day, due_day)
        end = rt.calendar.add_working_days(answer_day, working)
        return end_of_day(end, rt.tz), f"{paused}; resterend {working} werkdagen"
    days = (due_day - pause_day).days
    end = answer_day + timedelta(days=days)
    rule = f"{paused}; resterend {days} kalenderdagen"
    if atw_applies(d):
        moved = rt.calendar.next_working_day(end)
        if moved != end:
            rule += f"; art. 1 Atw: {end:%d-%m-%Y} wordt {moved:%d-%m-%Y}"
        end = moved
    return end_of_day(end, rt.tz), rule


def _working_days_between(rt: Runtime, after: date, until: date) -> int:
    """Working days d with after < d <= until."""
    count, day = 0, after
    while day < until:
        day += timedelta(days=1)
        count += rt.calendar.is_working_day(day)
    return count


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
    inputs: Mapping[str, Any] | None = None,
) -> list[dict[str, str]]:
    """Start the deadlines `state` declares; a claim-wide one already running is not started twice, and
    one a trigger starts (`started_by`) is left for that trigger. `only` with `base`: start that one
    afresh from `base` (a start or restart). Returns the opened terms' labels and due moments."""
    rows = []
    candidates: Iterable[DeadlineSpec] = (only,) if only else (d for d in state.deadlines if not d.started_by)
    for d in candidates:
        if not d.applies_to(claim) or (running and d.name in running and not only):
            continue
        base_value = base or (now if d.base == ENTERED else claim.get(d.base))
        if base_value is None:
            continue
        start = base_value if isinstance(base_value, datetime) else base_from_date(base_value, rt.tz)
        if d.amount_from and inputs and inputs.get(d.amount_from):
            d = replace(d, amount=int(inputs[d.amount_from]))  # the answer days the handler gave
        due = explain_due(d, start, rt.calendar, rt.tz)
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
                "due_at": due.at,
                "remind_at": remind_at(d, now, due.at, rt),
                "counted_from": start,
                "due_rule": due.rule,
                "paused_at": None,
                "pauses": 0,
            }
        )
    deadlines.add(conn, rows)
    return [{"label": r["label"], "due_at": r["due_at"].isoformat()} for r in rows]


def remind_at(d: DeadlineSpec, now: datetime, due: datetime, rt: Runtime) -> datetime:
    """When the responsible person is warned: the deadline's own lead, else the general one, but for a
    short term no earlier than halfway (a warning at the start says nothing the deadline did not)."""
    if d.remind_before_days:
        return due - timedelta(days=d.remind_before_days)
    return due - min(rt.rules.reminder_lead, (due - now) / 2)
