"""Behaviour the specs declare instead of names the code knows: a transition that approves a proposal
(`approval: true`) and a state where proposals wait (`role: approval`). Renaming the trigger or the state
in YAML keeps four eyes and the managers' dashboard working."""

from __future__ import annotations

import shutil
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine

from claims.kinds.catalog import SPEC_DIR, load_catalog
from claims.kinds.lock import LOCK_FILE
from claims.reads.dashboard import dashboard
from claims.runtime import Runtime
from claims.storage.models import User
from claims.storage.repositories import claims
from tests.claims.driver import Driver
from tests.factories import World
from workflow.errors import TransitionNotAllowed


@pytest.fixture
def renamed(tmp_path: Path, rt: Runtime) -> Runtime:
    """The real specs with the approving trigger and the approval state renamed everywhere."""
    folder = tmp_path / "workflows"
    shutil.copytree(SPEC_DIR, folder)
    (folder / LOCK_FILE).unlink()  # a changed spec, not locked (as while an expert tries it)
    for newer in (
        *folder.glob("*_v3.yaml"),
        *folder.glob("*_v4.yaml"),
        *folder.glob("*_v5.yaml"),
    ):  # no approval state since 3
        newer.unlink()
    for path in folder.glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        text = text.replace("approve_settlement", "akkoord_regeling").replace("goedkeuring", "vier_ogen")
        path.write_text(text, encoding="utf-8")
    return replace(rt, catalog=load_catalog(folder))


def _proposal_waiting(driver: Driver) -> str:
    ref = driver.bring_to("late_delivery", "regeling")
    driver.fire(ref, "submit_for_approval", {"damages": "80000", "terms": "finaal"})
    return ref


def test_an_approval_by_any_trigger_name_weighs_the_approvers_authority(
    engine: Engine, renamed: Runtime, world: World
) -> None:
    driver = Driver(engine, renamed, world)
    ref = _proposal_waiting(driver)
    with engine.connect() as conn:
        claim = claims.by_reference(conn, ref)
    assert claim is not None and claim.state == "vier_ogen"
    small = User(**{**world.other_manager.model_dump(), "authority_limit": Decimal("60000")})
    driver.refuse(ref, "akkoord_regeling", {}, small, TransitionNotAllowed, match="boven uw bevoegdheid")
    driver.fire(ref, "akkoord_regeling", {}, actor=world.other_manager)


def test_the_dashboard_lists_the_claims_in_any_state_declared_for_approval(
    engine: Engine, renamed: Runtime, world: World
) -> None:
    ref = _proposal_waiting(Driver(engine, renamed, world))
    assert renamed.catalog.approval_states() == {"vier_ogen"}
    with engine.connect() as conn:
        figures = dashboard(
            conn,
            world.manager,
            renamed.clock(),
            renamed.tz,
            approval_states=renamed.catalog.approval_states(),
        )
        nothing = dashboard(conn, world.manager, renamed.clock(), renamed.tz, approval_states={"goedkeuring"})
    assert [a["reference"] for a in figures.approvals] == [ref]
    assert figures.approvals[0]["proposal"]["total"] == "80000.00"
    assert nothing.approvals == []


def test_the_real_specs_declare_their_approval_step_and_state(rt: Runtime) -> None:
    for spec in rt.catalog.specs.values():
        if spec.version >= 3:  # every payment above authority is a proposal: no state or step of its own
            assert not [s for s in spec.states.values() if s.role == "approval"]
            assert not [t for t in spec.transitions if t.approval]
            continue
        assert [s.name for s in spec.states.values() if s.role == "approval"] == ["goedkeuring"]
        assert {t.trigger for t in spec.transitions if t.approval} == {"approve_settlement"}
