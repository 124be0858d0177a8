"""Shared fixtures: a fresh database per test on SQLite, and on PostgreSQL too when
CLAIMFLOW_TEST_POSTGRES_URL is set; a runtime with a clock the test controls."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, SQLModel

from claims.money.rates import load_interest_rates
from claims.people.users import add_user
from claims.runtime import Runtime, build_runtime
from claims.storage.db import make_engine
from claims.storage.models import Policy, User
from claims.storage.schema import upgrade

PG_URL = os.environ.get("CLAIMFLOW_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


class Clock:
    """A settable clock: tests move time on explicitly."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


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


@dataclass
class World:
    handler: User
    other_handler: User
    manager: User
    other_manager: User
    expert: User
    admin: User
    policy: Policy


@pytest.fixture
def world(engine: Engine, clock: Clock) -> World:
    with Session(engine, expire_on_commit=False) as s:

        def user(email: str, role: str, limit: str | None) -> User:
            return add_user(
                s,
                email=email,
                name=email.split("@")[0],
                role=role,
                password="wachtwoord-1",
                now=clock(),
                authority_limit=Decimal(limit) if limit else None,
            )

        w = World(
            handler=user("h@test.nl", "handler", "50000"),
            other_handler=user("h2@test.nl", "handler", "50000"),
            manager=user("m@test.nl", "manager", "2500000"),
            other_manager=user("m2@test.nl", "manager", "2500000"),
            expert=user("e@test.nl", "expert", None),
            admin=user("a@test.nl", "admin", None),
            policy=Policy(
                number="BAV-TEST-1",
                insured="Test ICT B.V.",
                start_date=date(2020, 1, 1),
                retroactive_date=date(2015, 1, 1),
                cover_per_claim=Decimal("1000000"),
                cover_per_year=Decimal("2000000"),
                deductible=Decimal("2500"),
            ),
        )
        s.add(w.policy)
        s.commit()
        for obj in vars(w).values():
            s.refresh(obj)
    return w


def melding(kind: str = "contract_breach", **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": kind,
        "policy_number": "BAV-TEST-1",
        "claimant": "Opdrachtgever B.V.",
        "description": "Fout in een update",
        "date_error": "2026-10-01",
        "date_known": "2026-10-05",
        "date_reported": "2026-11-02",
        "amount_claimed": "20000",
    }
    if kind == "data_loss":
        data |= {"personal_data": "true", "awareness_at": "2026-11-01T10:00"}
    return data | overrides


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

    import claims.people.users

    original = claims.people.users._hasher
    claims.people.users._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    claims.people.users._hasher = original
