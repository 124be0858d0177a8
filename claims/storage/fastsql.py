"""Write statements on the hot path, compiled once per dialect and run on the DBAPI cursor.

SQLAlchemy's per-execution machinery costs about 60 us a statement here, more than SQLite itself; a
transition writes five or six statements. These run inside the caller's transaction (same DBAPI
connection), with the column types' bind processors applied, so Money, UTCDateTime and JSON behave
exactly as through Core.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from sqlalchemy import Table, bindparam, insert
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.expression import Executable


class Record(dict[str, Any]):
    """A result row: by key or by attribute, like SQLAlchemy's Row."""

    __slots__ = ()

    if TYPE_CHECKING:
        # Only for the type checker: at run time each query's Record subclass has a property per column
        # (see _record_type); a class-level __getattr__ would route every attribute read through the
        # slower lookup hook.
        def __getattr__(self, name: str) -> Any: ...

    @property
    def _mapping(self) -> Record:
        return self


def _record_type(keys: Sequence[str]) -> type[Record]:
    """A Record subclass whose columns are properties reading the dict in C. On Python 3.11 an
    attribute found only through __getattr__ first builds and discards an AttributeError, which costs
    more than the rest of the lookup (about 4,000 instructions; a transition reads two dozen)."""
    reserved = set(dir(dict)) | set(dir(Record))
    columns = {k: property(itemgetter(k)) for k in keys if k not in reserved and k.isidentifier()}
    return type("Record", (Record,), {"__slots__": (), **columns})


@dataclass(frozen=True)
class _Compiled:
    sql: str
    positional: bool
    names: tuple[str, ...]  # bind names in the driver's order
    defaults: tuple[tuple[str, Any], ...]  # (name, literal default) per bind
    bind_processors: tuple[tuple[int, Callable[[Any], Any]], ...]  # (position, processor)
    keys: tuple[str, ...]  # result column keys
    record_type: type[Record]
    processed: tuple[tuple[str, Callable[[Any], Any]], ...]  # result columns that need converting


class Prepared:
    """One statement, compiled on first use for each dialect."""

    __slots__ = ("_by_dialect", "_last", "_statement")

    def __init__(self, statement: Executable) -> None:
        self._statement = statement
        # per dialect object: two engines of one database kind may still process binds differently
        self._by_dialect: WeakKeyDictionary[Dialect, _Compiled] = WeakKeyDictionary()
        # the dialect seen last and its plan: one process nearly always talks to one database
        self._last: tuple[Dialect, _Compiled] | None = None

    @classmethod
    def insert(cls, table: Table, *, returning: bool = False) -> Prepared:
        """INSERT of every column but the key; a column the row leaves out is NULL."""
        stmt = insert(table).values(
            {c.name: bindparam(c.name, type_=c.type) for c in table.columns if c.name != "id"}
        )
        return cls(stmt.returning(table.c.id) if returning else stmt)

    def _compiled(self, dialect: Dialect) -> _Compiled:
        last = self._last
        if last is not None and last[0] is dialect:
            return last[1]
        found = self._by_dialect.get(dialect)
        if found is None:
            found = self._compile(dialect)
            self._by_dialect[dialect] = found
        self._last = (dialect, found)
        return found

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self._statement.compile(dialect=dialect)  # type: ignore[attr-defined]
        positional = compiled.positiontup is not None
        names = tuple(compiled.positiontup) if positional else tuple(compiled.binds)
        processors = compiled._bind_processors
        keys = tuple(col[0] for col in compiled._result_columns)
        return _Compiled(
            sql=compiled.string,
            positional=positional,
            names=names,
            defaults=tuple((n, compiled.binds[n].value) for n in names),
            bind_processors=tuple((i, processors[n]) for i, n in enumerate(names) if n in processors),
            keys=keys,
            record_type=_record_type(keys),
            processed=tuple(
                (col[0], proc)
                for col in compiled._result_columns
                if (proc := col[3]._cached_result_processor(dialect, None)) is not None
            ),
        )

    @staticmethod
    def _params(c: _Compiled, row: Mapping[str, Any]) -> Any:
        """Bind values in the driver's form; a column the row leaves out is NULL."""
        get = row.get
        values = [get(name, default) for name, default in c.defaults]
        for i, proc in c.bind_processors:
            value = values[i]
            if value is not None:
                values[i] = proc(value)
        if c.positional:
            return values
        return dict(zip(c.names, values, strict=True))

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
        keys, processed, make = c.keys, c.processed, c.record_type
        records = [make(zip(keys, row, strict=True)) for row in rows]
        if processed:
            for record in records:
                for key, proc in processed:
                    value = record[key]
                    if value is not None:
                        record[key] = proc(value)
        return records

    def first(self, conn: Connection, params: Mapping[str, Any]) -> Record | None:
        rows = self.all(conn, params)
        return rows[0] if rows else None

    def executemany(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        c = self._compiled(conn.dialect)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.executemany(c.sql, [self._params(c, row) for row in rows])
        cursor.close()


class InsertReturningId:
    """INSERT of one row that gives back its new key: SQLite's lastrowid where it has one (no
    RETURNING step), RETURNING elsewhere."""

    __slots__ = ("_plain", "_returning")

    def __init__(self, table: Table) -> None:
        self._plain = Prepared.insert(table)
        self._returning = Prepared.insert(table, returning=True)

    def run(self, conn: Connection, row: Mapping[str, Any]) -> int:
        if conn.dialect.name == "sqlite":
            cursor = self._plain.execute(conn, row)
            new_id = cursor.lastrowid
        else:
            cursor = self._returning.execute(conn, row)
            new_id = cursor.fetchone()[0]
        cursor.close()
        return int(new_id)
