"""Test objects made in one place: the clock, users, policies, the people and policy of a test world, a
melding."""

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


PASSWORD = "wachtwoord-1"


def make_user(
    session: Session,
    email: str,
    role: str = "handler",
    *,
    now: datetime,
    name: str | None = None,
    team: str = "BAV",
    authority_limit: str | None = None,
    password: str = PASSWORD,
) -> User:
    """A stored user (flushed in `session`); named after their e-mail address unless `name` is given."""
    return add_user(
        session,
        email=email,
        name=name or email.split("@")[0],
        role=role,
        password=password,
        now=now,
        team=team,
        authority_limit=Decimal(authority_limit) if authority_limit else None,
    )


def make_policy(number: str = "BAV-TEST-1", **overrides: Any) -> Policy:
    """A policy (not yet added): cover 1,000,000 a claim and 2,000,000 a year, deductible 2,500."""
    values: dict[str, Any] = {
        "number": number,
        "insured": "Test ICT B.V.",
        "start_date": date(2020, 1, 1),
        "retroactive_date": date(2015, 1, 1),
        "cover_per_claim": Decimal("1000000"),
        "cover_per_year": Decimal("2000000"),
        "deductible": Decimal("2500"),
    }
    return Policy(**(values | overrides))


def make_world(engine: Engine, clock: Clock) -> World:
    """Two handlers (authority 50,000), two managers, an expert, an admin and one policy."""
    with Session(engine, expire_on_commit=False) as s:
        now = clock()
        w = World(
            handler=make_user(s, "h@test.nl", "handler", now=now, authority_limit="50000"),
            other_handler=make_user(s, "h2@test.nl", "handler", now=now, authority_limit="50000"),
            manager=make_user(s, "m@test.nl", "manager", now=now, authority_limit="2500000"),
            other_manager=make_user(s, "m2@test.nl", "manager", now=now, authority_limit="2500000"),
            expert=make_user(s, "e@test.nl", "expert", now=now),
            admin=make_user(s, "a@test.nl", "admin", now=now),
            policy=make_policy(),
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
        # received the day the test's clock registers it (16 November): terms count from the receipt
        "date_error": "2026-10-15",
        "date_known": "2026-10-20",
        "date_reported": "2026-11-16",
        "amount_claimed": "20000",
    }
    if kind == "data_loss":
        data |= {"personal_data": "true", "awareness_at": "2026-11-01T10:00", "data_role": "controller"}
    return data | overrides
