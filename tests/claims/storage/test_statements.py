"""The fast statement path against plain SQLAlchemy Core: the same work writes the same rows and the
repositories read the same records, on SQLite and PostgreSQL. And a Core statement inside a write
transaction that began on the driver joins it (commits and rolls back with it)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, select
from sqlmodel import Session

from claims.deadlines.sweep import sweep
from claims.runtime import Runtime
from claims.service import add_note
from claims.storage.db import in_write_transaction
from claims.storage.repositories import audit, claims, deadlines, money, policies, users
from claims.storage.statements import plain_core
from claims.storage.tables import AUDIT
from tests.claims.driver import Driver
from tests.conftest import BACKENDS, backend_engine, snapshot
from tests.factories import Clock, World, make_world

START = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def two_databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """A fresh database for each run: a second SQLite file, or the PostgreSQL one emptied again."""
    made: list[Iterator[Engine]] = []

    def fresh(name: str) -> Engine:
        folder = tmp_path / name
        folder.mkdir()
        engines = backend_engine(request, folder)
        made.append(engines)
        return next(engines)

    yield fresh
    for engines in made:
        for _ in engines:  # runs each generator's clean-up
            pass


def _work(engine: Engine, rt: Runtime, clock: Clock) -> tuple[World, list[str]]:
    """Every write the service and the sweep make: meldingen of each kind brought to every end, money
    booked, invoices registered, letters written, notices queued, deadlines met, cancelled and flagged."""
    world = make_world(engine, clock)
    driver = Driver(engine, rt, world)
    refs = [
        driver.bring_to("unpaid_fee", "gesloten"),
        driver.bring_to("contract_breach", "gesloten"),
        driver.bring_to("data_loss", "afgewezen"),
        driver.bring_to("late_delivery", "expertise"),
        driver.bring_to(
            "contract_breach",
            "dekkingsonderzoek",
            insured_reference="ABC-1",
            date_error="2026-07-01",
            date_known="2026-08-01",
        ),
    ]
    unpaid = driver.bring_to("unpaid_fee", "schadebeperking")
    driver.fire(unpaid, "register_invoice")
    driver.fire(unpaid, "pay_advance")  # reads the invoices, pays, writes a letter
    refs.append(unpaid)
    with Session(engine) as s:
        add_note(s, rt, refs[-1], "Gebeld met de verzekerde.", world.handler)
    clock.advance(days=40)
    sweep(engine, rt)
    return world, refs


def _rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    rows = snapshot(engine)
    # a password hash is salted afresh each run; everything else must be equal
    rows["users"] = [
        tuple(v for v in r if not (isinstance(v, str) and v.startswith("$argon2"))) for r in rows["users"]
    ]
    return rows


def _reads(engine: Engine, world: World, refs: list[str]) -> list[Any]:
    """What every repository read gives back, as plain values and with the records' types."""
    out: list[Any] = []
    with engine.connect() as conn:
        for ref in refs:
            claim = claims.by_reference(conn, ref)
            assert claim is not None
            out += [
                claim,
                claims.reference_with_insured_reference(conn, "ABC-1"),
                deadlines.running(conn, claim.id),
                deadlines.due_moments(conn, claim.id),
                deadlines.to_do(conn, claim.id),
                money.totals(conn, claim.id),
                money.unpaid_invoices(conn, claim.id),
                money.paid_within_limits(
                    conn,
                    claim.policy_id,
                    START.date().replace(year=2026, month=1, day=1),
                    START.date().replace(year=2027, month=1, day=1),
                ),
            ]
        out += [
            policies.by_number(conn, world.policy.number),
            policies.by_id(conn, world.policy.id or 0),
            users.by_email(conn, world.handler.email.upper()),
            users.person(conn, world.expert.id or 0),
            users.contact(conn, world.manager.id or 0),
            users.team_of(conn, world.handler.id or 0),
            users.active_managers(conn),
            money.interest_rates(conn, "handels"),
            [tuple(r) for r in audit.newest(conn, 10)],
        ]
    return [(type(v).__mro__[1].__name__ if hasattr(v, "_mapping") else None, _plain(v)) for v in out]


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k != "password_hash"}  # salted afresh each run
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def test_fast_path_and_core_write_and_read_the_same_rows(two_databases: Any, base_runtime: Runtime) -> None:
    results = []
    for mode in ("fast", "core"):
        engine = two_databases(mode)
        clock = Clock(START)
        rt = base_runtime.__class__(**{**vars(base_runtime), "clock": clock})
        if mode == "core":
            with plain_core():
                world, refs = _work(engine, rt, clock)
                reads = _reads(engine, world, refs)
        else:
            world, refs = _work(engine, rt, clock)
            reads = _reads(engine, world, refs)
        results.append((refs, _rows(engine), reads))
    (fast_refs, fast_rows, fast_reads), (core_refs, core_rows, core_reads) = results
    assert fast_refs == core_refs
    written = {table for table, rows in fast_rows.items() if rows}
    # the work above reached every table a transition or the sweep writes
    assert {"claims", "timeline_events", "deadlines", "money_lines", "invoices", "letters"} <= written
    assert {"notifications", "outbox", "reference_counters"} <= written, written
    for table in fast_rows:
        assert fast_rows[table] == core_rows[table], table
    assert fast_reads == core_reads
    # and the reads saw the work: typed values, not empty answers
    totals = [v for _, v in fast_reads if isinstance(v, dict) and v and isinstance(next(iter(v)), tuple)]
    assert totals and all(isinstance(x, Decimal) for t in totals for x in t.values())


def test_core_inside_a_driver_level_write_joins_its_transaction(engine: Engine) -> None:
    """A Core statement in work that in_write_transaction began on the driver (a worker's kept
    connection): committed with the fast-path statements beside it, or rolled back with them."""

    def entry(action: str) -> dict[str, Any]:
        return {
            "at": START,
            "actor_id": None,
            "actor": "cli:test",
            "channel": "cli",
            "action": action,
            "subject": "-",
            "format": "-",
            "detail": {},
        }

    def actions() -> list[str]:
        with engine.connect() as conn:
            return list(conn.execute(select(AUDIT.c.action).order_by(AUDIT.c.id)).scalars())

    def both(conn: Connection, raise_after: bool) -> None:
        audit.add(conn, entry("fast"))  # the fast path, on the driver's cursor
        conn.execute(AUDIT.insert().values(entry("core")))  # Core: SQLAlchemy begins its own view of it
        if raise_after:
            raise RuntimeError("after both")

    with engine.connect() as conn:
        in_write_transaction(conn, lambda c: both(c, False))
        assert not conn.in_transaction()
        with pytest.raises(RuntimeError, match="after both"):
            in_write_transaction(conn, lambda c: both(c, True))
        assert not conn.in_transaction()
        in_write_transaction(conn, lambda c: audit.add(c, entry("next")))  # the connection still writes
    assert actions() == ["fast", "core", "next"]
