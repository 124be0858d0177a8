"""A transition's typed input as people read it, by its field's type: what the claim page's timeline shows
and the exports' "Toelichting" writes. Money as Dutch euros, dates and moments in words, a user by name,
a party (a payee) by its name, a choice by its label."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from notifications.formatting import euro, long_date, long_moment

TRUE_WORDS = (True, "true", "ja", "1", 1)


def field_value_text(
    value: Any,
    field_type: str | None,
    choices: Mapping[str, str] | None,
    *,
    users: Mapping[str, str],
    parties: Mapping[str, str],
    tz: ZoneInfo,
) -> str:
    """`value` (as the event's data keeps it) in Dutch for a field of `field_type`; `users` are names by
    e-mail address, `parties` names by party id as text. An empty value is "", a value its type cannot
    read (data from before a field changed type) is written as kept."""
    if value is None or value == "":
        return ""
    if choices and value in choices:
        return choices[value]
    try:
        if field_type == "money":
            return euro(value if isinstance(value, Decimal) else Decimal(str(value)))
        if field_type == "date":
            return long_date(date.fromisoformat(str(value)[:10]))
        if field_type == "datetime":
            return long_moment(datetime.fromisoformat(str(value)), tz)
    except (ValueError, InvalidOperation):
        return str(value)
    if field_type == "user":
        return users.get(str(value), str(value))
    if field_type == "party":
        return parties.get(str(value), f"partij {value}")
    if field_type == "boolean":
        return "ja" if value in TRUE_WORDS else "nee"
    if field_type == "percent":
        return f"{value}%"
    return str(value)
