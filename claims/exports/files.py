"""Tables to files: CSV and XLSX, both streamed in chunks as the rows are read (XLSX: xlsx_stream).

Every text cell that a spreadsheet would read as a formula (it starts with = + - @, a tab or a carriage
return) is neutralised with a leading apostrophe, in both formats: a claimant called '=HYPERLINK(...)'
stays a name. Numbers (amounts, days, ids) are written as numbers; they never carry a formula. In XLSX
amounts carry a euro format and moments are dates; CSV keeps them machine-readable (125000.00, ISO 8601).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from claims.exports.csv_text import CsvCells, csv_lines
from claims.exports.sheets import (
    DATE_FORMAT,
    DAYS_FORMAT,
    EURO_FORMAT,
    FORMULA_START,
    ILLEGAL_CHARACTERS_RE,
    MOMENT_FORMAT,
    XLSX_MAX_ROWS,
    XLSX_MAX_TEXT,
    Sheet,
    inert,
)
from claims.exports.xlsx_stream import xlsx_chunks

CSV_BATCH = 2_000


def _safe(row: Sequence[Any]) -> Sequence[Any]:
    return [inert(v) if v.__class__ is str and v[:1] in FORMULA_START else v for v in row]


def csv_chunks(
    header: Sequence[str], batches: Iterable[Sequence[Sequence[Any]]], *, inert_already: bool = False
) -> Iterator[bytes]:
    """UTF-8 CSV with a byte-order mark (so Excel reads é and ë) and CRLF line ends, from batches of rows,
    in chunks of a few thousand rows: memory holds one chunk. Every text cell is neutralised, unless the
    caller built its rows inert already (see rows.HistoryBuilder). The text is csv.writer's (csv_text)."""
    cells = CsvCells()
    texts = (
        (csv_lines(batch if inert_already else [_safe(row) for row in batch], cells).encode(), len(batch))
        for batch in batches
    )
    return csv_text_chunks(header, texts)


def csv_text_chunks(header: Sequence[str], texts: Iterable[tuple[bytes, int]]) -> Iterator[bytes]:
    """The CSV file of `header` and the lines in `texts` (UTF-8 CSV text, how many rows it holds), as
    csv_chunks writes it, in chunks of a few thousand rows."""
    pending = [("\ufeff" + csv_lines([[inert(h) for h in header]], CsvCells())).encode()]
    rows = 0
    for text, count in texts:
        pending.append(text)
        rows += count
        if rows >= CSV_BATCH:
            yield b"".join(pending)
            pending.clear()
            rows = 0
    yield b"".join(pending)


def write_xlsx(path: Path, sheets: Iterable[Sheet]) -> int:
    """Write each sheet (claims.exports.xlsx_stream), with its header bold and frozen and an autofilter
    over header and rows; a sheet that outgrows Excel's row limit goes on in 'title (2)'. Returns the
    number of rows written (headers not counted)."""
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


__all__ = [
    "DATE_FORMAT",
    "DAYS_FORMAT",
    "EURO_FORMAT",
    "FORMULA_START",
    "ILLEGAL_CHARACTERS_RE",
    "MOMENT_FORMAT",
    "XLSX_MAX_ROWS",
    "XLSX_MAX_TEXT",
    "Sheet",
    "csv_chunks",
    "csv_text_chunks",
    "file_chunks",
    "inert",
    "write_xlsx",
]
