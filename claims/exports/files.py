"""Tables to files: CSV (streamed in chunks) and XLSX (openpyxl's write-only mode, rows straight to disk).

Every text cell that a spreadsheet would read as a formula (it starts with = + - @, a tab or a carriage
return) is neutralised with a leading apostrophe, in both formats: a claimant called '=HYPERLINK(...)'
stays a name. Numbers (amounts, days, ids) are written as numbers; they never carry a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

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


def xlsx_cells(moments: frozenset[int]) -> Callable[[Sequence[Any]], list[Any]]:
    """The row as openpyxl cells: text neutralised and stripped of characters XML cannot hold, moment
    columns (ISO text with an offset) as the local date and time Excel can sort and filter."""

    def cells(row: Sequence[Any]) -> list[Any]:
        out: list[Any] = []
        for i, v in enumerate(row):
            if v.__class__ is str:
                if not v:
                    v = None
                elif i in moments:
                    v = datetime.fromisoformat(v[:19])
                else:
                    v = _xlsx_text(v)
            out.append(v)
        return out

    return cells


def write_xlsx(
    path: Path,
    sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence[Any]], frozenset[int]]],
    *,
    widths: Mapping[str, Sequence[int]] | None = None,
) -> int:
    """Write each (title, header, rows, moment columns) as a sheet; a sheet that outgrows Excel's row
    limit goes on in 'title (2)'. Returns the number of rows written (headers not counted)."""
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    total = 0
    for title, header, rows, moments in sheets:
        to_cells = xlsx_cells(moments)
        part = 1
        sheet = _sheet(workbook, title, header, bold, (widths or {}).get(title))
        used = 1
        for row in rows:
            if used >= XLSX_MAX_ROWS:
                part += 1
                sheet = _sheet(workbook, f"{title} ({part})", header, bold, (widths or {}).get(title))
                used = 1
            sheet.append(to_cells(row))
            used += 1
            total += 1
    workbook.save(path)
    return total


def _sheet(workbook: Workbook, title: str, header: Sequence[str], bold: Font, widths: Any) -> Any:
    sheet = workbook.create_sheet(title[:31])
    sheet.freeze_panes = "A2"
    for i, width in enumerate(widths or ()):
        sheet.column_dimensions[get_column_letter(i + 1)].width = width
    cells = []
    for h in header:
        cell = WriteOnlyCell(sheet, value=_xlsx_text(h))
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
    return sheet


def file_chunks(path: Path, size: int = 1 << 16) -> Iterator[bytes]:
    """A file's bytes in pieces, deleting the file once read (or abandoned)."""
    try:
        with path.open("rb") as f:
            while chunk := f.read(size):
                yield chunk
    finally:
        path.unlink(missing_ok=True)
