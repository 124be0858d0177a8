"""How amounts and moments are shown to Dutch users."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo


def euro(amount: Decimal) -> str:
    """€ 125.000,00: dots between thousands, a comma before the cents."""
    sign = "-" if amount < 0 else ""
    text = f"{abs(amount):,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return f"€ {sign}{text}"


def local_moment(moment: datetime, tz: ZoneInfo) -> str:
    """23-10-2025 16:00 in the given zone (stored moments are UTC)."""
    return moment.astimezone(tz).strftime("%d-%m-%Y %H:%M")
