"""The migrations build exactly the schema the models describe; column types keep their promises."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, text
from sqlmodel import SQLModel

from claims.storage.coltypes import Money, UTCDateTime
from claims.storage.text_index import is_searched_by_models


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        # the text index is not the models' to describe (claims.storage.text_index)
        context = MigrationContext.configure(conn, opts={"include_name": is_searched_by_models})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_sqlite_pragmas(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000


def test_money_refuses_float_and_sub_cent_amounts(engine: Engine) -> None:
    # through the processors claims.storage.statements binds with (process_bind_param/_result_value)
    money = Money()
    to_db, from_db = (
        money.bind_processor(engine.dialect),
        money.result_processor(engine.dialect, None),
    )
    assert to_db is not None and from_db is not None
    with pytest.raises(TypeError):
        to_db(12.5)
    with pytest.raises(ValueError):
        to_db(Decimal("1.005"))
    assert to_db(Decimal("125000.10")) == 12_500_010
    assert from_db(12_500_010) == Decimal("125000.10")
    assert from_db(to_db(Decimal("-125000.10"))) == Decimal("-125000.10")
    assert str(from_db(0)) == "0.00"


def test_datetime_refuses_naive_values(engine: Engine) -> None:
    with pytest.raises(ValueError, match="naive"):
        UTCDateTime().process_bind_param(datetime(2026, 1, 1, 12, 0), engine.dialect)


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with pytest.raises(Exception, match=r"(?i)foreign key"), engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO deadlines (claim_id, name, label, state, scope, responsible, met_by,"
                " started_at, due_at)"
                " VALUES (999, 'x', 'x', 'melding', 'state', 'handler', '', '2026-01-01', '2026-01-02')"
            )
        )


def test_the_datetime_processors_the_hot_path_uses_keep_the_same_promises(engine: Engine) -> None:
    """claims.storage.statements binds through the types' processors, which take shortcuts on SQLite."""
    dialect = engine.dialect
    moment = UTCDateTime()
    bind, result = moment.bind_processor(dialect), moment.result_processor(dialect, None)
    assert bind is not None and result is not None
    utc = datetime(2026, 3, 29, 0, 30, 5, 123, tzinfo=UTC)
    amsterdam = utc.astimezone(ZoneInfo("Europe/Amsterdam"))  # 01:30 CET: the same instant
    assert bind(utc) == bind(amsterdam)
    assert result(bind(amsterdam)) == utc
    assert result(bind(amsterdam)).utcoffset() == timedelta(0)
    # the same wall time without a zone is refused, even right after the aware one was bound
    with pytest.raises(ValueError, match="naive"):
        bind(datetime(2026, 3, 29, 0, 30, 5, 123))
