"""Statutory interest (wettelijke rente 6:119 BW, wettelijke handelsrente 6:119a BW).

Rates change per half year; at the end of each year the interest due is added to the principal
(compound yearly, 6:119 lid 2). Rates come from the interest_rates table, never from constants.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


@dataclass(frozen=True)
class RatePeriod:
    valid_from: date
    rate: Decimal  # percent a year


@dataclass(frozen=True)
class InterestPeriod:
    """One stretch of days at one rate on one base, as a page shows it.

    `start` and `end` are the first and last day counted (both inclusive). `base` is the principal plus
    the interest capitalised before this period, and `interest` what the period adds, both in cents for
    display: the periods' `interest` sums exactly to `statutory_interest`, so a period may show a cent
    more or less than its own amount rounded alone (never a cent or more off its exact amount).
    `capitalised` says the year closed on `end` and the year's interest was added to the base of the next
    period (6:119 lid 2 BW)."""

    start: date
    end: date
    days: int
    rate: Decimal
    base: Decimal
    interest: Decimal
    capitalised: bool


@dataclass(frozen=True)
class _Step:
    after: date  # the period runs over the days (after, end]
    end: date
    rate: Decimal
    base: Decimal  # unrounded
    capitalised: bool
    so_far: Decimal  # interest up to and including `end`, unrounded


def _add_year(d: date) -> date:
    try:
        return d.replace(year=d.year + 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year + 1, day=28)


def _steps(principal: Decimal, due_date: date, until: date, rates: Sequence[RatePeriod]) -> Iterator[_Step]:
    # The one computation both public functions read, so the breakdown can never tell another story than
    # the total. Nothing is rounded here: the total is rounded once, at the end.
    if until <= due_date or principal <= 0:
        return
    ordered = sorted(rates, key=lambda r: r.valid_from)
    if not ordered or ordered[0].valid_from > due_date + timedelta(days=1):
        raise ValueError(f"geen rentestand bekend op {due_date + timedelta(days=1):%d-%m-%Y}")
    base = principal
    accrued = Decimal(0)
    start = due_date  # interest runs over the days (start, end]
    year_end = _add_year(due_date)
    while start < until:
        boundaries = [until, year_end, *(r.valid_from - timedelta(days=1) for r in ordered)]
        end = min(b for b in boundaries if b > start)
        rate = next(r.rate for r in reversed(ordered) if r.valid_from <= start + timedelta(days=1))
        period_base = base
        accrued += base * rate / 100 * (end - start).days / 365
        capitalised = end == year_end
        if capitalised:
            base += accrued
            accrued = Decimal(0)
            year_end = _add_year(year_end)
        # the same expression the total has always been rounded from, so a result never moves a cent
        yield _Step(start, end, rate, period_base, capitalised, base + accrued - principal)
        start = end


def statutory_interest(
    principal: Decimal, due_date: date, until: date, rates: Sequence[RatePeriod]
) -> Decimal:
    """Interest on `principal` from the day after `due_date` up to and including `until` (6:119 and
    6:119a BW, compounded yearly per 6:119 lid 2), days counted 1/365 in leap years too, rounded once to
    cents half-up. ValueError when `rates` does not reach back to the first day counted."""
    total = Decimal(0)
    for step in _steps(principal, due_date, until, rates):
        total = step.so_far
    return total.quantize(CENT, rounding=ROUND_HALF_UP)


def interest_breakdown(
    principal: Decimal, due_date: date, until: date, rates: Sequence[RatePeriod]
) -> list[InterestPeriod]:
    """The periods of `statutory_interest` (6:119, 6:119a BW), split at each rate change and at each
    yearly anniversary of `due_date` (6:119 lid 2); their `interest` sums exactly to its total."""
    periods: list[InterestPeriod] = []
    shown = Decimal("0.00")
    for step in _steps(principal, due_date, until, rates):
        # Rounded cumulatively: a period shows what the rounded total grows by, so the rows add up to the
        # total on the page and no period is off by a cent or more from its exact amount.
        so_far = step.so_far.quantize(CENT, rounding=ROUND_HALF_UP)
        periods.append(
            InterestPeriod(
                start=step.after + timedelta(days=1),
                end=step.end,
                days=(step.end - step.after).days,
                rate=step.rate,
                base=step.base.quantize(CENT, rounding=ROUND_HALF_UP),
                interest=so_far - shown,
                capitalised=step.capitalised,
            )
        )
        shown = so_far
    return periods
