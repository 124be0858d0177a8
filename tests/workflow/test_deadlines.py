from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from workflow.calendar import CalendarNotCovered, WorkingDayCalendar, dutch_calendar, nl_law_holidays
from workflow.deadlines import (
    DueMoment,
    atw_applies,
    base_from_date,
    compute_due,
    dutch_date,
    dutch_day_and_date,
    end_of_day,
    explain_due,
    time_left,
)
from workflow.spec import DeadlineSpec

AMS = ZoneInfo("Europe/Amsterdam")
CAL = dutch_calendar()
# Knows no year at all: a term computed with it proves the calendar was never asked.
NO_YEAR = WorkingDayCalendar(nl_law_holidays, covered_years=())


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


def test_three_years_statutory_ending_on_koningsdag_stays_on_koningsdag() -> None:
    # Art. 4 Atw: longer than three months, so no art. 1 (this test expected Tuesday the 28th before).
    base = base_from_date(date(2023, 4, 27))
    assert compute_due(spec(3, "years", statutory=True), base, CAL) == utc(2026, 4, 27, 21, 59, 59)
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


# --- art. 4 Atw: where the Atw applies --------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "unit", "statutory", "applies"),
    [
        (90, "calendar_days", True, True),
        (91, "calendar_days", True, False),
        (12, "weeks", True, True),
        (13, "weeks", True, False),
        (3, "months", True, True),
        (4, "months", True, False),
        (1, "years", True, False),
        (2, "working_days", True, False),  # counted on working days already
        (24, "hours", True, False),
        (1, "hours", True, False),
        (14, "calendar_days", False, False),  # a service term
        (1, "months", False, False),
    ],
)
def test_atw_applies_per_art_4(amount: int, unit: str, statutory: bool, applies: bool) -> None:
    assert atw_applies(spec(amount, unit, statutory)) is applies


def test_the_7_942_term_of_three_years_ends_on_its_own_saturday_without_asking_the_calendar() -> None:
    # From Tuesday 10 February 2026; 10 February 2029 is a Saturday, and 2029 has no decree yet.
    base = base_from_date(date(2026, 2, 10))
    for calendar in (CAL, NO_YEAR):
        due = explain_due(spec(3, "years", statutory=True), base, calendar)
        assert due.at == utc(2029, 2, 10, 22, 59, 59)
        assert due.at.astimezone(AMS).date() == date(2029, 2, 10)
    assert due.rule == "3 jaar vanaf 10-02-2026; art. 4 Atw: langer dan drie maanden, eindigt op de eigen dag"


def test_six_months_statutory_ends_on_its_own_saturday() -> None:
    due = explain_due(spec(6, "months", statutory=True), base_from_date(date(2026, 10, 10)), NO_YEAR)
    assert due.at == end_of_day(date(2027, 4, 10))  # Saturday, not Monday 12 April
    assert (
        due.rule == "6 maanden vanaf 10-10-2026; art. 4 Atw: langer dan drie maanden, eindigt op de eigen dag"
    )


def test_three_months_statutory_ending_on_a_saturday_moves_to_monday() -> None:
    due = explain_due(spec(3, "months", statutory=True), base_from_date(date(2026, 10, 9)), CAL)
    assert due.at == end_of_day(date(2027, 1, 11))
    assert due.rule == "3 maanden vanaf 09-10-2026; art. 1 Atw: zaterdag 09-01-2027 wordt maandag 11-01-2027"


def test_90_days_are_extended_and_91_are_not() -> None:
    base = base_from_date(date(2026, 5, 31))  # Sunday
    ninety = explain_due(spec(90, "calendar_days", statutory=True), base, CAL)
    assert ninety.at == end_of_day(date(2026, 8, 31))
    assert (
        ninety.rule == "90 dagen vanaf 31-05-2026; art. 1 Atw: zaterdag 29-08-2026 wordt maandag 31-08-2026"
    )
    longer = explain_due(spec(91, "calendar_days", statutory=True), base, NO_YEAR)
    assert longer.at == end_of_day(date(2026, 8, 30))  # a Sunday
    assert (
        longer.rule == "91 dagen vanaf 31-05-2026; art. 4 Atw: langer dan 90 dagen, eindigt op de eigen dag"
    )


def test_12_weeks_are_extended_and_13_are_not() -> None:
    base = base_from_date(date(2026, 3, 7))  # Saturday
    twelve = explain_due(spec(12, "weeks", statutory=True), base, CAL)
    assert twelve.at == end_of_day(date(2026, 6, 1))
    assert (
        twelve.rule == "12 weken vanaf 07-03-2026; art. 1 Atw: zaterdag 30-05-2026 wordt maandag 01-06-2026"
    )
    longer = explain_due(spec(13, "weeks", statutory=True), base, NO_YEAR)
    assert longer.at == end_of_day(date(2026, 6, 6))  # a Saturday
    assert (
        longer.rule
        == "13 weken vanaf 07-03-2026; art. 4 Atw: langer dan twaalf weken, eindigt op de eigen dag"
    )


def test_two_weeks_statutory_ending_on_koningsdag_names_it() -> None:
    due = explain_due(spec(2, "weeks", statutory=True), datetime(2026, 4, 13, 9, 0, tzinfo=AMS), CAL)
    assert due.at == end_of_day(date(2026, 4, 28))
    assert due.counted_from == date(2026, 4, 13)
    assert due.rule == (
        "2 weken vanaf 13-04-2026; art. 1 Atw: maandag 27-04-2026 (Koningsdag) wordt dinsdag 28-04-2026"
    )


def test_a_statutory_end_on_a_working_day_is_kept_and_said_so() -> None:
    due = explain_due(spec(2, "weeks", statutory=True), base_from_date(date(2026, 6, 1)), CAL)
    assert due.at == end_of_day(date(2026, 6, 15))
    assert due.rule == "2 weken vanaf 01-06-2026; Atw: maandag 15-06-2026 is een werkdag, geen verlenging"


def test_art_2_extends_a_short_term_to_two_working_days() -> None:
    # Fri 12 June 2026 + 3 days = Monday 15, the only working day in the term.
    due = explain_due(spec(3, "calendar_days", statutory=True), base_from_date(date(2026, 6, 12)), CAL)
    assert due.at == end_of_day(date(2026, 6, 16))
    assert (
        due.rule == "3 dagen vanaf 12-06-2026; art. 2 Atw: verlengd tot dinsdag 16-06-2026 (twee werkdagen)"
    )


def test_art_1_and_2_together() -> None:
    # Fri 24 April 2026 + 3 days = Koningsdag; art. 1 alone would give Tuesday 28, art. 2 wants a second.
    due = explain_due(spec(3, "calendar_days", statutory=True), base_from_date(date(2026, 4, 24)), CAL)
    assert due.at == end_of_day(date(2026, 4, 29))
    assert due.rule == (
        "3 dagen vanaf 24-04-2026; art. 1 en 2 Atw: maandag 27-04-2026 (Koningsdag) wordt woensdag 29-04-2026"
        " (twee werkdagen)"
    )


def test_a_one_day_term_is_singular() -> None:
    due = explain_due(spec(1, "calendar_days", statutory=True), base_from_date(date(2026, 6, 12)), CAL)
    assert due.at == end_of_day(date(2026, 6, 15))
    assert due.rule == "1 dag vanaf 12-06-2026; art. 1 Atw: zaterdag 13-06-2026 wordt maandag 15-06-2026"


# --- leap days and the month clamp ------------------------------------------------------------------


def test_a_month_from_31_january_2028_is_leap_day_tuesday_and_stays() -> None:
    due = explain_due(spec(1, "months", statutory=True), base_from_date(date(2028, 1, 31)), CAL)
    assert due.at == end_of_day(date(2028, 2, 29))
    assert due.rule == (
        "1 maand vanaf 31-01-2028 (februari 2028 heeft geen 31e dag: 29-02-2028); "
        "Atw: dinsdag 29-02-2028 is een werkdag, geen verlenging"
    )


def test_three_years_from_a_leap_day_end_on_28_february() -> None:
    due = explain_due(spec(3, "years", statutory=True), base_from_date(date(2028, 2, 29)), NO_YEAR)
    assert due.at == end_of_day(date(2031, 2, 28))  # clamped to the month's last day, a Friday
    assert due.rule == (
        "3 jaar vanaf 29-02-2028 (februari 2031 heeft geen 29e dag: 28-02-2031); "
        "art. 4 Atw: langer dan drie maanden, eindigt op de eigen dag"
    )


# --- service terms, working days, hours -------------------------------------------------------------


def test_a_service_term_gets_no_atw_and_asks_no_calendar() -> None:
    due = explain_due(spec(14, "calendar_days"), datetime(2026, 3, 20, 16, 0, tzinfo=AMS), NO_YEAR)
    assert due.at == end_of_day(date(2026, 4, 3))  # Good Friday
    assert due.rule == "14 dagen vanaf 20-03-2026 (servicetermijn)"


def test_a_service_term_in_working_days() -> None:
    due = explain_due(spec(2, "working_days"), base_from_date(date(2026, 10, 10)), CAL)
    assert due.at == end_of_day(date(2026, 10, 13))  # from Saturday: Mon 12, Tue 13
    assert due.rule == "2 werkdagen vanaf 10-10-2026 (servicetermijn, werkdagen)"


def test_a_statutory_term_in_working_days_gets_no_atw_on_top() -> None:
    # Thursday 2 April 2026 + 1 working day: Good Friday and Easter Monday are skipped by the count itself.
    due = explain_due(spec(1, "working_days", statutory=True), base_from_date(date(2026, 4, 2)), CAL)
    assert due.at == end_of_day(date(2026, 4, 7))
    assert (
        due.rule == "1 werkdag vanaf 02-04-2026 (wettelijke termijn in werkdagen; de Atw komt daar niet bij)"
    )


def test_72_hours_over_the_last_sunday_of_october_are_exact_and_ask_no_calendar() -> None:
    base = datetime(2026, 10, 24, 10, 0, tzinfo=AMS)  # CEST; clocks go back on Sunday 25 October
    due = explain_due(spec(72, "hours", statutory=True), base, NO_YEAR)
    assert due.at == utc(2026, 10, 27, 8, 0)
    assert due.at - base == timedelta(hours=72)
    assert due.at.astimezone(AMS).hour == 9  # the wall clock shows one hour less
    assert due.counted_from == date(2026, 10, 24)
    assert due.rule == "72 uur vanaf 24-10-2026 10:00 (exacte tijd; de Atw geldt niet voor uren)"


def test_hours_name_the_local_start_time() -> None:
    due = explain_due(spec(1, "hours"), utc(2026, 11, 9, 9, 0), NO_YEAR)
    assert due.rule == "1 uur vanaf 09-11-2026 10:00 (exacte tijd; de Atw geldt niet voor uren)"


# --- the due moment as a whole ----------------------------------------------------------------------


def test_compute_due_is_the_moment_of_explain_due() -> None:
    base = utc(2026, 4, 1, 23, 30)  # already 2 April in Amsterdam
    moment = explain_due(spec(2, "working_days"), base, CAL)
    assert isinstance(moment, DueMoment)
    assert compute_due(spec(2, "working_days"), base, CAL) == moment.at
    assert_utc(moment.at)
    assert moment.counted_from == date(2026, 4, 2)
    with pytest.raises(AttributeError):
        moment.rule = "anders"  # type: ignore[misc]


def test_a_short_statutory_term_into_an_uncovered_year_is_refused() -> None:
    # 3 days from Wed 27 Dec 2028 end Saturday 30 December: the roll forward needs January 2029.
    with pytest.raises(CalendarNotCovered, match="kent 2029 niet"):
        compute_due(spec(3, "calendar_days", statutory=True), base_from_date(date(2028, 12, 27)), CAL)
    with pytest.raises(CalendarNotCovered, match="kent 2029 niet"):
        compute_due(spec(2, "working_days"), base_from_date(date(2028, 12, 28)), CAL)


def test_dutch_dates() -> None:
    assert dutch_date(date(2026, 1, 2)) == "02-01-2026"
    assert [dutch_day_and_date(date(2026, 6, d)) for d in range(1, 8)] == [
        "maandag 01-06-2026",
        "dinsdag 02-06-2026",
        "woensdag 03-06-2026",
        "donderdag 04-06-2026",
        "vrijdag 05-06-2026",
        "zaterdag 06-06-2026",
        "zondag 07-06-2026",
    ]


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
