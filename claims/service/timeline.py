"""Appending to a claim's timeline: the event row, with the inputs as the timeline keeps them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy.engine import Connection

from claims.storage.records import ClaimRecord
from claims.storage.repositories import events


def append_event(conn: Connection, **values: Any) -> int:
    return events.append(conn, **values)


def append_aside(
    conn: Connection,
    claim: ClaimRecord,
    actor_id: int | None,
    at: datetime,
    kind: str,
    data: Mapping[str, Any],
    note: str = "",
) -> int:
    """An event beside the claim's course (a note, a party, a document, a letter posted): the claim
    stays in its state and at its version."""
    return events.append(
        conn,
        claim_id=claim.id,
        claim_version=claim.version,
        at=at,
        actor_id=actor_id,
        kind=kind,
        trigger=None,
        from_state=claim.state,
        to_state=claim.state,
        data=dict(data),
        note=note,
    )


def jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in values.items():
        out[k] = (
            v.isoformat()
            if isinstance(v, date | datetime)
            else v
            if isinstance(v, bool | int | str)
            else str(v)
        )
    return out
