"""The dashboard's money figures on a small portfolio built through the service (tests.claims.money_scenario):
reserves and payments per kind and cost type, payments per month, large losses, the load per handler and
the time to the first position on cover, each worked out by hand."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from claims.reads import dashboard_cache
from claims.reads.dashboard import MoneyCell, MoneyFigures, dashboard, money_figures
from claims.runtime import Runtime
from tests.claims.driver import Driver
from tests.claims.money_scenario import Portfolio, build
from tests.factories import Clock, World
from workflow.errors import Forbidden

D = Decimal
ZERO = D("0.00")


@pytest.fixture
def portfolio(engine: Engine, rt: Runtime, world: World, clock: Clock) -> Portfolio:
    return build(Driver(engine, rt, world), clock)


def _figures(engine: Engine, rt: Runtime, world: World, above: str = "100000") -> MoneyFigures:
    with engine.connect() as conn:
        return money_figures(conn, world.manager, rt.clock(), rt.tz, large_loss_above=D(above))


def test_reserves_and_payments_per_kind_and_cost_type(
    engine: Engine, rt: Runtime, world: World, portfolio: Portfolio
) -> None:
    m = _figures(engine, rt, world)
    # A: reserve 150,000 less the two advances taken from it (40,000 + 5,000; the cancelled one is not put
    # back: the handler sets the reserve again); paid 40,000 + 5,000 - 5,000. C: reserve 20,000.
    # F: fast track with a reserve of 0.
    assert m.cells[("contract_breach", "damages")] == MoneyCell(D("125000.00"), D("40000.00"))
    # B: damages 30,000 less the 12,000 advance; mitigation 5,000 reserved, nothing paid
    assert m.cells[("unpaid_fee", "damages")] == MoneyCell(D("18000.00"), D("12000.00"))
    assert m.cells[("unpaid_fee", "mitigation")] == MoneyCell(D("5000.00"), ZERO)
    assert set(m.cells) == {
        ("contract_breach", "damages"),
        ("unpaid_fee", "damages"),
        ("unpaid_fee", "mitigation"),
    }
    assert m.by_kind["unpaid_fee"] == MoneyCell(D("23000.00"), D("12000.00"))
    assert m.by_cost_type["damages"] == MoneyCell(D("143000.00"), D("52000.00"))
    assert m.total == MoneyCell(D("148000.00"), D("52000.00"))
    assert m.cost_types() == ["damages", "mitigation"]


def test_payments_per_month_in_amsterdam_months_net_of_cancellations(
    engine: Engine, rt: Runtime, world: World, portfolio: Portfolio
) -> None:
    m = _figures(engine, rt, world)
    assert m.since == date(2025, 12, 1)
    assert [d for d, _ in m.months] == [date(2025 + (11 + i) // 12, (11 + i) % 12 + 1, 1) for i in range(12)]
    paid = dict(m.months)
    # October: the two advances on A; November: B's 12,000 less A's cancelled 5,000 (31 October 23:30
    # UTC is 1 November 00:30 in Amsterdam); F's fast track paid nothing
    assert paid[date(2026, 10, 1)] == D("45000.00")
    assert paid[date(2026, 11, 1)] == D("7000.00")
    assert sum(paid.values()) == D("52000.00")


def test_large_losses_are_the_open_claims_above_the_threshold_on_damages(
    engine: Engine, rt: Runtime, world: World, portfolio: Portfolio
) -> None:
    (a,) = _figures(engine, rt, world).large_losses
    assert (a.reference, a.kind, a.insured) == (portfolio.big, "contract_breach", "Test ICT B.V.")
    assert (a.reserve, a.paid, a.total) == (D("105000.00"), D("40000.00"), D("145000.00"))
    # a lower threshold: B (30,000) and C (20,000) above 19,999.99, the largest first; above is strict
    lower = _figures(engine, rt, world, "20000").large_losses
    assert [x.reference for x in lower] == [portfolio.big, portfolio.mitigated]
    assert [x.total for x in lower] == [D("145000.00"), D("30000.00")]


def test_open_claims_and_reserves_per_handler(
    engine: Engine, rt: Runtime, world: World, portfolio: Portfolio
) -> None:
    handlers = {h.email: (h.open_claims, h.open_reserve) for h in _figures(engine, rt, world).handlers}
    # h: F, A, B, E open (a rejection leaves the claim open for an objection); reserves A 105,000 + B 23,000
    assert handlers == {
        world.handler.email: (4, D("128000.00")),
        world.other_handler.email: (1, D("20000.00")),
    }


def test_time_to_first_position_in_calendar_days(
    engine: Engine, rt: Runtime, world: World, portfolio: Portfolio
) -> None:
    p = _figures(engine, rt, world).first_position
    # A 9, B 20, E 14 days; F's position lies before the twelve months, C has none yet
    assert p.count == 3
    assert p.median_days == 14
    assert p.p90_days == pytest.approx(18.8)  # 14 + 0.8 x (20 - 14)


def test_the_money_figures_are_for_managers_only(engine: Engine, rt: Runtime, world: World) -> None:
    with engine.connect() as conn, pytest.raises(Forbidden):
        money_figures(conn, world.handler, rt.clock(), rt.tz, large_loss_above=D("1"))


def test_the_stored_snapshot_gives_back_the_same_figures(
    engine: Engine, rt: Runtime, world: World, portfolio: Portfolio
) -> None:
    """Through the database's own JSON (SQLite and PostgreSQL): every amount to the cent, as Decimal."""
    with engine.connect() as conn:
        dashboard_cache.refresh(conn, rt)
        shown = dashboard_cache.shown(
            conn, world.manager, rt, max_age=timedelta(minutes=10), approval_states=["goedkeuring"]
        )
        live = dashboard(conn, world.manager, rt.clock(), rt.tz, approval_states=["goedkeuring"])
        m = money_figures(
            conn,
            world.manager,
            rt.clock(),
            rt.tz,
            large_loss_above=rt.rules.large_loss_threshold,
            calendar=rt.calendar,
        )
    assert not shown.live
    assert shown.money == m and shown.dashboard == live
    assert m.large_losses and m.total.paid > 0  # figures that could differ, not empty ones
    assert all(isinstance(c.reserve, Decimal) for c in shown.money.cells.values())
