"""Writes bound ahead of their transaction (claims.storage.statements.Bound): a transition puts its rows
in the driver's form while it is worked out and only runs them inside the write lock. What they write is
what the plain statement writes, on both databases and through plain Core too."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    create_engine,
    select,
    update,
)

from claims.service.deadline_changes import DeadlineWrites
from claims.storage.coltypes import Money, UTCDateTime
from claims.storage.db import in_write_transaction
from claims.storage.statements import InsertReturningId, Prepared, Record, plain_core
from tests.conftest import BACKENDS, backend_engine

_META = MetaData()
_LINES = Table(
    "bound_lines",
    _META,
    Column("id", Integer, primary_key=True),
    Column("event_id", Integer, nullable=True),
    Column("amount", Money, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("note", String, nullable=False),
)
_INSERT = Prepared.insert(_LINES)
_INSERT_ID = InsertReturningId(_LINES)
_SET_NOTE = Prepared(
    update(_LINES).where(_LINES.c.id == bindparam("_id")).values(note=bindparam("note")), Record
)
AT = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    engines = backend_engine(request, tmp_path)
    engine = next(engines)
    _META.create_all(engine)
    yield engine
    _META.drop_all(engine)
    for _ in engines:
        pass


def _rows(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(_LINES).order_by(_LINES.c.id))]


@pytest.mark.parametrize("plain", [False, True], ids=["driver", "core"])
def test_bound_rows_write_what_the_statement_writes_with_their_late_values(db: Engine, plain: bool) -> None:
    lines = [
        {"amount": Decimal("12.34"), "at": AT, "note": "a"},
        {"amount": Decimal("0.05"), "at": AT, "note": "b"},
    ]
    with db.connect() as conn:
        many = _INSERT.bind(conn, [{**line, "event_id": None} for line in lines], late=("event_id",))
        one = _INSERT_ID.bind(conn, {"amount": Decimal("7"), "at": AT, "note": "c"}, late=("event_id",))
        none = _INSERT.bind(conn, [])

        def work(c: Any) -> int:
            assert none.run(c) == 0  # nothing bound: nothing run
            many.run(c, {"event_id": 41})
            return _INSERT_ID.run_bound(c, one, {"event_id": 42})

        if plain:
            with plain_core():
                new_id = in_write_transaction(conn, work)
        else:
            new_id = in_write_transaction(conn, work)
    rows = _rows(db)
    assert [(r["event_id"], r["amount"], r["at"], r["note"]) for r in rows] == [
        (41, Decimal("12.34"), AT, "a"),
        (41, Decimal("0.05"), AT, "b"),
        (42, Decimal("7.00"), AT, "c"),
    ]
    assert new_id == rows[-1]["id"]


def test_a_bound_compare_and_set_tells_whether_its_row_matched(db: Engine) -> None:
    with db.connect() as conn:
        in_write_transaction(
            conn, lambda c: _INSERT.many(c, [{"amount": Decimal("1"), "at": AT, "note": "x"}])
        )
        hit = _SET_NOTE.bind(conn, [{"_id": 1, "note": "hit"}])
        miss = _SET_NOTE.bind(conn, [{"_id": 99, "note": "miss"}])
        assert in_write_transaction(conn, lambda c: (hit.run(c), miss.run(c))) == (1, 0)
    assert [r["note"] for r in _rows(db)] == ["hit"]


def test_a_late_column_must_need_no_conversion(db: Engine) -> None:
    # a late value is set into the driver's form as it is: a Money or a moment would go in unconverted
    with db.connect() as conn, pytest.raises(ValueError, match="amount"):
        _INSERT.bind(conn, [{"amount": Decimal("1"), "at": AT, "note": ""}], late=("amount",))


def test_rows_bound_for_one_database_are_bound_again_for_another(tmp_path: Path) -> None:
    # another engine's dialect may convert differently: the rows kept are bound afresh for it
    first = create_engine(f"sqlite:///{tmp_path / 'a.db'}")
    second = create_engine(f"sqlite:///{tmp_path / 'b.db'}")
    for engine in (first, second):
        _META.create_all(engine)
    with first.connect() as conn:
        bound = _INSERT.bind(conn, [{"amount": Decimal("3.5"), "at": AT, "note": "elsewhere"}])
        one = _INSERT_ID.bind(conn, {"amount": Decimal("4"), "at": AT, "note": "id"})
    with second.begin() as conn:
        assert bound.run(conn) == 1
        assert _INSERT_ID.run_bound(conn, one) == 2
    assert [(r["amount"], r["note"]) for r in _rows(second)] == [
        (Decimal("3.50"), "elsewhere"),
        (Decimal("4.00"), "id"),
    ]
    assert _rows(first) == []


def test_a_late_name_bound_twice_is_filled_in_everywhere(db: Engine) -> None:
    # SQLite binds by position: the name's every place gets the late value, as PostgreSQL's named form does
    tie = Prepared(
        update(_LINES).where(_LINES.c.id == bindparam("e")).values(event_id=bindparam("e")), Record
    )
    with db.connect() as conn:
        in_write_transaction(
            conn, lambda c: _INSERT.many(c, [{"amount": Decimal("1"), "at": AT, "note": "x"}])
        )
        bound = tie.bind(conn, [{"e": None}], late=("e",))
        assert in_write_transaction(conn, lambda c: bound.run(c, {"e": 1})) == 1
    assert [r["event_id"] for r in _rows(db)] == [1]


def test_late_values_must_be_the_late_columns_exactly(db: Engine) -> None:
    with db.connect() as conn:
        bound = _INSERT.bind(conn, [{"amount": Decimal("1"), "at": AT, "note": ""}], late=("event_id",))
        with pytest.raises(ValueError, match="not bound by the statement"):
            _INSERT.bind(conn, [{"amount": Decimal("1"), "at": AT, "note": ""}], late=("nothing",))
        for wrong in ({}, {"event_id": 1, "note": "extra"}):
            with pytest.raises(ValueError, match="late values"):
                in_write_transaction(conn, lambda c, wrong=wrong: bound.run(c, wrong))
    assert _rows(db) == []


def test_deadlines_added_after_they_were_bound_are_refused_not_lost(db: Engine) -> None:
    writes = DeadlineWrites()
    with db.connect() as conn:
        writes.bind(conn)
        writes.added.append({"claim_id": 1, "name": "late"})
        with pytest.raises(AssertionError, match="added after bind"):
            in_write_transaction(conn, writes.apply)
