"""Rows for building large benchmark databases with bulk inserts (the service is not what they measure)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from claims.storage import text_counts


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


def claim_row(n: int, *, created: datetime, **fields: Any) -> dict[str, Any]:
    """Claim number `n`, in state expertise unless `fields` say otherwise."""
    return {
        "id": n,
        "reference": f"CF-2026-{n:07d}",
        "kind": "contract_breach",
        "spec_version": 1,
        "state": "expertise",
        "version": 1,
        "policy_id": 1,
        "handler_id": 1,
        "expert_id": None,
        "claimant": "K",
        "claimant_counsel": "",
        "description": "",
        "is_circumstance": False,
        "date_error": date(2026, 1, 1),
        "date_known": date(2026, 2, 1),
        "date_reported": date(2026, 3, 1),
        "personal_data": False,
        "amount_claimed": Decimal("1000"),
        "case_data": {},
        "created_at": created,
        "state_entered_at": created,
        "closed_at": None,
    } | fields


def finish(engine: Any) -> None:
    """Statistics for the planner, and the WAL folded back, before anything is timed."""
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    # the search's trigram counts, as the scheduler keeps them
    text_counts.refresh(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
