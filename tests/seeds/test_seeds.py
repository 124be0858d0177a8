"""The demo data: the eleven cases of the domain texts reach their expected states by real transitions."""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from claims.reads.queries import claim_view
from claims.runtime import Runtime
from claims.storage.models import Claim, Policy, TimelineEvent, User
from seeds.loader import SeedError, load_seed_file, seed


def test_seeded_cases_reach_their_expected_states(engine: Engine, base_runtime: Runtime) -> None:
    report = seed(engine, base_runtime)
    cases = load_seed_file()["cases"]
    assert report.claims == len(cases) == 11
    with Session(engine) as s:
        claims = {c.insured_reference: c for c in s.exec(select(Claim))}
        for case in cases:
            claim = claims[case["melding"]["insured_reference"]]
            assert claim.state == case["expected_state"], case["case"]
            opened = s.exec(
                select(func.count()).select_from(TimelineEvent).where(TimelineEvent.claim_id == claim.id)
            ).one()
            # reached by firing transitions: one event per step plus the melding; a step above its
            # actor's authority is held as a proposal (an event, no new version) until approved
            held = sum(1 for step in case.get("steps", []) if step.get("proposal"))
            assert opened == len(case.get("steps", [])) + 1
            assert claim.version == len(case.get("steps", [])) + 1 - held


def test_seed_is_idempotent(engine: Engine, base_runtime: Runtime) -> None:
    seed(engine, base_runtime)
    again = seed(engine, base_runtime)
    assert (again.users, again.policies, again.claims, again.transitions) == (0, 0, 0, 0)
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Claim)).one() == 11
        assert s.exec(select(func.count()).select_from(Policy)).one() == 9
        roles = {u.role for u in s.exec(select(User))}
    assert roles == {"handler", "expert", "manager", "admin"}


def test_case_1_advance_is_half_of_the_unpaid_invoices(engine: Engine, base_runtime: Runtime) -> None:
    seed(engine, base_runtime)
    with Session(engine) as s:
        ref = s.exec(select(Claim.reference).where(Claim.insured_reference == "ERP/2025/117")).one()
        view = claim_view(s, base_runtime, ref)
    assert view.money.paid["mitigation"] == Decimal("125000.00")  # booked as mitigation, not an advance
    assert view.money.paid["damages"] == Decimal("0.00")
    assert view.claim.outcome == "settled"
    dates = [e["at"] for e in _timeline(engine, ref)]
    assert dates[0].astimezone(base_runtime.tz).strftime("%Y-%m-%d") == "2025-10-10"


def _timeline(engine: Engine, ref: str) -> list[dict[str, object]]:
    from claims.reads.queries import timeline

    with Session(engine) as s:
        return timeline(s, ref)


def test_a_seed_that_stopped_halfway_is_not_taken_for_done(
    engine: Engine, base_runtime: Runtime, tmp_path: Path
) -> None:
    data = load_seed_file()
    broken = copy.deepcopy(data)
    case = next(c for c in broken["cases"] if c["key"] == "SEED-03")
    case["steps"][-1]["with"]["damages"] = "veel"  # the last step is refused
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(broken, allow_unicode=True), encoding="utf-8")
    with pytest.raises(SeedError, match=r"SEED-03 step 9 \(settle\)"):
        seed(engine, base_runtime, path)
    with pytest.raises(SeedError, match=r"SEED-03: .* stands at 'regeling'"):
        seed(engine, base_runtime)


def test_every_seeded_party_is_invented_with_an_address_and_the_seeds_add_them_once(
    engine: Engine, base_runtime: Runtime
) -> None:
    from claims.storage.models import Party

    seed(engine, base_runtime)
    again = seed(engine, base_runtime)
    assert again.parties == 0
    with Session(engine) as s:
        found = list(s.exec(select(Party)))
        claims = {c.id: c for c in s.exec(select(Claim))}
    assert found and all(p.invented for p in found)
    assert all(p.street and p.postcode and p.city for p in found)
    policy_holders = [p for p in found if p.policy_id is not None and p.role == "insured"]
    assert len(policy_holders) == 9 and all(
        p.kvk and (p.email or p.channel == "post") for p in policy_holders
    )
    assert len([p for p in found if p.policy_id is not None and p.role == "broker"]) >= 3
    # every claim has its insured (with the insured's own reference, not a seed key) and its claimant
    for claim in claims.values():
        mine = [p for p in found if p.claim_id == claim.id]
        insured = next(p for p in mine if p.role == "insured")
        assert insured.reference == claim.insured_reference and not insured.reference.startswith("SEED")
        assert any(p.role == "claimant" and p.name == claim.claimant for p in mine)
    counsel = next(p for p in found if p.role == "counsel")
    assert (counsel.name, counsel.attention) == ("Boer Advocaten", "mr. A. de Boer") and counsel.reference
