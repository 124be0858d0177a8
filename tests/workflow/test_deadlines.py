from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from workflow.calendar import dutch_calendar
from workflow.deadlines import base_from_date, compute_due, end_of_day, time_left
from workflow.spec import DeadlineSpec

AMS = ZoneInfo("Europe/Amsterdam")
CAL = dutch_calendar()


def spec(amount: int, unit: str, statutory: bool = False) -> DeadlineSpec:
    return DeadlineSpec(name="t", label="t", amount=amount, unit=unit, statutory=statutory)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def assert_utc(value: datetime) -> None:
    assert value.tzinfo is UTC


# --- hours ------------------------------------------------------------------------------------------


def test_72_hours_over_the_spring_dst_change_is_72_elapsed_hours() -> None:
    base = datetime(2026, 3, 27, 10, 0, tzinfo=AMS)  # CET, 09:00 UTC; clocks go forward on Sun 29 March
    due = compute_due(spec(72, "hours"), base, CAL)
    assert_utc(due)
    assert due == utc(2026, 3, 30, 9, 0)
    assert due - base == timedelta(hours=72)
    assert due.astimezone(AMS).hour == 11  # the wall clock shows one hour more


def test_hours_over_the_autumn_dst_change() -> None:
    base = datetime(2026, 10, 24, 10, 0, tzinfo=AMS)  # CEST, 08:00 UTC; clocks go back on Sun 25 October
    due = compute_due(spec(72, "hours"), base, CAL)
    assert due == utc(2026, 10, 27, 8, 0)
    assert due.astimezone(AMS).hour == 9


def test_hours_do_not_roll_past_weekends_or_holidays() -> None:
    base = datetime(2026, 4, 2, 12, 0, tzinfo=AMS)  # Thursday before Easter
    assert compute_due(spec(24, "hours", statutory=True), base, CAL) == utc(2026, 4, 3, 10, 0)  # Good Friday


# --- working days -----------------------------------------------------------------------------------


def test_working_days_are_due_at_end_of_local_day_in_utc() -> None:
    base = datetime(2026, 4, 2, 15, 0, tzinfo=AMS)  # Thursday; Good Friday and Easter Monday follow
    due = compute_due(spec(2, "working_days"), base, CAL)
    assert_utc(due)
    assert due == utc(2026, 4, 8, 21, 59, 59)  # Wed 8 April 23:59:59 CEST
    assert due.astimezone(AMS) == datetime(2026, 4, 8, 23, 59, 59, tzinfo=AMS)


def test_working_days_count_from_the_local_date_of_base() -> None:
    # 23:30 UTC on 1 April is already 2 April in Amsterdam.
    due = compute_due(spec(2, "working_days"), utc(2026, 4, 1, 23, 30), CAL)
    assert due == utc(2026, 4, 8, 21, 59, 59)
    # 21:30 UTC on 1 April is still 1 April: Thu 2, Tue 7.
    assert compute_due(spec(2, "working_days"), utc(2026, 4, 1, 21, 30), CAL) == utc(2026, 4, 7, 21, 59, 59)


def test_working_days_over_christmas_and_the_decree_day_in_winter_time() -> None:
    base = datetime(2025, 12, 24, 9, 0, tzinfo=AMS)
    due = compute_due(spec(4, "working_days"), base, CAL)
    assert due == utc(2026, 1, 5, 22, 59, 59)  # Mon 5 January 23:59:59 CET


# --- calendar terms ---------------------------------------------------------------------------------


def test_three_years_statutory_from_29_april_2023() -> None:
    # 7:942 BW: 3 years; 29 April 2026 is a Wednesday and no holiday, so the Atw changes nothing.
    due = compute_due(spec(3, "years", statutory=True), base_from_date(date(2023, 4, 29)), CAL)
    assert_utc(due)
    assert due == utc(2026, 4, 29, 21, 59, 59)


def test_three_years_statutory_ending_on_koningsdag_moves_to_tuesday() -> None:
    base = base_from_date(date(2023, 4, 27))
    assert compute_due(spec(3, "years", statutory=True), base, CAL) == utc(2026, 4, 28, 21, 59, 59)
    assert compute_due(spec(3, "years"), base, CAL) == utc(2026, 4, 27, 21, 59, 59)


def test_a_year_from_a_leap_day_ends_on_28_february() -> None:
    base = base_from_date(date(2024, 2, 29))
    assert compute_due(spec(1, "years", statutory=True), base, CAL) == utc(2025, 2, 28, 22, 59, 59)


@pytest.mark.parametrize(
    ("start", "months", "statutory", "expected_local"),
    [
        (date(2026, 1, 31), 1, False, date(2026, 2, 28)),  # clamped; a Saturday
        (date(2026, 1, 31), 1, True, date(2026, 3, 2)),  # rolled to Monday
        (date(2025, 11, 30), 3, False, date(2026, 2, 28)),  # across the year end
        (date(2025, 12, 15), 3, False, date(2026, 3, 15)),
        (date(2026, 10, 31), 2, False, date(2026, 12, 31)),
        (date(2026, 3, 31), 1, False, date(2026, 4, 30)),
    ],
)
def test_months(start: date, months: int, statutory: bool, expected_local: date) -> None:
    due = compute_due(spec(months, "months", statutory), base_from_date(start), CAL)
    assert due == end_of_day(expected_local)
    assert due.astimezone(AMS).date() == expected_local


def test_calendar_days_statutory_ending_on_good_friday() -> None:
    base = datetime(2026, 3, 20, 16, 0, tzinfo=AMS)  # Friday
    assert compute_due(spec(14, "calendar_days"), base, CAL) == utc(2026, 4, 3, 21, 59, 59)
    assert compute_due(spec(14, "calendar_days", statutory=True), base, CAL) == utc(2026, 4, 7, 21, 59, 59)


def test_weeks_statutory_ending_on_koningsdag() -> None:
    base = datetime(2026, 4, 13, 9, 0, tzinfo=AMS)  # Monday
    assert compute_due(spec(2, "weeks"), base, CAL) == utc(2026, 4, 27, 21, 59, 59)
    assert compute_due(spec(2, "weeks", statutory=True), base, CAL) == utc(2026, 4, 28, 21, 59, 59)


def test_short_statutory_term_gets_art_2() -> None:
    base = datetime(2026, 6, 12, 9, 0, tzinfo=AMS)  # Friday; 3 days end Monday with one working day
    assert compute_due(spec(3, "calendar_days", statutory=True), base, CAL) == utc(2026, 6, 16, 21, 59, 59)


def test_other_zone() -> None:
    due = compute_due(spec(1, "calendar_days"), utc(2026, 6, 1, 12, 0), CAL, tz=ZoneInfo("UTC"))
    assert due == utc(2026, 6, 2, 23, 59, 59)


# --- refusals ---------------------------------------------------------------------------------------


def test_naive_base_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        compute_due(spec(2, "working_days"), datetime(2026, 4, 2, 15, 0), CAL)


def test_unknown_unit_is_refused() -> None:
    with pytest.raises(ValueError, match="fortnights"):
        compute_due(spec(2, "fortnights"), utc(2026, 4, 2, 15, 0), CAL)


# --- helpers ----------------------------------------------------------------------------------------


def test_base_from_date_is_local_midnight_in_utc() -> None:
    assert base_from_date(date(2026, 4, 29)) == utc(2026, 4, 28, 22, 0)
    assert base_from_date(date(2026, 1, 15)) == utc(2026, 1, 14, 23, 0)
    assert_utc(base_from_date(date(2026, 1, 15)))


def test_time_left_is_elapsed_time_even_within_one_zone() -> None:
    due = datetime(2026, 3, 30, 10, 0, tzinfo=AMS)
    now = datetime(2026, 3, 27, 10, 0, tzinfo=AMS)
    assert time_left(due, now) == timedelta(hours=71)  # the spring DST night is an hour short
    assert time_left(now, due) == timedelta(hours=-71)


def test_time_left_refuses_naive() -> None:
    with pytest.raises(ValueError):
        time_left(utc(2026, 1, 1), datetime(2026, 1, 1))
