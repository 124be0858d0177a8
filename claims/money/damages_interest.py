"""Wettelijke rente (art. 6:119 BW) on damages from the day they were due to the day they are paid, with
the payments made on account in between (voorschotten), period by period.

Art. 6:119 lid 1: the compensation for late payment is the statutory interest over the period of delay;
lid 2: at the end of each year the interest due is added to the principal (compounding, counted from the
day the debt fell due). A voorschot is paid expressly on account of the damages, so it lowers the
principal from the day after it was paid (art. 6:44 BW would let a debtor's unspecified payment go to
interest first; this one is not unspecified).

A day is 1/365 of a year, in leap years too (the convention of the rates' publisher; 1/366 in a leap year
is the other defensible reading, see README). Interest runs over the days (due date, until]. The total is
worked out unrounded and rounded to the cent once; the periods are shown in cents and the last one takes
the rounding difference, so they add up to the total exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from claims.money.interest import RatePeriod

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Period:
    first_day: date  # the first day counted
    last_day: date  # the last day counted (inclusive)
    days: int
    rate: Decimal  # percent a year
    base: Decimal  # the principal over these days: what is still owed plus interest added at year ends
    interest: Decimal  # in cents (the last period takes the rounding difference)
    compounded: bool  # a year since the due date ends with this period: its interest joins the base


@dataclass(frozen=True)
class InterestWorked:
    total: Decimal
    periods: tuple[Period, ...]


def _add_year(d: date) -> date:
    try:
        return d.replace(year=d.year + 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year + 1, day=28)


def interest_with_payments(
    principal: Decimal,
    due_date: date,
    until: date,
    rates: Sequence[RatePeriod],
    payments: Sequence[tuple[date, Decimal]] = (),
) -> InterestWorked:
    """Interest on `principal` due on `due_date`, up to and including `until`, the `payments` (day,
    amount) on account lowering the principal from the day after each. ValueError when the rate table
    does not reach back to the first day of interest."""
    if until <= due_date or principal <= 0:
        return InterestWorked(ZERO, ())
    ordered = sorted(rates, key=lambda r: r.valid_from)
    first = due_date + timedelta(days=1)
    if not ordered or ordered[0].valid_from > first:
        raise ValueError(f"geen rentestand bekend op {first:%d-%m-%Y}")
    # a payment on or before the due date lowers the principal from the start; later ones from the day after
    paid_on = sorted((d, a) for d, a in payments if a > 0 and d > due_date)
    base = max(principal - sum((a for d, a in payments if a > 0 and d <= due_date), Decimal(0)), Decimal(0))
    if base <= 0:
        return InterestWorked(ZERO, ())
    accrued = Decimal(0)
    start = due_date  # interest runs over the days (start, end]
    year_end = _add_year(due_date)
    raw: list[tuple[date, date, Decimal, Decimal, Decimal, bool]] = []
    while start < until:
        boundaries = [until, year_end, *(r.valid_from - timedelta(days=1) for r in ordered)]
        boundaries += [d for d, _ in paid_on]
        end = min(b for b in boundaries if b > start)
        rate = next(r.rate for r in reversed(ordered) if r.valid_from <= start + timedelta(days=1))
        interest = base * rate / 100 * (end - start).days / 365
        accrued += interest
        compounded = end == year_end
        raw.append((start + timedelta(days=1), end, rate, base, interest, compounded))
        start = end
        for d, amount in paid_on:
            if d == end:
                base = max(base - amount, Decimal(0))
        if compounded:
            base += accrued
            accrued = Decimal(0)
            year_end = _add_year(year_end)
    exact = sum((r[4] for r in raw), Decimal(0))
    total = exact.quantize(CENT, rounding=ROUND_HALF_UP)
    periods: list[Period] = []
    shown = ZERO
    for i, (first_day, last_day, rate, period_base, interest, compounded) in enumerate(raw):
        cents = interest.quantize(CENT, rounding=ROUND_HALF_UP) if i < len(raw) - 1 else total - shown
        shown += cents
        periods.append(
            Period(
                first_day=first_day,
                last_day=last_day,
                days=(last_day - first_day).days + 1,
                rate=rate,
                base=period_base.quantize(CENT, rounding=ROUND_HALF_UP),
                interest=cents,
                compounded=compounded,
            )
        )
    return InterestWorked(total, tuple(periods))
