"""Test objects made in one place: the clock, the people and policy of a test world, a melding."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from claims.people.users import add_user
from claims.storage.models import Policy, User


class Clock:
    """A settable clock: tests move time on explicitly."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class World:
    handler: User
    other_handler: User
    manager: User
    other_manager: User
    expert: User
    admin: User
    policy: Policy


def make_world(engine: Engine, clock: Clock) -> World:
    """Two handlers (authority 50,000), two managers, an expert, an admin and one policy."""
    with Session(engine, expire_on_commit=False) as s:

        def user(email: str, role: str, limit: str | None) -> User:
            return add_user(
                s,
                email=email,
                name=email.split("@")[0],
                role=role,
                password="wachtwoord-1",
                now=clock(),
                authority_limit=Decimal(limit) if limit else None,
            )

        w = World(
            handler=user("h@test.nl", "handler", "50000"),
            other_handler=user("h2@test.nl", "handler", "50000"),
            manager=user("m@test.nl", "manager", "2500000"),
            other_manager=user("m2@test.nl", "manager", "2500000"),
            expert=user("e@test.nl", "expert", None),
            admin=user("a@test.nl", "admin", None),
            policy=Policy(
                number="BAV-TEST-1",
                insured="Test ICT B.V.",
                start_date=date(2020, 1, 1),
                retroactive_date=date(2015, 1, 1),
                cover_per_claim=Decimal("1000000"),
                cover_per_year=Decimal("2000000"),
                deductible=Decimal("2500"),
            ),
        )
        s.add(w.policy)
        s.commit()
        for obj in vars(w).values():
            s.refresh(obj)
    return w


def melding(kind: str = "contract_breach", **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": kind,
        "policy_number": "BAV-TEST-1",
        "claimant": "Opdrachtgever B.V.",
        "description": "Fout in een update",
        "date_error": "2026-10-01",
        "date_known": "2026-10-05",
        "date_reported": "2026-11-02",
        "amount_claimed": "20000",
    }
    if kind == "data_loss":
        data |= {"personal_data": "true", "awareness_at": "2026-11-01T10:00"}
    return data | overrides
