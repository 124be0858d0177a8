"""Policies: the cover a claim is weighed against; for the read side, a policy shown or looked up."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Row, bindparam, insert, select
from sqlalchemy.engine import Connection

from claims.storage.like import ESCAPE, containing
from claims.storage.records import PolicyRecord
from claims.storage.statements import Prepared
from claims.storage.tables import POLICIES

_BY_NUMBER = Prepared(select(POLICIES).where(POLICIES.c.number == bindparam("number")), PolicyRecord)
_BY_ID = Prepared(select(POLICIES).where(POLICIES.c.id == bindparam("id")), PolicyRecord)
# Locked on PostgreSQL: two claims of one policy paying at once must not both fit the annual cover.
# FOR NO KEY UPDATE, as claims.lock: a claim opened on the policy meanwhile (its foreign key's KEY SHARE)
# does not wait for it.
_BY_ID_LOCKED = Prepared(
    select(POLICIES).where(POLICIES.c.id == bindparam("id")).with_for_update(key_share=True), PolicyRecord
)


def by_number(conn: Connection, number: str) -> PolicyRecord | None:
    return _BY_NUMBER.first(conn, {"number": number})


def by_id(conn: Connection, policy_id: int, *, lock: bool = False) -> PolicyRecord:
    """The policy; `lock` holds its row until the transaction ends (PostgreSQL; SQLite has one writer)."""
    row = (_BY_ID_LOCKED if lock else _BY_ID).first(conn, {"id": policy_id})
    assert row is not None, f"policy {policy_id}"  # claims reach policies by a foreign key
    return row


def add(conn: Connection, row: Mapping[str, Any]) -> int:
    """A new policy; its id. A column the row leaves out takes the model's default (activities,
    territory)."""
    return int(conn.execute(insert(POLICIES).values(dict(row)).returning(POLICIES.c.id)).scalar_one())


def row_by_number(conn: Connection, number: str) -> Row[Any] | None:
    return conn.execute(select(POLICIES).where(POLICIES.c.number == number)).first()


def matching(conn: Connection, text: str, limit: int) -> list[Row[Any]]:
    """Policies whose number or insured contain `text` literally (its % and _ are no wildcards), by number."""
    pattern = containing(text)
    return list(
        conn.execute(
            select(POLICIES)
            .where(
                POLICIES.c.number.ilike(pattern, escape=ESCAPE)
                | POLICIES.c.insured.ilike(pattern, escape=ESCAPE)
            )
            .order_by(POLICIES.c.number)
            .limit(limit)
        ).all()
    )
