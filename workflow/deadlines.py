"""Due moments of deadlines, as aware UTC datetimes, each with the rule that made it.

Convention, used for every day-based unit: a deadline falling on a day is due at 23:59:59 local time on
that day (the last whole second), and is met by anything done at or before that moment. `hours` deadlines
are exact elapsed time instead. Months and years end on the same day of the month, or on the month's last
day when it has no such day (31 January + 1 month = 28/29 February; 29 February + 3 years = 28 February).

A `statutory` term is extended by the Algemene termijnenwet (Atw) where the Atw applies, and only there:
art. 1 (it does not end on a Saturday, Sunday or recognised holiday) and art. 2 (a term of three days or
more holds at least two days that are none of those), see `WorkingDayCalendar.roll_forward`; the
holidays are art. 3. Art. 4 keeps out terms in hours and terms longer than 90 days, 12 weeks or 3 months
(so every term in years, like the 3-year limitation of 7:942 BW): those end on their own day, weekend or
not, and never ask the calendar. A term in working days is counted on working days already and gets no
Atw on top; a service (non-statutory) term gets none at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from workflow.calendar import WorkingDayCalendar
from workflow.spec import DeadlineSpec

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
END_OF_DAY = time(23, 59, 59)

# Art. 4 Atw: the longest term, per unit, the Atw still applies to; units missing here never get it.
ATW_LONGEST = {"calendar_days": 90, "weeks": 12, "months": 3}
_LONGER_THAN = {"calendar_days": "90 dagen", "weeks": "twaalf weken", "months": "drie maanden"}

_UNIT_NAMES = {
    "hours": ("uur", "uur"),
    "working_days": ("werkdag", "werkdagen"),
    "calendar_days": ("dag", "dagen"),
    "weeks": ("week", "weken"),
    "months": ("maand", "maanden"),
    "years": ("jaar", "jaar"),
}
_DAY_NAMES = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
_MONTH_NAMES = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)


@dataclass(frozen=True, slots=True)
class DueMoment:
    """When a deadline is due and why: `at` (aware UTC), `counted_from` (the local date the term starts
    from, itself not counted) and `rule`, a Dutch sentence for the claims handler naming the term and the
    Atw article that set or kept its end."""

    at: datetime
    counted_from: date
    rule: str


def _require_aware(value: datetime, what: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {value.isoformat()}")


def _add_months(d: date, months: int) -> date:
    """`d` plus `months` calendar months, the day clamped to the end of the month (31 Jan + 1 = 28/29 Feb)."""
    year, month0 = divmod(d.year * 12 + d.month - 1 + months, 12)
    next_first = date(year + 1, 1, 1) if month0 == 11 else date(year, month0 + 2, 1)
    last_day = (next_first - timedelta(days=1)).day
    return date(year, month0 + 1, min(d.day, last_day))


def dutch_date(d: date) -> str:
    """`d` as a Dutch reader writes it: 10-10-2026."""
    return f"{d.day:02d}-{d.month:02d}-{d.year}"


def dutch_day_and_date(d: date) -> str:
    """`d` with its Dutch day name: zaterdag 10-10-2026."""
    return f"{_DAY_NAMES[d.weekday()]} {dutch_date(d)}"


def end_of_day(d: date, tz: ZoneInfo = AMSTERDAM) -> datetime:
    """23:59:59 local time on `d`, as an aware UTC datetime: the due moment of a day-based deadline."""
    return datetime.combine(d, END_OF_DAY, tzinfo=tz).astimezone(UTC)


def base_from_date(d: date, tz: ZoneInfo = AMSTERDAM) -> datetime:
    """The start (00:00 local) of `d` as an aware UTC datetime, for deadlines based on a claim's date."""
    return datetime.combine(d, time(0, 0), tzinfo=tz).astimezone(UTC)


def atw_applies(spec: DeadlineSpec) -> bool:
    """Whether the Algemene termijnenwet extends this term: statutory, and per art. 4 Atw not in hours
    and not longer than 90 days, 12 weeks or 3 months (never in years); working days get none on top."""
    longest = ATW_LONGEST.get(spec.unit)
    return spec.statutory and longest is not None and spec.amount <= longest


def explain_due(
    spec: DeadlineSpec, base: datetime, calendar: WorkingDayCalendar, tz: ZoneInfo = AMSTERDAM
) -> DueMoment:
    """When a deadline of `spec` started at `base` (aware) is due, and the rule that made it.

    `hours`: exactly that much elapsed time. Day-based units count from the local date of `base` and are
    due at the end of the last day; the Atw extends the end where `atw_applies`. The calendar is asked
    only for working days and Atw extensions, so it may raise CalendarNotCovered for those alone.
    """
    _require_aware(base, "base")
    if spec.unit not in _UNIT_NAMES:
        raise ValueError(f"deadline '{spec.name}': unknown unit {spec.unit!r}")
    local = base.astimezone(tz)
    start = local.date()
    head = f"{_term(spec)} vanaf {dutch_date(start)}"
    if spec.unit == "hours":
        # In UTC: aware arithmetic within one zone is wall-clock time and would gain or lose the DST hour.
        at = base.astimezone(UTC) + timedelta(hours=spec.amount)
        return DueMoment(at, start, f"{head} {local:%H:%M} (exacte tijd; de Atw geldt niet voor uren)")
    if spec.unit == "working_days":
        kind = (
            "wettelijke termijn in werkdagen; de Atw komt daar niet bij"
            if spec.statutory
            else "servicetermijn, werkdagen"
        )
        due = end_of_day(calendar.add_working_days(start, spec.amount), tz)
        return DueMoment(due, start, f"{head} ({kind})")
    if spec.unit == "calendar_days":
        end = start + timedelta(days=spec.amount)
    elif spec.unit == "weeks":
        end = start + timedelta(weeks=spec.amount)
    else:  # months, years
        end = _add_months(start, spec.amount * (12 if spec.unit == "years" else 1))
        if end.day != start.day:
            month = f"{_MONTH_NAMES[end.month - 1]} {end.year}"
            head += f" ({month} heeft geen {start.day}e dag: {dutch_date(end)})"
    if not spec.statutory:
        return DueMoment(end_of_day(end, tz), start, f"{head} (servicetermijn)")
    if not atw_applies(spec):
        longer = _LONGER_THAN.get(spec.unit, "drie maanden")  # years: one is already longer
        rule = f"{head}; art. 4 Atw: langer dan {longer}, eindigt op de eigen dag"
        return DueMoment(end_of_day(end, tz), start, rule)
    rolled, why = _extend(start, end, calendar)
    return DueMoment(end_of_day(rolled, tz), start, f"{head}; {why}")


def _term(spec: DeadlineSpec) -> str:
    one, many = _UNIT_NAMES[spec.unit]
    return f"{spec.amount} {one if spec.amount == 1 else many}"


def _extend(start: date, end: date, calendar: WorkingDayCalendar) -> tuple[date, str]:
    """The Atw end of a term from `start` to `end`, and which article made it."""
    rolled = calendar.roll_forward(start, end)
    if rolled == end:
        return end, f"Atw: {dutch_day_and_date(end)} is een werkdag, geen verlenging"
    holiday = calendar.holiday_name(end)
    was = dutch_day_and_date(end) + (f" ({holiday})" if holiday else "")
    # Art. 1 alone reaches the first working day from the end; art. 2 is what goes further.
    if rolled == calendar.next_working_day(end):
        return rolled, f"art. 1 Atw: {was} wordt {dutch_day_and_date(rolled)}"
    if calendar.is_working_day(end):
        return rolled, f"art. 2 Atw: verlengd tot {dutch_day_and_date(rolled)} (twee werkdagen)"
    return rolled, f"art. 1 en 2 Atw: {was} wordt {dutch_day_and_date(rolled)} (twee werkdagen)"


def compute_due(
    spec: DeadlineSpec, base: datetime, calendar: WorkingDayCalendar, tz: ZoneInfo = AMSTERDAM
) -> datetime:
    """When a deadline of `spec` started at `base` (aware) is due, as an aware UTC datetime; the moment
    of `explain_due`."""
    return explain_due(spec, base, calendar, tz).at


def time_left(due: datetime, now: datetime) -> timedelta:
    """Elapsed time from `now` until `due` (negative once overdue); both must be aware."""
    _require_aware(due, "due")
    _require_aware(now, "now")
    # Subtracting two datetimes that share a tzinfo ignores their offsets: go through UTC.
    return due.astimezone(UTC) - now.astimezone(UTC)
