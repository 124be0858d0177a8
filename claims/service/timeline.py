"""Appending to a claim's timeline: the event row, with the inputs as the timeline keeps them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy.engine import Connection

from claims.storage.repositories import events


def append_event(conn: Connection, **values: Any) -> int:
    return events.append(conn, **values)


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
