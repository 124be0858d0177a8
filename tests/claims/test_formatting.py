"""Amounts and moments as Dutch users read them."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from claims.formatting import euro, local_moment


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("125000.00"), "€ 125.000,00"),
        (Decimal("0.5"), "€ 0,50"),
        (Decimal("1800000"), "€ 1.800.000,00"),
        (Decimal("-2500.00"), "€ -2.500,00"),
    ],
)
def test_euro(amount: Decimal, shown: str) -> None:
    assert euro(amount) == shown


def test_local_moment_is_amsterdam_time() -> None:
    tz = ZoneInfo("Europe/Amsterdam")
    assert local_moment(datetime(2025, 10, 23, 14, 0, tzinfo=UTC), tz) == "23-10-2025 16:00"
    assert local_moment(datetime(2026, 1, 7, 9, 0, tzinfo=UTC), tz) == "07-01-2026 10:00"
