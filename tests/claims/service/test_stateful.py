"""Random lives of claims: any trigger, any actor, good and bad inputs, stale versions, time passing.
Whatever happens, the invariants of the claim file hold."""

from __future__ import annotations

import shutil
from collections import Counter, defaultdict
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import Engine
from sqlmodel import Session, select

from claims.errors import StaleClaim
from claims.runtime import Runtime
from claims.service import advance, open_claim
from claims.storage.db import make_engine
from claims.storage.models import OUTSIDE_LIMIT, Claim, Deadline, MoneyKind, MoneyLine, Policy, TimelineEvent
from tests.claims.driver import actor_for, sample_inputs
from tests.factories import Clock, melding
from workflow.errors import WorkflowError

KINDS = ["contract_breach", "data_loss", "late_delivery", "unpaid_fee"]
GARBAGE = [{}, {"damages": "abc"}, {"amount": "-1"}, {"reasons": "nee", "ground": "overig"}, {"x": "1"}]


@pytest.mark.slow
def test_random_claim_lives_keep_the_invariants(
    _sqlite_template: Path, base_runtime: Runtime, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    counter = iter(range(10**6))
    outcomes: Counter[str] = Counter()

    class ClaimLives(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            path = tmp_path / f"life{next(counter)}.db"
            shutil.copy(_sqlite_template, path)
            self.engine: Engine = make_engine(f"sqlite:///{path}")
            self.clock = Clock(base_runtime.clock().replace(year=2026, month=11, day=16, hour=9, minute=0))
            self.rt = replace(base_runtime, clock=self.clock)
            self.refs: list[str] = []

        def teardown(self) -> None:
            self.engine.dispose()

        @initialize()
        def people(self) -> None:
            from tests.conftest import world as world_fixture

            self.world = world_fixture.__wrapped__(self.engine, self.clock)  # type: ignore[attr-defined]
            self.users = [
                self.world.handler,
                self.world.other_handler,
                self.world.manager,
                self.world.other_manager,
                self.world.expert,
                self.world.admin,
            ]

        @rule(kind=st.sampled_from(KINDS), amount=st.sampled_from(["5000", "20000", "90000", "750000"]))
        def report(self, kind: str, amount: str) -> None:
            with Session(self.engine, expire_on_commit=False) as s:
                self.refs.append(
                    open_claim(s, self.rt, melding(kind, amount_claimed=amount), self.world.handler).reference
                )

        @rule(
            pick=st.integers(0, 10**6),
            trigger_pick=st.integers(0, 10**6),
            actor_pick=st.integers(0, 17),
            garbage=st.one_of(*[st.none()] * 5, st.sampled_from(GARBAGE)),
            stale=st.sampled_from([False] * 5 + [True]),
            big=st.booleans(),
        )
        def fire(
            self,
            pick: int,
            trigger_pick: int,
            actor_pick: int,
            garbage: dict[str, Any] | None,
            stale: bool,
            big: bool,
        ) -> None:
            if not self.refs:
                return
            ref = self.refs[pick % len(self.refs)]
            with Session(self.engine) as s:
                claim = s.exec(select(Claim).where(Claim.reference == ref)).one()
            spec = self.rt.catalog.spec(claim.kind, claim.spec_version)
            own = spec.transitions_from(claim.state)
            # mostly a trigger of this state, sometimes any trigger of the kind
            candidates = list(own) if own and trigger_pick % 5 else list(spec.transitions)
            t = candidates[trigger_pick % len(candidates)]
            inputs = sample_inputs(t, self.world, claim) if garbage is None else garbage
            if big and "damages" in inputs:
                inputs["damages"] = "400000"
            # mostly the person whose job it is, sometimes anyone
            actor = (
                actor_for(t, self.world, claim) if actor_pick >= len(self.users) else self.users[actor_pick]
            )
            try:
                with Session(self.engine) as s:
                    advance(
                        s,
                        self.rt,
                        ref,
                        t.trigger,
                        inputs,
                        actor,
                        claim.version - 1 if stale else claim.version,
                    )
                outcomes["fired"] += 1
            except StaleClaim:
                assert stale
                outcomes["stale"] += 1
            except WorkflowError:
                outcomes["refused"] += 1  # the invariants below prove it changed nothing harmful

        @rule(hours=st.integers(1, 24 * 40))
        def time_passes(self, hours: int) -> None:
            self.clock.advance(hours=hours)

        @invariant()
        def claim_file_is_consistent(self) -> None:
            with Session(self.engine) as s:
                claims = s.exec(select(Claim)).all()
                events: dict[int, list[TimelineEvent]] = defaultdict(list)
                for e in s.exec(select(TimelineEvent)):
                    events[e.claim_id].append(e)
                lines: dict[int, list[MoneyLine]] = defaultdict(list)
                for ln in s.exec(select(MoneyLine)):
                    lines[ln.claim_id].append(ln)
                deadlines: dict[int, list[Deadline]] = defaultdict(list)
                for d in s.exec(select(Deadline)):
                    deadlines[d.claim_id].append(d)
                policies = {p.id: p for p in s.exec(select(Policy))}
            for c in claims:
                spec = self.rt.catalog.spec(c.kind, c.spec_version)
                assert c.state in spec.states
                # timeline length = version, and the versions are 1..n in order
                assert [e.claim_version for e in events[c.id]] == list(range(1, c.version + 1))
                assert events[c.id][-1].to_state == c.state
                # money adds up
                policy = policies[c.policy_id]
                reserve: dict[str, Decimal] = defaultdict(Decimal)
                paid_limited = Decimal(0)
                deductibles = [ln for ln in lines[c.id] if ln.kind == MoneyKind.deductible]
                for ln in lines[c.id]:
                    if ln.kind == MoneyKind.reserve:
                        reserve[ln.cost_type] += ln.amount
                    elif ln.kind == MoneyKind.payment:
                        assert ln.amount > 0
                        if ln.cost_type not in OUTSIDE_LIMIT:
                            paid_limited += ln.amount
                assert all(v >= 0 for v in reserve.values()), reserve
                assert paid_limited <= policy.cover_per_claim
                assert len(deductibles) <= 1 and sum(d.amount for d in deductibles) <= policy.deductible
                # no deadline lost
                state = spec.states[c.state]
                open_ = [d for d in deadlines[c.id] if d.met_at is None and d.cancelled_at is None]
                if state.terminal:
                    assert not open_ and c.outcome is not None
                    assert all(v == 0 for v in reserve.values())
                for d in open_:
                    assert d.scope == "claim" or d.state == c.state, (d.name, d.state, c.state)
                for ds in state.deadlines:
                    if ds.scope != "state" or ds.started_by or (ds.when and not getattr(c, ds.when)):
                        continue
                    started_here = [
                        d for d in deadlines[c.id] if d.name == ds.name and d.started_at >= c.state_entered_at
                    ]
                    assert len(started_here) == 1, (c.reference, c.state, ds.name)

    run_state_machine_as_test(
        ClaimLives,
        settings=settings(
            max_examples=60,
            stateful_step_count=50,
            deadline=None,
            # the same lives on every run: how many fire depends on the draw, and CI must not flicker
            derandomize=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
    # the lives went somewhere: transitions fired, and refusals and stale versions were tried too (the
    # draws are fixed; version 4's internal steps that need an open request are refused more often)
    assert outcomes["fired"] >= 25 and outcomes["refused"] > 0 and outcomes["stale"] > 0, outcomes
