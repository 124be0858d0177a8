"""Deadlines of a claim as transitions open, meet and cancel them and as the sweep takes them when due;
for the read side, a claim's deadlines and the open ones across the claims a reader may see."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, bindparam, func, select, update
from sqlalchemy.engine import Connection

from claims.storage.models import BESIDE_COURSE, FOLLOWUP_SCOPE
from claims.storage.records import DueMoment, RunningDeadline, ToDo
from claims.storage.scopes import ClaimScope, visible
from claims.storage.statements import Bound, Prepared, Record, record_type
from claims.storage.tables import CLAIMS, DEADLINES, USERS

# not a complaint's clock nor a follow-up (spelled out, not NOT IN: the prepared statements bind no lists)
ON_COURSE = and_(*(DEADLINES.c.scope != scope for scope in BESIDE_COURSE))
_RUNNING_COLUMNS = (
    DEADLINES.c.id,
    DEADLINES.c.name,
    DEADLINES.c.label,
    DEADLINES.c.met_by,
    DEADLINES.c.restarted_by,
    DEADLINES.c.state,
    DEADLINES.c.scope,
    DEADLINES.c.due_at,
    DEADLINES.c.counted_from,
    DEADLINES.c.paused_at,
)
_RUNNING = Prepared(
    select(*_RUNNING_COLUMNS).where(
        DEADLINES.c.claim_id == bindparam("claim_id"),
        DEADLINES.c.met_at.is_(None),
        DEADLINES.c.cancelled_at.is_(None),
        # a complaint's clocks and a follow-up are their own: no trigger of the claim touches them
        ON_COURSE,
    ),
    RunningDeadline,
)
_RUNNING_KEYS = tuple(c.name for c in _RUNNING_COLUMNS)
_RunningRecord = record_type(_RUNNING_KEYS, RunningDeadline)
_DUE = Prepared(
    select(DEADLINES.c.name, DEADLINES.c.due_at).where(
        DEADLINES.c.claim_id == bindparam("claim_id"),
        DEADLINES.c.met_at.is_(None),
        DEADLINES.c.cancelled_at.is_(None),
        ON_COURSE,
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
_EVERY = Prepared(
    select(
        *_RUNNING_COLUMNS,
        DEADLINES.c.responsible,
        ON_COURSE.label("on_course"),
        (DEADLINES.c.met_at.is_(None) & DEADLINES.c.cancelled_at.is_(None)).label("open"),
    )
    .where(DEADLINES.c.claim_id == bindparam("claim_id"))
    .order_by(DEADLINES.c.id),
    Record,
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
    """The claim's running deadlines of its course (a complaint's clocks are not among them)."""
    return _RUNNING.all(conn, {"claim_id": claim_id})


def due_moments(conn: Connection, claim_id: int) -> list[DueMoment]:
    """The running deadlines' names and due moments (what a letter may quote)."""
    return _DUE.all(conn, {"claim_id": claim_id})


def to_do(conn: Connection, claim_id: int) -> list[ToDo]:
    """The running deadlines, the first due first."""
    return _TO_DO.all(conn, {"claim_id": claim_id})


class ClaimDeadlines:
    """Every deadline the claim has had, read once: what `running`, `names_had`, `due_moments` and
    `to_do` would each read again."""

    __slots__ = ("rows",)

    def __init__(self, rows: list[Record]) -> None:
        self.rows = rows

    def running(self) -> list[RunningDeadline]:
        return [
            _RunningRecord({k: r[k] for k in _RUNNING_KEYS})
            for r in self.rows
            if r["open"] and r["on_course"]
        ]

    def names_had(self) -> set[str]:
        return {r["name"] for r in self.rows}

    def open(self) -> list[Record]:
        return [r for r in self.rows if r["open"]]


def every(conn: Connection, claim_id: int) -> ClaimDeadlines:
    """Every deadline of the claim, open or not (with `open`, and `on_course`: a term of its course
    rather than a complaint's clock or a follow-up), in one read."""
    return ClaimDeadlines(_EVERY.all(conn, {"claim_id": claim_id}))


# what a row opened outside the spec's terms (a complaint's clock) need not say: it runs, unpaused
_ROW_DEFAULTS = {"paused_at": None, "pauses": 0, "due_rule": "", "counted_from": None}


def add(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        _INSERT.many(conn, _new_rows(rows))


def _new_rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{**_ROW_DEFAULTS, "counted_from": r.get("started_at"), **r} for r in rows]


def close(conn: Connection, closings: Sequence[Mapping[str, Any]]) -> None:
    """Meet or cancel deadlines: each closing has "_id", and "met_at" with "met_trigger" or "cancelled_at"."""
    if closings:
        _CLOSE.many(conn, closings)


def bind_add(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> Bound:
    """New deadlines (as `add` takes them) put in the driver's form before the write transaction."""
    return _INSERT.bind(conn, _new_rows(rows))


def bind_close(conn: Connection, closings: Sequence[Mapping[str, Any]]) -> Bound:
    """Closings (as `close` takes them) put in the driver's form before the write transaction."""
    return _CLOSE.bind(conn, closings)


def run_bound(conn: Connection, bound: Bound) -> None:
    """Write what `bind_add` or `bind_close` bound."""
    bound.run(conn)


_NAMES_HAD = Prepared(
    select(DEADLINES.c.name).where(DEADLINES.c.claim_id == bindparam("claim_id")).distinct(), Record
)


def names_had(conn: Connection, claim_id: int) -> set[str]:
    """The names of every term the claim has had, running, met or cancelled."""
    return {r["name"] for r in _NAMES_HAD.all(conn, {"claim_id": claim_id})}


_NAMES_NOT_CANCELLED = Prepared(
    select(DEADLINES.c.name)
    .where(DEADLINES.c.claim_id == bindparam("claim_id"), DEADLINES.c.cancelled_at.is_(None))
    .distinct(),
    Record,
)


def names_not_cancelled(conn: Connection, claim_id: int) -> set[str]:
    """The names of the terms the claim has running or has met (not those only ever cancelled)."""
    return {r["name"] for r in _NAMES_NOT_CANCELLED.all(conn, {"claim_id": claim_id})}


def rule_of(conn: Connection, deadline_id: int) -> str:
    return str(conn.execute(select(DEADLINES.c.due_rule).where(DEADLINES.c.id == deadline_id)).scalar_one())


def pause(conn: Connection, deadline_id: int, now: datetime, waiting_on: int) -> None:
    """The term waits on `waiting_on` open requests; its clock stops at the first (`paused_at` kept)."""
    conn.execute(
        update(DEADLINES)
        .where(DEADLINES.c.id == deadline_id)
        .values(
            pauses=waiting_on,
            paused_at=func.coalesce(
                DEADLINES.c.paused_at, bindparam("now", now, type_=DEADLINES.c.paused_at.type)
            ),
        )
    )


def set_due(
    conn: Connection, deadline_id: int, due: datetime, remind: datetime, rule: str | None = None
) -> None:
    """A new due moment (a resumed term, the answer still awaited): it runs, and the sweep weighs it
    afresh."""
    values: dict[str, Any] = {
        "due_at": due,
        "remind_at": remind,
        "paused_at": None,
        "pauses": 0,
        "reminded_at": None,
        "flagged_at": None,
        "escalated_at": None,
    }
    if rule is not None:
        values["due_rule"] = rule
    conn.execute(update(DEADLINES).where(DEADLINES.c.id == deadline_id).values(values))


# The sweep's steps, by the column that records each: which deadlines are ready at `now` (`grace`: how
# long an overdue deadline waits before it goes to the managers), and in which order they are taken.
# A paused term (opschorting) is never reminded, flagged or escalated: its clock does not run.
_OPEN = and_(
    DEADLINES.c.met_at.is_(None), DEADLINES.c.cancelled_at.is_(None), DEADLINES.c.paused_at.is_(None)
)


def _ready(step: str, now: datetime, grace: timedelta) -> ColumnElement[bool]:
    if step == "reminded_at":
        return and_(
            _OPEN,
            DEADLINES.c.reminded_at.is_(None),
            DEADLINES.c.flagged_at.is_(None),
            DEADLINES.c.remind_at <= now,
            DEADLINES.c.due_at > now,
        )
    if step == "flagged_at":
        return and_(_OPEN, DEADLINES.c.flagged_at.is_(None), DEADLINES.c.due_at <= now)
    if step == "escalated_at":
        return and_(
            _OPEN,
            DEADLINES.c.flagged_at.is_not(None),
            DEADLINES.c.escalated_at.is_(None),
            DEADLINES.c.due_at <= now - grace,
        )
    raise ValueError(f"no sweep step records {step}")


def take_ready(conn: Connection, step: str, now: datetime, grace: timedelta, size: int) -> set[int] | None:
    """Up to `size` deadlines ready for the sweep step that sets column `step`, marked done at `now`;
    the ids this call marked (None: none was ready). The conditional UPDATE makes each step happen once:
    of two sweeps only one sets the moment. On PostgreSQL the rows are picked FOR UPDATE SKIP LOCKED, so
    several nodes share the work instead of queueing behind each other."""
    ready = _ready(step, now, grace)
    order = DEADLINES.c.remind_at if step == "reminded_at" else DEADLINES.c.due_at
    pick = select(DEADLINES.c.id).where(ready).order_by(order).limit(size)
    if conn.dialect.name != "sqlite":
        pick = pick.with_for_update(skip_locked=True, of=DEADLINES)
    ids = list(conn.execute(pick).scalars())
    if not ids:
        return None
    column = DEADLINES.c[step]
    return set(
        conn.execute(
            update(DEADLINES)
            .where(DEADLINES.c.id.in_(ids), column.is_(None), ready)
            .values({step: now})
            .returning(DEADLINES.c.id)
        ).scalars()
    )


def take_ready_with_claims(
    conn: Connection,
    step: str,
    now: datetime,
    grace: timedelta,
    size: int,
    claim_columns: Sequence[str],
) -> list[Row[Any]] | None:
    """As take_ready, but the deadlines it marked come back as with_claims gives them (by deadline id),
    read in the same query that picks them: one read and one write a batch. None: none was ready."""
    ready = _ready(step, now, grace)
    order = DEADLINES.c.remind_at if step == "reminded_at" else DEADLINES.c.due_at
    pick = _with_claims(claim_columns).where(ready).order_by(order).limit(size)
    if conn.dialect.name != "sqlite":
        pick = pick.with_for_update(skip_locked=True, of=DEADLINES)
    picked = conn.execute(pick).all()
    if not picked:
        return None
    column = DEADLINES.c[step]
    marked = set(
        conn.execute(
            update(DEADLINES)
            .where(DEADLINES.c.id.in_([r.id for r in picked]), column.is_(None), ready)
            .values({step: now})
            .returning(DEADLINES.c.id)
        ).scalars()
    )
    return sorted((r for r in picked if r.id in marked), key=lambda r: int(r.id))


def _with_claims(claim_columns: Sequence[str]) -> Select[Any]:
    handler = USERS.alias("handler")
    return (
        select(
            DEADLINES.c.id,
            DEADLINES.c.name,
            DEADLINES.c.label,
            DEADLINES.c.due_at,
            DEADLINES.c.responsible,
            CLAIMS.c.id.label("claim_id"),
            CLAIMS.c.version,
            *(CLAIMS.c[name] for name in claim_columns),
            handler.c.name.label("handler_name"),
            handler.c.team,
        )
        .join(CLAIMS, CLAIMS.c.id == DEADLINES.c.claim_id)
        .join(handler, handler.c.id == CLAIMS.c.handler_id)
    )


def with_claims(conn: Connection, ids: Collection[int], claim_columns: Sequence[str]) -> list[Row[Any]]:
    """The deadlines with their claim (id, version and `claim_columns`) and its handler's name and team,
    by deadline id."""
    return list(
        conn.execute(
            _with_claims(claim_columns).where(DEADLINES.c.id.in_(ids)).order_by(DEADLINES.c.id)
        ).all()
    )


def _course(query: Any, course_only: bool) -> Any:
    """`query` without the complaints' clocks and the handlers' follow-ups when `course_only` (what an
    expert, who sees neither, is shown)."""
    return query.where(ON_COURSE) if course_only else query


def open_of_claim(conn: Connection, claim_id: int, *, course_only: bool = False) -> list[Row[Any]]:
    """The claim's running deadlines (every column), the first due first; `course_only`: not the
    complaints' clocks."""
    query = select(DEADLINES).where(
        DEADLINES.c.claim_id == claim_id,
        DEADLINES.c.met_at.is_(None),
        DEADLINES.c.cancelled_at.is_(None),
    )
    return list(conn.execute(_course(query, course_only).order_by(DEADLINES.c.due_at)).all())


def of_claim(conn: Connection, claim_id: int, *, course_only: bool = False) -> list[Row[Any]]:
    """Every deadline the claim has had: running ones first by due moment, then the closed ones;
    `course_only`: not the complaints' clocks."""
    query = select(DEADLINES).where(DEADLINES.c.claim_id == claim_id)
    return list(
        conn.execute(
            _course(query, course_only).order_by(
                (DEADLINES.c.met_at.is_(None) & DEADLINES.c.cancelled_at.is_(None)).desc(),
                DEADLINES.c.due_at,
                DEADLINES.c.id,
            )
        ).all()
    )


def open_of_claims(
    conn: Connection, claim_ids: Sequence[int], *, course_only: bool = False
) -> list[Row[Any]]:
    """(claim_id, due_at, label) of these claims' running deadlines, by claim and then the first due."""
    query = select(DEADLINES.c.claim_id, DEADLINES.c.due_at, DEADLINES.c.label).where(
        DEADLINES.c.claim_id.in_(claim_ids),
        DEADLINES.c.met_at.is_(None),
        DEADLINES.c.cancelled_at.is_(None),
    )
    return list(
        conn.execute(_course(query, course_only).order_by(DEADLINES.c.claim_id, DEADLINES.c.due_at)).all()
    )


def open_in_scope(
    conn: Connection, scope: ClaimScope, *, due_before: datetime | None, limit: int
) -> list[Row[Any]]:
    """Running deadlines on the claims in `scope` (only those due before `due_before`, if given), soonest
    first; each with its claim's reference and state ("claim_state") and handler's e-mail ("handler").
    An expert's scope leaves out the complaints' clocks."""
    query = (
        select(
            DEADLINES,
            CLAIMS.c.reference,
            CLAIMS.c.state.label("claim_state"),
            USERS.c.email.label("handler"),
        )
        .join(CLAIMS, CLAIMS.c.id == DEADLINES.c.claim_id)
        .join(USERS, USERS.c.id == CLAIMS.c.handler_id)
        .where(visible(scope), DEADLINES.c.met_at.is_(None), DEADLINES.c.cancelled_at.is_(None))
        .order_by(DEADLINES.c.due_at, DEADLINES.c.id)
        .limit(limit)
    )
    query = _course(query, scope.expert_id is not None)
    if due_before is not None:  # what is (nearly) overdue: a paused term is not
        query = query.where(DEADLINES.c.due_at < due_before, DEADLINES.c.paused_at.is_(None))
    return list(conn.execute(query).all())


def followups_of_claim(conn: Connection, claim_id: int) -> list[Row[Any]]:
    """The claim's follow-ups (the handler's diary), every one, the first due first."""
    return list(
        conn.execute(
            select(DEADLINES)
            .where(DEADLINES.c.claim_id == claim_id, DEADLINES.c.scope == FOLLOWUP_SCOPE)
            .order_by(DEADLINES.c.due_at, DEADLINES.c.id)
        ).all()
    )


def open_followups_of_handler(conn: Connection, handler_id: int) -> list[Row[Any]]:
    """The open follow-ups on the claims of a handler, the first due first, with the claim's reference."""
    return list(
        conn.execute(
            select(DEADLINES, CLAIMS.c.reference)
            .join(CLAIMS, CLAIMS.c.id == DEADLINES.c.claim_id)
            .where(
                CLAIMS.c.handler_id == handler_id,
                DEADLINES.c.scope == FOLLOWUP_SCOPE,
                DEADLINES.c.met_at.is_(None),
                DEADLINES.c.cancelled_at.is_(None),
            )
            .order_by(DEADLINES.c.due_at, DEADLINES.c.id)
        ).all()
    )
