"""Buitengerechtelijke incassokosten by the staffel of the Besluit (art. 2), worked out by hand, and the
commercial EUR 40 per late-paid invoice (6:96 lid 4 BW)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from claims.money.collection_costs import (
    B2B_LUMP_SUM,
    BIK_SCALE,
    TierAmount,
    bik_scale,
    commercial_lump_sum,
)

D = Decimal


@pytest.mark.parametrize(
    ("principal", "expected"),
    [
        # 15% x 100 = 15.00, below the minimum: 40.00
        ("100", "40.00"),
        # 15% x 2,500 = 375.00
        ("2500", "375.00"),
        # 375 + 10% x 2,500 = 375 + 250 = 625.00
        ("5000", "625.00"),
        # 625 + 5% x 5,000 = 625 + 250 = 875.00
        ("10000", "875.00"),
        # 875 + 1% x 177,500 (10,000..187,500) = 875 + 1,775 = 2,650.00
        ("187500", "2650.00"),
        # 875 + 1% x 190,000 = 875 + 1,900 = 2,775.00
        ("200000", "2775.00"),
        # 2,775 + 0.5% x 800,000 = 2,775 + 4,000 = 6,775.00: the maximum reached exactly
        ("1000000", "6775.00"),
        # 2,775 + 0.5% x 1,300,000 = 2,775 + 6,500 = 9,275.00, capped at 6,775.00
        ("1500000", "6775.00"),
        # 15% x 266.66 = 39.999 -> 40.00 by rounding, the minimum not needed
        ("266.66", "40.00"),
        # 375 + 10% x 0.05 = 375.005 -> 375.01 (half-up; half-even would give 375.00)
        ("2500.05", "375.01"),
        # 875 + 1% x 0.50 = 875.005 -> 875.01
        ("10000.50", "875.01"),
    ],
)
def test_the_staffel(principal: str, expected: str) -> None:
    assert bik_scale(D(principal)).amount == D(expected)


def test_each_tier_is_listed_for_the_page() -> None:
    result = bik_scale(D("187500"))
    assert result.tiers == (
        TierAmount(D("0.00"), D("2500.00"), D("15"), D("375.00")),
        TierAmount(D("2500.00"), D("5000.00"), D("10"), D("250.00")),
        TierAmount(D("5000.00"), D("10000.00"), D("5"), D("250.00")),
        TierAmount(D("10000.00"), D("187500.00"), D("1"), D("1775.00")),
    )
    assert result.scale_total == sum(t.amount for t in result.tiers) == D("2650.00")
    assert not result.minimum_applied and not result.maximum_applied
    assert "Besluit vergoeding voor buitengerechtelijke incassokosten" in result.source


def test_a_principal_within_the_first_tier_lists_one_tier() -> None:
    # 15% x 100 = 15.00; the minimum sets the amount
    result = bik_scale(D("100"))
    assert result.tiers == (TierAmount(D("0.00"), D("100.00"), D("15"), D("15.00")),)
    assert (result.scale_total, result.amount, result.minimum_applied) == (D("15.00"), D("40.00"), True)


def test_above_the_maximum_the_scale_is_shown_and_the_cap_applied() -> None:
    # 0.5% x (1,500,000 - 200,000) = 6,500.00 in the last tier; 9,275.00 in all, capped at 6,775.00
    result = bik_scale(D("1500000"))
    assert result.tiers[-1] == TierAmount(D("200000.00"), D("1500000.00"), D("0.5"), D("6500.00"))
    assert (result.scale_total, result.amount, result.maximum_applied) == (D("9275.00"), D("6775.00"), True)
    # exactly at the maximum is not capped
    assert not bik_scale(D("1000000")).maximum_applied


@pytest.mark.parametrize("principal", ["0", "-100", "0.00"])
def test_no_principal_is_refused_rather_than_given_the_minimum(principal: str) -> None:
    with pytest.raises(ValueError, match="above zero"):
        bik_scale(D(principal))


def test_a_principal_in_fractions_of_a_cent_is_refused() -> None:
    with pytest.raises(ValueError, match="whole number of cents"):
        bik_scale(D("100.005"))


def test_the_scale_is_data_with_its_source() -> None:
    assert [(t.upto, t.percent) for t in BIK_SCALE.tiers] == [
        (D("2500"), D("15")),
        (D("5000"), D("10")),
        (D("10000"), D("5")),
        (D("200000"), D("1")),
        (None, D("0.5")),
    ]
    assert (BIK_SCALE.minimum, BIK_SCALE.maximum) == (D("40.00"), D("6775.00"))
    assert "art. 2" in BIK_SCALE.source


@pytest.mark.parametrize(("invoices", "expected"), [(0, "0.00"), (1, "40.00"), (3, "120.00")])
def test_the_commercial_lump_sum_is_per_invoice(invoices: int, expected: str) -> None:
    # 40.00 for each late-paid invoice: 3 invoices = 3 x 40 = 120.00
    assert commercial_lump_sum(invoices) == D(expected)
    assert D("40.00") == B2B_LUMP_SUM


def test_a_negative_invoice_count_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        commercial_lump_sum(-1)
