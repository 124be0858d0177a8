"""Spec versions that cannot drift: each (kind, version) is fingerprinted over its resolved form and
locked in claims/kinds/workflows/specs.lock; a locked version that changed is refused at load."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine
from sqlmodel import Session

from claims.kinds.catalog import SPEC_DIR, load_catalog
from claims.kinds.lock import LOCK_FILE, read_lock, unlocked, write_lock
from claims.runtime import Runtime
from claims.service import open_claim
from claims.storage.repositories import claims
from tests.factories import World, melding
from workflow.errors import SpecError

CLAIMFLOW = Path(sys.executable).parent / "claimflow"


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    """A copy of the real specs and their lock, to change."""
    folder = tmp_path / "workflows"
    shutil.copytree(SPEC_DIR, folder)
    return folder


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_committed_lock_holds_every_spec_as_it_is() -> None:
    # a spec edited without a new version, or a new version not locked, fails here (and in CI)
    catalog = load_catalog()
    lock = read_lock(SPEC_DIR)
    assert unlocked(catalog.specs.values(), lock) == []
    assert {key: spec.fingerprint for key, spec in catalog.specs.items()} == lock


def test_a_change_in_the_shared_base_is_refused_for_every_locked_version(specs: Path) -> None:
    before = load_catalog(specs)
    _edit(specs / "_base.yaml", "label: Intrekken (verzekerde", "label: Intrekken (de verzekerde")
    with pytest.raises(SpecError, match=r"version 1 is not the spec it was locked as.*version 2"):
        load_catalog(specs)
    (specs / LOCK_FILE).unlink()  # without a lock (specs being tried) it loads, with new fingerprints
    after = load_catalog(specs)
    assert all(after.specs[k].fingerprint != before.specs[k].fingerprint for k in before.specs)


def test_layout_key_order_and_spelled_out_defaults_do_not_change_the_fingerprint(specs: Path) -> None:
    path = specs / "unpaid_fee.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    reordered = dict(reversed(list(raw.items())))
    path.write_text(
        yaml.safe_dump(reordered, sort_keys=False, allow_unicode=True, width=200), encoding="utf-8"
    )
    assert load_catalog(specs).specs[("unpaid_fee", 1)].fingerprint == read_lock(specs)[("unpaid_fee", 1)]


def test_lock_adds_new_versions_only(specs: Path) -> None:
    locked = read_lock(specs)
    latest = max(v for k, v in locked if k == "contract_breach")
    new = specs / f"contract_breach_v{latest + 1}.yaml"
    shutil.copy(specs / f"contract_breach_v{latest}.yaml", new)
    _edit(new, f"version: {latest}", f"version: {latest + 1}")
    catalog = load_catalog(specs)  # the next version is new: it loads, not locked yet
    assert [s.key for s in unlocked(catalog.specs.values(), locked)] == [("contract_breach", latest + 1)]
    assert write_lock(specs, catalog.specs.values()) == [("contract_breach", latest + 1)]
    assert read_lock(specs) == {
        **locked,
        ("contract_breach", latest + 1): catalog.specs[("contract_breach", latest + 1)].fingerprint,
    }
    assert write_lock(specs, catalog.specs.values()) == []
    # the command does the same, and refuses to lock over a changed version
    _edit(specs / "contract_breach.yaml", "label: Contractbreuk", "label: Contractbreuk (gewijzigd)")
    result = subprocess.run([str(CLAIMFLOW), "workflows", "lock", str(specs)], capture_output=True, text=True)
    assert result.returncode != 0 and "version 2" in result.stderr
    assert read_lock(specs)[("contract_breach", 1)] == locked[("contract_breach", 1)]


def test_a_claim_keeps_the_fingerprint_of_the_version_it_started_under(
    engine: Engine, rt: Runtime, world: World
) -> None:
    with Session(engine) as s:
        ref = open_claim(s, rt, melding("late_delivery"), world.handler).reference
    with engine.connect() as conn:
        claim = claims.by_reference(conn, ref)
    assert claim is not None
    assert claim.spec_fingerprint == rt.catalog.spec("late_delivery").fingerprint
    assert len(claim.spec_fingerprint) == 64
