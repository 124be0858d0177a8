"""Column types that keep money exact and time unambiguous on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

CENT = Decimal("0.01")


class Money(TypeDecorator[Decimal]):
    """Decimal euros stored as integer cents: SQLite has no exact decimal type."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money must be Decimal, never float")
        amount = Decimal(value)
        if amount != amount.quantize(CENT):
            raise ValueError(f"money has more than two decimals: {amount}")
        return int(amount * 100)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return from_cents(value)

    # Every transition reads and writes several amounts: one plain function each way instead of the
    # decorator-plus-impl chain, with exactly the conversions above.
    def bind_processor(self, dialect: Dialect) -> Any:
        def process(value: Any) -> int | None:
            return None if value is None else self.process_bind_param(value, dialect)

        return process

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        return _from_cents_or_none


def from_cents(value: Any) -> Decimal:
    """Stored integer cents as Decimal euros with exactly two decimals."""
    # scaleb keeps the integer's digits: 2000000 -> 20000.00, exactly two decimals
    return Decimal(int(value)).scaleb(-2)


def _from_cents_or_none(value: Any) -> Decimal | None:
    return None if value is None else from_cents(value)


# Recent moments in SQLite's text form: a transition binds its `now` (and due moments computed from
# the same day) several times over. Bounded; dict operations are atomic, so threads may share it.
_SQLITE_TEXT: dict[Any, str] = {}
_SQLITE_TEXT_MAX = 4096
_NAIVE_TEXT_LENGTHS = (19, 26)  # "YYYY-MM-DD HH:MM:SS" with or without ".ffffff": no offset


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes, stored as UTC; a naive value is refused, never guessed."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime refused: {value!r}")
        utc = value.astimezone(UTC)
        # SQLite keeps text: store naive UTC there so ordering and comparisons stay lexical.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = value
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)

    # On SQLite, one C-level format/parse replaces the decorator-plus-impl chain: every transition
    # writes several of these (measured ~5 us each the long way). The text is SQLAlchemy's own
    # SQLite format, so rows written either way compare and sort alike.
    def bind_processor(self, dialect: Dialect) -> Any:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        def process(value: Any) -> str | None:
            if value is None:
                return None
            # Equal aware datetimes are the same instant, so they share one UTC text; a naive value
            # never equals an aware key and so always reaches the checks below.
            text = _SQLITE_TEXT.get(value)
            if text is not None:
                return text
            if not isinstance(value, datetime):
                raise TypeError(f"expected datetime, got {type(value).__name__}")
            offset = value.utcoffset()
            if offset is None:
                raise ValueError(f"naive datetime refused: {value!r}")
            # "+00:00" cut off: naive UTC text (datetime.replace costs several times more here)
            text = value.astimezone(UTC).isoformat(" ", "microseconds")[:-6]
            if len(_SQLITE_TEXT) >= _SQLITE_TEXT_MAX:
                _SQLITE_TEXT.clear()
            _SQLITE_TEXT[value] = text
            return text

        return process

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)

        def process(value: Any) -> datetime | None:
            if value is None:
                return None
            if isinstance(value, str) and len(value) in _NAIVE_TEXT_LENGTHS:
                return datetime.fromisoformat(value + "+00:00")  # stored as naive UTC text
            moment = datetime.fromisoformat(value) if isinstance(value, str) else value
            return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)

        return process


def to_cents(amount: Decimal) -> int:
    return int(amount.quantize(CENT) * 100)
