"""A user's in-app notifications: what they must do, or what happened on their claims."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlmodel import Session

from claims.storage.db import in_write
from claims.storage.models import User
from claims.storage.repositories import outbox


def unread_count(session: Session, user: User) -> int:
    return outbox.unread_count(session.connection(), _id(user))


def notifications(
    session: Session, user: User, *, unread_only: bool = False, limit: int = 200
) -> list[Row[Any]]:
    """The user's notifications, newest first, with the claim's schadenummer."""
    return outbox.notifications_of(session.connection(), _id(user), unread_only=unread_only, limit=limit)


def mark_all_read(session: Session, user: User, now: datetime) -> int:
    """Mark every unread notification of `user` read; how many there were."""
    return in_write(session, lambda conn: outbox.mark_read(conn, _id(user), now))


def _id(user: User) -> int:
    assert user.id is not None  # a signed-in user is stored
    return user.id
