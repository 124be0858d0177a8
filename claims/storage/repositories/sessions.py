"""Signing in as stored: web sessions (by their token's hash) and the log-in attempts counted against
guessing. Plain Core: none of it is on a transition's path, and its errors stay SQLAlchemy's (the web
answers 503 to a database it cannot have in time)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, func, insert, select, update
from sqlalchemy.engine import Connection

from claims.storage.tables import LOGIN_FAILURES, WEB_SESSIONS


def add_attempt(conn: Connection, email: str, ip: str, at: datetime) -> int:
    """A log-in attempt, recorded before its password is checked; its id."""
    stmt = insert(LOGIN_FAILURES).values(email=email, ip=ip, at=at).returning(LOGIN_FAILURES.c.id)
    return int(conn.execute(stmt).scalar_one())


def attempts_before(
    conn: Connection, attempt_id: int, since: datetime, *, email: str | None = None, ip: str | None = None
) -> tuple[int, datetime | None]:
    """The attempts recorded before `attempt_id` and after `since` for this e-mail address, this client
    address, or both (whichever are given): how many, and the latest moment."""
    where = [LOGIN_FAILURES.c.at > since, LOGIN_FAILURES.c.id < attempt_id]
    if email is not None:
        where.append(LOGIN_FAILURES.c.email == email)
    if ip is not None:
        where.append(LOGIN_FAILURES.c.ip == ip)
    count, last = conn.execute(select(func.count(), func.max(LOGIN_FAILURES.c.at)).where(*where)).one()
    return int(count), last


def withdraw_attempt(conn: Connection, attempt_id: int) -> None:
    conn.execute(delete(LOGIN_FAILURES).where(LOGIN_FAILURES.c.id == attempt_id))


def forget_attempts_before(conn: Connection, email: str, ip: str, before: datetime) -> None:
    """Drop the attempts older than `before` of this e-mail address and of this client address."""
    old = LOGIN_FAILURES.c.at < before
    conn.execute(delete(LOGIN_FAILURES).where(LOGIN_FAILURES.c.email == email, old))
    conn.execute(delete(LOGIN_FAILURES).where(LOGIN_FAILURES.c.ip == ip, old))


def clear_attempts(conn: Connection, email: str, ip: str) -> None:
    """Forget this client's attempts for this e-mail address."""
    conn.execute(delete(LOGIN_FAILURES).where(LOGIN_FAILURES.c.email == email, LOGIN_FAILURES.c.ip == ip))


def add_session(conn: Connection, token_hash: str, user_id: int, now: datetime) -> None:
    conn.execute(
        insert(WEB_SESSIONS).values(token_hash=token_hash, user_id=user_id, created_at=now, last_seen_at=now)
    )


def by_token_hash(conn: Connection, token_hash: str) -> Row[Any] | None:
    """The web session whose token has this hash, ended or not."""
    return conn.execute(select(WEB_SESSIONS).where(WEB_SESSIONS.c.token_hash == token_hash)).first()


def touch(conn: Connection, session_id: int, now: datetime) -> None:
    conn.execute(update(WEB_SESSIONS).where(WEB_SESSIONS.c.id == session_id).values(last_seen_at=now))


def end(conn: Connection, session_id: int, now: datetime) -> None:
    """End the session, unless it has ended already (its first end is the one kept)."""
    conn.execute(
        update(WEB_SESSIONS)
        .where(WEB_SESSIONS.c.id == session_id, WEB_SESSIONS.c.ended_at.is_(None))
        .values(ended_at=now)
    )


def end_all(conn: Connection, user_id: int, now: datetime) -> None:
    """End every running session of the user."""
    conn.execute(
        update(WEB_SESSIONS)
        .where(WEB_SESSIONS.c.user_id == user_id, WEB_SESSIONS.c.ended_at.is_(None))
        .values(ended_at=now)
    )
