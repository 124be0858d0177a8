"""Migrating open claims to a newer spec version: two versions live at once, a state renamed through
`migrates_from`, a claim refused because its state has no counterpart, and a dry run that changes nothing.

The specs are a copy of the real ones with a next version of contract_breach (after the real latest; on a
renamed copy of the shared base):
`melding` is renamed `aangemeld` (declared in migrates_from), `dekkingsonderzoek` is renamed `dekking`
(not declared: a claim there cannot be migrated), and the receipt term is 3 working days instead of 2."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from claims.cli import workflows as workflows_cli
from claims.cli.app import app as cli_app
from claims.cli.errors import MIGRATION_REFUSED
from claims.kinds.catalog import SPEC_DIR, load_catalog
from claims.runtime import Runtime
from claims.service import advance, open_claim
from claims.service.complaints import register_complaint
from claims.service.migration import MigrationStep, migrate, plan_migration
from claims.storage.repositories import audit, claims, deadlines, events, parties
from tests.claims.driver import Driver, path_to
from tests.conftest import snapshot
from tests.factories import Clock, World, melding
from workflow.deadlines import base_from_date, compute_due
from workflow.errors import SpecError

KIND = "contract_breach"
BY = "cli:tester"
CLAIMFLOW = Path(sys.executable).parent / "claimflow"


def _renamed(text: str) -> str:
    text = text.replace("  melding:\n", "  aangemeld:\n").replace("from: melding\n", "from: aangemeld\n")
    text = text.replace("initial: melding\n", "initial: aangemeld\n")
    text = text.replace("[melding, dekkingsonderzoek]", "[aangemeld, dekkingsonderzoek]")
    return re.sub(r"\bdekkingsonderzoek\b", "dekking", text)


OLD, NEW = 5, 6  # the real specs' latest version of the kind, and the one the test adds


def write_next(
    folder: Path, migrates_from: str = f"migrates_from: {{{OLD}: {{melding: aangemeld}}}}\n"
) -> None:
    base = _renamed((folder / "_base.yaml").read_text(encoding="utf-8"))
    receipt = "amount: 2\n        unit: working_days\n        met_by: [start_coverage_check]"
    assert receipt in base
    base = base.replace(receipt, receipt.replace("amount: 2", "amount: 3"))
    (folder / f"_base_test_v{NEW}.yaml").write_text(base, encoding="utf-8")
    kind = _renamed((folder / f"{KIND}.yaml").read_text(encoding="utf-8"))
    kind = kind.replace("version: 1\n", f"version: {NEW}\n" + migrates_from).replace(
        "extends: _base\n", f"extends: _base_test_v{NEW}\n"
    )
    (folder / f"{KIND}_v{NEW}.yaml").write_text(kind, encoding="utf-8")


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    folder = tmp_path / "workflows"
    shutil.copytree(SPEC_DIR, folder)
    write_next(folder)
    return folder


@pytest.fixture
def rt2(rt: Runtime, specs: Path) -> Runtime:
    """The test runtime with both versions of contract_breach loaded."""
    return replace(rt, catalog=load_catalog(specs))


def _open_old(engine: Engine, rt: Runtime, world: World) -> str:
    with Session(engine) as s:
        return open_claim(s, rt, melding(KIND), world.handler).reference


def _fire(engine: Engine, rt: Runtime, world: World, reference: str, trigger: str) -> str:
    with engine.connect() as conn:
        claim = claims.by_reference(conn, reference)
    assert claim is not None
    with Session(engine) as s:
        return advance(s, rt, reference, trigger, {}, world.handler, claim.version).state


def _migrate(engine: Engine, rt: Runtime) -> list[MigrationStep]:
    with Session(engine) as s:
        return migrate(s, rt, KIND, NEW, BY)


def test_the_catalog_loads_both_versions_with_the_state_map(rt2: Runtime) -> None:
    v3 = rt2.catalog.spec(KIND)
    assert v3.version == NEW and rt2.catalog.spec(KIND, OLD).version == OLD
    assert v3.migrates_from == {OLD: {"melding": "aangemeld"}}
    assert v3.migrated_state(OLD, "melding") == "aangemeld"
    assert v3.migrated_state(OLD, "regeling") == "regeling"  # kept its name: maps to itself
    assert v3.migrated_state(OLD, "dekkingsonderzoek") is None
    assert v3.migrated_state(1, "melding") is None  # no map from version 1: its claims are not moved


def test_two_versions_live_at_once(engine: Engine, rt: Runtime, rt2: Runtime, world: World) -> None:
    old = _open_old(engine, rt, world)
    with Session(engine) as s:
        new = open_claim(s, rt2, melding(KIND), world.handler).reference
    # each fires its own version's transitions, into its own version's states
    assert _fire(engine, rt2, world, old, "start_coverage_check") == "dekkingsonderzoek"
    assert _fire(engine, rt2, world, new, "start_coverage_check") == "dekking"
    with engine.connect() as conn:
        a, b = claims.by_reference(conn, old), claims.by_reference(conn, new)
    assert a is not None and b is not None
    assert (a.spec_version, a.spec_fingerprint) == (OLD, rt2.catalog.spec(KIND, OLD).fingerprint)
    assert (b.spec_version, b.spec_fingerprint) == (NEW, rt2.catalog.spec(KIND, NEW).fingerprint)


def test_a_migration_renames_the_state_and_recomputes_the_deadlines(
    engine: Engine, rt: Runtime, rt2: Runtime, world: World, clock: Clock
) -> None:
    reference = _open_old(engine, rt, world)
    with engine.connect() as conn:
        before = claims.by_reference(conn, reference)
        assert before is not None
        running = {d.name: d for d in deadlines.open_of_claim(conn, before.id)}
    clock.advance(days=1)
    steps = _migrate(engine, rt2)
    assert [(s.reference, s.from_state, s.to_state, s.refused) for s in steps] == [
        (reference, "melding", "aangemeld", None)
    ]
    # no limitation term runs before the insurer's position (7:942 BW, version 4 on): nothing to cancel
    assert "verjaring" not in running
    assert set(steps[0].cancelled) == {"ontvangstbevestiging"}
    v2 = rt2.catalog.spec(KIND, NEW)
    with engine.connect() as conn:
        claim = claims.by_reference(conn, reference)
        assert claim is not None
        now_running = {d.name: d for d in deadlines.open_of_claim(conn, claim.id)}
        timeline = events.of_claim(conn, claim.id)
        entries = audit.newest(conn, 5)
    assert (claim.state, claim.spec_version, claim.spec_fingerprint) == ("aangemeld", NEW, v2.fingerprint)
    assert claim.version == before.version + 1
    assert {d.state for d in now_running.values()} == {"aangemeld"}
    # the receipt term is 3 working days now, from when it started; the test's version (on the shared
    # base of version 1) counts the limitation period from the melding again
    receipt = next(d for d in v2.states["aangemeld"].deadlines if d.name == "ontvangstbevestiging")
    started = running["ontvangstbevestiging"].started_at
    assert now_running["ontvangstbevestiging"].due_at == compute_due(receipt, started, rt.calendar, rt.tz)
    assert now_running["ontvangstbevestiging"].due_at > running["ontvangstbevestiging"].due_at
    limitation = next(d for d in v2.states["aangemeld"].deadlines if d.name == "verjaring")
    reported = base_from_date(claim.date_reported, rt.tz)
    assert now_running["verjaring"].due_at == compute_due(limitation, reported, rt.calendar, rt.tz)
    event = timeline[-1]
    assert (event.kind, event.from_state, event.to_state) == ("migrated", "melding", "aangemeld")
    assert (event.data["from_version"], event.data["to_version"], event.data["by"]) == (OLD, NEW, BY)
    assert event.claim_version == claim.version
    entry = entries[0]
    assert (entry.action, entry.subject, entry.actor) == ("migrate_claim", reference, BY)
    assert entry.detail["to_state"] == "aangemeld"
    # and it now runs under version 3
    assert _fire(engine, rt2, world, reference, "start_coverage_check") == "dekking"


def test_a_claim_whose_state_has_no_mapping_is_refused_and_left_unchanged(
    engine: Engine, rt: Runtime, rt2: Runtime, world: World
) -> None:
    stuck = _open_old(engine, rt, world)
    _fire(engine, rt, world, stuck, "start_coverage_check")  # into dekkingsonderzoek, not mapped
    movable = _open_old(engine, rt, world)
    with engine.connect() as conn:
        stuck_before = claims.by_reference(conn, stuck)
        assert stuck_before is not None
        stuck_deadlines = deadlines.open_of_claim(conn, stuck_before.id)
    steps = _migrate(engine, rt2)
    by_reference = {s.reference: s for s in steps}
    assert by_reference[movable].refused is None
    assert by_reference[stuck].refused is not None and "dekkingsonderzoek" in by_reference[stuck].refused
    with engine.connect() as conn:
        assert claims.by_reference(conn, stuck) == stuck_before
        assert deadlines.open_of_claim(conn, stuck_before.id) == stuck_deadlines
        assert [e.kind for e in events.of_claim(conn, stuck_before.id)][-1] != "migrated"
        assert [e.subject for e in audit.newest(conn, 10)] == [movable]
        moved = claims.by_reference(conn, movable)
    assert moved is not None and moved.spec_version == NEW


def test_a_version_that_declares_no_migration_refuses_every_claim(
    engine: Engine, rt: Runtime, world: World, tmp_path: Path
) -> None:
    folder = tmp_path / "bare"
    shutil.copytree(SPEC_DIR, folder)
    write_next(folder, migrates_from="")
    reference = _open_old(engine, rt, world)
    bare = replace(rt, catalog=load_catalog(folder))
    [step] = _migrate(engine, bare)
    assert step.reference == reference and step.refused is not None and f"versie {OLD}" in step.refused


def test_a_dry_run_says_what_would_change_and_changes_nothing(
    engine: Engine, rt: Runtime, rt2: Runtime, world: World
) -> None:
    reference = _open_old(engine, rt, world)
    before = snapshot(engine)
    with Session(engine) as s:
        [step] = plan_migration(s, rt2, KIND, NEW)
    assert (step.reference, step.to_state, step.refused) == (reference, "aangemeld", None)
    # the test's version counts limitation from the melding again (as version 1 did)
    assert {d.name for d in step.opened} == {"ontvangstbevestiging", "verjaring"}
    assert snapshot(engine) == before


def test_nothing_to_do_when_every_claim_is_on_the_version(engine: Engine, rt2: Runtime, world: World) -> None:
    with Session(engine) as s:
        open_claim(s, rt2, melding(KIND), world.handler)
    assert _migrate(engine, rt2) == []
    with pytest.raises(KeyError), Session(engine) as s:
        plan_migration(s, rt2, KIND, NEW + 1)


def test_the_command_lists_refused_claims_and_exits_8(
    engine: Engine, rt: Runtime, rt2: Runtime, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    stuck = _open_old(engine, rt, world)
    _fire(engine, rt, world, stuck, "start_coverage_check")
    movable = _open_old(engine, rt, world)
    monkeypatch.setattr(workflows_cli, "runtime", lambda: rt2)
    monkeypatch.setattr(workflows_cli, "engine", lambda: engine)
    runner = CliRunner()
    dry = runner.invoke(cli_app, ["workflows", "migrate", KIND, "--to", str(NEW), "--dry-run"])
    assert dry.exit_code == MIGRATION_REFUSED, dry.output
    assert f"{movable}: versie {OLD} fase melding -> versie {NEW} fase aangemeld" in dry.output
    assert f"{stuck}: versie {OLD} fase dekkingsonderzoek: geweigerd" in dry.output
    assert "zou migreren: 1; geweigerd: 1" in dry.output
    done = runner.invoke(cli_app, ["workflows", "migrate", KIND, "--to", str(NEW)])
    assert done.exit_code == MIGRATION_REFUSED and "gemigreerd: 1; geweigerd: 1" in done.output
    again = runner.invoke(cli_app, ["workflows", "migrate", KIND, "--to", str(NEW)])
    assert again.exit_code == MIGRATION_REFUSED and "gemigreerd: 0; geweigerd: 1" in again.output
    unknown = runner.invoke(cli_app, ["workflows", "migrate", KIND, "--to", "7"])
    assert unknown.exit_code == 2


def test_migrates_from_must_name_states_of_both_versions(specs: Path) -> None:
    v2 = specs / f"{KIND}_v{NEW}.yaml"
    text = v2.read_text(encoding="utf-8")
    v2.write_text(text.replace("{melding: aangemeld}", "{melding: nergens}"), encoding="utf-8")
    with pytest.raises(SpecError, match=rf"_v{NEW}\.yaml.*migrates_from: unknown state 'nergens'"):
        load_catalog(specs)
    v2.write_text(text.replace("{melding: aangemeld}", "{meldng: aangemeld}"), encoding="utf-8")
    with pytest.raises(
        SpecError, match=rf"_v{NEW}\.yaml.*migrates_from {OLD}: unknown state 'meldng' in version {OLD}"
    ):
        load_catalog(specs)
    v2.write_text(text.replace(f"{{{OLD}: {{melding", f"{{{NEW}: {{melding"), encoding="utf-8")
    with pytest.raises(SpecError, match=rf"migrates_from names version {NEW}"):
        load_catalog(specs)


def test_the_installed_command_has_nothing_to_do_on_the_real_specs(
    _sqlite_template: Path, tmp_path: Path
) -> None:
    # the real specs hold versions 1 to 3 of each kind: no claim to move to 3 here, and there is no 4
    db = tmp_path / "claimflow.db"
    shutil.copy(_sqlite_template, db)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAIMFLOW_")}
    env["CLAIMFLOW_DATABASE_URL"] = f"sqlite:///{db}"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [str(CLAIMFLOW), "workflows", "migrate", KIND, *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)

    nothing = run("--to", str(OLD))
    assert nothing.returncode == 0 and "niets te doen" in nothing.stdout, nothing.stderr
    unknown = run("--to", str(NEW), "--dry-run")
    assert unknown.returncode == 2 and f"versie {NEW}" in unknown.stderr


def test_a_migrated_claims_older_events_keep_readable_labels(rt2: Runtime) -> None:
    # its events before the migration name `melding`, a state version 4 calls `aangemeld`
    old = rt2.catalog.spec(KIND, OLD)
    assert rt2.catalog.state_label(KIND, "melding", NEW) == old.states["melding"].label
    new = rt2.catalog.spec(KIND, NEW)
    assert rt2.catalog.state_label(KIND, "aangemeld", NEW) == new.states["aangemeld"].label
    assert rt2.catalog.state_label(KIND, "nope", NEW) == "nope"
    labels = rt2.catalog.trigger_labels(KIND, NEW)
    coverage = new.transition("aangemeld", "start_coverage_check")
    assert coverage is not None and labels["start_coverage_check"] == coverage.label
    # a trigger only the older version has keeps its label there
    assert labels["state_liability_position"] == "Standpunt over de aansprakelijkheid aan de benadeelde"


def test_the_real_version_2_takes_the_open_claims_of_version_1_as_they_are(
    engine: Engine, rt: Runtime, world: World, tmp_path: Path
) -> None:
    # claims reported before version 2 (its letters to the claimant) keep their states when moved on
    folder = tmp_path / "only_v1"
    shutil.copytree(SPEC_DIR, folder)
    for newer in [
        *folder.glob("*_v2.yaml"),
        *folder.glob("*_v3.yaml"),
        *folder.glob("*_v4.yaml"),
        *folder.glob("*_v5.yaml"),
    ]:
        newer.unlink()
    rt1 = replace(rt, catalog=load_catalog(folder))
    with Session(engine) as s:
        reference = open_claim(s, rt1, melding(KIND), world.handler).reference
    _fire(engine, rt1, world, reference, "start_coverage_check")
    steps = _migrate_to(engine, rt, 2)
    assert [(st.reference, st.from_state, st.to_state, st.refused) for st in steps] == [
        (reference, "dekkingsonderzoek", "dekkingsonderzoek", None)
    ]
    with engine.connect() as conn:
        claim = claims.by_reference(conn, reference)
    assert claim is not None and claim.spec_version == 2
    assert "state_liability_position" in rt.catalog.spec(KIND, claim.spec_version).triggers()


def _migrate_to(engine: Engine, rt: Runtime, version: int) -> list[MigrationStep]:
    with Session(engine) as s:
        return migrate(s, rt, KIND, version, BY)


def test_the_real_version_3_takes_open_claims_but_not_one_waiting_for_approval(
    engine: Engine, rt: Runtime, world: World, tmp_path: Path
) -> None:
    # version 3 dropped the state where a settlement waited for approval: such a claim is refused and
    # listed (approve or refuse it first); a claim in a state both versions have moves as it is
    folder = tmp_path / "up_to_v2"
    shutil.copytree(SPEC_DIR, folder)
    for newer in [*folder.glob("*_v3.yaml"), *folder.glob("*_v4.yaml"), *folder.glob("*_v5.yaml")]:
        newer.unlink()
    rt2 = replace(rt, catalog=load_catalog(folder))
    with Session(engine) as s:
        waiting = open_claim(s, rt2, melding(KIND), world.handler).reference
        moving = open_claim(s, rt2, melding(KIND), world.handler).reference
    driver = Driver(engine, rt2, world)
    for t in path_to(rt2.catalog.spec(KIND), "regeling"):
        driver.prepare(waiting, t)
        driver.fire(waiting, t.trigger)
    driver.fire(waiting, "submit_for_approval", {"damages": "60000", "terms": "finaal"})
    driver.fire(moving, "start_coverage_check")
    steps = {st.reference: st for st in _migrate_to(engine, rt, 3)}
    assert steps[moving].refused is None and steps[moving].to_state == "dekkingsonderzoek"
    assert steps[waiting].refused is not None and "goedkeuring" in steps[waiting].refused
    with engine.connect() as conn:
        kept = claims.by_reference(conn, waiting)
        moved = claims.by_reference(conn, moving)
    assert kept is not None and (kept.spec_version, kept.state) == (2, "goedkeuring")
    assert moved is not None and moved.spec_version == 3


def test_a_complaints_clocks_run_on_untouched_through_a_migration(
    engine: Engine, rt: Runtime, rt2: Runtime, world: World
) -> None:
    reference = _open_old(engine, rt, world)
    with Session(engine) as s:
        claim = claims.by_reference(s.connection(), reference)
        assert claim is not None
        insured = next(p.id for p in parties.of_claim(s.connection(), claim.id) if p.role == "insured")
        register_complaint(
            s,
            rt,
            reference,
            {"complainant": insured, "subject": "Te laat", "received_on": "2026-11-16"},
            world.handler,
        )
    with engine.connect() as conn:
        before = {d.name: d for d in deadlines.open_of_claim(conn, claim.id) if d.scope == "complaint"}
    (step,) = _migrate(engine, rt2)
    assert step.refused is None and not any(n.startswith("complaint_") for n in step.cancelled)
    with engine.connect() as conn:
        after = {d.name: d for d in deadlines.open_of_claim(conn, claim.id) if d.scope == "complaint"}
    assert set(after) == set(before) == {"complaint_1_acknowledge", "complaint_1_answer"}
    assert {n: (d.id, d.due_at) for n, d in after.items()} == {n: (d.id, d.due_at) for n, d in before.items()}


def test_the_real_version_4_recounts_the_clocks_of_version_3_claims(
    engine: Engine, rt: Runtime, world: World, tmp_path: Path, clock: Clock
) -> None:
    """Version 4's clocks for claims that ran under version 3: no limitation term where the insurer has
    taken no position yet (the old one from the melding is cancelled), one from the acknowledgement
    where it has; the position on cover counted from the melding."""
    folder = tmp_path / "up_to_v3"
    shutil.copytree(SPEC_DIR, folder)
    for newer in [*folder.glob("*_v4.yaml"), *folder.glob("*_v5.yaml")]:
        newer.unlink()
    rt3 = replace(rt, catalog=load_catalog(folder))
    with Session(engine) as s:
        waiting = open_claim(s, rt3, melding(KIND, date_reported="2026-11-10"), world.handler).reference
        acknowledged = open_claim(s, rt3, melding(KIND, date_reported="2026-11-10"), world.handler).reference
    driver = Driver(engine, rt3, world)
    driver.fire(waiting, "start_coverage_check")  # a receipt confirmation: no acknowledgement
    driver.fire(acknowledged, "start_coverage_check")
    clock.advance(days=2)
    confirmed_at = clock()
    driver.fire(acknowledged, "confirm_cover")
    with engine.connect() as conn:
        ids = {r: claims.by_reference(conn, r).id for r in (waiting, acknowledged)}  # type: ignore[union-attr]
        old_limitation = {r: deadlines.open_of_claim(conn, i) for r, i in ids.items()}
    assert all(any(d.name == "verjaring" for d in rows) for rows in old_limitation.values())
    clock.advance(days=1)
    steps = {st.reference: st for st in _migrate_to(engine, rt, 4)}
    assert all(st.refused is None for st in steps.values())
    with engine.connect() as conn:
        now_open = {r: {d.name: d for d in deadlines.open_of_claim(conn, i)} for r, i in ids.items()}
    v4 = rt.catalog.spec(KIND, 4)
    assert "verjaring" not in now_open[waiting]
    limitation = next(d for d in v4.states["melding"].deadlines if d.name == "verjaring")
    assert now_open[acknowledged]["verjaring"].due_at == compute_due(
        limitation, confirmed_at, rt.calendar, rt.tz
    )
    cover = next(d for d in v4.states["dekkingsonderzoek"].deadlines if d.name == "standpunt_dekking")
    reported = base_from_date(date(2026, 11, 10), rt.tz)
    assert now_open[waiting]["standpunt_dekking"].due_at == compute_due(cover, reported, rt.calendar, rt.tz)
