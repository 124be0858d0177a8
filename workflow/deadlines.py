"""Due moments of deadlines, as aware UTC datetimes.

Convention, used for every day-based unit: a deadline falling on a day is due at 23:59:59 local time on
that day (the last whole second), and is met by anything done at or before that moment. `hours` deadlines
are exact elapsed time instead.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from workflow.calendar import WorkingDayCalendar
from workflow.spec import DeadlineSpec

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
END_OF_DAY = time(23, 59, 59)


def _require_aware(value: datetime, what: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {value.isoformat()}")


def _add_months(d: date, months: int) -> date:
    """`d` plus `months` calendar months, the day clamped to the end of the month (31 Jan + 1 = 28/29 Feb)."""
    year, month0 = divmod(d.year * 12 + d.month - 1 + months, 12)
    next_first = date(year + 1, 1, 1) if month0 == 11 else date(year, month0 + 2, 1)
    last_day = (next_first - timedelta(days=1)).day
    return date(year, month0 + 1, min(d.day, last_day))


def end_of_day(d: date, tz: ZoneInfo = AMSTERDAM) -> datetime:
    """23:59:59 local time on `d`, as an aware UTC datetime: the due moment of a day-based deadline."""
    return datetime.combine(d, END_OF_DAY, tzinfo=tz).astimezone(UTC)


def base_from_date(d: date, tz: ZoneInfo = AMSTERDAM) -> datetime:
    """The start (00:00 local) of `d` as an aware UTC datetime, for deadlines based on a claim's date."""
    return datetime.combine(d, time(0, 0), tzinfo=tz).astimezone(UTC)


def compute_due(
    spec: DeadlineSpec, base: datetime, calendar: WorkingDayCalendar, tz: ZoneInfo = AMSTERDAM
) -> datetime:
    """When a deadline of `spec` started at `base` (aware) is due, as an aware UTC datetime.

    `hours`: exactly that much elapsed time. Day-based units count from the local date of `base` and are
    due at the end of the last day; a `statutory` calendar term is extended per the Algemene termijnenwet.
    """
    _require_aware(base, "base")
    if spec.unit == "hours":
        # In UTC: aware arithmetic within one zone is wall-clock time and would gain or lose the DST hour.
        return base.astimezone(UTC) + timedelta(hours=spec.amount)
    start = base.astimezone(tz).date()
    if spec.unit == "working_days":
        return end_of_day(calendar.add_working_days(start, spec.amount), tz)
    if spec.unit == "calendar_days":
        end = start + timedelta(days=spec.amount)
    elif spec.unit == "weeks":
        end = start + timedelta(weeks=spec.amount)
    elif spec.unit == "months":
        end = _add_months(start, spec.amount)
    elif spec.unit == "years":
        end = _add_months(start, 12 * spec.amount)
    else:
        raise ValueError(f"deadline '{spec.name}': unknown unit {spec.unit!r}")
    if spec.statutory:
        end = calendar.roll_forward(start, end)
    return end_of_day(end, tz)


def time_left(due: datetime, now: datetime) -> timedelta:
    """Elapsed time from `now` until `due` (negative once overdue); both must be aware."""
    _require_aware(due, "due")
    _require_aware(now, "now")
    # Subtracting two datetimes that share a tzinfo ignores their offsets: go through UTC.
    return due.astimezone(UTC) - now.astimezone(UTC)
