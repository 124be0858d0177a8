"""Tables to files: CSV and XLSX, both streamed in chunks as the rows are read (XLSX: xlsx_stream).

Every text cell that a spreadsheet would read as a formula (it starts with = + - @, a tab or a carriage
return) is neutralised with a leading apostrophe, in both formats: a claimant called '=HYPERLINK(...)'
stays a name. Numbers (amounts, days, ids) are written as numbers; they never carry a formula. In XLSX
amounts carry a euro format and moments are dates; CSV keeps them machine-readable (125000.00, ISO 8601).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The characters XML 1.0 cannot hold, as openpyxl.cell.cell.ILLEGAL_CHARACTERS_RE has them.
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")

FORMULA_START = frozenset("=+-@\t\r")
XLSX_MAX_ROWS = 1_048_576  # a sheet's limit, header included: more rows go on to the next sheet
XLSX_MAX_TEXT = 32_767  # a cell's limit
CSV_BATCH = 2_000


def inert(text: str) -> str:
    """Text a spreadsheet shows as written and never evaluates."""
    return "'" + text if text[:1] in FORMULA_START else text


def _safe(row: Sequence[Any]) -> Sequence[Any]:
    return [inert(v) if v.__class__ is str and v[:1] in FORMULA_START else v for v in row]


def csv_chunks(
    header: Sequence[str], batches: Iterable[Sequence[Sequence[Any]]], *, inert_already: bool = False
) -> Iterator[bytes]:
    """UTF-8 CSV with a byte-order mark (so Excel reads é and ë) and CRLF line ends, from batches of rows,
    in chunks of a few thousand rows: memory holds one chunk. Every text cell is neutralised, unless the
    caller built its rows inert already (see rows.HistoryBuilder)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([inert(h) for h in header])
    first = True
    pending = 0
    for batch in batches:
        writer.writerows(batch if inert_already else map(_safe, batch))
        pending += len(batch)
        if pending >= CSV_BATCH:
            yield _take(buffer, first)
            first, pending = False, 0
    yield _take(buffer, first)


def _take(buffer: io.StringIO, first: bool) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return ("\ufeff" + text if first else text).encode()


def _xlsx_text(value: str) -> str:
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


def write_xlsx(path: Path, sheets: Iterable[Sheet]) -> int:
    """Write each sheet (claims.exports.xlsx_stream), with its header bold and frozen and an autofilter
    over header and rows; a sheet that outgrows Excel's row limit goes on in 'title (2)'. Returns the
    number of rows written (headers not counted)."""
    from claims.exports.xlsx_stream import xlsx_chunks

    counted: list[int] = []
    with path.open("wb") as f:
        for chunk in xlsx_chunks(sheets, counted):
            f.write(chunk)
    return counted[0]


def file_chunks(path: Path, size: int = 1 << 16) -> Iterator[bytes]:
    """A file's bytes in pieces, deleting the file once read (or abandoned)."""
    try:
        with path.open("rb") as f:
            while chunk := f.read(size):
                yield chunk
    finally:
        path.unlink(missing_ok=True)
