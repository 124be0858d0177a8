"""Working days for the Algemene termijnenwet (Atw): weekends, recognised holidays and days put on a par.

Art. 3 lid 1 and 2 Atw name the recognised holidays: New Year's Day, Good Friday, Easter Monday,
Koningsdag (27 April, 26 April when the 27th is a Sunday), 5 May, Ascension Day, Whit Monday and both
Christmas days. Art. 3 lid 3 lets a royal decree put other days on a par with them, about every three
years for the next three (a Friday after, or a Monday before, a holiday on a Thursday or Tuesday). Art. 1
and 2 (a term does not end on a Saturday, Sunday or holiday; a term of three days or more holds at least
two working days) are `WorkingDayCalendar.roll_forward`; which terms they apply to (art. 4) is decided in
`workflow.deadlines`.

Generic: a `WorkingDayCalendar` takes any per-year holiday provider, extra days and the years it may
answer for. `dutch_calendar()` builds the Dutch one from the `holidays` package (the law's holidays) plus
the decrees kept as dated data in `data/nl_decree_days.yaml`; it covers exactly the decrees' years and
raises `CalendarNotCovered` for any other, because a year without its decree would be a guess.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import holidays
import yaml

from workflow.errors import CalendarNotCovered

__all__ = [
    "NL_DECREE_DAYS",
    "CalendarNotCovered",
    "Decree",
    "HolidayProvider",
    "WorkingDayCalendar",
    "dutch_calendar",
    "load_decrees",
    "nl_law_holidays",
]

HolidayProvider = Callable[[int], Mapping[date, str]]
"""Gives the holidays of one year, date to name."""

DATA_DIR = Path(__file__).parent / "data"
NL_DECREE_DAYS = DATA_DIR / "nl_decree_days.yaml"

_ONE_DAY = timedelta(days=1)
_SATURDAY = 5
_ADDED_MAX = 10_000
_NO_DATA = "de kalender heeft voor dat jaar geen gegevens"


class WorkingDayCalendar:
    """Working days are Monday to Friday except holidays from the provider and the extra days.

    With `covered_years`, every question about a day (is it a working day, its holiday name, counting
    from or over it) in another year raises `CalendarNotCovered` with `uncovered_remedy` as the reason;
    without it every year is answered from the provider alone.
    """

    def __init__(
        self,
        provider: HolidayProvider,
        extra_days: Mapping[date, str] | None = None,
        covered_years: Collection[int] | None = None,
        *,
        uncovered_remedy: str = _NO_DATA,
    ) -> None:
        self._provider = provider
        self._covered = None if covered_years is None else frozenset(covered_years)
        self._uncovered_remedy = uncovered_remedy
        self._extra_by_year: dict[int, dict[date, str]] = {}
        for day, name in (extra_days or {}).items():
            self._extra_by_year.setdefault(day.year, {})[day] = name
        self._by_year: dict[int, dict[date, str]] = {}
        # Deadlines opened on one day ask the same question over and over: remember the answers. A result
        # is only stored after every day it passed was answered, so the cache never hides an uncovered year.
        self._added: dict[tuple[date, int], date] = {}

    @property
    def covered_years(self) -> frozenset[int] | None:
        """The years this calendar answers for; None when it answers for every year."""
        return self._covered

    def _require_covered(self, year: int) -> None:
        if self._covered is not None and year not in self._covered:
            raise CalendarNotCovered(year, self._uncovered_remedy)

    def _holidays(self, year: int) -> dict[date, str]:
        found = self._by_year.get(year)
        if found is None:
            # Only covered years get here past the check and into the cache, so a cache hit needs none.
            self._require_covered(year)
            # Built once per year: is_working_day sits in hot paths. Two threads racing here build the
            # same dict, so the cache needs no lock.
            found = dict(self._provider(year))
            for day, name in self._extra_by_year.get(year, {}).items():
                found[day] = f"{found[day]}; {name}" if day in found else name
            self._by_year[year] = found
        return found

    def holiday_name(self, d: date) -> str | None:
        """The holiday's name if `d` is a holiday or an extra day (weekends are not named), else None.
        Raises CalendarNotCovered for a year not covered: a day missing from a decree not yet known would
        otherwise be reported as no holiday."""
        return self._holidays(d.year).get(d)

    def is_working_day(self, d: date) -> bool:
        """True unless `d` is a Saturday, Sunday, holiday or extra day; CalendarNotCovered for a year not
        covered (weekends included, so the answer never depends on which day was asked)."""
        return d not in self._holidays(d.year) and d.weekday() < _SATURDAY

    def next_working_day(self, d: date) -> date:
        """`d` itself if it is a working day, else the first working day after it."""
        while not self.is_working_day(d):
            d += _ONE_DAY
        return d

    def add_working_days(self, d: date, n: int) -> date:
        """The n-th working day after `d` (`d` itself does not count); `d` when n == 0. Needs n >= 0 and
        `d` and every day counted in covered years (else CalendarNotCovered)."""
        if n < 0:
            raise ValueError(f"add_working_days counts forward only, got n={n}")
        # Before the cache, and for n == 0 too, which asks no day: counting from an unknown year is refused.
        self._require_covered(d.year)
        key = (d, n)
        found = self._added.get(key)
        if found is not None:
            return found
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

        Forward terms only: the Atw does not apply to terms counted back from a date, so callers must not
        use this for them; `end` before `start` is refused. Nor does it apply to the terms art. 4 keeps
        out (hours, longer than 90 days, 12 weeks or 3 months): `workflow.deadlines.atw_applies` decides.
        """
        if end < start:
            raise ValueError(f"roll_forward is for terms counted forward, got {start} to {end}")
        self._require_covered(start.year)
        if (end - start).days >= 3:
            # Art. 2: extend to the second working day after start when the term holds fewer than two;
            # that day is a working day, so art. 1 then leaves it alone.
            end = max(end, self.add_working_days(start, 2))
        return self.next_working_day(end)


@dataclass(frozen=True, slots=True)
class Decree:
    """One royal decree of days put on a par with a recognised holiday (Atw art. 3 lid 3): its title as
    `source`, the years it settles and its days, date to Dutch name."""

    source: str
    years: frozenset[int]
    days: Mapping[date, str]


def load_decrees(path: Path) -> tuple[Decree, ...]:
    """Read a decrees file (`decrees:` list of source, years, days); raise ValueError naming the file and
    the entry when it cannot be read, a day lies outside its decree's years, or a year or day is listed
    twice."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError) as exc:  # ValueError: YAML's own date parsing
        raise ValueError(f"{path}: cannot read decrees: {exc}") from exc
    entries = raw.get("decrees") if isinstance(raw, dict) else None
    if not isinstance(entries, list):
        raise ValueError(f"{path}: expected a mapping with a 'decrees' list")
    decrees: list[Decree] = []
    # A day lies in its decree's years and no year is in two decrees, so no day is either.
    year_seen: dict[int, int] = {}
    for i, entry in enumerate(entries, 1):
        decree = _read_decree(entry, f"{path}: decree #{i}")
        where = f"{path}: decree #{i} ({decree.source})"
        for year in sorted(decree.years):
            if year in year_seen:
                raise ValueError(f"{where}: {year} is covered by decree #{year_seen[year]} already")
            year_seen[year] = i
        decrees.append(decree)
    return tuple(decrees)


def _read_decree(entry: object, where: str) -> Decree:
    if not isinstance(entry, dict):
        raise ValueError(f"{where} must be a mapping with source, years and days")
    source = entry.get("source")
    if not isinstance(source, str) or not source.strip():
        raise ValueError(f"{where}: 'source' must be a non-empty text (the decree's title)")
    where = f"{where} ({source})"
    years = entry.get("years")
    # bool is an int to Python, and `years: [yes]` is a typo, not 1.
    if (
        not isinstance(years, list)
        or not years
        or not all(type(y) is int for y in years)
        or len(set(years)) != len(years)
    ):
        raise ValueError(f"{where}: 'years' must be a non-empty list of distinct years, got {years!r}")
    raw_days = entry.get("days")
    if not isinstance(raw_days, list) or not raw_days:
        raise ValueError(f"{where}: 'days' must be a non-empty list of date and name")
    days: dict[date, str] = {}
    for j, item in enumerate(raw_days, 1):
        day, name = _read_day(item, f"{where}, day #{j}")
        if day.year not in years:
            raise ValueError(f"{where}, day #{j}: {day} lies outside the decree's years {sorted(years)}")
        if day in days:
            raise ValueError(f"{where}, day #{j}: {day} is listed twice")
        days[day] = name
    return Decree(source=source, years=frozenset(years), days=days)


def _read_day(item: object, where: str) -> tuple[date, str]:
    if not isinstance(item, dict):
        raise ValueError(f"{where} must be a mapping with date and name")
    value = item.get("date")
    try:
        # YAML reads an unquoted 2026-01-02 as a date and a quoted one as text: accept both.
        if isinstance(value, str):
            value = date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{where}: bad date {item.get('date')!r}") from exc
    if type(value) is not date:
        raise ValueError(f"{where}: 'date' must be a date (YYYY-MM-DD), got {value!r}")
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{where} ({value}): 'name' must be a non-empty text")
    return value, name


def nl_law_holidays(year: int) -> Mapping[date, str]:
    """The recognised holidays of Atw art. 3 lid 1 and 2 in `year`, date to Dutch name (Easter and Whit
    Sunday included; they are Sundays anyway)."""
    # Both categories: the package puts 5 May in PUBLIC only every fifth year (the usual collective-
    # agreement day off) but the Atw counts it every year, and it is in OPTIONAL every year; rules.md saw
    # Good Friday in OPTIONAL only, 0.109 has it in PUBLIC. language="nl": names otherwise follow the
    # process locale (English under C.UTF-8).
    return holidays.country_holidays(
        "NL", years=year, categories=(holidays.PUBLIC, holidays.OPTIONAL), language="nl"
    )


def _year_ranges(years: Iterable[int]) -> str:
    """2020, 2021, 2022, 2026 as "2020-2022, 2026"."""
    ranges: list[list[int]] = []
    for year in sorted(years):
        if ranges and year == ranges[-1][1] + 1:
            ranges[-1][1] = year
        else:
            ranges.append([year, year])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in ranges) or "geen jaar"


def _shown(path: Path) -> str:
    # The shipped file by its place in the source tree, which is where a developer adds the decree.
    try:
        return path.resolve().relative_to(Path(__file__).resolve().parent.parent).as_posix()
    except ValueError:
        return str(path)


def dutch_calendar(decree_file: Path | None = None) -> WorkingDayCalendar:
    """The Dutch Atw calendar: the law's holidays (`nl_law_holidays`) plus the decrees' days (default
    file: `data/nl_decree_days.yaml`), answering for the decrees' years only."""
    path = decree_file or NL_DECREE_DAYS
    decrees = load_decrees(path)
    covered = frozenset(year for decree in decrees for year in decree.years)
    remedy = (
        f"er is voor dat jaar geen besluit gelijkstelling opgenomen ({_shown(path)}, dat nu "
        f"{_year_ranges(covered)} kent); neem het besluit voor dat jaar op uit de Staatscourant"
    )
    extra = {day: name for decree in decrees for day, name in decree.days.items()}
    return WorkingDayCalendar(nl_law_holidays, extra, covered, uncovered_remedy=remedy)
