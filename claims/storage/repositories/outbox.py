"""The inbox and the outbox as transactions fill them: a notification for a user, e-mail rows to send."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection

from claims.storage.statements import InsertReturningId, Prepared
from claims.storage.tables import NOTIFICATIONS, OUTBOX

_INSERT_NOTIFICATION = InsertReturningId(NOTIFICATIONS)
_INSERT_MESSAGE = Prepared.insert(OUTBOX)


def add_notification(conn: Connection, row: Mapping[str, Any]) -> int:
    """A notification in a user's inbox; its id."""
    return _INSERT_NOTIFICATION.run(conn, row)


def queue(conn: Connection, messages: Sequence[Mapping[str, Any]]) -> None:
    """E-mail rows for the delivery worker, sent once this transaction commits."""
    if messages:
        _INSERT_MESSAGE.many(conn, messages)
