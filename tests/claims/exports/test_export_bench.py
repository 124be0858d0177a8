"""The export benchmark's split of the CSV portfolio into its passes counts every row the export writes
(so its per-row figures are of the whole export), on a small database of the benchmark's own making."""

from __future__ import annotations

from pathlib import Path

from bench.exports import build, counts, expected_rows, phases, run_export
from claims.exports.timelines import ExportFormat


def test_the_passes_cover_every_row_of_the_csv_portfolio(tmp_path: Path) -> None:
    path = tmp_path / "exports.db"
    build(path, 3_000)
    split = phases(path)
    expected = expected_rows(counts(path))
    assert expected > 3_000
    assert split["rows"] == expected
    assert run_export(path, ExportFormat.csv, discard=True)["rows"] == expected
    assert all(split[k] > 0 for k in ("read", "build", "write"))
