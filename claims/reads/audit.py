"""The audit trail: who took which data out of claimflow, through which channel, and when."""

from __future__ import annotations

import getpass
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.engine import Connection

from claims.storage.db import Db, in_write
from claims.storage.models import User
from claims.storage.repositories import audit


def operator_label() -> str:
    """Who runs a command-line export without --as: the operating-system account."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:onbekend"


def record(
    db: Db,
    *,
    at: datetime,
    actor: User | None,
    channel: str,
    action: str,
    subject: str,
    format: str,
    detail: Mapping[str, Any],
) -> None:
    """Append one entry in its own committed transaction (before the data leaves, so an export cut off
    halfway is on record too)."""

    def work(conn: Connection) -> None:
        audit.add(
            conn,
            {
                "at": at,
                "actor_id": actor.id if actor else None,
                "actor": actor.email if actor else operator_label(),
                "channel": channel,
                "action": action,
                "subject": subject,
                "format": format,
                "detail": dict(detail),
            },
        )

    in_write(db, work)


def entries(conn: Connection, *, limit: int = 100) -> list[Row[Any]]:
    """The newest entries first (read by an operator at the command line)."""
    return audit.newest(conn, limit)
