"""Dutch money and dates, the one place: what letters, e-mails, pages and exports show.

Moments are stored in UTC and shown in the zone the caller passes (Europe/Amsterdam for claimflow).
Amounts are Decimal, never float: € 125.000,00, a dot between thousands and a comma before the cents.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.numbers import get_currency_symbol, get_decimal_symbol, get_group_symbol

LOCALE = "nl_NL"

# The locale's symbols and month names, read from babel once: babel's own format_currency and
# format_date parse their patterns on every call (about 100 us each, measured), and a settlement letter
# writes a dozen amounts inside the transition's write lock. tests/notifications check that these give
# exactly what babel's formatters give.
_LOCALE = Locale.parse(LOCALE)
_GROUP = get_group_symbol(LOCALE)
_DECIMAL = get_decimal_symbol(LOCALE)
_EURO = get_currency_symbol("EUR", LOCALE)
_MONTHS = _LOCALE.months["format"]["wide"]
_SEPARATORS = str.maketrans({",": _GROUP, ".": _DECIMAL})


def euro(amount: Decimal | int | str) -> str:
    """€ 125.000,00 (Dutch grouping and decimal comma); TypeError for a float."""
    if isinstance(amount, float):
        raise TypeError("bedragen zijn Decimal, nooit float")
    value = Decimal(amount)
    digits = f"{abs(value):,.2f}".translate(_SEPARATORS)
    # '€ -7,50' for a negative amount: the sign after the symbol, as every page and letter writes it
    return f"{_EURO} -{digits}" if value < 0 else f"{_EURO} {digits}"


def long_date(value: date | datetime, tz: ZoneInfo | None = None) -> str:
    """23 oktober 2025; a moment is first put in `tz` when one is given."""
    if isinstance(value, datetime):
        value = value.astimezone(tz).date() if tz else value.date()
    return f"{value.day} {_MONTHS[value.month]} {value.year}"


def long_moment(moment: datetime, tz: ZoneInfo) -> str:
    """23 oktober 2025 16:00 in `tz`: the pages' way of writing a moment."""
    # the fields, not strftime: a page with a long timeline writes hundreds of moments, and strftime
    # costs about four times the rest (measured: 8.8 -> 2.5 us)
    local = moment.astimezone(tz)
    return f"{local.day} {_MONTHS[local.month]} {local.year} {local.hour:02d}:{local.minute:02d}"


def local_moment(moment: datetime, tz: ZoneInfo) -> str:
    """23-10-2025 16:00 in `tz`: the short way, for e-mails, timelines, exports and the command line."""
    local = moment.astimezone(tz)  # the fields, not strftime: see long_moment
    return f"{local.day:02d}-{local.month:02d}-{local.year} {local.hour:02d}:{local.minute:02d}"


# without babel's trailing dot ('okt.'): these label a chart's axis, where every character counts
_SHORT_MONTHS = "jan feb mrt apr mei jun jul aug sep okt nov dec".split()  # noqa: SIM905


def day_month(value: date) -> str:
    """23 okt: a day on a chart's axis."""
    return f"{value.day} {_SHORT_MONTHS[value.month - 1]}"


def month_year(value: date) -> str:
    """okt 2025: a month on a chart's axis."""
    return f"{_SHORT_MONTHS[value.month - 1]} {value.year}"
