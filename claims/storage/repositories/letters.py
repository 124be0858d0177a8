"""Letters as written: the rendered document, its hash and its recipient, linked to a timeline event."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection

from claims.storage.statements import Prepared
from claims.storage.tables import LETTERS

_INSERT = Prepared.insert(LETTERS)


def add(conn: Connection, row: Mapping[str, Any]) -> None:
    _INSERT.run(conn, row)


def add_many(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        _INSERT.many(conn, rows)
