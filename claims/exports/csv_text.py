"""CSV text exactly as the csv module's writer writes it in its default (excel) dialect: cells joined by
commas, lines ended by CRLF, a cell quoted only when it holds a comma, a double quote, a CR or a LF
(quotes doubled), None empty, a float by its repr, anything else by str.

Why not csv.writer itself: a portfolio's rows repeat most of their text (the claim's reference and kind,
the labels, the names, the empty cells), and the writer examines every character of every cell again on
every row; here each distinct text is quoted once and then found by a dictionary lookup, which took a
quarter or so off the writing of a portfolio's rows (measured on the benchmark's database).
tests/claims/exports/test_csv_text.py holds it to csv.writer's output.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

MAX_TEXTS = 10_000  # distinct texts remembered; then forgotten and learned again, so memory stays flat


def csv_cell(value: Any) -> str:
    """One cell as csv.writer writes it."""
    if value is None:
        return ""
    if isinstance(value, str):
        text: str = value
    elif isinstance(value, float):
        text = repr(value)  # the writer's choice for floats (the same text as str since Python 3.2)
    else:
        text = str(value)
    if '"' in text:
        return '"' + text.replace('"', '""') + '"'
    if "," in text or "\n" in text or "\r" in text:
        return '"' + text + '"'
    return text


class CsvCells(dict[Any, str]):
    """The cells of one file as CSV text, by value: texts are remembered, numbers (an id, an amount) are
    written each time. Only exact str keys are kept, so 1, 1.0, True and Decimal("1.00"), which are
    equal as dictionary keys, never share an entry."""

    def __init__(self) -> None:
        super().__init__({None: ""})

    def __missing__(self, value: Any) -> str:
        text = csv_cell(value)
        if value.__class__ is str:
            if len(self) >= MAX_TEXTS:
                self.clear()
                self[None] = ""
            self[value] = text
        return text


def csv_lines(rows: Sequence[Sequence[Any]], cells: CsvCells) -> str:
    """`rows` as CSV text, every line ended by CRLF ('' for no rows)."""
    cell = cells.__getitem__
    lines = [",".join(map(cell, row)) for row in rows]
    if not lines:
        return ""
    if "" in lines:
        # the writer quotes a row of one empty cell, '""', so that it is not read back as no cells
        lines = ['""' if not line and len(row) == 1 else line for line, row in zip(lines, rows, strict=True)]
    return "\r\n".join(lines) + "\r\n"
