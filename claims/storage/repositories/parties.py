"""Parties of claims and policies: the register a claim's letters are addressed from."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection

from claims.storage.records import PartyRecord
from claims.storage.statements import Prepared
from claims.storage.tables import PARTIES

_OF_CLAIM = Prepared(
    select(PARTIES).where(PARTIES.c.claim_id == bindparam("claim_id")).order_by(PARTIES.c.id), PartyRecord
)
_OF_POLICY = Prepared(
    select(PARTIES).where(PARTIES.c.policy_id == bindparam("policy_id")).order_by(PARTIES.c.id), PartyRecord
)
_BY_ID = Prepared(select(PARTIES).where(PARTIES.c.id == bindparam("id")), PartyRecord)


def add(conn: Connection, row: Mapping[str, Any]) -> int:
    return int(conn.execute(insert(PARTIES).values(dict(row)).returning(PARTIES.c.id)).scalar_one())


def change(conn: Connection, party_id: int, values: Mapping[str, Any], at: datetime) -> None:
    conn.execute(update(PARTIES).where(PARTIES.c.id == party_id).values({**values, "updated_at": at}))


def mark_invented(conn: Connection, claim_id: int) -> None:
    """Mark the claim's parties as made up (demo data)."""
    conn.execute(
        update(PARTIES)
        .where(PARTIES.c.claim_id == claim_id, PARTIES.c.invented.is_(False))
        .values(invented=True)
    )


def of_claim(conn: Connection, claim_id: int) -> list[PartyRecord]:
    return _OF_CLAIM.all(conn, {"claim_id": claim_id})


def of_policy(conn: Connection, policy_id: int) -> list[PartyRecord]:
    return _OF_POLICY.all(conn, {"policy_id": policy_id})


def by_id(conn: Connection, party_id: int) -> PartyRecord | None:
    return _BY_ID.first(conn, {"id": party_id})


def claims_with_kenmerk(text: str) -> Any:
    """The ids of claims with a party whose reference (their kenmerk) is `text`, looked up exactly by
    its index: a subquery for the claim list's search (names are found through the text index)."""
    return select(PARTIES.c.claim_id).where(PARTIES.c.claim_id.is_not(None), PARTIES.c.reference == text)
