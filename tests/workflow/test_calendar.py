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
    CalendarNotCovered,
    WorkingDayCalendar,
    dutch_calendar,
    load_decrees,
    nl_law_holidays,
)

# Module level, not a fixture: hypothesis refuses function-scoped fixtures, and the cache is the point.
CAL = dutch_calendar()

DECREE_DAYS = [
    date(2020, 5, 22),
    date(2021, 5, 14),
    date(2022, 5, 27),
    date(2023, 4, 28),
    date(2023, 5, 19),
    date(2024, 5, 10),
    date(2024, 12, 27),
    date(2025, 5, 30),
    date(2026, 1, 2),
    date(2026, 5, 15),
    date(2027, 5, 7),
    date(2028, 4, 28),
    date(2028, 5, 26),
]

# The law's holidays without any decree, every year answered: what the decree days add shows against it.
LAW_ONLY = WorkingDayCalendar(nl_law_holidays)


def _decree_file(tmp_path: Path, decrees: list[dict[str, object]]) -> Path:
    path = tmp_path / "decrees.yaml"
    path.write_text(yaml.safe_dump({"decrees": decrees}, allow_unicode=True), encoding="utf-8")
    return path


# --- holidays ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2025, 4, 26), "Koningsdag"),  # Saturday: the package gives the day, it is no working day anyway
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
        (date(2020, 5, 22), "Vrijdag na Hemelvaartsdag (gelijkgesteld)"),
        (date(2023, 4, 28), "Vrijdag na Koningsdag (gelijkgesteld)"),
        (date(2024, 12, 27), "Vrijdag na Tweede kerstdag (gelijkgesteld)"),
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


def test_christmas_on_a_weekend_is_not_moved() -> None:
    # 26 December 2026 is a Saturday: the Atw has no substitute day, so Monday the 28th is a working day.
    assert CAL.holiday_name(date(2026, 12, 26)) == "Tweede kerstdag"
    assert CAL.is_working_day(date(2026, 12, 28))


def test_decree_file_holds_fridays_only_it_makes_holidays() -> None:
    decrees = load_decrees(NL_DECREE_DAYS)
    days = [day for decree in decrees for day in decree.days]
    assert sorted(days) == DECREE_DAYS
    for day in days:
        assert day.weekday() == 4
        assert LAW_ONLY.is_working_day(day), f"{day} is already a holiday in the package"
        assert not CAL.is_working_day(day)


def test_decree_file_covers_2020_to_2028_in_three_decrees_each_with_its_title() -> None:
    decrees = load_decrees(NL_DECREE_DAYS)
    assert [sorted(d.years) for d in decrees] == [[2020, 2021, 2022], [2023, 2024, 2025], [2026, 2027, 2028]]
    assert CAL.covered_years == frozenset(range(2020, 2029))
    for decree in decrees:
        assert decree.source.startswith("Besluit gelijkstelling van ")
        for day in decree.days:
            # the title lists its days: "2 januari 2026, 15 mei 2026, ..."
            assert f"{day.day} " in decree.source and str(day.year) in decree.source


def test_custom_decree_file_adds_days_covers_its_years_and_accepts_quoted_dates(tmp_path: Path) -> None:
    days = [{"date": "2026-06-12", "name": "Testdag"}, {"date": date(2026, 5, 5), "name": "Extra"}]
    cal = dutch_calendar(_decree_file(tmp_path, [{"source": "test", "years": [2026], "days": days}]))
    assert not cal.is_working_day(date(2026, 6, 12))
    assert cal.holiday_name(date(2026, 6, 12)) == "Testdag"
    assert cal.holiday_name(date(2026, 5, 5)) == "Bevrijdingsdag; Extra"
    assert cal.is_working_day(date(2026, 1, 2))  # the default file is not read
    with pytest.raises(CalendarNotCovered, match=re.escape(str(tmp_path / "decrees.yaml"))):
        cal.is_working_day(date(2025, 6, 12))  # nor are its years


_DAY = "    days:\n      - date: 2026-01-02\n        name: X\n"
_B_2026 = "decrees:\n  - source: B\n    years: [2026]\n    days:\n"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("days:\n  - date: 2026-01-02\n", "'decrees' list"),
        ("decrees:\n  - just a title\n", "decree #1 must be a mapping"),
        ("decrees:\n  - years: [2026]\n" + _DAY, "decree #1: 'source'"),
        ("decrees:\n  - source: ' '\n    years: [2026]\n" + _DAY, "decree #1: 'source'"),
        ("decrees:\n  - source: B\n" + _DAY, "decree #1 (B): 'years'"),
        ("decrees:\n  - source: B\n    years: []\n" + _DAY, "'years'"),
        ("decrees:\n  - source: B\n    years: 2026\n" + _DAY, "'years'"),
        ("decrees:\n  - source: B\n    years: [2026, true]\n" + _DAY, "'years'"),
        ("decrees:\n  - source: B\n    years: [2026, 2026]\n" + _DAY, "distinct"),
        ("decrees:\n  - source: B\n    years: [2026]\n", "'days'"),
        ("decrees:\n  - source: B\n    years: [2026]\n    days: []\n", "'days'"),
        (_B_2026 + "      - 2026-01-02\n", "day #1 must be"),
        (_B_2026 + "      - date: 2026-01-02\n", "'name'"),
        (_B_2026 + "      - date: 2026-13-02\n        name: X\n", "month must be in 1..12"),
        (_B_2026 + "      - date: '2026-13-02'\n        name: X\n", "decree #1 (B), day #1: bad date"),
        (_B_2026 + "      - date: 2026-01-02 10:00:00\n        name: X\n", "must be a date"),
        (
            _B_2026 + "      - date: 2027-01-02\n        name: X\n",
            "decree #1 (B), day #1: 2027-01-02 lies outside the decree's years [2026]",
        ),
        (_B_2026 + "      - date: 2026-01-02\n        name: X\n" * 2, "day #2: 2026-01-02 is listed twice"),
        (
            "decrees:\n  - source: A\n    years: [2025, 2026]\n    days:\n      - date: 2025-01-02\n"
            "        name: X\n  - source: B\n    years: [2026, 2027]\n    days:\n      - date: 2027-01-02\n"
            "        name: X\n",
            "decree #2 (B): 2026 is covered by decree #1 already",
        ),
        (
            "decrees:\n  - source: A\n    years: [2026]\n"
            + _DAY
            + "  - source: B\n    years: [2026]\n"
            + _DAY,
            "decree #2 (B): 2026 is covered by decree #1 already",
        ),
        ("decrees: [\n", "cannot read"),
    ],
)
def test_bad_decree_file_is_refused_naming_the_file(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(str(path))) as info:
        load_decrees(path)
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


# --- years the data does not cover -------------------------------------------------------------------


@pytest.mark.parametrize("day", [date(2019, 12, 31), date(2029, 1, 1), date(2029, 1, 6), date(2040, 7, 2)])
def test_a_day_in_an_uncovered_year_is_refused_naming_the_year_and_the_file(day: date) -> None:
    for ask in (CAL.is_working_day, CAL.holiday_name, CAL.next_working_day):
        with pytest.raises(CalendarNotCovered) as info:
            ask(day)
        assert info.value.year == day.year
        assert isinstance(info.value, ValueError)
        message = str(info.value)
        assert message.startswith(f"De kalender kent {day.year} niet: ")
        assert "besluit gelijkstelling" in message and "workflow/data/nl_decree_days.yaml" in message
        assert "2020-2028" in message


def test_counting_into_an_uncovered_year_is_refused_every_time_cache_or_not() -> None:
    cal = dutch_calendar()
    assert cal.add_working_days(date(2028, 12, 20), 4) == date(2028, 12, 28)  # Christmas on Mon and Tue
    for _ in range(2):  # a failed count is not remembered as an answer
        with pytest.raises(CalendarNotCovered, match="kent 2029 niet"):
            cal.add_working_days(date(2028, 12, 28), 2)  # Fri 29, then 1 January 2029 is asked
    with pytest.raises(CalendarNotCovered, match="kent 2019 niet"):
        cal.add_working_days(date(2019, 12, 31), 1)  # counting from an unknown year, too
    for _ in range(2):
        with pytest.raises(CalendarNotCovered, match="kent 2029 niet"):
            cal.add_working_days(date(2029, 3, 1), 0)  # n == 0 asks no day, but the start is unknown


def test_a_count_passing_an_uncovered_year_is_refused() -> None:
    cal = WorkingDayCalendar(nl_law_holidays, covered_years={2026, 2028})
    assert cal.add_working_days(date(2026, 12, 1), 5) == date(2026, 12, 8)
    with pytest.raises(CalendarNotCovered) as info:
        cal.add_working_days(date(2026, 12, 31), 260)  # about a year of working days, ending in 2028
    assert info.value.year == 2027
    assert "geen gegevens" in str(info.value)  # the generic reason


def test_a_statutory_roll_into_an_uncovered_year_is_refused() -> None:
    # Sat 30 Dec 2028: Sunday, then 1 January 2029 would have to be asked.
    with pytest.raises(CalendarNotCovered, match="kent 2029 niet"):
        CAL.roll_forward(date(2028, 12, 28), date(2028, 12, 30))
    with pytest.raises(CalendarNotCovered, match="kent 2019 niet"):
        CAL.roll_forward(date(2019, 12, 31), date(2020, 1, 3))


def test_a_generic_calendar_without_covered_years_answers_every_year() -> None:
    assert LAW_ONLY.covered_years is None
    assert LAW_ONLY.holiday_name(date(2040, 12, 25)) == "Eerste kerstdag"
    assert LAW_ONLY.is_working_day(date(1999, 12, 31))


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


def test_add_working_days_without_the_decree_day() -> None:
    assert LAW_ONLY.add_working_days(date(2025, 12, 31), 1) == date(2026, 1, 2)


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
        # A published example for December 2017, moved to 2023 (Christmas on Monday and Tuesday again):
        # 3 days' cooling-off from Tue 19 Dec ends Fri 22; from Wed 20 Dec it would end Sat 23, past the
        # weekend and both Christmas days to Wed 27 Dec 2023.
        (date(2023, 12, 19), date(2023, 12, 22), date(2023, 12, 22)),
        (date(2023, 12, 20), date(2023, 12, 23), date(2023, 12, 27)),
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

# Covered years only, with room for the longest count (40 working days, 14 days rolled) before 2029.
dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2028, 10, 31))


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
