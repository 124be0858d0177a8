"""The dashboard's stored figures (dashboard_snapshots): the newest row, and a new one in its place."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, insert, select
from sqlalchemy.engine import Connection

from claims.storage.tables import DASHBOARD_SNAPSHOTS as SNAPSHOTS


def latest(conn: Connection) -> Row[Any] | None:
    """The newest snapshot (id, computed_at, took_ms, figures), or None when there is none."""
    return conn.execute(
        select(SNAPSHOTS.c.id, SNAPSHOTS.c.computed_at, SNAPSHOTS.c.took_ms, SNAPSHOTS.c.figures)
        .order_by(SNAPSHOTS.c.computed_at.desc(), SNAPSHOTS.c.id.desc())
        .limit(1)
    ).first()


def store(conn: Connection, computed_at: datetime, took_ms: int, figures: dict[str, Any]) -> None:
    """Add a snapshot and drop the ones computed before it. Two nodes refreshing at once each add
    their own row; the newest wins and the other goes at the next refresh, so no lock is needed."""
    conn.execute(insert(SNAPSHOTS).values(computed_at=computed_at, took_ms=took_ms, figures=figures))
    conn.execute(delete(SNAPSHOTS).where(SNAPSHOTS.c.computed_at < computed_at))
