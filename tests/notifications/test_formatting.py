"""Dutch amounts and moments, the one module letters, e-mails, pages and exports write them with: exactly
what babel's formatters write, a float refused, stored UTC moments shown in Amsterdam time."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from babel.numbers import format_currency
from hypothesis import given, settings
from hypothesis import strategies as st

from notifications.formatting import day_month, euro, local_moment, long_date, long_moment, month_year

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("125000.00"), "€ 125.000,00"),
        (Decimal("0.5"), "€ 0,50"),
        (Decimal("1800000"), "€ 1.800.000,00"),
        (Decimal("-2500.00"), "€ -2.500,00"),
        (Decimal("-7.5"), "€ -7,50"),
    ],
)
def test_euro(amount: Decimal, shown: str) -> None:
    assert euro(amount) == shown


def test_euro_refuses_a_float() -> None:
    with pytest.raises(TypeError, match="float"):
        euro(12.5)  # type: ignore[arg-type]


def test_local_moment_is_amsterdam_time() -> None:
    assert local_moment(datetime(2025, 10, 23, 14, 0, tzinfo=UTC), AMSTERDAM) == "23-10-2025 16:00"
    assert local_moment(datetime(2026, 1, 7, 9, 0, tzinfo=UTC), AMSTERDAM) == "07-01-2026 10:00"


def test_long_dates_and_moments_are_written_out() -> None:
    assert long_date(date(2025, 10, 23)) == "23 oktober 2025"
    # 23:30 UTC is already the next day in Amsterdam
    late = datetime(2025, 10, 23, 23, 30, tzinfo=UTC)
    assert long_date(late, AMSTERDAM) == "24 oktober 2025"
    assert long_date(late) == "23 oktober 2025"
    assert long_moment(late, AMSTERDAM) == "24 oktober 2025 01:30"
    assert long_moment(datetime(2025, 3, 30, 1, 0, tzinfo=UTC), AMSTERDAM) == "30 maart 2025 03:00"  # summer


def test_chart_axis_labels_are_short() -> None:
    assert day_month(date(2025, 10, 23)) == "23 okt"
    assert month_year(date(2025, 3, 1)) == "mrt 2025"


@settings(max_examples=400, deadline=None)
@given(st.decimals(min_value=Decimal("-10000000000"), max_value=Decimal("10000000000"), places=2))
def test_euro_writes_exactly_what_babels_formatter_writes(amount: Decimal) -> None:
    # euro() reads the locale's symbols from babel once instead of formatting through babel each time
    expected = format_currency(abs(amount), "EUR", format="¤ #,##0.00", locale="nl_NL")
    assert euro(amount) == (expected.replace("€ ", "€ -", 1) if amount < 0 else expected)


@settings(max_examples=400, deadline=None)
@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)))
def test_long_date_writes_exactly_what_babels_formatter_writes(day: date) -> None:
    assert long_date(day) == format_date(day, format="long", locale="nl_NL")


@settings(max_examples=400, deadline=None)
@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 12, 31), timezones=st.just(UTC)))
def test_moments_write_exactly_what_strftime_writes(moment: datetime) -> None:
    # written from the moment's fields (strftime cost four times the rest on a long timeline)
    local = moment.astimezone(AMSTERDAM)
    assert local_moment(moment, AMSTERDAM) == local.strftime("%d-%m-%Y %H:%M")
    assert long_moment(moment, AMSTERDAM) == f"{long_date(local.date())} {local.strftime('%H:%M')}"
