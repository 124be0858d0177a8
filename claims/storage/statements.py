"""How storage runs its statements: compiled once per dialect and run on the DBAPI cursor (the fast
path), or through plain SQLAlchemy Core; only the repositories (claims.storage.repositories) use it (the
service keeps the `Bound` writes they hand out, opaque, until it gives them back to run).

SQLAlchemy's per-execution machinery costs about 60 us a statement here, more than SQLite itself; a
transition writes five or six statements. The fast path runs inside the caller's transaction (same DBAPI
connection), with the column types' bind and result processors applied, so Money, UTCDateTime and JSON
behave exactly as through Core. `plain_core()` switches every statement to Core: the contract test
(tests/claims/storage/test_statements.py) runs the same work both ways and compares every row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Generic, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Table, bindparam, func, insert, select
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.expression import Executable

_plain = False  # every statement through SQLAlchemy Core instead of the DBAPI cursor


@contextmanager
def plain_core() -> Iterator[None]:
    """Run every statement through plain SQLAlchemy Core while inside (the fast path's reference)."""
    global _plain
    before, _plain = _plain, True
    try:
        yield
    finally:
        _plain = before


class Record(dict[str, Any]):
    """A result row, by key or by attribute. A repository names its rows' columns and their types in a
    subclass (claims.storage.records); at run time each query gets a subclass of that with a property
    per column (see record_type)."""

    __slots__ = ()

    @property
    def _mapping(self) -> Record:
        return self


R = TypeVar("R", bound=Record)


def record_type(keys: Sequence[str], base: type[R]) -> type[R]:
    """A subclass of `base` whose columns are properties reading the dict in C. On Python 3.11 an
    attribute found only through __getattr__ first builds and discards an AttributeError, which costs
    more than the rest of the lookup (about 4,000 instructions; a transition reads two dozen)."""
    reserved = set(dir(dict)) | set(dir(Record))
    columns = {k: property(itemgetter(k)) for k in keys if k not in reserved and k.isidentifier()}
    return type(base.__name__, (base,), {"__slots__": (), **columns})


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


class Prepared(Generic[R]):
    """One statement, compiled on first use for each dialect; its rows come back as `row` records."""

    __slots__ = ("_by_dialect", "_last", "_row", "_statement")

    def __init__(self, statement: Executable, row: type[R]) -> None:
        self._statement = statement
        self._row = row
        # per dialect object: two engines of one database kind may still process binds differently
        self._by_dialect: WeakKeyDictionary[Dialect, _Compiled] = WeakKeyDictionary()
        # the dialect seen last and its plan: one process nearly always talks to one database
        self._last: tuple[Dialect, _Compiled] | None = None

    @staticmethod
    def insert(table: Table, *, returning: bool = False) -> Prepared[Record]:
        """INSERT of every column but the key; a column the row leaves out is NULL."""
        stmt = insert(table).values(
            {c.name: bindparam(c.name, type_=c.type) for c in table.columns if c.name != "id"}
        )
        return Prepared(stmt.returning(table.c.id) if returning else stmt, Record)

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
            record_type=record_type(keys, self._row),
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

    @staticmethod
    def _core_params(c: _Compiled, row: Mapping[str, Any]) -> dict[str, Any]:
        # as the fast path binds them: every parameter named, a left-out column NULL
        return {name: row.get(name, default) for name, default in c.defaults}

    def _cursor(self, conn: Connection, row: Mapping[str, Any]) -> Any:
        """Run once; the DBAPI cursor, or Core's result in plain mode (both: rowcount, fetchone, close)."""
        c = self._compiled(conn.dialect)
        if _plain:
            return conn.execute(self._statement, self._core_params(c, row))
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(c.sql, self._params(c, row))
        return cursor

    def run(self, conn: Connection, params: Mapping[str, Any]) -> int:
        """Run an INSERT, UPDATE or DELETE once; the number of rows it touched."""
        cursor = self._cursor(conn, params)
        count = int(cursor.rowcount)
        cursor.close()
        return count

    def all(self, conn: Connection, params: Mapping[str, Any]) -> list[R]:
        """Run a SELECT (or a statement with RETURNING); rows typed by the columns' result processors."""
        c = self._compiled(conn.dialect)
        make: Callable[[Any], R] = c.record_type  # type: ignore[assignment]
        if _plain:
            return [make(row._mapping) for row in conn.execute(self._statement, self._core_params(c, params))]
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(c.sql, self._params(c, params))
        rows = cursor.fetchall()
        cursor.close()
        keys, processed = c.keys, c.processed
        records = [make(zip(keys, row, strict=True)) for row in rows]
        if processed:
            for record in records:
                for key, proc in processed:
                    value = record[key]
                    if value is not None:
                        record[key] = proc(value)
        return records

    def first(self, conn: Connection, params: Mapping[str, Any]) -> R | None:
        rows = self.all(conn, params)
        return rows[0] if rows else None

    def many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run an INSERT or UPDATE once per row, in one round trip where the driver can."""
        c = self._compiled(conn.dialect)
        if _plain:
            conn.execute(self._statement, [self._core_params(c, row) for row in rows])
            return
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.executemany(c.sql, [self._params(c, row) for row in rows])
        cursor.close()

    def bind(self, conn: Connection, rows: Sequence[Mapping[str, Any]], late: Sequence[str] = ()) -> Bound:
        """`rows` put in the driver's form now, to be run later in `conn`'s database (`Bound.run`):
        a transition binds its writes before it takes the write lock. `late` names the columns whose
        values are known only then (the key of the event written just before); they must need no
        conversion (ids)."""
        c = self._compiled(conn.dialect)
        processed = {c.names[i] for i, _ in c.bind_processors}
        if processed.intersection(late):
            raise ValueError(f"a late column needs converting: {sorted(processed.intersection(late))}")
        unknown = set(late) - set(c.names)
        if unknown:
            raise ValueError(f"not bound by the statement: {sorted(unknown)}")
        slots: tuple[tuple[int | str, str], ...]
        if c.positional:  # every place a late name is bound: a statement may use one name twice
            slots = tuple((i, name) for i, name in enumerate(c.names) if name in late)
        else:
            slots = tuple((name, name) for name in dict.fromkeys(late))
        return Bound(self, c, tuple(rows), tuple(self._params(c, row) for row in rows), slots)


class Bound:
    """Rows of one statement already in the driver's form (`Prepared.bind`), with the places of the
    values filled in only when they run. Run in another dialect (or in plain mode) they are bound
    afresh, from the rows kept."""

    __slots__ = ("_compiled", "_late", "_statement", "_values", "rows")

    def __init__(
        self,
        statement: Prepared[Any],
        compiled: _Compiled,
        rows: tuple[Mapping[str, Any], ...],
        values: tuple[Any, ...],
        late: tuple[tuple[int | str, str], ...],
    ) -> None:
        self._statement = statement
        self._compiled = compiled
        self.rows = rows
        self._values = values
        self._late = late

    @property
    def statement(self) -> Prepared[Any]:
        return self._statement

    def run(self, conn: Connection, late: Mapping[str, Any] | None = None) -> int:
        """Run the rows with the `late` values; the number of rows one row touched (so that a
        compare-and-set tells whether it matched). For several rows, what the driver counted: Core's
        executemany on PostgreSQL may not know (-1)."""
        if not self.rows:
            return 0
        cursor = self.cursor(conn, late or {})
        count = int(cursor.rowcount)
        cursor.close()
        return count

    def cursor(self, conn: Connection, late: Mapping[str, Any]) -> Any:
        """Run them (at least one row): one with `execute`, several with `executemany`; the open
        cursor, or Core's result in plain mode (rowcount, lastrowid, fetchone and close either way)."""
        declared = {name for _, name in self._late}
        if set(late) != declared:  # the same values on every path, or none at all
            raise ValueError(f"late values {sorted(late)} for the late columns {sorted(declared)}")
        statement, c = self._statement, self._statement._compiled(conn.dialect)
        if _plain or c is not self._compiled:
            rows = [{**row, **late} for row in self.rows]
            if _plain:
                params = [statement._core_params(c, r) for r in rows]
                return conn.execute(statement._statement, params[0] if len(params) == 1 else params)
            values = [statement._params(c, r) for r in rows]
        elif self._late:
            values = []
            for params in self._values:
                params = params.copy()
                for slot, name in self._late:
                    params[slot] = late[name]
                values.append(params)
        else:
            values = list(self._values)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        if len(values) == 1:
            cursor.execute(c.sql, values[0])
        else:
            cursor.executemany(c.sql, values)
        return cursor


class InsertReturningId:
    """INSERT of one row that gives back its new key: SQLite's lastrowid where it has one (no
    RETURNING step), RETURNING elsewhere."""

    __slots__ = ("_plain", "_returning")

    def __init__(self, table: Table) -> None:
        self._plain = Prepared.insert(table)
        self._returning = Prepared.insert(table, returning=True)

    def run(self, conn: Connection, row: Mapping[str, Any]) -> int:
        if conn.dialect.name == "sqlite":
            cursor = self._plain._cursor(conn, row)
            new_id = cursor.lastrowid
        else:
            cursor = self._returning._cursor(conn, row)
            new_id = cursor.fetchone()[0]
        cursor.close()
        return int(new_id)

    def bind(self, conn: Connection, row: Mapping[str, Any], late: Sequence[str] = ()) -> Bound:
        """`row` put in the driver's form ahead of its write (see Prepared.bind)."""
        return (self._plain if conn.dialect.name == "sqlite" else self._returning).bind(conn, [row], late)

    def run_bound(self, conn: Connection, bound: Bound, late: Mapping[str, Any] | None = None) -> int:
        """Insert the row bound by `bind`, with the `late` values; its new id."""
        if bound.statement is not (self._plain if conn.dialect.name == "sqlite" else self._returning):
            return self.run(conn, {**bound.rows[0], **(late or {})})  # bound for another database
        cursor = bound.cursor(conn, late or {})
        new_id = cursor.lastrowid if conn.dialect.name == "sqlite" else cursor.fetchone()[0]
        cursor.close()
        return int(new_id)


class InsertMany:
    """INSERT of many rows that gives back their new keys in the rows' order. On SQLite the keys are
    assigned here, after the table's highest, and the rows go in one executemany: SQLite would pick the
    same keys (max(rowid) + 1), but hands back none of them without a RETURNING step per row. That is
    only safe inside a write transaction (BEGIN IMMEDIATE holds the database's write lock from its
    start, claims.storage.db); a second writer that got in anyway fails on the primary key, it never
    shares one. Elsewhere it is INSERT ... RETURNING, a few hundred rows a statement, in order."""

    __slots__ = ("_keyed", "_returning", "_top")

    def __init__(self, table: Table) -> None:
        self._keyed = Prepared(
            insert(table).values({c.name: bindparam(c.name, type_=c.type) for c in table.columns}), Record
        )
        self._top = Prepared(select(func.coalesce(func.max(table.c.id), 0).label("top")), Record)
        self._returning = insert(table).returning(table.c.id, sort_by_parameter_order=True)

    def run(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> list[int]:
        """Insert `rows` (a column a row leaves out is NULL); their new ids in the order of `rows`."""
        if not rows:
            return []
        if conn.dialect.name != "sqlite":
            return [int(i) for i in conn.execute(self._returning, list(rows)).scalars()]
        found = self._top.first(conn, {})
        top = int(found["top"]) if found is not None else 0
        ids = list(range(top + 1, top + 1 + len(rows)))
        self._keyed.many(conn, [{**row, "id": key} for row, key in zip(rows, ids, strict=True)])
        return ids
