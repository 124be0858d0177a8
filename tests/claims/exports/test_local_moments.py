"""The exports' moments in Amsterdam time (rows.LocalMoments, which remembers texts by value and the
offset per UTC hour): right on both sides of the DST changes on the last Sundays of March and October,
for SQLite's text and for datetimes, the first time and when remembered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from claims.exports import rows
from claims.exports.rows import LocalMoments

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def _stored(moment: datetime) -> str:
    """A moment as SQLite keeps it: naive UTC text with microseconds."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _expected(moment: datetime) -> str:
    return moment.astimezone(AMSTERDAM).isoformat(timespec="seconds")


@pytest.mark.parametrize(
    ("utc", "local"),
    [
        # 29 March 2026: at 01:00 UTC the clocks go from 02:00 CET to 03:00 CEST
        (datetime(2026, 3, 29, 0, 59, 59, 999999, tzinfo=UTC), "2026-03-29T01:59:59+01:00"),
        (datetime(2026, 3, 29, 1, 0, 0, tzinfo=UTC), "2026-03-29T03:00:00+02:00"),
        # 25 October 2026: at 01:00 UTC the clocks go from 03:00 CEST back to 02:00 CET
        (datetime(2026, 10, 25, 0, 59, 59, tzinfo=UTC), "2026-10-25T02:59:59+02:00"),
        (datetime(2026, 10, 25, 1, 0, 0, tzinfo=UTC), "2026-10-25T02:00:00+01:00"),
        # the day before the night of 31 December
        (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), "2027-01-01T00:30:00+01:00"),
    ],
)
def test_moments_on_both_sides_of_a_dst_change(utc: datetime, local: str) -> None:
    moments = LocalMoments(AMSTERDAM)
    for _ in range(2):  # learned, then remembered
        assert moments(_stored(utc)) == local
        assert moments(utc) == local


def test_every_minute_of_the_dst_nights_matches_the_zone() -> None:
    moments = LocalMoments(AMSTERDAM)
    for night in (datetime(2026, 3, 28, 22, tzinfo=UTC), datetime(2026, 10, 24, 22, tzinfo=UTC)):
        for minute in range(6 * 60):
            moment = night + timedelta(minutes=minute, seconds=minute % 60)
            assert moments(_stored(moment)) == _expected(moment), moment
    # the same instants again, now from what was remembered
    for night in (datetime(2026, 3, 28, 22, tzinfo=UTC), datetime(2026, 10, 24, 22, tzinfo=UTC)):
        for minute in range(0, 6 * 60, 7):
            moment = night + timedelta(minutes=minute, seconds=minute % 60)
            assert moments(_stored(moment)) == _expected(moment), moment


def test_no_moment_is_empty_and_forgetting_keeps_the_texts_right(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rows, "MAX_REMEMBERED", 5)
    moments = LocalMoments(AMSTERDAM)
    assert moments(None) == ""
    start = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    for i in range(40):
        moment = start + timedelta(minutes=3 * i)
        assert moments(_stored(moment)) == _expected(moment)
    assert len(moments.texts) <= 5


def test_a_zone_whose_offset_is_not_whole_hours() -> None:
    kolkata = ZoneInfo("Asia/Kolkata")  # +05:30: through datetime arithmetic, not the hour's text
    moment = datetime(2026, 3, 29, 1, 15, 7, tzinfo=UTC)
    assert LocalMoments(kolkata)(_stored(moment)) == "2026-03-29T06:45:07+05:30"
