"""CSV text as csv.writer writes it: the same bytes for any cells (quotes, commas, line breaks, empty
cells, numbers), numbers that are equal as dictionary keys kept apart, and the same text after the
remembered cells are forgotten."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from claims.exports import csv_text
from claims.exports.csv_text import CsvCells, csv_cell, csv_lines
from claims.storage.coltypes import from_cents


def _writer(rows: Sequence[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


TEXT = st.text(alphabet=st.sampled_from(list("ab ,\"\r\n\t'=é€;")) | st.characters(), max_size=12)
CELL = st.one_of(
    TEXT,
    st.none(),
    st.integers(-(10**6), 10**6),
    st.booleans(),
    st.floats(allow_nan=False),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.dates(),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(CELL, max_size=6), max_size=8))
def test_lines_are_what_csv_writer_writes(rows: list[list[Any]]) -> None:
    cells = CsvCells()
    assert csv_lines(rows, cells) == _writer(rows)
    assert csv_lines(rows, cells) == _writer(rows)  # and again from the remembered cells


def test_a_row_of_one_empty_cell_is_quoted_and_an_empty_row_is_a_bare_line_end() -> None:
    rows: list[list[Any]] = [[""], [None], [], ["", ""], ["a"]]
    assert csv_lines(rows, CsvCells()) == _writer(rows) == '""\r\n""\r\n\r\n,\r\na\r\n'


def test_equal_numbers_of_different_types_keep_their_own_text() -> None:
    # 1, True, 1.0 and Decimal("1.00") are one dictionary key: each must still be written its own way
    rows = [[1, True, 1.0, Decimal("1.00"), "1"], [Decimal("1.00"), 1.0, True, 1, "1"]]
    assert csv_lines(rows, CsvCells()) == "1,True,1.0,1.00,1\r\n1.00,1.0,True,1,1\r\n"


def test_amounts_in_cents_and_negative_amounts_are_written_with_two_decimals() -> None:
    amounts = [from_cents(c) for c in (0, 5, -5, 1999, -750, 12500000, -100)]
    assert [csv_cell(a) for a in amounts] == ["0.00", "0.05", "-0.05", "19.99", "-7.50", "125000.00", "-1.00"]
    assert csv_lines([amounts], CsvCells()) == _writer([amounts])


def test_text_with_quotes_commas_and_line_breaks_is_quoted() -> None:
    row = ['zei "nee"', "a,b", "regel 1\nregel 2", "cr\r", "gewoon", "'=1+1", date(2026, 3, 29)]
    assert csv_lines([row], CsvCells()) == _writer([row])
    assert csv_cell('zei "nee"') == '"zei ""nee"""'


def test_the_text_stays_the_same_after_the_remembered_cells_are_forgotten(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(csv_text, "MAX_TEXTS", 3)
    cells = CsvCells()
    rows = [[f"t{i % 7}", 'a"b', None, i] for i in range(50)]
    assert csv_lines(rows, cells) == _writer(rows)
    assert len(cells) <= 3
