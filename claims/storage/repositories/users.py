"""Users as transitions and letters see them (rows: by e-mail, as a person to address, the managers),
as the people who sign in and are administered (User models in the caller's Session), and as the read
side shows them (a user's row, everyone's e-mail address)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, Select, bindparam, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import NoResultFound
from sqlmodel import Session
from sqlmodel import select as select_models

from claims.storage.models import Role, User
from claims.storage.records import ManagerRecord, PersonRecord, UserRecord
from claims.storage.statements import Prepared, Record
from claims.storage.tables import USERS

_BY_EMAIL = Prepared(select(USERS).where(USERS.c.email == bindparam("email")), UserRecord)
_BY_ID = Prepared(select(USERS).where(USERS.c.id == bindparam("id")), UserRecord)
_PERSON = Prepared(
    select(USERS.c.id, USERS.c.name, USERS.c.email).where(USERS.c.id == bindparam("id")), PersonRecord
)
_CONTACT = Prepared(
    select(USERS.c.id, USERS.c.name, USERS.c.email, USERS.c.team, USERS.c.active).where(
        USERS.c.id == bindparam("id")
    ),
    ManagerRecord,
)
_TEAM = Prepared(select(USERS.c.team).where(USERS.c.id == bindparam("id")), Record)
_MANAGERS = Prepared(
    select(USERS.c.id, USERS.c.name, USERS.c.email, USERS.c.team, USERS.c.active)
    .where(USERS.c.role == Role.manager.value, USERS.c.active)
    .order_by(USERS.c.name),
    ManagerRecord,
)


def everyone(conn: Connection) -> dict[int, Row[Any]]:
    """Every user by id, with what a notice needs: name, e-mail, role, team, whether active."""
    rows = conn.execute(
        select(USERS.c.id, USERS.c.name, USERS.c.email, USERS.c.role, USERS.c.team, USERS.c.active)
    )
    return {row.id: row for row in rows}


def by_email(conn: Connection, email: str) -> UserRecord | None:
    """The user with this e-mail address, in any case."""
    return _BY_EMAIL.first(conn, {"email": email.lower()})


def person(conn: Connection, user_id: int) -> PersonRecord | None:
    return _PERSON.first(conn, {"id": user_id})


def contact(conn: Connection, user_id: int) -> ManagerRecord | None:
    """Someone to tell: name, e-mail, team and whether the account is active."""
    return _CONTACT.first(conn, {"id": user_id})


def team_of(conn: Connection, user_id: int) -> str | None:
    row = _TEAM.first(conn, {"id": user_id})
    return None if row is None else str(row["team"])


def active_managers(conn: Connection) -> list[ManagerRecord]:
    """Every active manager, by name."""
    return _MANAGERS.all(conn, {})


def team_handler_ids(team: str) -> Select[Any]:
    """The ids of a team's handlers, as a subquery for a filter on claims (whom a handler reads with)."""
    return select(USERS.c.id).where(USERS.c.team == team, USERS.c.role == Role.handler)


# The User model, for signing in and administration. These take the caller's Session rather than its
# connection: the caller keeps the model it is given, changes it and refreshes it, in that Session.


def get(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def with_email(session: Session, email: str) -> User | None:
    """The user with exactly this (already normalised) e-mail address."""
    return session.exec(select_models(User).where(User.email == email)).first()


def with_token_hash(session: Session, token_hash: str) -> User | None:
    """The user whose API token has this hash."""
    return session.exec(select_models(User).where(User.api_token_hash == token_hash)).first()


def all_by_role(session: Session) -> list[User]:
    """Every user, by role and then e-mail address."""
    return list(session.exec(select_models(User).order_by(User.role, User.email)).all())


def active_by_name(session: Session) -> list[User]:
    """The active users, by name."""
    return list(session.exec(select_models(User).where(User.active).order_by(User.name)).all())


def save(session: Session, user: User) -> None:
    """Write a new or changed user now (a new one gets its id), inside the caller's transaction."""
    session.add(user)
    session.flush()


def row_by_id(conn: Connection, user_id: int) -> UserRecord:
    """The user's row as the read side shows it (a claim's handler or expert); NoResultFound if there
    is none. On the fast path: a claim page reads a handful (measured: 250 -> 45 us each)."""
    row = _BY_ID.first(conn, {"id": user_id})
    if row is None:
        raise NoResultFound(f"no user {user_id}")
    return row


def emails_by_id(conn: Connection) -> dict[int, str]:
    """Every user's e-mail address, by id."""
    return {uid: email for uid, email in conn.execute(select(USERS.c.id, USERS.c.email))}


def names_by_id(conn: Connection) -> dict[int, tuple[str, str]]:
    """Every user's (name, e-mail address), by id."""
    rows = conn.execute(select(USERS.c.id, USERS.c.name, USERS.c.email))
    return {uid: (name, email) for uid, name, email in rows}
