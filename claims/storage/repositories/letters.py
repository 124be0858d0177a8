"""Letters as written: the rendered document, its hash and its recipient, linked to a timeline event; and
read back, with or without their text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.engine import Connection

from claims.storage.statements import Bound, InsertReturningId, Prepared, Record
from claims.storage.tables import CLAIMS, LETTERS

_INSERT = Prepared.insert(LETTERS)
_INSERT_ID = InsertReturningId(LETTERS)
# what a letter row holds before anything happened to it (the insert binds every column)
_FRESH: dict[str, Any] = {
    "recipient_party_id": None,
    "channel": "internal",
    "copies": [],
    "post_count": 0,
    "printed_at": None,
    "returned_at": None,
    "returned_note": "",
}
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
    LETTERS.c.recipient_party_id,
    LETTERS.c.channel,
    LETTERS.c.copies,
    LETTERS.c.post_count,
    LETTERS.c.printed_at,
    LETTERS.c.returned_at,
    LETTERS.c.returned_note,
)


def add(conn: Connection, row: Mapping[str, Any]) -> int:
    """A letter as written; its id."""
    return _INSERT_ID.run(conn, {**_FRESH, **row})


def bind_add(conn: Connection, row: Mapping[str, Any]) -> Bound:
    """A letter put in the driver's form before the write transaction, but for the id of its event
    (given to `add_bound`)."""
    return _INSERT_ID.bind(conn, {**_FRESH, **row, "event_id": None}, late=("event_id",))


def add_bound(conn: Connection, bound: Bound, event_id: int) -> int:
    """Write a letter bound by `bind_add`, of the event `event_id`; its id."""
    return _INSERT_ID.run_bound(conn, bound, {"event_id": event_id})


def add_many(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        _INSERT.many(conn, [{**_FRESH, **row} for row in rows])


_OF_CLAIM = Prepared(
    select(*_FIELDS).where(LETTERS.c.claim_id == bindparam("claim_id")).order_by(LETTERS.c.id), Record
)


def of_claim(conn: Connection, claim_id: int) -> list[Record]:
    """The claim's letters in the order they were written, without their text (on the fast path: the
    claim page reads them every time)."""
    return _OF_CLAIM.all(conn, {"claim_id": claim_id})


def with_text(conn: Connection, letter_id: int) -> Row[Any] | None:
    """One letter with its HTML and its claim's reference."""
    return conn.execute(
        select(*_FIELDS, LETTERS.c.html, CLAIMS.c.reference)
        .join(CLAIMS, CLAIMS.c.id == LETTERS.c.claim_id)
        .where(LETTERS.c.id == letter_id)
    ).first()


def to_print(conn: Connection, visible: Any, limit: int = 500) -> list[Row[Any]]:
    """Letters with an addressee or copy by post, not yet printed (nor returned), on claims `visible`
    (a WHERE clause on claims), oldest first, with their text."""
    return list(
        conn.execute(
            select(*_FIELDS, LETTERS.c.html, CLAIMS.c.reference)
            .join(CLAIMS, CLAIMS.c.id == LETTERS.c.claim_id)
            .where(LETTERS.c.post_count > 0, LETTERS.c.printed_at.is_(None), visible)
            .order_by(LETTERS.c.id)
            .limit(limit)
        )
    )


def mark_printed(conn: Connection, letter_ids: Sequence[int], at: Any) -> list[int]:
    """Mark these letters printed, those still waiting only; the ids marked."""
    if not letter_ids:
        return []
    return list(
        conn.execute(
            update(LETTERS)
            .where(
                LETTERS.c.id.in_(list(letter_ids)), LETTERS.c.post_count > 0, LETTERS.c.printed_at.is_(None)
            )
            .values(printed_at=at)
            .returning(LETTERS.c.id)
        ).scalars()
    )


def mark_returned(conn: Connection, letter_id: int, at: Any, note: str) -> None:
    conn.execute(update(LETTERS).where(LETTERS.c.id == letter_id).values(returned_at=at, returned_note=note))


def claim_of(conn: Connection, letter_id: int) -> int | None:
    found = conn.execute(select(LETTERS.c.claim_id).where(LETTERS.c.id == letter_id)).scalar()
    return None if found is None else int(found)
