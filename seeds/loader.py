"""Loads the demo data: users, policies with their parties, interest rates and the eleven cases of the
domain texts.

Each case is brought to its state by firing its real transitions through claims.service, with the
clock set to the moment each step happened; a case loaded before is found by its insured's reference.
Every party the seeds give (the policies' holders and brokers, the claimants, counsel) is invented and
marked so. Running it twice changes nothing the second time.
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

from claims.complaints.terms import TURNOVER_BANDS
from claims.money.rates import load_interest_rates
from claims.parties.fields import clean_party
from claims.people.users import add_user, user_by_email
from claims.runtime import Runtime
from claims.service import advance, approve_proposal, open_claim
from claims.storage.models import PartyRole
from claims.storage.records import ClaimRecord
from claims.storage.repositories import claims, parties, payments, policies
from workflow.errors import WorkflowError

SEED_FILE = Path(__file__).parent / "demo.yaml"


@dataclass
class SeedReport:
    users: int = 0
    policies: int = 0
    parties: int = 0
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
            if p.get("turnover_band") not in (None, *TURNOVER_BANDS):
                raise SeedError(
                    f"{p['number']}: turnover_band {p['turnover_band']!r} is none of "
                    + ", ".join(TURNOVER_BANDS)
                )
            if policies.by_number(session.connection(), p["number"]) is None:
                policies.add(session.connection(), {**p, **{k: Decimal(p[k]) for k in _POLICY_MONEY}})
                report.policies += 1
            report.parties += _seed_policy_parties(session, rt, p, data.get("policy_parties", {}))
        session.commit()
        for case in data["cases"]:
            existing = _seeded_claim(session, _insured_reference(case))
            if existing is not None:
                _check_seeded(existing, case)
                continue
            report.transitions += _seed_case(session, rt, case)
            report.claims += 1
    return report


def _seed_policy_parties(
    session: Session, rt: Runtime, policy: dict[str, Any], listed: dict[str, Any]
) -> int:
    """The policy's holder and broker as the seed file lists them, each added unless the policy has a
    party of that role and name already; how many were added."""
    conn = session.connection()
    found = policies.by_number(conn, policy["number"])
    assert found is not None  # added above
    wanted = listed.get(policy["number"], [])
    if not any(p.get("role") == PartyRole.insured and p.get("name") == policy["insured"] for p in wanted):
        raise SeedError(
            f"{policy['number']}: policy_parties must list its holder, {policy['insured']}, as insured"
        )
    have = {(p.role, p.name) for p in parties.of_policy(conn, found.id)}
    added = 0
    for raw in wanted:
        try:
            party = clean_party(raw)
        except WorkflowError as exc:
            raise SeedError(f"{policy['number']}: party {raw.get('name')}: {exc}") from exc
        if (party["role"], party["name"]) in have:
            continue
        now = rt.clock()
        parties.add(
            conn, {**party, "policy_id": found.id, "invented": True, "created_at": now, "updated_at": now}
        )
        added += 1
    return added


_POLICY_MONEY = ("cover_per_claim", "cover_per_year", "deductible")


def _at(value: Any, rt: Runtime) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=rt.tz) if moment.tzinfo is None else moment


class SeedError(WorkflowError):
    """The demo data cannot be loaded as written; the message names the case and the step."""


def _insured_reference(case: dict[str, Any]) -> str:
    """The insured's own reference of a case: what its claim carries, and how it is found again."""
    reference = case["melding"].get("insured_reference")
    if not reference:
        raise SeedError(f"{case['key']}: the melding needs an insured_reference (the claim is found by it)")
    return str(reference)


def _seeded_claim(session: Session, insured_reference: str) -> ClaimRecord | None:
    """The claim of a case loaded before, by the insured's reference it was opened with."""
    conn = session.connection()
    reference = claims.reference_with_insured_reference(conn, insured_reference)
    return None if reference is None else claims.by_reference(conn, reference)


def _check_seeded(claim: ClaimRecord, case: dict[str, Any]) -> None:
    """A case loaded before must be complete: a run that stopped halfway is not silently accepted."""
    steps = len(case.get("steps", []))
    held = sum(1 for step in case.get("steps", []) if step.get("proposal"))
    if claim.state != case["expected_state"] or claim.version != steps + 1 - held:
        raise SeedError(
            f"{case['key']}: {claim.reference} stands at '{claim.state}' (version {claim.version}), "
            f"expected '{case['expected_state']}' after {steps} steps; an earlier seed stopped halfway. "
            "Start from a fresh database."
        )


def _seed_case(session: Session, rt: Runtime, case: dict[str, Any]) -> int:
    melding = {**case["melding"], "insured_reference": _insured_reference(case)}
    try:
        opener = _user(session, case["melding"]["handler"])
        opened = open_claim(session, _at_clock(rt, case["opened_at"]), melding, opener)
    except WorkflowError as exc:
        raise SeedError(f"{case['key']}: melding refused: {exc}") from exc
    # the demo's parties are all made up: those the melding listed, and those copied from the policy
    parties.mark_invented(session.connection(), opened.claim_id)
    session.commit()
    version = opened.version
    for number, step in enumerate(case.get("steps", []), 1):
        where = f"{case['key']} step {number} ({step['do']})"
        clock = _at_clock(rt, step["at"])
        try:
            if step["do"] == "approve":  # a manager approves the proposal waiting on the claim
                waiting = payments.open_proposals_of_claim(session.connection(), opened.claim_id)
                if not waiting:
                    raise SeedError(f"{where}: no proposal waits for approval")
                session.commit()
                result = approve_proposal(
                    session,
                    clock,
                    waiting[0].id,
                    _user(session, step["by"]),
                    (step.get("with") or {}).get("comment", ""),
                )
            else:
                result = advance(
                    session,
                    clock,
                    opened.reference,
                    step["do"],
                    _resolve_parties(session, opened.claim_id, step.get("with") or {}, where),
                    _user(session, step["by"]),
                    version,
                )
        except WorkflowError as exc:
            raise SeedError(f"{where}: {exc}") from exc
        if bool(step.get("proposal")) != (result.proposal_id is not None):
            said = "above" if result.proposal_id is not None else "within"
            raise SeedError(f"{where}: went {said} the actor's authority, the seed file says otherwise")
        version = result.version
    seeded = claims.by_reference(session.connection(), opened.reference)
    assert seeded is not None  # opened just now
    _check_seeded(seeded, case)
    return len(case.get("steps", []))


def _resolve_parties(session: Session, claim_id: int, values: dict[str, Any], where: str) -> dict[str, Any]:
    """`party:<role>` in a step's inputs: the claim's (first) party of that role, by its number."""
    out = dict(values)
    for name, value in values.items():
        if isinstance(value, str) and value.startswith("party:"):
            role = value.removeprefix("party:")
            found = [p for p in parties.of_claim(session.connection(), claim_id) if p.role == role]
            if not found:
                raise SeedError(f"{where}: the claim has no party '{role}' for {name}")
            out[name] = found[0].id
    return out


def _at_clock(rt: Runtime, value: Any) -> Runtime:
    moment = _at(value, rt).astimezone(UTC)
    return replace(rt, clock=lambda: moment)


def _user(session: Session, email: str) -> Any:
    user = user_by_email(session, email)
    if user is None:
        raise SeedError(f"the seed file names an unknown user: {email}")
    return user
