"""The streamed XLSX writer: its bytes leave while the rows are still being read, and what it wrote is a
workbook openpyxl reads back whole, split over sheets at the row limit, with the exports' styles."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from io import BytesIO
from typing import Any

import pytest
from openpyxl import load_workbook

from claims.exports import xlsx_stream
from claims.exports.files import EURO_FORMAT, MOMENT_FORMAT, Sheet
from claims.exports.xlsx_stream import xlsx_chunks

HEADER = ["Schadenummer", "Tijdstip", "Bedrag (EUR)", "Toelichting"]


def _rows(n: int, read: list[int]) -> Iterator[tuple[Any, ...]]:
    for i in range(n):
        read[0] = i + 1
        note = f"regel {i} <b>&amp;</b> 'x' \u00e9 " + "abcdefghij"[i % 10] * (i % 37)
        yield (f"CF-2026-{i:07d}", f"2026-03-{1 + i % 28:02d}T10:15:00+01:00", Decimal(i) / 4, note)


def _sheet(rows: Any) -> Sheet:
    return Sheet("Tijdlijn", HEADER, rows, moments=frozenset({1}), money=frozenset({2}), widths=(16, 20))


def test_the_first_bytes_leave_before_the_rows_are_all_read() -> None:
    n = 60_000
    read = [0]
    chunks = xlsx_chunks([_sheet(_rows(n, read))])
    first = next(chunks)
    assert first[:2] == b"PK" and read[0] < n // 2, read[0]
    data = first + b"".join(chunks)
    assert read[0] == n
    sheet = load_workbook(BytesIO(data), read_only=True)["Tijdlijn"]
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == n + 1 and list(values[0]) == HEADER
    assert values[5] == (
        "CF-2026-0000004",
        datetime(2026, 3, 5, 10, 15),
        1.0,
        "regel 4 <b>&amp;</b> 'x' \u00e9 eeee",
    )


def test_a_streamed_workbook_keeps_the_styles_the_filter_and_the_frozen_header() -> None:
    data = b"".join(xlsx_chunks([_sheet(_rows(30, [0]))]))
    sheet = load_workbook(BytesIO(data))["Tijdlijn"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:D31"
    assert sheet.column_dimensions["A"].width == 16 and sheet.column_dimensions["B"].width == 20
    assert all(c.font.b for c in sheet[1])
    assert all(c.is_date and c.number_format == MOMENT_FORMAT for c in sheet["B"][1:])
    assert all(c.data_type == "n" and c.number_format == EURO_FORMAT for c in sheet["C"][1:])


def test_a_sheet_past_the_row_limit_goes_on_in_the_next(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx_stream, "XLSX_MAX_ROWS", 11)  # ten rows and the header a sheet
    data = b"".join(xlsx_chunks([_sheet(_rows(25, [0]))]))
    book = load_workbook(BytesIO(data))
    assert book.sheetnames == ["Tijdlijn", "Tijdlijn (2)", "Tijdlijn (3)"]
    assert [book[name].max_row for name in book.sheetnames] == [11, 11, 6]
    assert book["Tijdlijn (3)"].auto_filter.ref == "A1:D6"
    assert book["Tijdlijn (2)"]["A2"].value == "CF-2026-0000010"
