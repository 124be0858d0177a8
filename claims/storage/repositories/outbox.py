"""The inbox and the outbox: notifications for a user and e-mail rows to send, as transactions fill them and
as their pages read them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, func, select, update
from sqlalchemy.engine import Connection

from claims.storage.statements import InsertMany, InsertReturningId, Prepared, Record
from claims.storage.tables import CLAIMS, NOTIFICATIONS, OUTBOX

_INSERT_NOTIFICATION = InsertReturningId(NOTIFICATIONS)
_INSERT_MESSAGE = Prepared.insert(OUTBOX)
_INSERT_NOTIFICATIONS = InsertMany(NOTIFICATIONS)


def add_notification(conn: Connection, row: Mapping[str, Any]) -> int:
    """A notification in a user's inbox; its id."""
    return _INSERT_NOTIFICATION.run(conn, row)


def add_notifications(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """Notifications in users' inboxes, in one statement; their ids in the order of `rows`."""
    return _INSERT_NOTIFICATIONS.run(conn, rows)


def queue(conn: Connection, messages: Sequence[Mapping[str, Any]]) -> None:
    """E-mail rows for the delivery worker, sent once this transaction commits."""
    if messages:
        _INSERT_MESSAGE.many(conn, messages)


def unread_count(conn: Connection, user_id: int) -> int:
    return int(
        conn.execute(
            select(func.count()).where(NOTIFICATIONS.c.user_id == user_id, NOTIFICATIONS.c.read_at.is_(None))
        ).scalar_one()
    )


def notifications_of(conn: Connection, user_id: int, *, unread_only: bool, limit: int) -> list[Row[Any]]:
    """A user's notifications, newest first, with the claim's schadenummer."""
    query = (
        select(NOTIFICATIONS, CLAIMS.c.reference)
        .outerjoin(CLAIMS, CLAIMS.c.id == NOTIFICATIONS.c.claim_id)
        .where(NOTIFICATIONS.c.user_id == user_id)
        .order_by(NOTIFICATIONS.c.id.desc())
        .limit(limit)
    )
    if unread_only:
        query = query.where(NOTIFICATIONS.c.read_at.is_(None))
    return list(conn.execute(query).all())


def mark_read(conn: Connection, user_id: int, now: datetime) -> int:
    """Every unread notification of the user read at `now`; how many there were."""
    result = conn.execute(
        update(NOTIFICATIONS)
        .where(NOTIFICATIONS.c.user_id == user_id, NOTIFICATIONS.c.read_at.is_(None))
        .values(read_at=now)
    )
    return int(result.rowcount)


def messages(
    conn: Connection, *, to_user: int | None, status: str | None, limit: int
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The newest outbox messages (only those to user `to_user`, if given; of one status, if given) with
    their claim's schadenummer, and the count per status of the same messages."""
    query = (
        select(OUTBOX, CLAIMS.c.reference)
        .outerjoin(CLAIMS, CLAIMS.c.id == OUTBOX.c.claim_id)
        .order_by(OUTBOX.c.id.desc())
        .limit(limit)
    )
    counting = select(OUTBOX.c.status, func.count()).group_by(OUTBOX.c.status)
    if to_user is not None:
        query = query.where(OUTBOX.c.user_id == to_user)
        counting = counting.where(OUTBOX.c.user_id == to_user)
    if status:
        query = query.where(OUTBOX.c.status == status)
    counts = {str(s): int(n) for s, n in conn.execute(counting)}
    return [dict(r._mapping) for r in conn.execute(query)], counts


def count_with_status(conn: Connection, status: str) -> int:
    return int(conn.execute(select(func.count()).where(OUTBOX.c.status == status)).scalar_one())


_OF_LETTERS = Prepared(
    select(
        OUTBOX.c.id,
        OUTBOX.c.letter_id,
        OUTBOX.c.to_name,
        OUTBOX.c.to_address,
        OUTBOX.c.status,
        OUTBOX.c.sent_at,
        OUTBOX.c.last_error,
    )
    .where(OUTBOX.c.claim_id == bindparam("claim_id"), OUTBOX.c.letter_id.is_not(None))
    .order_by(OUTBOX.c.id),
    Record,
)


def of_letters(conn: Connection, claim_id: int) -> list[Record]:
    """The e-mails that carry the claim's letters, by letter, oldest first (on the fast path: the claim
    page reads them every time)."""
    return _OF_LETTERS.all(conn, {"claim_id": claim_id})
