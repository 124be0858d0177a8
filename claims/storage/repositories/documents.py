"""A claim's documents as rows: appended with their metadata (the content is in the document store),
read back by claim and by number, and marked as the answer to an information request."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.engine import Connection

from claims.storage.statements import InsertReturningId
from claims.storage.tables import DOCUMENTS, USERS

_INSERT = InsertReturningId(DOCUMENTS)
_FIELDS = (*DOCUMENTS.c, USERS.c.name.label("uploader"))


def add(conn: Connection, row: Mapping[str, Any]) -> int:
    """A new document row; its id."""
    return _INSERT.run(conn, row)


def of_claim(conn: Connection, claim_id: int, *, shared_only: bool = False) -> list[Row[Any]]:
    """The claim's documents in the order they were added, each with its uploader's name ("uploader");
    only the shared ones if `shared_only`."""
    query = (
        select(*_FIELDS)
        .outerjoin(USERS, USERS.c.id == DOCUMENTS.c.uploaded_by)
        .where(DOCUMENTS.c.claim_id == claim_id)
        .order_by(DOCUMENTS.c.id)
    )
    if shared_only:
        query = query.where(DOCUMENTS.c.visibility == "shared")
    return list(conn.execute(query).all())


def by_id(conn: Connection, claim_id: int, document_id: int) -> Row[Any] | None:
    """One document of this claim (None when the number is another claim's)."""
    return conn.execute(
        select(*_FIELDS)
        .outerjoin(USERS, USERS.c.id == DOCUMENTS.c.uploaded_by)
        .where(DOCUMENTS.c.claim_id == claim_id, DOCUMENTS.c.id == document_id)
    ).first()


def answered_requests(conn: Connection, claim_id: int) -> set[int]:
    """The indexes of the claim's information requests that a document answers."""
    return set(
        conn.execute(
            select(DOCUMENTS.c.answers_request).where(
                DOCUMENTS.c.claim_id == claim_id, DOCUMENTS.c.answers_request.is_not(None)
            )
        ).scalars()
    )


def mark_answer(conn: Connection, document_id: int, request: int) -> bool:
    """Record that the document answers request `request`, unless it already answers one; whether it did."""
    done = conn.execute(
        update(DOCUMENTS)
        .where(DOCUMENTS.c.id == document_id, DOCUMENTS.c.answers_request.is_(None))
        .values(answers_request=request)
    )
    return done.rowcount == 1
