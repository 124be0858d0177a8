"""The inbox and the outbox as transactions fill them: a notification for a user, e-mail rows to send."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Connection

from claims.storage.statements import InsertReturningId, Prepared
from claims.storage.tables import NOTIFICATIONS, OUTBOX

_INSERT_NOTIFICATION = InsertReturningId(NOTIFICATIONS)
_INSERT_MESSAGE = Prepared.insert(OUTBOX)


def add_notification(conn: Connection, row: Mapping[str, Any]) -> int:
    """A notification in a user's inbox; its id."""
    return _INSERT_NOTIFICATION.run(conn, row)


def add_notifications(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """Notifications in users' inboxes, in one statement; their ids in the order of `rows`."""
    if not rows:
        return []
    return list(
        conn.execute(
            insert(NOTIFICATIONS).returning(NOTIFICATIONS.c.id, sort_by_parameter_order=True), rows
        ).scalars()
    )


def queue(conn: Connection, messages: Sequence[Mapping[str, Any]]) -> None:
    """E-mail rows for the delivery worker, sent once this transaction commits."""
    if messages:
        _INSERT_MESSAGE.many(conn, messages)
