"""Signing in: password checks slowed down after repeated failures, and server-side sessions with an
idle and an absolute timeout. Interfaces hold only the session token; everything else is here."""

from __future__ import annotations

import secrets
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from claims.errors import LoginRefused
from claims.people.users import hash_password, token_hash, verify_password
from claims.storage.db import in_write
from claims.storage.models import User
from claims.storage.tables import LOGIN_FAILURES, USERS, WEB_SESSIONS

# Attempts counted over this window. For each key the first `free` attempts cost nothing; each further
# one doubles the wait, from FIRST_WAIT up to MAX_WAIT. One client guessing one account is stopped
# soonest; an account guessed from many places, and one place guessing many accounts (colleagues may
# share an address behind a proxy), get more room.
WINDOW = timedelta(minutes=15)
FREE_ATTEMPTS = 5  # per e-mail address and client address
FREE_ATTEMPTS_PER_EMAIL = 20
FREE_ATTEMPTS_PER_IP = 50
FIRST_WAIT = timedelta(seconds=30)
MAX_WAIT = timedelta(minutes=15)
KEEP = timedelta(days=1)
# Writing last_seen on every request would make every page view a write; a minute's slack is harmless.
TOUCH_EVERY = timedelta(minutes=1)
# A hash to verify against when the e-mail address is unknown, so the answer takes as long either way.
_DUMMY_HASH = hash_password("no-such-user-password")


REFUSED = "Onbekend e-mailadres of onjuist wachtwoord."
MAX_EMAIL = 320


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


def _record_attempt(conn: Connection, email: str, ip: str, now: datetime) -> timedelta:
    """Record an attempt before the password is checked, so that guesses made at the same moment count
    each other; the wait it must respect (then the attempt is withdrawn: waiting does not extend the wait)."""
    attempt = conn.execute(
        insert(LOGIN_FAILURES).values(email=email, ip=ip, at=now).returning(LOGIN_FAILURES.c.id)
    ).scalar_one()
    since = now - WINDOW
    waits: list[timedelta] = []
    for where, free in (
        ((LOGIN_FAILURES.c.email == email) & (LOGIN_FAILURES.c.ip == ip), FREE_ATTEMPTS),
        (LOGIN_FAILURES.c.email == email, FREE_ATTEMPTS_PER_EMAIL),
        (LOGIN_FAILURES.c.ip == ip, FREE_ATTEMPTS_PER_IP),
    ):
        count, last = conn.execute(
            select(func.count(), func.max(LOGIN_FAILURES.c.at)).where(
                where, LOGIN_FAILURES.c.at > since, LOGIN_FAILURES.c.id < attempt
            )
        ).one()
        waits.append(_wait(int(count), free, last, now))
    wait = max(waits)
    if wait:
        conn.execute(delete(LOGIN_FAILURES).where(LOGIN_FAILURES.c.id == attempt))
    # old attempts of this address and client are of no use any more
    old = LOGIN_FAILURES.c.at < now - KEEP
    conn.execute(delete(LOGIN_FAILURES).where(LOGIN_FAILURES.c.email == email, old))
    conn.execute(delete(LOGIN_FAILURES).where(LOGIN_FAILURES.c.ip == ip, old))
    return wait


def authenticate(db: Session, email: str, password: str, ip: str, now: datetime) -> User:
    """The active user with this e-mail address and password, or LoginRefused. Each attempt is committed
    before the password is checked; a successful one clears this client's attempts for the address."""
    email = email.strip().lower()
    if not email or len(email) > MAX_EMAIL or "\x00" in email + password:
        raise LoginRefused(REFUSED)
    wait = in_write(db, lambda conn: _record_attempt(conn, email, ip, now))
    if wait:
        seconds = int(wait.total_seconds()) + 1
        raise LoginRefused(
            f"Te veel mislukte pogingen. Probeer het over {seconds} seconden opnieuw.", retry_after=seconds
        )
    row = db.connection().execute(select(USERS.c.id).where(USERS.c.email == email)).first()
    found = db.get(User, row.id) if row else None
    ok = verify_password(found, password) if found else _verify_dummy(password)
    if found is None or not ok or not found.active:
        db.rollback()
        raise LoginRefused(REFUSED)
    in_write(
        db,
        lambda conn: conn.execute(
            delete(LOGIN_FAILURES).where(LOGIN_FAILURES.c.email == email, LOGIN_FAILURES.c.ip == ip)
        ),
    )
    return found


def _verify_dummy(password: str) -> bool:
    verify_password(User(email="", name="", role="", password_hash=_DUMMY_HASH), password)
    return False


def start_session(db: Session, user: User, now: datetime) -> str:
    """A new session for `user` (a new token at every log-in, so a planted one is worthless); commits."""
    token = secrets.token_urlsafe(32)
    values = {"token_hash": token_hash(token), "user_id": user.id, "created_at": now, "last_seen_at": now}
    in_write(db, lambda conn: conn.execute(insert(WEB_SESSIONS).values(values)))
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
        touch = update(WEB_SESSIONS).where(WEB_SESSIONS.c.id == row.id).values(last_seen_at=now)
        # another request of this session may touch it at the same moment, or the database be busy:
        # last_seen only needs to be about right, so this request goes on either way
        with suppress(OperationalError):
            in_write(db, lambda conn: conn.execute(touch))
    return SignedIn(user=user, session_id=row.id, token_hash=digest)


def _end(db: Session, session_id: int, now: datetime) -> None:
    end = (
        update(WEB_SESSIONS)
        .where(WEB_SESSIONS.c.id == session_id, WEB_SESSIONS.c.ended_at.is_(None))
        .values(ended_at=now)
    )
    in_write(db, lambda conn: conn.execute(end))


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
