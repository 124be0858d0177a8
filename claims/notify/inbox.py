"""A user's in-app notifications: what they must do, or what happened on their claims."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select, update
from sqlalchemy.engine import Connection
from sqlmodel import Session

from claims.storage.db import in_write
from claims.storage.models import User
from claims.storage.tables import CLAIMS, NOTIFICATIONS


def unread_count(session: Session, user: User) -> int:
    return int(
        session.connection()
        .execute(
            select(func.count()).where(NOTIFICATIONS.c.user_id == user.id, NOTIFICATIONS.c.read_at.is_(None))
        )
        .scalar_one()
    )


def notifications(
    session: Session, user: User, *, unread_only: bool = False, limit: int = 200
) -> list[Row[Any]]:
    """The user's notifications, newest first, with the claim's schadenummer."""
    query = (
        select(NOTIFICATIONS, CLAIMS.c.reference)
        .outerjoin(CLAIMS, CLAIMS.c.id == NOTIFICATIONS.c.claim_id)
        .where(NOTIFICATIONS.c.user_id == user.id)
        .order_by(NOTIFICATIONS.c.id.desc())
        .limit(limit)
    )
    if unread_only:
        query = query.where(NOTIFICATIONS.c.read_at.is_(None))
    return list(session.connection().execute(query).all())


def mark_all_read(session: Session, user: User, now: datetime) -> int:
    """Mark every unread notification of `user` read; how many there were."""

    def work(conn: Connection) -> int:
        result = conn.execute(
            update(NOTIFICATIONS)
            .where(NOTIFICATIONS.c.user_id == user.id, NOTIFICATIONS.c.read_at.is_(None))
            .values(read_at=now)
        )
        return int(result.rowcount)

    return in_write(session, work)
