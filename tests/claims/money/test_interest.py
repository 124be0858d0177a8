"""Statutory interest and its breakdown: amounts worked out by hand to the cent, the breakdown's periods
adding up to the total, and the total unchanged from the implementation before the breakdown existed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from claims.money.interest import InterestPeriod, RatePeriod, interest_breakdown, statutory_interest

D = Decimal

# wettelijke rente (6:119 BW) as in rules.md
WETTELIJK = [
    RatePeriod(date(2020, 1, 1), D("2")),
    RatePeriod(date(2023, 1, 1), D("4")),
    RatePeriod(date(2023, 7, 1), D("6")),
    RatePeriod(date(2024, 1, 1), D("7")),
    RatePeriod(date(2024, 7, 1), D("7")),
    RatePeriod(date(2025, 1, 1), D("6")),
    RatePeriod(date(2025, 7, 1), D("4")),
    RatePeriod(date(2026, 1, 1), D("4")),
]
# wettelijke handelsrente (6:119a BW) as in rules.md
HANDELS = [
    RatePeriod(date(2020, 1, 1), D("8")),
    RatePeriod(date(2023, 1, 1), D("10.5")),
    RatePeriod(date(2023, 7, 1), D("12")),
    RatePeriod(date(2024, 1, 1), D("12.5")),
    RatePeriod(date(2024, 7, 1), D("12.25")),
    RatePeriod(date(2025, 1, 1), D("11.15")),
    RatePeriod(date(2025, 7, 1), D("10.15")),
    RatePeriod(date(2026, 1, 1), D("10.15")),
]
TEN = [RatePeriod(date(2020, 1, 1), D("10"))]


def test_half_a_year_at_one_rate() -> None:
    # 10,000.00 due 2025-12-31, counted 2026-01-01 .. 2026-07-01 = 31+28+31+30+31+30 + 1 = 182 days
    # at 10.15%: 10,000 x 0.1015 x 182 / 365 = 184,730 / 365 = 506.1095.. -> 506.11
    assert statutory_interest(D("10000"), date(2025, 12, 31), date(2026, 7, 1), HANDELS) == D("506.11")
    assert interest_breakdown(D("10000"), date(2025, 12, 31), date(2026, 7, 1), HANDELS) == [
        InterestPeriod(date(2026, 1, 1), date(2026, 7, 1), 182, D("10.15"), D("10000.00"), D("506.11"), False)
    ]


def test_periods_split_at_rate_changes_and_the_anniversary_and_compound() -> None:
    # 10,000.00 due 2023-03-31, wettelijke rente up to 2024-09-30; the year closes on 2024-03-31.
    #   2023-04-01..06-30   91 days at 4%: 10,000 x 0.04 x 91/365 =  36,400/365 =  99.72603
    #   2023-07-01..12-31  184 days at 6%: 10,000 x 0.06 x 184/365 = 110,400/365 = 302.46575
    #   2024-01-01..03-31   91 days at 7%: 10,000 x 0.07 x 91/365 =  63,700/365 = 174.52055
    #   year 1 = 210,500/365 = 576.71233, capitalised: base 10,576.71233
    #   2024-04-01..06-30   91 days at 7%: 10,576.71233 x 0.07 x 91/365 = 184.58536
    #   2024-07-01..09-30   92 days at 7% (a new row, same rate): 10,576.71233 x 0.07 x 92/365 = 186.61377
    #   total 576.71233 + 184.58536 + 186.61377 = 947.91147 -> 947.91
    # Shown cumulatively rounded: 99.73 | 402.19 - 99.73 = 302.46 | 576.71 - 402.19 = 174.52 |
    #   761.30 - 576.71 = 184.59 | 947.91 - 761.30 = 186.61; sum 947.91. Rounded alone the second would be
    #   302.47 and the rows would add up to 947.92, a cent off the total.
    args = (D("10000"), date(2023, 3, 31), date(2024, 9, 30), WETTELIJK)
    assert statutory_interest(*args) == D("947.91")
    assert interest_breakdown(*args) == [
        InterestPeriod(date(2023, 4, 1), date(2023, 6, 30), 91, D("4"), D("10000.00"), D("99.73"), False),
        InterestPeriod(date(2023, 7, 1), date(2023, 12, 31), 184, D("6"), D("10000.00"), D("302.46"), False),
        InterestPeriod(date(2024, 1, 1), date(2024, 3, 31), 91, D("7"), D("10000.00"), D("174.52"), True),
        InterestPeriod(date(2024, 4, 1), date(2024, 6, 30), 91, D("7"), D("10576.71"), D("184.59"), False),
        InterestPeriod(date(2024, 7, 1), date(2024, 9, 30), 92, D("7"), D("10576.71"), D("186.61"), False),
    ]
    assert sum(p.interest for p in interest_breakdown(*args)) == D("947.91")


def test_two_whole_years_compound_once() -> None:
    # 1,000.00 at 10% due 2021-06-30: year 1 (2021-07-01..2022-06-30, 365 days) 100.00, added to the base;
    # year 2 (2022-07-01..2023-06-30, 365 days) 1,100 x 0.10 = 110.00; total 210.00 (simple: 200.00)
    args = (D("1000"), date(2021, 6, 30), date(2023, 6, 30), TEN)
    assert statutory_interest(*args) == D("210.00")
    assert interest_breakdown(*args) == [
        InterestPeriod(date(2021, 7, 1), date(2022, 6, 30), 365, D("10"), D("1000.00"), D("100.00"), True),
        InterestPeriod(date(2022, 7, 1), date(2023, 6, 30), 365, D("10"), D("1100.00"), D("110.00"), True),
    ]


def test_a_leap_year_counts_366_days_over_365() -> None:
    # 36,500.00 at 10% due 2023-12-31 up to 2024-12-31: 366 days, 1/365 each:
    # 36,500 x 0.10 x 366 / 365 = 3,660.00 (not 3,650.00)
    args = (D("36500"), date(2023, 12, 31), date(2024, 12, 31), TEN)
    assert statutory_interest(*args) == D("3660.00")
    [period] = interest_breakdown(*args)
    assert (period.days, period.interest, period.capitalised) == (366, D("3660.00"), True)


def test_a_due_date_on_29_february_closes_its_year_on_28_february() -> None:
    # 3,650.00 at 10% due 2024-02-29: year 1 is 2024-03-01..2025-02-28 = 365 days: 365.00, capitalised;
    # then 2025-03-01..03-10 = 10 days on 4,015.00: 4,015 x 0.10 x 10/365 = 11.00; total 376.00
    args = (D("3650"), date(2024, 2, 29), date(2025, 3, 10), TEN)
    assert statutory_interest(*args) == D("376.00")
    assert [(p.start, p.end, p.days, p.interest, p.capitalised) for p in interest_breakdown(*args)] == [
        (date(2024, 3, 1), date(2025, 2, 28), 365, D("365.00"), True),
        (date(2025, 3, 1), date(2025, 3, 10), 10, D("11.00"), False),
    ]


def test_one_day() -> None:
    # 100.00 at 8% for one day (2022-05-02): 100 x 0.08 / 365 = 0.0219 -> 0.02
    assert interest_breakdown(D("100"), date(2022, 5, 1), date(2022, 5, 2), HANDELS) == [
        InterestPeriod(date(2022, 5, 2), date(2022, 5, 2), 1, D("8"), D("100.00"), D("0.02"), False)
    ]


@pytest.mark.parametrize(
    ("principal", "until"),
    [(D("1000"), date(2024, 1, 1)), (D("1000"), date(2023, 12, 31)), (D("0"), date(2025, 1, 1))],
)
def test_nothing_is_due_before_the_due_date_has_passed_or_on_nothing(principal: Decimal, until: date) -> None:
    assert statutory_interest(principal, date(2024, 1, 1), until, WETTELIJK) == D("0.00")
    assert interest_breakdown(principal, date(2024, 1, 1), until, WETTELIJK) == []


def test_a_due_date_before_the_first_rate_is_refused() -> None:
    rates = [RatePeriod(date(2023, 1, 1), D("4"))]
    for compute in (statutory_interest, interest_breakdown):
        with pytest.raises(ValueError, match=r"^geen rentestand bekend op 31-12-2022$"):
            compute(D("100"), date(2022, 12, 30), date(2023, 6, 1), rates)
    # the first day counted is the rate's first day: that is known
    assert statutory_interest(D("100"), date(2022, 12, 31), date(2023, 1, 1), rates) == D("0.01")


def _before_the_breakdown(
    principal: Decimal, due_date: date, until: date, rates: Sequence[RatePeriod]
) -> Decimal:
    # statutory_interest as it was before the breakdown (commit 7d813f5), kept as the reference
    if until <= due_date or principal <= 0:
        return Decimal("0.00")
    ordered = sorted(rates, key=lambda r: r.valid_from)
    if not ordered or ordered[0].valid_from > due_date + timedelta(days=1):
        raise ValueError(f"no interest rate known for {due_date + timedelta(days=1)}")
    base = principal
    accrued = Decimal(0)
    start = due_date
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
    return (base + accrued - principal).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _add_year(d: date) -> date:
    try:
        return d.replace(year=d.year + 1)
    except ValueError:
        return d.replace(year=d.year + 1, day=28)


@settings(max_examples=300, deadline=None)
@given(
    cents=st.integers(min_value=1, max_value=10**10),
    due_date=st.dates(min_value=date(2019, 12, 31), max_value=date(2026, 6, 30)),
    days=st.integers(min_value=0, max_value=2500),
    table=st.sampled_from([WETTELIJK, HANDELS]),
)
def test_the_total_is_unchanged_and_the_rows_add_up_to_it(
    cents: int, due_date: date, days: int, table: list[RatePeriod]
) -> None:
    principal = Decimal(cents).scaleb(-2)
    until = due_date + timedelta(days=days)
    total = statutory_interest(principal, due_date, until, table)
    assert total == _before_the_breakdown(principal, due_date, until, table)
    periods = interest_breakdown(principal, due_date, until, table)
    assert sum((p.interest for p in periods), Decimal("0.00")) == total
    assert sum(p.days for p in periods) == max(days, 0)
    # contiguous, each at the rate of its first day, each with a non-negative amount, capitalised exactly
    # when it ends on an anniversary of the due date
    anniversaries = [_add_year(due_date)]
    while anniversaries[-1] < until:
        anniversaries.append(_add_year(anniversaries[-1]))
    expected_start = due_date + timedelta(days=1)
    for p in periods:
        assert p.capitalised == (p.end in anniversaries)
        assert p.start == expected_start and p.end >= p.start and p.days == (p.end - p.start).days + 1
        assert p.rate == next(r.rate for r in reversed(table) if r.valid_from <= p.start)
        assert p.interest >= 0
        expected_start = p.end + timedelta(days=1)
