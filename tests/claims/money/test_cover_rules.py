"""The money rules on their own (claims.money.cover, claims.money.damages_interest): every amount worked
out by hand to the cent, the arithmetic beside it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from claims.money.cover import (
    Cover,
    CoverRefusal,
    Paid,
    check_outside_limit,
    check_within_limit,
    deductible_due,
    remaining_cover,
    settle,
)
from claims.money.damages_interest import interest_with_payments
from claims.money.interest import RatePeriod

D = Decimal

# the test policy BAV-TEST-1: 1,000,000 a claim, 2,000,000 a year, deductible 2,500, no caps
BAV = Cover(per_claim=D("1000000"), per_year=D("2000000"), deductible=D("2500"))
NOTHING = Paid(by_type={})
# wettelijke rente (6:119 BW) as claims/money/data/interest_rates.yaml has it
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


def _paid(damages: str = "0", *, deductible: str = "0", in_year: str | None = None, **other: str) -> Paid:
    """What a claim paid: damages (and other cost types) and the deductible applied; the year's
    within-limit payments default to this claim's damages."""
    by_type = {"damages": D(damages)} | {k: D(v) for k, v in other.items()}
    return Paid(
        by_type=by_type,
        deductible_applied=D(deductible),
        within_limit_in_year=D(damages if in_year is None else in_year),
    )


# --- remaining cover -------------------------------------------------------------------------------


def test_remaining_cover_is_the_claim_limit_less_what_it_paid_within_it() -> None:
    # 1,000,000 - 37,500 damages = 962,500; defence costs are outside the limit and take nothing
    assert remaining_cover(BAV, _paid("37500", defence="50000")) == D("962500")


def test_remaining_cover_never_exceeds_what_the_year_leaves() -> None:
    # per claim 1,000,000 - 0; per year 2,000,000 - 1,750,000 (other claims) = 250,000: the lesser
    assert remaining_cover(BAV, _paid("0", in_year="1750000")) == D("250000")


def test_remaining_cover_is_never_negative() -> None:
    assert remaining_cover(BAV, _paid("0", in_year="2100000")) == D("0")


def test_collection_costs_count_against_the_cover() -> None:
    # 1,000,000 - (10,000 damages + 898.46 collection) = 989,101.54
    assert remaining_cover(BAV, _paid("10000", collection="898.46", in_year="10898.46")) == D("989101.54")


# --- deductible ------------------------------------------------------------------------------------


def test_deductible_is_due_once() -> None:
    assert deductible_due(BAV, NOTHING, D("40000")) == D("2500")
    # a second payment on the claim (or on another claim of its series): 2,500 - 2,500 = 0
    assert deductible_due(BAV, _paid(deductible="2500"), D("40000")) == D("0")


def test_deductible_is_never_more_than_the_damages_nor_than_what_is_left() -> None:
    assert deductible_due(BAV, NOTHING, D("1000")) == D("1000")
    # 2,500 - 1,000 already applied = 1,500 left
    assert deductible_due(BAV, _paid(deductible="1000"), D("40000")) == D("1500")
    assert deductible_due(BAV, NOTHING, D("-5")) == D("0")


# --- outside the limit: 7:957, 7:959 lid 1 ---------------------------------------------------------


@pytest.mark.parametrize("cost_type", ["mitigation", "expert", "defence", "sgoa", "interest"])
def test_costs_outside_the_limit_are_paid_above_a_used_up_cover(cost_type: str) -> None:
    used_up = _paid("1000000")
    assert remaining_cover(BAV, used_up) == D("0")
    check_outside_limit(BAV, used_up, cost_type, D("5000000"))  # no cap: no refusal


def test_a_policy_cap_bounds_a_cost_outside_the_limit_to_the_cent() -> None:
    capped = Cover(BAV.per_claim, BAV.per_year, BAV.deductible, caps={"defence": D("5000")})
    paid = _paid(defence="4000")
    check_outside_limit(capped, paid, "defence", D("1000"))  # 4,000 + 1,000 = the cap of 5,000
    with pytest.raises(CoverRefusal, match=r"nog € 1\.000,00"):
        check_outside_limit(capped, paid, "defence", D("1000.01"))


# --- within the limit ------------------------------------------------------------------------------


def test_an_advance_fits_the_claim_limit_to_the_cent() -> None:
    paid = _paid("990000")
    check_within_limit(BAV, paid, D("10000"))  # 990,000 + 10,000 = 1,000,000
    with pytest.raises(CoverRefusal, match="per aanspraak"):
        check_within_limit(BAV, paid, D("10000.01"))


def test_an_advance_fits_the_year_to_the_cent() -> None:
    paid = _paid("0", in_year="1995000")
    check_within_limit(BAV, paid, D("5000"))  # 1,995,000 + 5,000 = 2,000,000
    with pytest.raises(CoverRefusal, match="per jaar"):
        check_within_limit(BAV, paid, D("5000.01"))


# --- settle ----------------------------------------------------------------------------------------


def test_a_settlement_at_the_cover_after_the_deductible_pays_the_cover() -> None:
    # 1,002,500 - 2,500 deductible = 1,000,000 = the cover: paid in full, nothing for the insured
    worked = settle(BAV, NOTHING, D("1002500"))
    assert (worked.deductible, worked.covered, worked.pay_damages, worked.insured_share) == (
        D("2500"),
        D("1000000"),
        D("1000000"),
        D("0"),
    )


def test_a_settlement_above_the_cover_pays_the_cover_and_the_insured_bears_the_rest() -> None:
    # 1,200,000 - 2,500 = 1,197,500; the cover pays 1,000,000; 1,197,500 - 1,000,000 = 197,500 insured
    worked = settle(BAV, NOTHING, D("1200000"))
    assert worked.pay_damages == D("1000000")
    assert worked.insured_share == D("197500")
    assert worked.deductible == D("2500")


def test_an_advance_is_deducted_from_the_settlement() -> None:
    # 40,000 - 2,500 = 37,500 covered; 20,000 advanced; 37,500 - 20,000 = 17,500 now
    worked = settle(BAV, _paid("20000"), D("40000"))
    assert (worked.covered, worked.advanced, worked.pay_damages) == (D("37500"), D("20000"), D("17500"))
    assert worked.pay_within_limit == D("17500")


def test_an_advance_counts_against_the_cover_of_a_settlement_above_it() -> None:
    small = Cover(D("100000"), D("2000000"), D("2500"))
    # 120,000 - 2,500 = 117,500; at most 100,000 in all, 20,000 of it advanced: 80,000 now;
    # 117,500 - 100,000 = 17,500 insured
    worked = settle(small, _paid("20000"), D("120000"))
    assert (worked.covered, worked.pay_damages, worked.insured_share) == (
        D("100000"),
        D("80000"),
        D("17500"),
    )


def test_the_year_aggregate_limits_a_settlement() -> None:
    # 802,500 - 2,500 = 800,000; the year has 2,000,000 - 1,500,000 = 500,000 left: 500,000 paid,
    # 800,000 - 500,000 = 300,000 insured
    worked = settle(BAV, _paid("0", in_year="1500000"), D("802500"))
    assert (worked.pay_damages, worked.insured_share) == (D("500000"), D("300000"))


def test_deductible_applied_before_on_the_series_is_not_applied_again() -> None:
    worked = settle(BAV, _paid("0", deductible="2500", in_year="0"), D("30000"))
    assert (worked.deductible, worked.pay_damages) == (D("0"), D("30000"))


def test_deductible_in_full_pays_the_claimant_the_deductible_outside_the_cover() -> None:
    # 20,000 - 2,500 = 17,500 covered; the claimant gets 17,500 + 2,500 = 20,000; the cover bears 17,500
    worked = settle(BAV, NOTHING, D("20000"), deductible_in_full=True)
    assert (worked.covered, worked.pay_damages, worked.pay_deductible, worked.pay_within_limit) == (
        D("17500"),
        D("17500"),
        D("2500"),
        D("17500"),
    )


def test_collection_costs_are_paid_with_the_damages_within_the_cover() -> None:
    # 12,345.67 - 2,500 = 9,845.67 damages + 898.46 collection = 10,744.13 covered
    worked = settle(BAV, NOTHING, D("12345.67"), collection=D("898.46"))
    assert (worked.pay_damages, worked.pay_collection, worked.covered) == (
        D("9845.67"),
        D("898.46"),
        D("10744.13"),
    )


def test_collection_costs_come_first_when_the_cover_does_not_reach() -> None:
    small = Cover(D("10000"), D("2000000"), D("2500"))
    # 12,500 - 2,500 + 1,000 = 11,000 net; 10,000 covered: 1,000 collection, 9,000 damages, 1,000 insured
    worked = settle(small, NOTHING, D("12500"), collection=D("1000"))
    assert (worked.pay_collection, worked.pay_damages, worked.insured_share) == (
        D("1000"),
        D("9000"),
        D("1000"),
    )


def test_advances_above_the_settlement_are_refused() -> None:
    # 20,000 advanced, 15,000 - 2,500 = 12,500 agreed: 7,500 would have to be paid back
    with pytest.raises(CoverRefusal, match="voorgeschoten"):
        settle(BAV, _paid("20000"), D("15000"))


def test_negative_damages_are_refused() -> None:
    with pytest.raises(CoverRefusal):
        settle(BAV, NOTHING, D("-1"))


# --- statutory interest 6:119 with payments on account ---------------------------------------------


def test_interest_on_damages_at_four_percent_a_day_being_a_365th() -> None:
    # 1 July - 16 November 2026: 31 + 31 + 30 + 31 + 16 = 139 days at 4%
    # 37,500 x 0.04 x 139 / 365 = 208,500 / 365 = 571.2328... -> 571.23
    worked = interest_with_payments(D("37500"), date(2026, 6, 30), date(2026, 11, 16), WETTELIJK)
    assert worked.total == D("571.23")
    assert [p.days for p in worked.periods] == [139]


def test_an_advance_lowers_the_principal_from_the_day_after_it_was_paid() -> None:
    # 1 July - 30 September: 92 days on 37,500: 37,500 x 0.04 x 92 / 365 = 138,000 / 365 = 378.0822
    # 1 October - 16 November: 47 days on 17,500: 17,500 x 0.04 x 47 / 365 = 32,900 / 365 = 90.1370
    # 170,900 / 365 = 468.2192 -> 468.22; the periods show 378.08 and 468.22 - 378.08 = 90.14
    worked = interest_with_payments(
        D("37500"), date(2026, 6, 30), date(2026, 11, 16), WETTELIJK, [(date(2026, 9, 30), D("20000"))]
    )
    assert worked.total == D("468.22")
    assert [(p.first_day, p.days, p.base, p.interest) for p in worked.periods] == [
        (date(2026, 7, 1), 92, D("37500.00"), D("378.08")),
        (date(2026, 10, 1), 47, D("17500.00"), D("90.14")),
    ]


def test_an_advance_paid_before_the_interest_starts_lowers_the_whole_principal() -> None:
    # the damages fell due on 30 September, 20,000 was advanced on 15 September: interest on 17,500 only
    # 1 October - 16 November: 47 days: 17,500 x 0.04 x 47 / 365 = 32,900 / 365 = 90.1370 -> 90.14
    worked = interest_with_payments(
        D("37500"), date(2026, 9, 30), date(2026, 11, 16), WETTELIJK, [(date(2026, 9, 15), D("20000"))]
    )
    assert worked.total == D("90.14")


def test_interest_is_compounded_at_the_end_of_each_year_across_rate_changes() -> None:
    # due 16 November 2024 on 10,000:
    #   17 Nov - 31 Dec 2024:  45 days at 7%: 10,000 x 0.07 x  45 / 365 =  31,500 / 365 =  86.3014
    #   1 Jan - 30 Jun 2025:  181 days at 6%: 10,000 x 0.06 x 181 / 365 = 108,600 / 365 = 297.5342
    #   1 Jul - 16 Nov 2025:  139 days at 4%: 10,000 x 0.04 x 139 / 365 =  55,600 / 365 = 152.3288
    #   a year: 195,700 / 365 = 536.1644 joins the principal: 10,536.1644
    #   17 Nov - 16 Dec 2025:  30 days at 4%: 10,536.1644 x 0.04 x 30 / 365 = 34.6394
    # 536.1644 + 34.6394 = 570.8038 -> 570.80
    worked = interest_with_payments(D("10000"), date(2024, 11, 16), date(2025, 12, 16), WETTELIJK)
    assert worked.total == D("570.80")
    assert [p.compounded for p in worked.periods] == [False, False, True, False]
    assert worked.periods[-1].base == D("10536.16")
    assert sum(p.interest for p in worked.periods) == worked.total


def test_a_payment_of_everything_stops_the_interest() -> None:
    # 92 days on 37,500 = 378.08 (as above), then nothing: the base never goes below zero
    worked = interest_with_payments(
        D("37500"), date(2026, 6, 30), date(2026, 11, 16), WETTELIJK, [(date(2026, 9, 30), D("50000"))]
    )
    assert worked.total == D("378.08")


def test_no_interest_before_the_day_after_the_due_date() -> None:
    assert interest_with_payments(D("37500"), date(2026, 11, 16), date(2026, 11, 16), WETTELIJK).total == 0


def test_interest_refuses_a_rate_table_that_does_not_reach_back() -> None:
    with pytest.raises(ValueError, match=r"^geen rentestand bekend op 31-12-2019$"):
        interest_with_payments(D("37500"), date(2019, 12, 30), date(2026, 11, 16), WETTELIJK)
