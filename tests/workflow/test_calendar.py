from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from workflow.calendar import (
    NL_DECREE_DAYS,
    WorkingDayCalendar,
    dutch_calendar,
    load_decree_days,
)

# Module level, not a fixture: hypothesis refuses function-scoped fixtures, and the cache is the point.
CAL = dutch_calendar()

DECREE_DAYS = [date(2026, 1, 2), date(2026, 5, 15), date(2027, 5, 7), date(2028, 4, 28), date(2028, 5, 26)]


def _empty_decree_file(tmp_path: Path) -> Path:
    path = tmp_path / "none.yaml"
    path.write_text("days: []\n", encoding="utf-8")
    return path


# --- holidays ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2025, 4, 26), "Koningsdag"),  # Saturday: the package gives the day, it is no working day anyway
        (date(2014, 4, 26), "Koningsdag"),  # 27 April 2014 was a Sunday
        (date(2026, 4, 27), "Koningsdag"),  # Monday
        (date(2026, 1, 1), "Nieuwjaarsdag"),
        (date(2026, 4, 3), "Goede vrijdag"),
        (date(2026, 4, 6), "Tweede paasdag"),
        (date(2026, 5, 5), "Bevrijdingsdag"),  # not a lustrum year: only in OPTIONAL
        (date(2027, 5, 5), "Bevrijdingsdag"),
        (date(2025, 5, 5), "Bevrijdingsdag"),  # lustrum year: in PUBLIC and OPTIONAL, named once
        (date(2026, 5, 14), "Hemelvaartsdag"),
        (date(2026, 5, 25), "Tweede pinksterdag"),
        (date(2025, 12, 25), "Eerste kerstdag"),
        (date(2025, 12, 26), "Tweede kerstdag"),
        (date(2026, 1, 2), "Vrijdag na Nieuwjaarsdag (gelijkgesteld)"),
        (date(2026, 5, 15), "Vrijdag na Hemelvaartsdag (gelijkgesteld)"),
        (date(2027, 5, 7), "Vrijdag na Hemelvaartsdag (gelijkgesteld)"),
        (date(2028, 4, 28), "Vrijdag na Koningsdag (gelijkgesteld)"),
        (date(2028, 5, 26), "Vrijdag na Hemelvaartsdag (gelijkgesteld)"),
    ],
)
def test_known_holidays(day: date, name: str) -> None:
    assert CAL.holiday_name(day) == name
    assert not CAL.is_working_day(day)


@pytest.mark.parametrize(
    "day",
    [
        date(2025, 4, 28),  # Monday after Koningsdag on Saturday 26 April 2025: no shift to Monday
        date(2026, 4, 2),  # Thursday before Good Friday
        date(2026, 4, 7),  # Tuesday after Easter Monday
        date(2026, 4, 28),  # Tuesday after Koningsdag
        date(2026, 5, 6),  # Wednesday after Bevrijdingsdag
        date(2026, 5, 18),  # Monday after the Ascension decree day
        date(2025, 12, 29),  # between Christmas and New Year
        date(2026, 1, 5),  # Monday after the 2 January decree day
    ],
)
def test_working_days(day: date) -> None:
    assert CAL.is_working_day(day)
    assert CAL.holiday_name(day) is None


def test_weekends_are_not_working_days_and_not_named() -> None:
    assert not CAL.is_working_day(date(2026, 6, 13))  # Saturday
    assert not CAL.is_working_day(date(2026, 6, 14))  # Sunday
    assert CAL.holiday_name(date(2026, 6, 13)) is None
    assert CAL.holiday_name(date(2025, 4, 27)) is None  # Sunday 27 April 2025: Koningsdag was the 26th
    assert CAL.holiday_name(date(2014, 4, 27)) is None


def test_christmas_on_a_weekend_is_not_moved() -> None:
    # 26 December 2026 is a Saturday: the Atw has no substitute day, so Monday the 28th is a working day.
    assert CAL.holiday_name(date(2026, 12, 26)) == "Tweede kerstdag"
    assert CAL.is_working_day(date(2026, 12, 28))


def test_decree_file_holds_fridays_only_it_makes_holidays(tmp_path: Path) -> None:
    days = load_decree_days(NL_DECREE_DAYS)
    assert sorted(days) == DECREE_DAYS
    package_only = dutch_calendar(_empty_decree_file(tmp_path))
    for day in days:
        assert day.weekday() == 4
        assert package_only.is_working_day(day), f"{day} is already a holiday in the package"
        assert not CAL.is_working_day(day)


def test_custom_decree_file_adds_days_and_accepts_quoted_dates(tmp_path: Path) -> None:
    path = tmp_path / "decree.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "days": [
                    {"date": "2026-06-12", "name": "Testdag", "source": "test"},
                    {"date": date(2026, 5, 5), "name": "Extra", "source": "test"},
                ]
            }
        ),
        encoding="utf-8",
    )
    cal = dutch_calendar(path)
    assert not cal.is_working_day(date(2026, 6, 12))
    assert cal.holiday_name(date(2026, 6, 12)) == "Testdag"
    assert cal.holiday_name(date(2026, 5, 5)) == "Bevrijdingsdag; Extra"
    assert cal.is_working_day(date(2026, 1, 2))  # the default file is not read


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("- 2026-01-02\n", "'days' list"),
        ("days:\n  - date: 2026-01-02\n    name: X\n", "'source'"),
        ("days:\n  - date: 2026-01-02\n    source: X\n", "'name'"),
        ("days:\n  - date: 2026-13-02\n    name: X\n    source: Y\n", "month must be in 1..12"),
        ("days:\n  - date: '2026-13-02'\n    name: X\n    source: Y\n", "bad date"),
        ("days:\n  - date: 2026-01-02 10:00:00\n    name: X\n    source: Y\n", "must be a date"),
        (
            "days:\n  - date: 2026-01-02\n    name: X\n    source: Y\n  - date: 2026-01-02\n    name: X\n"
            "    source: Y\n",
            "listed twice",
        ),
        ("days: [\n", "cannot read"),
    ],
)
def test_bad_decree_file_is_refused_naming_the_file(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(str(path))) as info:
        load_decree_days(path)
    assert problem in str(info.value)


def test_missing_decree_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read"):
        dutch_calendar(tmp_path / "absent.yaml")


def test_provider_is_asked_once_per_year() -> None:
    calls: list[int] = []

    def provider(year: int) -> dict[date, str]:
        calls.append(year)
        return {date(year, 3, 4): "Testdag"}

    cal = WorkingDayCalendar(provider, {date(2031, 6, 6): "Extra"})
    for _ in range(3):
        assert not cal.is_working_day(date(2030, 3, 4))  # Monday, the provider's holiday
        assert cal.is_working_day(date(2030, 3, 5))
        assert not cal.is_working_day(date(2030, 3, 3))  # Sunday
        assert cal.holiday_name(date(2031, 6, 6)) == "Extra"
    assert calls == [2030, 2031]


# --- add_working_days / next_working_day ------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 4, 2), 0, date(2026, 4, 2)),
        (date(2026, 4, 4), 0, date(2026, 4, 4)),  # a Saturday stays itself for n == 0
        (date(2026, 4, 2), 1, date(2026, 4, 7)),  # Good Friday, weekend, Easter Monday
        (date(2026, 4, 1), 3, date(2026, 4, 8)),  # Thu 2, Tue 7, Wed 8
        (date(2026, 5, 13), 1, date(2026, 5, 18)),  # Ascension and the decree Friday
        (date(2025, 12, 24), 4, date(2026, 1, 5)),  # Mon 29, Tue 30, Wed 31, then 1 and 2 Jan are off
        (date(2025, 12, 31), 1, date(2026, 1, 5)),
        (date(2026, 6, 12), 5, date(2026, 6, 19)),  # an ordinary week
    ],
)
def test_add_working_days(start: date, n: int, expected: date) -> None:
    assert CAL.add_working_days(start, n) == expected


def test_add_working_days_without_the_decree_day(tmp_path: Path) -> None:
    assert dutch_calendar(_empty_decree_file(tmp_path)).add_working_days(date(2025, 12, 31), 1) == date(
        2026, 1, 2
    )


def test_add_working_days_refuses_negative() -> None:
    with pytest.raises(ValueError):
        CAL.add_working_days(date(2026, 4, 2), -1)


def test_next_working_day() -> None:
    assert CAL.next_working_day(date(2026, 4, 28)) == date(2026, 4, 28)
    assert CAL.next_working_day(date(2026, 4, 25)) == date(2026, 4, 28)  # Sat, Sun, Koningsdag Monday
    assert CAL.next_working_day(date(2026, 12, 25)) == date(2026, 12, 28)


# --- roll_forward (Algemene termijnenwet) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # art. 1: ends on a Saturday -> Monday
        (date(2026, 6, 1), date(2026, 6, 6), date(2026, 6, 8)),
        # art. 1: ends on Good Friday -> Tuesday (weekend and Easter Monday in between)
        (date(2026, 3, 30), date(2026, 4, 3), date(2026, 4, 7)),
        # 3-day term Thu 23 -> Sun 26 April 2026: art. 1 skips Sunday and Koningsdag (Mon 27) -> Tue 28;
        # the term then holds Fri 24 and Tue 28, two working days, so art. 2 adds nothing.
        (date(2026, 4, 23), date(2026, 4, 26), date(2026, 4, 28)),
        # 3-day term Fri 24 -> Mon 27 April 2026 (Koningsdag): art. 1 gives Tue 28, the only working day
        # in the term; art. 2 wants two -> Wed 29.
        (date(2026, 4, 24), date(2026, 4, 27), date(2026, 4, 29)),
        # 3-day term Fri 12 -> Mon 15 June 2026: ends on a working day but holds one -> art. 2: Tue 16.
        (date(2026, 6, 12), date(2026, 6, 15), date(2026, 6, 16)),
        # 3-day term Thu 2 -> Sun 5 April 2026: Good Friday, weekend; art. 1 -> Tue 7, art. 2 -> Wed 8.
        (date(2026, 4, 2), date(2026, 4, 5), date(2026, 4, 8)),
        # 2-day terms: art. 2 does not apply, art. 1 does.
        (date(2026, 6, 13), date(2026, 6, 15), date(2026, 6, 15)),
        (date(2026, 6, 12), date(2026, 6, 14), date(2026, 6, 15)),
        # A published example: 3 days' cooling-off from Tue 19 Dec 2017 ends Fri 22; from Wed 20 Dec it
        # would end Sat 23, past both Christmas days to Wed 27 Dec 2017.
        (date(2017, 12, 19), date(2017, 12, 22), date(2017, 12, 22)),
        (date(2017, 12, 20), date(2017, 12, 23), date(2017, 12, 27)),
        # Bevrijdingsdag Wed 5 May 2027, Ascension Thu 6, decree Fri 7, weekend -> Mon 10 May 2027.
        (date(2027, 4, 26), date(2027, 5, 5), date(2027, 5, 10)),
        # A working day end with enough working days is left alone.
        (date(2026, 6, 1), date(2026, 6, 10), date(2026, 6, 10)),
    ],
)
def test_roll_forward(start: date, end: date, expected: date) -> None:
    assert CAL.roll_forward(start, end) == expected


def test_roll_forward_refuses_counting_back() -> None:
    with pytest.raises(ValueError, match="forward"):
        CAL.roll_forward(date(2026, 6, 10), date(2026, 6, 1))


# --- properties -------------------------------------------------------------------------------------

dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2040, 12, 31))


@given(dates, st.integers(min_value=0, max_value=40))
def test_add_working_days_lands_on_working_days_and_increases(d: date, n: int) -> None:
    here = CAL.add_working_days(d, n)
    after = CAL.add_working_days(d, n + 1)
    assert CAL.is_working_day(after)
    assert after > here
    if n >= 1:
        assert CAL.is_working_day(here)
    # no working day is skipped between two consecutive results
    assert all(not CAL.is_working_day(here + timedelta(days=i)) for i in range(1, (after - here).days))


@given(dates, st.integers(min_value=0, max_value=14))
def test_roll_forward_ends_on_a_working_day_holding_two_when_three_or_more(d: date, length: int) -> None:
    end = d + timedelta(days=length)
    rolled = CAL.roll_forward(d, end)
    assert rolled >= end
    assert CAL.is_working_day(rolled)
    if length >= 3:
        held = sum(CAL.is_working_day(d + timedelta(days=i)) for i in range(1, (rolled - d).days + 1))
        assert held >= 2
    if CAL.is_working_day(end) and (length < 3 or CAL.add_working_days(d, 2) <= end):
        assert rolled == end
