"""Working days: weekends, public holidays and days added by decree, and the Algemene termijnenwet.

Generic: a `WorkingDayCalendar` takes any per-year holiday provider. `dutch_calendar()` builds the Dutch
one from the `holidays` package plus the decree days kept as data in `data/nl_decree_days.yaml`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, timedelta
from pathlib import Path

import holidays
import yaml

HolidayProvider = Callable[[int], Mapping[date, str]]
"""Gives the holidays of one year, date to name."""

DATA_DIR = Path(__file__).parent / "data"
NL_DECREE_DAYS = DATA_DIR / "nl_decree_days.yaml"

_ONE_DAY = timedelta(days=1)
_SATURDAY = 5
_ADDED_MAX = 10_000


class WorkingDayCalendar:
    """Working days are Monday to Friday except holidays from the provider and the extra days."""

    def __init__(self, provider: HolidayProvider, extra_days: Mapping[date, str] | None = None) -> None:
        self._provider = provider
        self._extra_by_year: dict[int, dict[date, str]] = {}
        for day, name in (extra_days or {}).items():
            self._extra_by_year.setdefault(day.year, {})[day] = name
        self._by_year: dict[int, dict[date, str]] = {}
        # Deadlines opened on one day ask the same question over and over: remember the answers.
        self._added: dict[tuple[date, int], date] = {}

    def _holidays(self, year: int) -> dict[date, str]:
        found = self._by_year.get(year)
        if found is None:
            # Built once per year: is_working_day sits in hot paths. Two threads racing here build the
            # same dict, so the cache needs no lock.
            found = dict(self._provider(year))
            for day, name in self._extra_by_year.get(year, {}).items():
                found[day] = f"{found[day]}; {name}" if day in found else name
            self._by_year[year] = found
        return found

    def holiday_name(self, d: date) -> str | None:
        """The holiday's name if `d` is a holiday or an extra day (weekends are not named), else None."""
        return self._holidays(d.year).get(d)

    def is_working_day(self, d: date) -> bool:
        """True unless `d` is a Saturday, Sunday, holiday or extra day."""
        return d.weekday() < _SATURDAY and d not in self._holidays(d.year)

    def next_working_day(self, d: date) -> date:
        """`d` itself if it is a working day, else the first working day after it."""
        while not self.is_working_day(d):
            d += _ONE_DAY
        return d

    def add_working_days(self, d: date, n: int) -> date:
        """The n-th working day after `d` (`d` itself does not count); `d` when n == 0. Needs n >= 0."""
        key = (d, n)
        found = self._added.get(key)
        if found is not None:
            return found
        if n < 0:
            raise ValueError(f"add_working_days counts forward only, got n={n}")
        while n:
            d += _ONE_DAY
            if self.is_working_day(d):
                n -= 1
        if len(self._added) >= _ADDED_MAX:
            self._added.clear()  # a long-running process: start over rather than grow without bound
        self._added[key] = d
        return d

    def roll_forward(self, start: date, end: date) -> date:
        """The end of a statutory term from `start` (not counted) to `end`, extended per the Algemene
        termijnenwet: art. 2 (a term of 3+ days holds at least two working days) and art. 1 (it does not
        end on a Saturday, Sunday or holiday).

        Forward terms only: the Atw does not apply to terms counted back from a date (art. 4), so callers
        must not use this for them; `end` before `start` is refused.
        """
        if end < start:
            raise ValueError(f"roll_forward is for terms counted forward, got {start} to {end}")
        if (end - start).days >= 3:
            # Art. 2: extend to the second working day after start when the term holds fewer than two;
            # that day is a working day, so art. 1 then leaves it alone.
            end = max(end, self.add_working_days(start, 2))
        return self.next_working_day(end)


def load_decree_days(path: Path) -> dict[date, str]:
    """Read a decree-days file (`days:` list of date, name, source); raise ValueError naming the file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError) as exc:  # ValueError: YAML's own date parsing
        raise ValueError(f"{path}: cannot read decree days: {exc}") from exc
    entries = raw.get("days") if isinstance(raw, dict) else None
    if not isinstance(entries, list):
        raise ValueError(f"{path}: expected a mapping with a 'days' list")
    days: dict[date, str] = {}
    for i, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            raise ValueError(f"{path}: entry #{i} must be a mapping with date, name and source")
        value = entry.get("date")
        try:
            # YAML reads an unquoted 2026-01-02 as a date and a quoted one as text: accept both.
            if isinstance(value, str):
                value = date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"{path}: entry #{i}: bad date {entry.get('date')!r}") from exc
        if type(value) is not date:
            raise ValueError(f"{path}: entry #{i}: 'date' must be a date (YYYY-MM-DD), got {value!r}")
        for key in ("name", "source"):
            text = entry.get(key)
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"{path}: entry #{i} ({value}): '{key}' must be a non-empty text")
        if value in days:
            raise ValueError(f"{path}: entry #{i}: {value} is listed twice")
        days[value] = entry["name"]
    return days


def _nl_holidays(year: int) -> Mapping[date, str]:
    # Both categories: the package puts 5 May in PUBLIC only every fifth year (the usual collective-
    # agreement day off) but the Atw counts it every year, and it is in OPTIONAL every year; rules.md saw
    # Good Friday in OPTIONAL only, 0.109 has it in PUBLIC. language="nl": names otherwise follow the
    # process locale (English under C.UTF-8).
    return holidays.country_holidays(
        "NL", years=year, categories=(holidays.PUBLIC, holidays.OPTIONAL), language="nl"
    )


def dutch_calendar(decree_file: Path | None = None) -> WorkingDayCalendar:
    """The Dutch Atw calendar: public and optional NL holidays plus the decree days (default file:
    `data/nl_decree_days.yaml`)."""
    return WorkingDayCalendar(_nl_holidays, load_decree_days(decree_file or NL_DECREE_DAYS))
