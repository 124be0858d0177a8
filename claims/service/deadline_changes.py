"""The deadlines a transition meets, cancels, restarts, pauses, resumes and opens, as the spec declares
them.

A term opens when its state is entered, or, with `started_by`, when one of those triggers fires (the new
7:942 limitation period runs from an acknowledgement or a rejection, not from the melding). A term opened
again on the claim (its state re-entered after an objection) counts from then, not from the melding.

Opschorting: a term with `paused_by` waits while an information request is open, whichever of its
triggers asked it, and runs on when the last open request is answered (`resumed_by`, or a received letter
marked as the answer) with the time it had left, counted in its own unit:
- working days: the working days after the day of the pause up to the due day, counted again from the
  day of the answer (the day of the pause is used, the day of the answer is not);
- hours: the exact time that was left;
- calendar days, weeks, months, years: the calendar days that were left, from the day of the answer (the
  Algemene termijnenwet's art. 1 still moves a statutory term's end off a weekend or holiday).
A term already overdue when information is asked is not paused: it stays overdue, flagged and escalated.
The answer term itself (`amount_from`) stands for the earliest answer still awaited: a second request
does not push it back, and answering one request moves it on to the next.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection

from claims.runtime import Runtime
from claims.storage.records import Bound, ClaimRecord, RunningDeadline
from claims.storage.repositories import deadlines, documents
from workflow.deadlines import atw_applies, base_from_date, end_of_day, explain_due
from workflow.spec import ENTERED, DeadlineSpec, StateSpec, TransitionSpec, WorkflowSpec

Changes = dict[str, list[dict[str, str]]]


@dataclass
class DeadlineWrites:
    """What a transition does to the claim's deadlines, worked out before it is written: a transition
    prepares it from a snapshot outside the write lock and writes it inside (`apply`)."""

    closed: list[dict[str, Any]] = field(default_factory=list)  # met or cancelled (deadlines.close)
    due: list[tuple[int, datetime, datetime, str | None]] = field(default_factory=list)  # set_due
    paused: list[tuple[int, datetime, int]] = field(default_factory=list)  # (id, at, waiting on)
    added: list[dict[str, Any]] = field(default_factory=list)  # new rows
    # the closings and the new rows in the driver's form, bound before the write transaction (`bind`)
    _bound: tuple[Bound, Bound] | None = None

    def bind(self, conn: Connection) -> None:
        """Put the closings and the new rows in the driver's form now, outside the write lock; `apply`
        then only runs them. Nothing may be added after this."""
        self._bound = (deadlines.bind_close(conn, self.closed), deadlines.bind_add(conn, self.added))

    def apply(self, conn: Connection) -> None:
        if self._bound is None:
            deadlines.close(conn, self.closed)
        else:
            # what was bound is what is written: a closing or a row added since would be lost
            assert len(self._bound[0].rows) == len(self.closed), "closed after bind()"
            assert len(self._bound[1].rows) == len(self.added), "added after bind()"
            deadlines.run_bound(conn, self._bound[0])
        for deadline_id, due, remind, rule in self.due:
            deadlines.set_due(conn, deadline_id, due, remind, rule)
        for deadline_id, at, waiting_on in self.paused:
            deadlines.pause(conn, deadline_id, at, waiting_on)
        if self._bound is None:
            deadlines.add(conn, self.added)
        else:
            deadlines.run_bound(conn, self._bound[1])

    def after(self, before: Iterable[OpenDeadline]) -> list[OpenDeadline]:
        """The claim's open deadlines once these writes are made, from those open `before`, the first
        due first (what a letter quotes and a notice lists)."""
        gone = {c["_id"] for c in self.closed}
        moved = {deadline_id: due for deadline_id, due, _, _ in self.due}
        out = [
            replace(d, due_at=moved.get(d.id, d.due_at)) if d.id in moved else d
            for d in before
            if d.id not in gone
        ]
        out += [
            OpenDeadline(None, r["name"], r["label"], r["responsible"], r["due_at"], True) for r in self.added
        ]
        return sorted(out, key=lambda d: d.due_at)


@dataclass(frozen=True)
class OpenDeadline:
    """An open deadline as a letter quotes it and a notice names it. `on_course`: a term of the claim's
    course (not a complaint's clock or a follow-up)."""

    id: int | None
    name: str
    label: str
    responsible: str
    due_at: datetime
    on_course: bool


def open_before(known: deadlines.ClaimDeadlines) -> list[OpenDeadline]:
    """The claim's open deadlines as read (`deadlines.every`)."""
    return [
        OpenDeadline(r["id"], r["name"], r["label"], r["responsible"], r["due_at"], bool(r["on_course"]))
        for r in known.open()
    ]


def declared(spec: WorkflowSpec, state: str, name: str) -> DeadlineSpec | None:
    """The deadline `name` as the spec declares it in `state` (None: not a term of this spec, e.g. one
    opened outside the state machine)."""
    found = spec.states.get(state)
    return next((d for d in found.deadlines if d.name == name), None) if found else None


def started_by(spec: WorkflowSpec) -> list[tuple[StateSpec, DeadlineSpec]]:
    """The terms triggers start rather than a state's entry, with the state that declares them."""
    return [(s, d) for s in spec.states.values() for d in s.deadlines if d.started_by]


def awaited(conn: Connection, claim: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The claim's information requests (case_data) still without an answer, by a transition or by a
    received letter marked as the answer; the oldest first."""
    asked = (claim.get("case_data") or {}).get("information_requests", [])
    if not asked:
        return []
    by_letter = documents.answered_requests(conn, claim["id"])
    return [r for i, r in enumerate(asked) if i not in by_letter and not r.get("answered_on")]


def update_deadlines(
    conn: Connection,
    rt: Runtime,
    spec: WorkflowSpec,
    claim: ClaimRecord,
    transition: TransitionSpec,
    new_claim: Mapping[str, Any],
    now: datetime,
    inputs: Mapping[str, Any] | None = None,
    into: DeadlineWrites | None = None,
    known: deadlines.ClaimDeadlines | None = None,
) -> Changes:
    """Meet what the trigger meets; leaving a state cancels what it started and nobody met (closing
    the claim cancels everything); pause and resume what waits on an answer; start afresh what the
    trigger restarts; entering a state opens its deadlines. Returns what changed besides meeting, for
    the timeline (`clocks`: opened, cancelled, paused, resumed), empty lists left out. With `into`,
    what changes is collected there for the caller to write; without, it is written at once. `known`:
    the claim's deadlines as the caller read them (`deadlines.every`), not read again."""
    if into is None:
        at_once = DeadlineWrites()
        said = update_deadlines(conn, rt, spec, claim, transition, new_claim, now, inputs, at_once, known)
        at_once.apply(conn)
        return said
    writes = into
    known = known or deadlines.every(conn, claim.id)
    inputs = inputs or {}
    changes: Changes = {"opened": [], "cancelled": [], "paused": [], "resumed": []}
    trigger = transition.trigger
    closing = not transition.internal and spec.is_terminal(transition.dest)
    open_requests = awaited(conn, new_claim)
    closed: list[dict[str, Any]] = []
    still_running: set[str] = set()
    restarted: list[tuple[StateSpec, DeadlineSpec, datetime]] = []  # to start afresh, from when
    for d in known.running():
        own = declared(spec, d.state, d.name)
        if (
            own is not None
            and own.amount_from
            and trigger in (*own.met_by, *own.started_by)
            and open_requests
        ):
            _await_next(writes, rt, own, d, open_requests, now)  # the earliest answer still awaited
            still_running.add(d.name)
        elif trigger in d.met_by.split(","):
            met = inputs.get(own.met_at) if own is not None and own.met_at else None
            # the moment entered (the AP was told at 09:10), not the moment it was recorded
            closed.append({"_id": d.id, "met_at": met or now, "met_trigger": trigger})
        elif not transition.internal and (closing or (d.state == claim.state and d.scope == "state")):
            closed.append({"_id": d.id, "cancelled_at": now})
            changes["cancelled"].append({"label": d.label})
        elif own is not None and trigger in (*own.started_by, *own.restarted_by):
            base = _restart_base(own, d, inputs, now, rt)
            if base is None:  # a negotiation from before the running term's start changes nothing
                still_running.add(d.name)
                continue
            closed.append({"_id": d.id, "cancelled_at": now})
            changes["cancelled"].append({"label": d.label})
            restarted.append((spec.states[d.state], own, base))
            still_running.add(d.name)
        elif own is None and d.restarted_by and trigger in d.restarted_by.split(","):
            closed.append({"_id": d.id, "cancelled_at": now})  # a term of no spec: nothing to restart
            changes["cancelled"].append({"label": d.label})
        elif own is not None and trigger in own.stopped_by:
            closed.append({"_id": d.id, "cancelled_at": now})
            changes["cancelled"].append({"label": d.label})
        else:
            still_running.add(d.name)
            if own is not None and trigger in (*own.paused_by, *own.resumed_by):
                _pause_or_resume(conn, writes, rt, own, d, len(open_requests), now, changes)
    writes.closed += closed
    if not closing:
        for state, term in started_by(spec):
            if trigger in term.started_by and term.name not in still_running and term.applies_to(new_claim):
                restarted.append((state, term, now))
    had = known.names_had()
    for state, term, base in restarted:
        changes["opened"] += open_deadlines(
            conn,
            rt,
            state,
            new_claim,
            now,
            only=term,
            base=base,
            inputs=inputs,
            waiting_on=len(open_requests),
            writes=writes,
        )
    if not transition.internal:
        changes["opened"] += open_deadlines(
            conn,
            rt,
            spec.states[transition.dest],
            new_claim,
            now,
            still_running,
            waiting_on=len(open_requests),
            had=had,
            writes=writes,
        )
    return {k: v for k, v in changes.items() if v}


def answer_received(
    conn: Connection, rt: Runtime, spec: WorkflowSpec, claim: ClaimRecord, trigger: str
) -> Changes:
    """What `trigger` does to the terms outside a transition: a received letter marked as the answer to an
    information request counts as registering the answer (it meets the answer term, or moves it on to
    the next request still open, and resumes what waited on it once nothing is awaited)."""
    now = rt.clock()
    open_requests = awaited(conn, claim)
    met: list[dict[str, Any]] = []
    changes: Changes = {"paused": [], "resumed": []}
    writes = DeadlineWrites()
    for d in deadlines.running(conn, claim.id):
        own = declared(spec, d.state, d.name)
        if own is None:
            continue
        if own.amount_from and trigger in own.met_by and open_requests:
            _await_next(writes, rt, own, d, open_requests, now)
        elif trigger in d.met_by.split(","):
            met.append({"_id": d.id, "met_at": now, "met_trigger": trigger})
        elif trigger in (*own.paused_by, *own.resumed_by):
            _pause_or_resume(conn, writes, rt, own, d, len(open_requests), now, changes)
    writes.closed += met
    writes.apply(conn)
    return {k: v for k, v in changes.items() if v}


def _restart_base(
    own: DeadlineSpec, d: RunningDeadline, inputs: Mapping[str, Any], now: datetime, rt: Runtime
) -> datetime | None:
    """From when a restarted term counts: the trigger's date (`from_field`: the day of the negotiation)
    when it has one, else now; None when that day is not after the running term's start."""
    day = inputs.get(own.from_field) if own.from_field else None
    if not isinstance(day, date):
        return now
    base = base_from_date(day, rt.tz)
    return base if d.counted_from is None or base > d.counted_from else None


def _await_next(
    writes: DeadlineWrites,
    rt: Runtime,
    own: DeadlineSpec,
    d: RunningDeadline,
    open_requests: list[dict[str, Any]],
    now: datetime,
) -> None:
    """The answer term moved to the earliest answer still awaited."""
    earliest = min(date.fromisoformat(r["answer_due"]) for r in open_requests if r.get("answer_due"))
    due = end_of_day(earliest, rt.tz)
    if due != d.due_at:
        rule = f"het eerstvolgende antwoord dat nog open staat, uiterlijk {earliest:%d-%m-%Y}"
        writes.due.append((d.id, due, remind_at(own, now, due, rt), rule))


def _pause_or_resume(
    conn: Connection,
    writes: DeadlineWrites,
    rt: Runtime,
    own: DeadlineSpec,
    d: RunningDeadline,
    waiting_on: int,
    now: datetime,
    changes: Changes,
) -> None:
    if not own.paused_by:
        return
    if waiting_on and d.paused_at is None:
        if d.due_at <= now:
            return  # overdue already: asking for information does not hide that
        writes.paused.append((d.id, now, waiting_on))
        changes["paused"].append({"label": d.label})
    elif waiting_on:
        writes.paused.append((d.id, now, waiting_on))  # still paused: the count of requests it waits on
    elif d.paused_at is not None:  # the last open request answered: the clock runs on
        due, rule = resumed_due(own, d.due_at, d.paused_at, now, rt)
        row_rule = deadlines.rule_of(conn, d.id)
        writes.due.append((d.id, due, remind_at(own, now, due, rt), f"{row_rule}; {rule}"))
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
    waiting_on: int = 0,
    had: set[str] | None = None,
    writes: DeadlineWrites | None = None,
) -> list[dict[str, str]]:
    """Start the deadlines `state` declares; a claim-wide one already running is not started twice, and
    one a trigger starts (`started_by`) is left for that trigger. `only` with `base`: start that one
    afresh from `base` (a start or restart). A term with `paused_by` opened while `waiting_on` requests
    are open starts paused; one the claim `had` before counts from now, not from the claim's date.
    Returns the opened terms' labels and due moments. With `writes`, the rows are collected there for
    the caller to write; without, they are written at once."""
    rows = []
    candidates: Iterable[DeadlineSpec] = (only,) if only else (d for d in state.deadlines if not d.started_by)
    for d in candidates:
        if not d.applies_to(claim) or (running and d.name in running and not only):
            continue
        again = had is not None and d.name in had  # the state entered again (after an objection)
        base_value = base or (now if d.base == ENTERED or again else claim.get(d.base))
        if base_value is None:
            continue
        start = base_value if isinstance(base_value, datetime) else base_from_date(base_value, rt.tz)
        if d.amount_from and inputs and inputs.get(d.amount_from):
            d = replace(d, amount=int(inputs[d.amount_from]))  # the answer days the handler gave
        due = explain_due(d, start, rt.calendar, rt.tz)
        paused = bool(d.paused_by and waiting_on and due.at > now)
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
                "paused_at": now if paused else None,
                "pauses": waiting_on if paused else 0,
            }
        )
    if writes is None:
        deadlines.add(conn, rows)
    else:
        writes.added += rows
    return [{"label": r["label"], "due_at": r["due_at"].isoformat()} for r in rows]


def remind_at(d: DeadlineSpec, now: datetime, due: datetime, rt: Runtime) -> datetime:
    """When the responsible person is warned: the deadline's own lead, else the general one, but for a
    short term no earlier than halfway (a warning at the start says nothing the deadline did not)."""
    if d.remind_before_days:
        return due - timedelta(days=d.remind_before_days)
    return due - min(rt.rules.reminder_lead, (due - now) / 2)
