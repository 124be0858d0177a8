"""Tables to files: CSV (streamed in chunks) and XLSX (openpyxl's write-only mode, rows straight to disk).

Every text cell that a spreadsheet would read as a formula (it starts with = + - @, a tab or a carriage
return) is neutralised with a leading apostrophe, in both formats: a claimant called '=HYPERLINK(...)'
stays a name. Numbers (amounts, days, ids) are written as numbers; they never carry a formula. In XLSX
amounts carry a euro format and moments are dates; CSV keeps them machine-readable (125000.00, ISO 8601).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.styles import Font

# openpyxl is imported where an XLSX is written: the command line and the app start without it. The
# characters XML 1.0 cannot hold, as openpyxl.cell.cell.ILLEGAL_CHARACTERS_RE has them.
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


def xlsx_cells(sheet: Any, spec: Sheet) -> Callable[[Sequence[Any]], list[Any]]:
    """The row as openpyxl cells: text neutralised and stripped of characters XML cannot hold, moments
    and dates as Excel dates, amounts as numbers in euro, days as numbers with two decimals."""
    from openpyxl.cell import WriteOnlyCell

    formats: dict[int, str] = {i: DAYS_FORMAT for i in spec.days}
    formats.update({i: EURO_FORMAT for i in spec.money})
    formats.update({i: DATE_FORMAT for i in spec.dates})
    formats.update({i: MOMENT_FORMAT for i in spec.moments})
    moments, dates = spec.moments, spec.dates

    def cells(row: Sequence[Any]) -> list[Any]:
        out: list[Any] = []
        for i, v in enumerate(row):
            if v.__class__ is str:
                if not v:
                    v = None
                elif i in moments:
                    v = datetime.fromisoformat(v[:19])
                elif i in dates:
                    v = date.fromisoformat(v[:10])
                else:
                    v = _xlsx_text(v)
            if v is not None and i in formats:
                cell = WriteOnlyCell(sheet, value=v)
                cell.number_format = formats[i]
                v = cell
            out.append(v)
        return out

    return cells


def write_xlsx(path: Path, sheets: Iterable[Sheet]) -> int:
    """Write each sheet, with its header bold and frozen and an autofilter over header and rows; a sheet
    that outgrows Excel's row limit goes on in 'title (2)'. Returns the number of rows written (headers
    not counted)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    total = 0
    for spec in sheets:
        part = 1
        sheet = _sheet(workbook, spec.title, spec, bold)
        to_cells = xlsx_cells(sheet, spec)
        used = 1
        for row in spec.rows:
            if used >= XLSX_MAX_ROWS:
                _filter(sheet, spec, used)
                part += 1
                sheet = _sheet(workbook, f"{spec.title} ({part})", spec, bold)
                to_cells = xlsx_cells(sheet, spec)
                used = 1
            sheet.append(to_cells(row))
            used += 1
            total += 1
        _filter(sheet, spec, used)
    workbook.save(path)
    return total


def _sheet(workbook: Workbook, title: str, spec: Sheet, bold: Font) -> Any:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    sheet = workbook.create_sheet(title[:31])
    sheet.freeze_panes = "A2"
    for i, width in enumerate(spec.widths):
        sheet.column_dimensions[get_column_letter(i + 1)].width = width
    cells = []
    for h in spec.header:
        cell = WriteOnlyCell(sheet, value=_xlsx_text(h))
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
    return sheet


def _filter(sheet: Any, spec: Sheet, rows: int) -> None:
    # a write-only sheet writes its autofilter after the rows, when it is saved: set now, it is in time
    from openpyxl.utils import get_column_letter

    sheet.auto_filter.ref = f"A1:{get_column_letter(max(1, len(spec.header)))}{rows}"


def file_chunks(path: Path, size: int = 1 << 16) -> Iterator[bytes]:
    """A file's bytes in pieces, deleting the file once read (or abandoned)."""
    try:
        with path.open("rb") as f:
            while chunk := f.read(size):
                yield chunk
    finally:
        path.unlink(missing_ok=True)
