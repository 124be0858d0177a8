"""Signing in: password checks slowed down after repeated failures, and server-side sessions with an
idle and an absolute timeout. Interfaces hold only the session token; everything else is here."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select, update
from sqlmodel import Session

from claims.models import User
from claims.tables import LOGIN_FAILURES, USERS, WEB_SESSIONS
from claims.users import hash_password, token_hash, verify_password
from workflow.errors import WorkflowError

# Failures counted over this window; the first FREE_ATTEMPTS cost nothing, each further one doubles
# the wait, up to MAX_WAIT. A client address gets more room, since colleagues may share one.
WINDOW = timedelta(minutes=15)
FREE_ATTEMPTS = 5
FREE_ATTEMPTS_PER_IP = 20
FIRST_WAIT = timedelta(seconds=30)
MAX_WAIT = timedelta(minutes=15)
# Writing last_seen on every request would make every page view a write; a minute's slack is harmless.
TOUCH_EVERY = timedelta(minutes=1)
# A hash to verify against when the e-mail address is unknown, so the answer takes as long either way.
_DUMMY_HASH = hash_password("no-such-user-password")


class LoginRefused(WorkflowError):
    """Wrong e-mail address or password, or too many attempts; `retry_after` seconds when throttled."""

    def __init__(self, message: str, retry_after: int = 0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)


@dataclass(frozen=True)
class SignedIn:
    user: User
    session_id: int
    token_hash: str


def _wait(failures: int, free: int, last: datetime | None, now: datetime) -> timedelta:
    if failures < free or last is None:
        return timedelta(0)
    wait: timedelta = min(FIRST_WAIT * (2 ** (failures - free)), MAX_WAIT)
    remaining: timedelta = last + wait - now
    return max(remaining, timedelta(0))


def throttle(db: Session, email: str, ip: str, now: datetime) -> timedelta:
    """How long this e-mail address or client address must still wait before another attempt."""
    since = now - WINDOW
    waits: list[timedelta] = []
    for column, key, free in (
        (LOGIN_FAILURES.c.email, email, FREE_ATTEMPTS),
        (LOGIN_FAILURES.c.ip, ip, FREE_ATTEMPTS_PER_IP),
    ):
        count, last = (
            db.connection()
            .execute(
                select(func.count(), func.max(LOGIN_FAILURES.c.at)).where(
                    column == key, LOGIN_FAILURES.c.at > since
                )
            )
            .one()
        )
        waits.append(_wait(int(count), free, last, now))
    return max(waits)


def authenticate(db: Session, email: str, password: str, ip: str, now: datetime) -> User:
    """The active user with this e-mail address and password, or LoginRefused. Commits the failure
    count, so a refused attempt is remembered even though the caller gets an exception."""
    email = email.strip().lower()
    wait = throttle(db, email, ip, now)
    if wait:
        seconds = int(wait.total_seconds()) + 1
        raise LoginRefused(
            f"Te veel mislukte pogingen. Probeer het over {seconds} seconden opnieuw.", retry_after=seconds
        )
    user = db.connection().execute(select(USERS.c.id).where(USERS.c.email == email)).first()
    found = db.get(User, user.id) if user else None
    ok = verify_password(found, password) if found else _verify_dummy(password)
    if found is None or not ok or not found.active:
        db.connection().execute(insert(LOGIN_FAILURES).values(email=email, ip=ip, at=now))
        db.commit()
        raise LoginRefused("Onbekend e-mailadres of onjuist wachtwoord.")
    db.connection().execute(delete(LOGIN_FAILURES).where(LOGIN_FAILURES.c.email == email))
    return found


def _verify_dummy(password: str) -> bool:
    verify_password(User(email="", name="", role="", password_hash=_DUMMY_HASH), password)
    return False


def start_session(db: Session, user: User, now: datetime) -> str:
    """A new session for `user` (a new token at every log-in, so a planted one is worthless); commits."""
    token = secrets.token_urlsafe(32)
    db.connection().execute(
        insert(WEB_SESSIONS).values(
            token_hash=token_hash(token), user_id=user.id, created_at=now, last_seen_at=now
        )
    )
    db.commit()
    return token


def resume_session(db: Session, token: str, now: datetime, policy: SessionPolicy) -> SignedIn | None:
    """The signed-in user for this token, or None when it is unknown, ended, idle too long or too old;
    an expired session is ended on the way."""
    digest = token_hash(token)
    row = db.connection().execute(select(WEB_SESSIONS).where(WEB_SESSIONS.c.token_hash == digest)).first()
    if row is None or row.ended_at is not None:
        return None
    if now - row.last_seen_at > policy.idle or now - row.created_at > policy.absolute:
        _end(db, row.id, now)
        return None
    user = db.get(User, row.user_id)
    if user is None or not user.active:
        _end(db, row.id, now)
        return None
    if now - row.last_seen_at > TOUCH_EVERY:
        db.connection().execute(
            update(WEB_SESSIONS).where(WEB_SESSIONS.c.id == row.id).values(last_seen_at=now)
        )
        db.commit()
    return SignedIn(user=user, session_id=row.id, token_hash=digest)


def _end(db: Session, session_id: int, now: datetime) -> None:
    db.connection().execute(
        update(WEB_SESSIONS)
        .where(WEB_SESSIONS.c.id == session_id, WEB_SESSIONS.c.ended_at.is_(None))
        .values(ended_at=now)
    )
    db.commit()


def end_session(db: Session, token: str, now: datetime) -> None:
    """Log out: the token no longer signs anyone in, wherever a copy of it is."""
    row = (
        db.connection()
        .execute(select(WEB_SESSIONS.c.id).where(WEB_SESSIONS.c.token_hash == token_hash(token)))
        .first()
    )
    if row is not None:
        _end(db, row.id, now)


def end_all_sessions(db: Session, user_id: int, now: datetime) -> None:
    """Sign a user out everywhere (deactivation, password change); the caller commits."""
    db.connection().execute(
        update(WEB_SESSIONS)
        .where(WEB_SESSIONS.c.user_id == user_id, WEB_SESSIONS.c.ended_at.is_(None))
        .values(ended_at=now)
    )
