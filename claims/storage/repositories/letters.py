"""Letters as written: the rendered document, its hash and its recipient, linked to a timeline event; and
read back, with or without their text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.engine import Connection

from claims.storage.statements import Prepared
from claims.storage.tables import CLAIMS, LETTERS

_INSERT = Prepared.insert(LETTERS)
# what a list of letters shows: everything but the text
_FIELDS = (
    LETTERS.c.id,
    LETTERS.c.event_id,
    LETTERS.c.template,
    LETTERS.c.template_version,
    LETTERS.c.title,
    LETTERS.c.recipient,
    LETTERS.c.recipient_name,
    LETTERS.c.sha256,
    LETTERS.c.created_at,
)


def add(conn: Connection, row: Mapping[str, Any]) -> None:
    _INSERT.run(conn, row)


def add_many(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        _INSERT.many(conn, rows)


def of_claim(conn: Connection, claim_id: int) -> list[Row[Any]]:
    """The claim's letters in the order they were written, without their text."""
    return list(conn.execute(select(*_FIELDS).where(LETTERS.c.claim_id == claim_id).order_by(LETTERS.c.id)))


def with_text(conn: Connection, letter_id: int) -> Row[Any] | None:
    """One letter with its HTML and its claim's reference."""
    return conn.execute(
        select(*_FIELDS, LETTERS.c.html, CLAIMS.c.reference)
        .join(CLAIMS, CLAIMS.c.id == LETTERS.c.claim_id)
        .where(LETTERS.c.id == letter_id)
    ).first()
