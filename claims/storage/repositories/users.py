"""Users as transitions and letters see them: by e-mail, as a person to address, the managers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, bindparam, select
from sqlalchemy.engine import Connection

from claims.storage.models import Role
from claims.storage.records import ManagerRecord, PersonRecord, UserRecord
from claims.storage.statements import Prepared, Record
from claims.storage.tables import USERS

_BY_EMAIL = Prepared(select(USERS).where(USERS.c.email == bindparam("email")), UserRecord)
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
