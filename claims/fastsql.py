"""Write statements on the hot path, compiled once per dialect and run on the DBAPI cursor.

SQLAlchemy's per-execution machinery costs about 60 us a statement here, more than SQLite itself; a
transition writes five or six statements. These run inside the caller's transaction (same DBAPI
connection), with the column types' bind processors applied, so Money, UTCDateTime and JSON behave
exactly as through Core.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Table, bindparam, insert
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.expression import Executable


class Record(dict[str, Any]):
    """A result row: by key or by attribute, like SQLAlchemy's Row."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def _mapping(self) -> Record:
        return self


@dataclass(frozen=True)
class _Compiled:
    sql: str
    positional: bool
    binds: tuple[tuple[str, Callable[[Any], Any] | None, Any], ...]  # name, processor, literal default
    keys: tuple[str, ...]  # result column keys
    processed: tuple[tuple[str, Callable[[Any], Any]], ...]  # result columns that need converting


class Prepared:
    """One statement, compiled on first use for each dialect."""

    def __init__(self, statement: Executable) -> None:
        self._statement = statement
        # per dialect object: two engines of one database kind may still process binds differently
        self._by_dialect: WeakKeyDictionary[Dialect, _Compiled] = WeakKeyDictionary()

    @classmethod
    def insert(cls, table: Table, *, returning: bool = False) -> Prepared:
        """INSERT of every column but the key; a column the row leaves out is NULL."""
        stmt = insert(table).values(
            {c.name: bindparam(c.name, type_=c.type) for c in table.columns if c.name != "id"}
        )
        return cls(stmt.returning(table.c.id) if returning else stmt)

    def _compiled(self, dialect: Dialect) -> _Compiled:
        found = self._by_dialect.get(dialect)
        if found is None:
            compiled = self._statement.compile(dialect=dialect)  # type: ignore[attr-defined]
            positional = compiled.positiontup is not None
            names = tuple(compiled.positiontup) if positional else tuple(compiled.binds)
            processors = compiled._bind_processors
            binds = tuple((n, processors.get(n), compiled.binds[n].value) for n in names)
            keys = tuple(col[0] for col in compiled._result_columns)
            processed = tuple(
                (col[0], proc)
                for col in compiled._result_columns
                if (proc := col[3]._cached_result_processor(dialect, None)) is not None
            )
            found = _Compiled(compiled.string, positional, binds, keys, processed)
            self._by_dialect[dialect] = found
        return found

    def _params(self, c: _Compiled, row: Mapping[str, Any]) -> Any:
        """Bind values in the driver's form; a column the row leaves out is NULL."""
        get = row.get
        values = []
        for name, proc, default in c.binds:
            value = get(name, default)
            values.append(proc(value) if proc is not None and value is not None else value)
        if c.positional:
            return values
        return {name: v for (name, _, _), v in zip(c.binds, values, strict=True)}

    def execute(self, conn: Connection, row: Mapping[str, Any]) -> Any:
        """Run once; returns the DBAPI cursor (rowcount, fetchone for RETURNING)."""
        c = self._compiled(conn.dialect)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(c.sql, self._params(c, row))
        return cursor

    def all(self, conn: Connection, params: Mapping[str, Any]) -> list[Record]:
        """Run a SELECT; rows come back typed by the columns' result processors."""
        c = self._compiled(conn.dialect)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(c.sql, self._params(c, params))
        rows = cursor.fetchall()
        cursor.close()
        records = []
        for row in rows:
            record = Record(zip(c.keys, row, strict=True))
            for key, proc in c.processed:
                value = record[key]
                if value is not None:
                    record[key] = proc(value)
            records.append(record)
        return records

    def first(self, conn: Connection, params: Mapping[str, Any]) -> Record | None:
        rows = self.all(conn, params)
        return rows[0] if rows else None

    def executemany(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        c = self._compiled(conn.dialect)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.executemany(c.sql, [self._params(c, row) for row in rows])
        cursor.close()
