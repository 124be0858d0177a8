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
from claims.storage.models import Claim, MoneyLine, Policy, TimelineEvent, User
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


D = Decimal
# What each seeded case paid, by kind and cost type (money lines net, reserves left out), worked out by
# hand from ../shared/domain/cases.md and the seed's invented steps; zero lines left out
PAID_BY_CASE = {
    # case 1: half of the 250,000 unpaid invoices as mitigation (so the project can be finished)
    "ERP/2025/117": {("payment", "mitigation"): D("125000"), ("payment", "expert"): D("6800")},
    # case 2: open, in settlement; only the expert's fee paid
    "DBN-2026-031": {("payment", "expert"): D("3200")},
    # case 3: 30,000 less the 2,500 deductible of BAV-2022-0003
    "SIA 26-014": {
        ("payment", "damages"): D("27500"),
        ("deductible", "damages"): D("2500"),
        ("payment", "expert"): D("2400"),
    },
    # cases 4, 5 and 6: rejected, nothing paid
    "NP/2026/0412": {},
    "NP/2026/0431": {},
    "DBN-2026-044": {},
    # case 7: open, the settlement of 1.8 million waiting for a manager
    "SHM-2025-0078": {("payment", "expert"): D("18500"), ("payment", "mitigation"): D("48000")},
    # case 8: 470,000 paid to the operator in full (465,000 covered + the 5,000 deductible advanced and
    # collected back); 6:119 from 13 January to 3 March 2026, 19 + 28 + 3 = 50 days on 465,000 at 4%:
    # 465,000 x 0.04 x 50 / 365 = 930,000 / 365 = 2,547.945 -> 2,547.95
    "BS-2026-112": {
        ("payment", "damages"): D("465000"),
        ("payment", "advanced_deductible"): D("5000"),
        ("deductible", "damages"): D("5000"),
        ("payment", "expert"): D("9500"),
        ("payment", "interest"): D("2547.95"),
    },
    # case 9: 185,000 less the 5,000 deductible, the re-entry team 52,000; 25,000 recovered (regres)
    "BSW/26/0009": {
        ("payment", "damages"): D("180000"),
        ("deductible", "damages"): D("5000"),
        ("payment", "mitigation"): D("52000"),
        ("recovery", "damages"): D("25000"),
    },
    # case 10: the extra telephone costs, 7,000 after the provider waived its margin; no deductible
    "CCT-2026-05": {("payment", "damages"): D("7000"), ("payment", "expert"): D("1800")},
    # case 11: 15,000 paid directly; no deductible
    "SW-2026-0311": {("payment", "damages"): D("15000")},
}


def test_each_seeded_case_paid_the_amounts_of_the_domain_texts(engine: Engine, base_runtime: Runtime) -> None:
    seed(engine, base_runtime)
    with Session(engine) as s:
        references = {c.id: c.insured_reference for c in s.exec(select(Claim))}
        paid: dict[str, dict[tuple[str, str], Decimal]] = {r: {} for r in references.values() if r}
        for line in s.exec(select(MoneyLine).where(MoneyLine.kind != "reserve")):
            mine = paid[references[line.claim_id] or ""]
            key = (line.kind, line.cost_type)
            mine[key] = mine.get(key, D(0)) + line.amount
    assert {r: {k: v for k, v in p.items() if v} for r, p in paid.items()} == PAID_BY_CASE
