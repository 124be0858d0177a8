"""The audit trail's rows: appended, and read newest first."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.engine import Connection

from claims.storage.statements import Prepared
from claims.storage.tables import AUDIT

_INSERT = Prepared.insert(AUDIT)


def add(conn: Connection, row: Mapping[str, Any]) -> None:
    _INSERT.run(conn, row)


def newest(conn: Connection, limit: int) -> list[Row[Any]]:
    return list(conn.execute(select(AUDIT).order_by(AUDIT.c.id.desc()).limit(limit)).all())
