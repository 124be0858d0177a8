"""Loads the demo data: users, policies, interest rates and the eleven cases of the domain texts.

Each case is brought to its state by firing its real transitions through claims.service, with the
clock set to the moment each step happened. Running it twice changes nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine
from sqlmodel import Session

from claims.money.rates import load_interest_rates
from claims.people.users import add_user, user_by_email
from claims.runtime import Runtime
from claims.service import advance, open_claim
from claims.storage.records import ClaimRecord
from claims.storage.repositories import claims, policies
from workflow.errors import WorkflowError

SEED_FILE = Path(__file__).parent / "demo.yaml"


@dataclass
class SeedReport:
    users: int = 0
    policies: int = 0
    rates: int = 0
    claims: int = 0
    transitions: int = 0


def load_seed_file(path: Path = SEED_FILE) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def seed(engine: Engine, rt: Runtime, path: Path = SEED_FILE) -> SeedReport:
    """Load what is missing of the demo data; idempotent."""
    data = load_seed_file(path)
    report = SeedReport()
    with Session(engine, expire_on_commit=False) as session:
        report.rates = load_interest_rates(session)
        for u in data["users"]:
            if user_by_email(session, u["email"]) is None:
                add_user(
                    session,
                    email=u["email"],
                    name=u["name"],
                    role=u["role"],
                    password=u["password"],
                    now=rt.clock(),
                    authority_limit=Decimal(u["authority_limit"]) if "authority_limit" in u else None,
                )
                report.users += 1
        for p in data["policies"]:
            if policies.by_number(session.connection(), p["number"]) is None:
                policies.add(session.connection(), {**p, **{k: Decimal(p[k]) for k in _POLICY_MONEY}})
                report.policies += 1
        session.commit()
        for case in data["cases"]:
            existing = _seeded_claim(session, case["key"])
            if existing is not None:
                _check_seeded(existing, case)
                continue
            report.transitions += _seed_case(session, rt, case)
            report.claims += 1
    return report


_POLICY_MONEY = ("cover_per_claim", "cover_per_year", "deductible")


def _at(value: Any, rt: Runtime) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=rt.tz) if moment.tzinfo is None else moment


class SeedError(WorkflowError):
    """The demo data cannot be loaded as written; the message names the case and the step."""


def _seeded_claim(session: Session, key: str) -> ClaimRecord | None:
    """The claim of a case loaded before (its key is the claim's insured reference)."""
    conn = session.connection()
    reference = claims.reference_with_insured_reference(conn, key)
    return None if reference is None else claims.by_reference(conn, reference)


def _check_seeded(claim: ClaimRecord, case: dict[str, Any]) -> None:
    """A case loaded before must be complete: a run that stopped halfway is not silently accepted."""
    steps = len(case.get("steps", []))
    if claim.state != case["expected_state"] or claim.version != steps + 1:
        raise SeedError(
            f"{case['key']}: {claim.reference} stands at '{claim.state}' (version {claim.version}), "
            f"expected '{case['expected_state']}' after {steps} steps; an earlier seed stopped halfway. "
            "Start from a fresh database."
        )


def _seed_case(session: Session, rt: Runtime, case: dict[str, Any]) -> int:
    melding = {**case["melding"], "insured_reference": case["key"]}
    try:
        opener = _user(session, case["melding"]["handler"])
        opened = open_claim(session, _at_clock(rt, case["opened_at"]), melding, opener)
    except WorkflowError as exc:
        raise SeedError(f"{case['key']}: melding refused: {exc}") from exc
    version = opened.version
    for number, step in enumerate(case.get("steps", []), 1):
        try:
            result = advance(
                session,
                _at_clock(rt, step["at"]),
                opened.reference,
                step["do"],
                step.get("with") or {},
                _user(session, step["by"]),
                version,
            )
        except WorkflowError as exc:
            raise SeedError(f"{case['key']} step {number} ({step['do']}): {exc}") from exc
        version = result.version
    seeded = claims.by_reference(session.connection(), opened.reference)
    assert seeded is not None  # opened just now
    _check_seeded(seeded, case)
    return len(case.get("steps", []))


def _at_clock(rt: Runtime, value: Any) -> Runtime:
    moment = _at(value, rt).astimezone(UTC)
    return replace(rt, clock=lambda: moment)


def _user(session: Session, email: str) -> Any:
    user = user_by_email(session, email)
    if user is None:
        raise SeedError(f"the seed file names an unknown user: {email}")
    return user
