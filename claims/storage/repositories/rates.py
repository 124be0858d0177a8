"""Statutory interest rates as reference data: which the table holds, and adding the ones it lacks
(claims.storage.repositories.money reads them for the interest a claim accrues)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from claims.storage.tables import RATES


def has_rate(conn: Connection, kind: str, valid_from: date) -> bool:
    """Whether the table has a rate of this kind from this date (corrected or not)."""
    found = conn.execute(
        select(RATES.c.id).where(RATES.c.kind == kind, RATES.c.valid_from == valid_from)
    ).first()
    return found is not None


def add(conn: Connection, row: Mapping[str, Any]) -> None:
    """A rate: kind, valid_from, rate (decimal text), source, checked."""
    conn.execute(insert(RATES).values(dict(row)))
