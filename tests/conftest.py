"""Shared fixtures: a fresh database per test on SQLite, and on PostgreSQL too when
CLAIMFLOW_TEST_POSTGRES_URL is set; a runtime with a clock the test controls. The objects they make are
in tests/factories.py."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.pool import NullPool
from sqlmodel import Session, SQLModel

from claims.money.rates import load_interest_rates
from claims.people.users import use_password_hasher
from claims.runtime import Runtime, build_runtime
from claims.storage.db import make_engine
from claims.storage.schema import upgrade
from tests.factories import Clock, World, make_world


def _worker_postgres_url() -> str | None:
    """The suite's PostgreSQL database; under pytest-xdist each worker gets a database of its own on
    the same server (their fixtures drop the schema and truncate tables), created on first use."""
    url = os.environ.get("CLAIMFLOW_TEST_POSTGRES_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
            if exists is None:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


PG_URL = _worker_postgres_url()
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database migrated by Alembic; each test gets a copy (migrating per test is slow)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    _prepare(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def _pg_engine() -> Iterator[Engine]:
    if not PG_URL:
        pytest.skip("CLAIMFLOW_TEST_POSTGRES_URL not set")
    engine = make_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    _prepare(engine)
    yield engine
    engine.dispose()


def _prepare(engine: Engine) -> None:
    """What `claimflow init` does: migrate, then load the reference data."""
    upgrade(engine)
    with Session(engine) as s:
        load_interest_rates(s)
        s.commit()


def _truncate_pg(engine: Engine) -> None:
    names = ", ".join(t.name for t in SQLModel.metadata.sorted_tables if t.name != "interest_rates")
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    yield from backend_engine(request, tmp_path)


def backend_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A fresh database on the backend the test is parametrised with (BACKENDS)."""
    if request.param == "sqlite":
        path = tmp_path / "claimflow.db"
        shutil.copy(request.getfixturevalue("_sqlite_template"), path)
        eng = make_engine(f"sqlite:///{path}")
        yield eng
        eng.dispose()
    else:
        eng = request.getfixturevalue("_pg_engine")
        _truncate_pg(eng)
        yield eng


@pytest.fixture(scope="session")
def base_runtime() -> Runtime:
    return build_runtime()


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 16, 9, 0, tzinfo=UTC))


@pytest.fixture
def rt(base_runtime: Runtime, clock: Clock) -> Runtime:
    return replace(base_runtime, clock=clock)


@pytest.fixture
def world(engine: Engine, clock: Clock) -> World:
    return make_world(engine, clock)


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table: to assert that a refused attempt changed nothing."""
    with engine.connect() as conn:
        return {
            t.name: [tuple(r) for r in conn.execute(t.select().order_by(*t.primary_key.columns)).all()]
            for t in SQLModel.metadata.sorted_tables
        }


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing() -> Iterator[None]:
    """Argon2 at production cost takes ~50 ms a hash; tests create many users."""
    from argon2 import PasswordHasher

    original = use_password_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    yield
    use_password_hasher(original)
