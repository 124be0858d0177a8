"""Signing in: password checks slowed down after repeated failures, and server-side sessions with an
idle and an absolute timeout. Interfaces hold only the session token; everything else is here."""

from __future__ import annotations

import secrets
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from claims.errors import LoginRefused
from claims.people.users import hash_password, token_hash, verify_password
from claims.storage.db import in_write
from claims.storage.models import User
from claims.storage.repositories import sessions, users

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
    attempt = sessions.add_attempt(conn, email, ip, now)
    since = now - WINDOW
    waits: list[timedelta] = []
    for by_email, by_ip, free in (
        (email, ip, FREE_ATTEMPTS),
        (email, None, FREE_ATTEMPTS_PER_EMAIL),
        (None, ip, FREE_ATTEMPTS_PER_IP),
    ):
        count, last = sessions.attempts_before(conn, attempt, since, email=by_email, ip=by_ip)
        waits.append(_wait(count, free, last, now))
    wait = max(waits)
    if wait:
        sessions.withdraw_attempt(conn, attempt)
    # old attempts of this address and client are of no use any more
    sessions.forget_attempts_before(conn, email, ip, now - KEEP)
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
    found = users.with_email(db, email)
    ok = verify_password(found, password) if found else _verify_dummy(password)
    if found is None or not ok or not found.active:
        db.rollback()
        raise LoginRefused(REFUSED)
    in_write(db, lambda conn: sessions.clear_attempts(conn, email, ip))
    return found


def _verify_dummy(password: str) -> bool:
    verify_password(User(email="", name="", role="", password_hash=_DUMMY_HASH), password)
    return False


def start_session(db: Session, user: User, now: datetime) -> str:
    """A new session for `user` (a new token at every log-in, so a planted one is worthless); commits."""
    token = secrets.token_urlsafe(32)
    assert user.id is not None  # a user who signs in is stored
    user_id = user.id
    in_write(db, lambda conn: sessions.add_session(conn, token_hash(token), user_id, now))
    return token


def resume_session(db: Session, token: str, now: datetime, policy: SessionPolicy) -> SignedIn | None:
    """The signed-in user for this token, or None when it is unknown, ended, idle too long or too old;
    an expired session is ended on the way."""
    digest = token_hash(token)
    row = sessions.by_token_hash(db.connection(), digest)
    if row is None or row.ended_at is not None:
        return None
    if now - row.last_seen_at > policy.idle or now - row.created_at > policy.absolute:
        _end(db, row.id, now)
        return None
    user = users.get(db, row.user_id)
    if user is None or not user.active:
        _end(db, row.id, now)
        return None
    if now - row.last_seen_at > TOUCH_EVERY:
        session_id = row.id
        # another request of this session may touch it at the same moment, or the database be busy:
        # last_seen only needs to be about right, so this request goes on either way
        with suppress(OperationalError):
            in_write(db, lambda conn: sessions.touch(conn, session_id, now))
    return SignedIn(user=user, session_id=row.id, token_hash=digest)


def _end(db: Session, session_id: int, now: datetime) -> None:
    in_write(db, lambda conn: sessions.end(conn, session_id, now))


def end_session(db: Session, token: str, now: datetime) -> None:
    """Log out: the token no longer signs anyone in, wherever a copy of it is."""
    row = sessions.by_token_hash(db.connection(), token_hash(token))
    if row is not None:
        _end(db, row.id, now)


def end_all_sessions(db: Session, user_id: int, now: datetime) -> None:
    """Sign a user out everywhere (deactivation, password change); the caller commits."""
    sessions.end_all(db.connection(), user_id, now)
