"""The portfolio CSV's stored texts (export_texts): a chunk of claims' entries, the claims whose entry
is missing or was built before their last event or under another context, and entries replaced."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from claims.storage.repositories.exports import by_claims
from claims.storage.tables import CLAIMS, EVENTS, EXPORT_TEXTS

TEXTS = EXPORT_TEXTS


@dataclass(frozen=True)
class StoredText:
    digest: str
    users: str  # the users its rows name (row_texts.UsersNamed as text)
    rows: int
    text: bytes  # zlib-compressed UTF-8


@dataclass(frozen=True)
class NewText:
    claim_id: int
    digest: str
    context: str
    head_event_id: int
    users: str
    rows: int
    text: bytes


def stored(conn: Connection, claim_ids: Sequence[int], context: str) -> dict[int, StoredText]:
    """The entries of these claims built under `context`, by claim id (a claim without one is left
    out: after a release none are read until the refresh has made them again). On the driver's
    cursor: an export reads one for every claim."""
    sql = (
        "SELECT claim_id, digest, users, rows, text FROM export_texts WHERE claim_id {ids} AND context = {p}"
    )
    found = by_claims(conn, claim_ids, {"texts": sql}, context)["texts"]
    return {cid: StoredText(digest, users, rows, bytes(text)) for cid, digest, users, rows, text in found}


def _last_event() -> Any:
    return func.coalesce(
        select(func.max(EVENTS.c.id)).where(EVENTS.c.claim_id == CLAIMS.c.id).scalar_subquery(), 0
    )


def to_refresh(conn: Connection, context: str, after_id: int, limit: int) -> list[int]:
    """Up to `limit` claims with an id above `after_id`, by id, whose entry is missing, was built under
    another context or before the claim's last event (every change to a claim appends one)."""
    query = (
        select(CLAIMS.c.id)
        .outerjoin(TEXTS, TEXTS.c.claim_id == CLAIMS.c.id)
        .where(CLAIMS.c.id > after_id)
        .where(
            or_(
                TEXTS.c.claim_id.is_(None),
                TEXTS.c.context != context,
                TEXTS.c.head_event_id != _last_event(),
            )
        )
        .order_by(CLAIMS.c.id)
        .limit(limit)
    )
    return [int(cid) for (cid,) in conn.execute(query)]


def store(conn: Connection, entries: Sequence[NewText], built_at: datetime) -> None:
    """Put these entries in place of the claims' old ones (two refreshes at once: the last one wins)."""
    if not entries:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(TEXTS)
    replaced = {name: stmt.excluded[name] for name in _REPLACED}
    conn.execute(
        stmt.on_conflict_do_update(index_elements=[TEXTS.c.claim_id], set_=replaced),
        [
            {
                "claim_id": e.claim_id,
                "digest": e.digest,
                "context": e.context,
                "head_event_id": e.head_event_id,
                "users": e.users,
                "rows": e.rows,
                "text": e.text,
                "built_at": built_at,
            }
            for e in entries
        ],
    )


_REPLACED = ("digest", "context", "head_event_id", "users", "rows", "text", "built_at")
