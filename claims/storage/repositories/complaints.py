"""Complaints (klachten) as rows: registered, their course recorded by a conditional update (of two
writers only the first moves a complaint on), read by claim, by number and across the claims a reader may
see; and their clocks, the deadlines of scope COMPLAINT_SCOPE."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, func, select, update
from sqlalchemy.engine import Connection

from claims.storage.models import COMPLAINT_SCOPE
from claims.storage.records import ComplaintRecord
from claims.storage.scopes import ClaimScope, visible
from claims.storage.statements import InsertReturningId, Prepared
from claims.storage.tables import CLAIMS, COMPLAINTS, DEADLINES, USERS

_INSERT = InsertReturningId(COMPLAINTS)
_BY_ID = Prepared(select(COMPLAINTS).where(COMPLAINTS.c.id == bindparam("id")), ComplaintRecord)
_OF_CLAIM = Prepared(
    select(COMPLAINTS).where(COMPLAINTS.c.claim_id == bindparam("claim_id")).order_by(COMPLAINTS.c.id),
    ComplaintRecord,
)
_OPEN_CLOCK = (
    (DEADLINES.c.scope == COMPLAINT_SCOPE) & DEADLINES.c.met_at.is_(None) & DEADLINES.c.cancelled_at.is_(None)
)


def add(conn: Connection, row: Mapping[str, Any]) -> int:
    """A new complaint; its id."""
    return _INSERT.run(conn, row)


def next_number(conn: Connection, claim_id: int) -> int:
    """The number the claim's next complaint gets (1 for its first)."""
    count = conn.execute(select(func.count()).where(COMPLAINTS.c.claim_id == claim_id)).scalar_one()
    return int(count) + 1


def by_id(conn: Connection, complaint_id: int) -> ComplaintRecord | None:
    return _BY_ID.first(conn, {"id": complaint_id})


def of_claim(conn: Connection, claim_id: int) -> list[ComplaintRecord]:
    """The claim's complaints, the first registered first."""
    return _OF_CLAIM.all(conn, {"claim_id": claim_id})


def change_if(
    conn: Connection, complaint_id: int, statuses: Collection[str], values: Mapping[str, Any]
) -> bool:
    """Set `values` on the complaint if its status is one of `statuses`; whether it was (False: someone
    else moved it on first, or it was never in such a status)."""
    done = conn.execute(
        update(COMPLAINTS)
        .where(COMPLAINTS.c.id == complaint_id, COMPLAINTS.c.status.in_(list(statuses)))
        .values(dict(values))
    )
    return bool(done.rowcount)


def in_scope(conn: Connection, scope: ClaimScope, *, statuses: Collection[str] | None) -> list[Row[Any]]:
    """The complaints on the claims in `scope` (only those in `statuses`, if given), each with its claim's
    reference, handler_id and handler's name ("handler_name"), by id."""
    query = (
        select(
            COMPLAINTS,
            CLAIMS.c.reference,
            CLAIMS.c.handler_id,
            USERS.c.name.label("handler_name"),
        )
        .join(CLAIMS, CLAIMS.c.id == COMPLAINTS.c.claim_id)
        .join(USERS, USERS.c.id == CLAIMS.c.handler_id)
        .where(visible(scope))
        .order_by(COMPLAINTS.c.id)
    )
    if statuses is not None:
        query = query.where(COMPLAINTS.c.status.in_(list(statuses)))
    return list(conn.execute(query).all())


def clocks_of_claims(conn: Connection, claim_ids: Sequence[int]) -> list[Row[Any]]:
    """Every complaint clock these claims have had (every column), by claim and then by id."""
    if not claim_ids:
        return []
    return list(
        conn.execute(
            select(DEADLINES)
            .where(DEADLINES.c.claim_id.in_(list(claim_ids)), DEADLINES.c.scope == COMPLAINT_SCOPE)
            .order_by(DEADLINES.c.claim_id, DEADLINES.c.id)
        ).all()
    )


def open_clock(conn: Connection, claim_id: int, name: str) -> Row[Any] | None:
    """The complaint clock of this name on the claim, if it is running."""
    return conn.execute(
        select(DEADLINES).where(DEADLINES.c.claim_id == claim_id, DEADLINES.c.name == name, _OPEN_CLOCK)
    ).first()


def open_count(conn: Connection, scope: ClaimScope) -> int:
    """How many complaints on the claims in `scope` are not answered yet."""
    return int(
        conn.execute(
            select(func.count())
            .select_from(COMPLAINTS)
            .join(CLAIMS, CLAIMS.c.id == COMPLAINTS.c.claim_id)
            .where(visible(scope), COMPLAINTS.c.status != "answered")
        ).scalar_one()
    )


def overdue_clocks(conn: Connection, scope: ClaimScope, now: datetime) -> int:
    """How many running complaint clocks on the claims in `scope` are past their due moment."""
    return int(
        conn.execute(
            select(func.count())
            .select_from(DEADLINES)
            .join(CLAIMS, CLAIMS.c.id == DEADLINES.c.claim_id)
            .where(visible(scope), _OPEN_CLOCK, DEADLINES.c.due_at < now)
        ).scalar_one()
    )
