"""Every day of 2020-2030 against a list of the Atw holidays written here by hand, independent of the
`holidays` package: the law's holidays (art. 3 lid 1 and 2) computed from our own Easter, and the decree
days (art. 3 lid 3) listed literally."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from workflow.calendar import CalendarNotCovered, dutch_calendar

CAL = dutch_calendar()

DECREE_DAYS = {
    date(2020, 5, 22),  # Friday after Ascension
    date(2021, 5, 14),  # Friday after Ascension
    date(2022, 5, 27),  # Friday after Ascension
    date(2023, 4, 28),  # Friday after Koningsdag (Thursday)
    date(2023, 5, 19),  # Friday after Ascension
    date(2024, 5, 10),  # Friday after Ascension
    date(2024, 12, 27),  # Friday after Christmas (Wednesday and Thursday)
    date(2025, 5, 30),  # Friday after Ascension
    date(2026, 1, 2),  # Friday after New Year's Day (Thursday)
    date(2026, 5, 15),  # Friday after Ascension
    date(2027, 5, 7),  # Friday after Ascension
    date(2028, 4, 28),  # Friday after Koningsdag (Thursday)
    date(2028, 5, 26),  # Friday after Ascension
}


def easter(year: int) -> date:
    """Easter Sunday by the anonymous Gregorian algorithm (Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return date(year, month, day + 1)


def law_holidays(year: int) -> set[date]:
    """Atw art. 3 lid 1 and 2 (Easter and Whit Sunday left out: Sundays anyway)."""
    e = easter(year)
    koningsdag = date(year, 4, 27)
    if koningsdag.weekday() == 6:
        koningsdag = date(year, 4, 26)
    return {
        date(year, 1, 1),
        e - timedelta(days=2),  # Goede vrijdag
        e + timedelta(days=1),  # Tweede paasdag
        koningsdag,
        date(year, 5, 5),  # Bevrijdingsdag, every year for the Atw
        e + timedelta(days=39),  # Hemelvaartsdag
        e + timedelta(days=50),  # Tweede pinksterdag
        date(year, 12, 25),
        date(year, 12, 26),
    }


def days_of(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=i) for i in range((date(year + 1, 1, 1) - first).days)]


@pytest.mark.parametrize(
    ("year", "sunday"),
    [
        (2020, date(2020, 4, 12)),
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2029, date(2029, 4, 1)),
        (2030, date(2030, 4, 21)),
        (2038, date(2038, 4, 25)),  # the latest possible
        (2285, date(2285, 3, 22)),  # the earliest possible
    ],
)
def test_the_hand_easter_is_right(year: int, sunday: date) -> None:
    assert easter(year) == sunday


@pytest.mark.parametrize("year", range(2020, 2029))
def test_every_weekday_of_a_covered_year_is_off_exactly_on_the_hand_list(year: int) -> None:
    expected = {d for d in law_holidays(year) | DECREE_DAYS if d.year == year and d.weekday() < 5}
    off = {d for d in days_of(year) if d.weekday() < 5 and not CAL.is_working_day(d)}
    assert off == expected
    assert all(CAL.holiday_name(d) for d in expected)
    assert not any(CAL.is_working_day(d) for d in days_of(year) if d.weekday() >= 5)


@pytest.mark.parametrize("year", [2029, 2030])
def test_every_day_of_a_year_without_a_decree_is_refused(year: int) -> None:
    for d in days_of(year):
        with pytest.raises(CalendarNotCovered, match=f"kent {year} niet") as info:
            CAL.is_working_day(d)
        assert info.value.year == year
    for d in law_holidays(year):  # naming the day is an answer about it too
        with pytest.raises(CalendarNotCovered):
            CAL.holiday_name(d)


def test_a_new_decree_makes_its_years_answerable_with_the_law_holidays(tmp_path: Path) -> None:
    # What adding the next decree does: its days and the law's holidays for 2029-2030, nothing else.
    made_up = {date(2029, 5, 11), date(2030, 5, 31)}  # Fridays after Ascension; not a real decree
    decrees = yaml.safe_load(
        Path(__file__).parents[2].joinpath("workflow/data/nl_decree_days.yaml").read_text()
    )
    decrees["decrees"].append(
        {
            "source": "test",
            "years": [2029, 2030],
            "days": [{"date": d, "name": "Gelijkgestelde testdag"} for d in sorted(made_up)],
        }
    )
    path = tmp_path / "decrees.yaml"
    path.write_text(yaml.safe_dump(decrees, allow_unicode=True), encoding="utf-8")
    cal = dutch_calendar(path)
    for year in (2029, 2030):
        expected = {d for d in law_holidays(year) | made_up if d.year == year and d.weekday() < 5}
        assert {d for d in days_of(year) if d.weekday() < 5 and not cal.is_working_day(d)} == expected
        assert all(cal.holiday_name(d) for d in law_holidays(year))
    with pytest.raises(CalendarNotCovered, match="kent 2031 niet"):
        cal.is_working_day(date(2031, 1, 2))


def test_2019_12_31_is_refused() -> None:
    with pytest.raises(CalendarNotCovered) as info:
        CAL.is_working_day(date(2019, 12, 31))
    assert info.value.year == 2019
    assert str(info.value).startswith(
        "De kalender kent 2019 niet: er is voor dat jaar geen besluit gelijkstelling"
    )
