"""A portfolio export of 200,000 events (about 600,000 rows) runs in memory that does not grow with the
number of rows: its peak of Python allocations is about that of an export a tenth its size. Memory, not
time, is asserted here; bench/exports.py measures speed."""

from __future__ import annotations

import os
import tracemalloc
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench.exports import build
from claims.exports.query import PortfolioFilter
from claims.exports.timelines import ExportFormat, PortfolioMode, export_portfolio
from claims.runtime import Runtime
from claims.storage.db import make_engine

pytestmark = pytest.mark.slow
MB = 1_000_000


def _peak(path: Path, rt: Runtime) -> tuple[int, int]:
    """(rows written, peak traced bytes) of a CSV export of everything in `path`, written to /dev/null."""
    engine = make_engine(f"sqlite:///{path}")
    written = 0

    def progress(rows: int) -> None:
        nonlocal written
        written += rows

    tracemalloc.start()
    try:
        export = export_portfolio(
            engine,
            rt,
            PortfolioFilter(),
            PortfolioMode.events,
            ExportFormat.csv,
            None,
            "cli",
            progress=progress,
        )
        with open(os.devnull, "wb") as sink:
            for chunk in export.chunks:
                sink.write(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        engine.dispose()
    return written, peak


def test_a_portfolio_export_of_100000_events_runs_in_bounded_memory(
    tmp_path: Path, base_runtime: Runtime
) -> None:
    rt = replace(base_runtime, clock=lambda: datetime(2026, 11, 23, 12, tzinfo=UTC))
    small, large = tmp_path / "small.db", tmp_path / "large.db"
    build(small, 10_000)
    build(large, 100_000)
    few, small_peak = _peak(small, rt)
    many, large_peak = _peak(large, rt)
    assert many > 250_000 and many > 9 * few
    assert large_peak < 40 * MB, f"{large_peak / MB:.1f} MB for {many:,} rows"
    # ten times the rows, about the same memory: one chunk of claims at a time
    assert large_peak < 1.5 * small_peak + 2 * MB, (small_peak, large_peak)
