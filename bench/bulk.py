"""Rows for building large benchmark databases with bulk inserts (the service is not what they measure)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any


def user_row(email: str, name: str, role: str, team: str, now: datetime) -> dict[str, Any]:
    return {
        "email": email,
        "name": name,
        "role": role,
        "team": team,
        "password_hash": "",
        "active": True,
        "created_at": now,
    }


def policy_row(number: str, insured: str) -> dict[str, Any]:
    return {
        "number": number,
        "insured": insured,
        "activities": "",
        "start_date": date(2020, 1, 1),
        "retroactive_date": date(2015, 1, 1),
        "cover_per_claim": Decimal("1000000"),
        "cover_per_year": Decimal("2000000"),
        "deductible": Decimal("2500"),
        "territory": "wereld",
    }
