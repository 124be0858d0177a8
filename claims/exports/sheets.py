"""What a spreadsheet cell may hold, and a sheet to write: text that is never read as a formula, the
limits and number formats of XLSX, and the Sheet the XLSX writer takes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

# The characters XML 1.0 cannot hold, as openpyxl.cell.cell.ILLEGAL_CHARACTERS_RE has them.
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")

FORMULA_START = frozenset("=+-@\t\r")
XLSX_MAX_ROWS = 1_048_576  # a sheet's limit, header included: more rows go on to the next sheet
XLSX_MAX_TEXT = 32_767  # a cell's limit


def inert(text: str) -> str:
    """Text a spreadsheet shows as written and never evaluates."""
    return "'" + text if text[:1] in FORMULA_START else text


def xlsx_text(value: str) -> str:
    text = inert(ILLEGAL_CHARACTERS_RE.sub("", value)) if value else value
    return text[:XLSX_MAX_TEXT]


# Number formats as a Dutch reader expects them (Excel shows the separators of the reader's locale).
EURO_FORMAT = '"€" #,##0.00;"€" -#,##0.00'
DAYS_FORMAT = "0.00"
MOMENT_FORMAT = "dd-mm-yyyy hh:mm"
DATE_FORMAT = "dd-mm-yyyy"


@dataclass(frozen=True)
class Sheet:
    """One sheet to write: its rows and which columns (by position) hold what. Moments are ISO text
    with an offset, written as the local date and time they name (Excel has no zones); dates are ISO
    dates or date objects; money and days are Decimals."""

    title: str
    header: Sequence[str]
    rows: Iterable[Sequence[Any]]
    moments: frozenset[int] = frozenset()
    dates: frozenset[int] = frozenset()
    money: frozenset[int] = frozenset()
    days: frozenset[int] = frozenset()
    widths: Sequence[int] = ()
