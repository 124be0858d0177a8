"""A small portfolio for the dashboard's money figures, built through the real service calls (the melding,
transitions, a cancelled payment) at set moments, with every figure it must give worked out by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlmodel import Session, select

from claims.service import cancel_payment
from claims.storage.models import Claim, Payment
from tests.claims.driver import Driver
from tests.factories import Clock

D = Decimal


@dataclass(frozen=True)
class Portfolio:
    big: str  # A: contract breach, a large loss
    mitigated: str  # B: unpaid fee, mitigation started
    other: str  # C: contract breach, reassigned to the other handler, no position yet
    rejected: str  # E: contract breach, cover rejected
    old: str  # F: fast track a year before: outside the last twelve months


def _at(clock: Clock, *args: int) -> None:
    clock.now = datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def _reported(day: str, known: str) -> dict[str, str]:
    return {"date_error": known, "date_known": known, "date_reported": day}


def build(driver: Driver, clock: Clock) -> Portfolio:
    """The portfolio, the clock left at 16 November 2026, 09:00 UTC (the tests' usual moment)."""
    w = driver.world
    fire = driver.fire

    # F: reported 10 November 2025, fast track on 20 November 2025: its position is before December 2025
    _at(clock, 2025, 11, 20, 9, 0)
    old = driver.open("contract_breach", **_reported("2025-11-10", "2025-11-01")).reference
    fire(old, "start_coverage_check")
    fire(old, "fast_track", {"reserve_damages": "0"})

    # A: reported 1 September, fast track on 10 September (9 days); damages reserve 150,000, advances of
    # 40,000 and 5,000 on 5 October; the 5,000 cancelled on 31 October 23:30 UTC (1 November in Amsterdam)
    _at(clock, 2026, 9, 10, 10, 0)
    big = driver.open("contract_breach", **_reported("2026-09-01", "2026-08-20")).reference
    fire(big, "start_coverage_check")
    fire(big, "fast_track", {"reserve_damages": "1000"})
    fire(big, "adjust_reserve", {"cost_type": "damages", "amount": "150000"}, actor=w.manager)
    _at(clock, 2026, 10, 5, 12, 0)
    payee = driver.payee(big)
    fire(big, "pay_damages_advance", {"amount": "40000", "payee": payee}, actor=w.manager)
    fire(big, "pay_damages_advance", {"amount": "5000", "payee": payee}, actor=w.manager)
    _at(clock, 2026, 10, 31, 23, 30)
    with Session(driver.engine) as s:
        claim_id = s.exec(select(Claim.id).where(Claim.reference == big)).one()
        second = s.exec(
            select(Payment).where(Payment.claim_id == claim_id, Payment.amount == D("5000"))
        ).one()
    with Session(driver.engine) as s:
        cancel_payment(s, driver.rt, second.id or 0, w.manager, "dubbel ingevoerd")

    # B: reported 1 October, mitigation started 21 October (20 days) with a 5,000 mitigation reserve; in
    # mitigation on 16 November a damages reserve of 30,000 and an advance of 12,000 on it
    _at(clock, 2026, 10, 21, 9, 0)
    mitigated = driver.open("unpaid_fee", **_reported("2026-10-01", "2026-09-25")).reference
    fire(mitigated, "start_coverage_check")
    fire(mitigated, "start_mitigation", {"measure": "Inzet herstelteam", "reserve_mitigation": "5000"})
    _at(clock, 2026, 11, 16, 9, 0)
    fire(mitigated, "adjust_reserve", {"cost_type": "damages", "amount": "30000"})
    fire(
        mitigated,
        "pay_damages_advance",
        {"amount": "12000", "payee": driver.payee(mitigated)},
        actor=w.manager,
    )

    # C: reported 2 November, in the coverage check, a damages reserve of 20,000, the other handler's
    other = driver.open("contract_breach", **_reported("2026-11-02", "2026-10-30")).reference
    fire(other, "start_coverage_check")
    fire(other, "adjust_reserve", {"cost_type": "damages", "amount": "20000"})
    fire(other, "reassign", {"handler": w.other_handler.email}, actor=w.manager)

    # E: reported 2 November, cover rejected 16 November (14 days)
    rejected = driver.open("contract_breach", **_reported("2026-11-02", "2026-10-30")).reference
    fire(rejected, "start_coverage_check")
    fire(rejected, "reject")
    return Portfolio(big=big, mitigated=mitigated, other=other, rejected=rejected, old=old)
