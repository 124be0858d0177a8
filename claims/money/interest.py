"""Statutory interest (wettelijke rente 6:119 BW, wettelijke handelsrente 6:119a BW).

Rates change per half year; at the end of each year the interest due is added to the principal
(compound yearly, 6:119 lid 2). Rates come from the interest_rates table, never from constants.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


@dataclass(frozen=True)
class RatePeriod:
    valid_from: date
    rate: Decimal  # percent a year


def _add_year(d: date) -> date:
    try:
        return d.replace(year=d.year + 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year + 1, day=28)


def statutory_interest(
    principal: Decimal, due_date: date, until: date, rates: Sequence[RatePeriod]
) -> Decimal:
    """Interest on `principal` from the day after `due_date` up to and including `until`."""
    if until <= due_date or principal <= 0:
        return Decimal("0.00")
    ordered = sorted(rates, key=lambda r: r.valid_from)
    if not ordered or ordered[0].valid_from > due_date + timedelta(days=1):
        raise ValueError(f"no interest rate known for {due_date + timedelta(days=1)}")
    base = principal
    accrued = Decimal(0)
    start = due_date  # interest runs over the days (start, end]
    year_end = _add_year(due_date)
    while start < until:
        boundaries = [until, year_end, *(r.valid_from - timedelta(days=1) for r in ordered)]
        end = min(b for b in boundaries if b > start)
        rate = next(r.rate for r in reversed(ordered) if r.valid_from <= start + timedelta(days=1))
        accrued += base * rate / 100 * (end - start).days / 365
        start = end
        if start == year_end:
            base += accrued
            accrued = Decimal(0)
            year_end = _add_year(year_end)
    return (base + accrued - principal).quantize(CENT, rounding=ROUND_HALF_UP)
