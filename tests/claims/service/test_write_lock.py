"""The write lock is for writing: a transition is worked out from a snapshot before its write transaction
(letters rendered, guards and effects run) and only checked and written inside it. What changed between
the two is never lost: the claim moved on (StaleClaim), something beside its course changed (worked out
afresh inside, so the letter names the party as it is now), the policy changed (the payment follows it)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session, select

from claims.errors import StaleClaim
from claims.reads.chain_check import verify
from claims.runtime import Runtime
from claims.service import advance, preview
from claims.service import transition as transition_module
from claims.service.parties import change_party
from claims.storage import db as dbmod
from claims.storage import statements
from claims.storage.db import _WRITERS
from claims.storage.models import Claim, Letter, Party, Payment, Policy
from claims.storage.tables import CLAIMS
from tests.claims.driver import Driver
from tests.conftest import snapshot
from tests.factories import World

OFFER = {"amount": "30000", "terms": "Finale kwijting over en weer.", "answer_days": "10"}


@pytest.fixture
def driver(engine: Engine, rt: Runtime, world: World) -> Driver:
    return Driver(engine, rt, world)


def _claim(engine: Engine, ref: str) -> Claim:
    with Session(engine) as s:
        return s.exec(select(Claim).where(Claim.reference == ref)).one()


def _between(monkeypatch: pytest.MonkeyPatch, meanwhile: Callable[[], None]) -> list[bool]:
    """Run `meanwhile` (another writer, committed) after the transition was worked out from its snapshot
    and before its write transaction; the list records, per working out, whether it was the snapshot's."""
    real_in_read, real_prepare = transition_module.in_read, transition_module._prepare
    staged: list[bool] = []

    def in_read(db: Any, work: Callable[[Any], Any]) -> Any:
        result = real_in_read(db, work)
        meanwhile()
        return result

    def prepare(conn: Any, attempt: Any, *, staging: bool = False) -> Any:
        staged.append(staging)
        return real_prepare(conn, attempt, staging=staging)

    monkeypatch.setattr(transition_module, "in_read", in_read)
    monkeypatch.setattr(transition_module, "_prepare", prepare)
    return staged


def test_a_party_renamed_while_the_offer_was_worked_out_is_named_as_it_is_now(
    driver: Driver, engine: Engine, rt: Runtime, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = driver.bring_to("contract_breach", "regeling")
    claim = _claim(engine, ref)
    with Session(engine) as s:
        claimant = s.exec(select(Party).where(Party.claim_id == claim.id, Party.role == "claimant")).one()

    def rename() -> None:
        with Session(engine) as s:
            change_party(s, rt, ref, claimant.id, {"name": "Hernoemd Opdrachtgever B.V."}, world.handler)

    staged = _between(monkeypatch, rename)
    with Session(engine) as s:
        done = advance(s, rt, ref, "offer_settlement", OFFER, world.handler, claim.version)
    assert staged == [True, False]  # worked out from the snapshot, then afresh inside the write
    with Session(engine) as s:
        letter = s.exec(select(Letter).where(Letter.event_id == done.event_id)).one()
        assert letter.recipient_name == "Hernoemd Opdrachtgever B.V."
        assert "Hernoemd Opdrachtgever B.V." in letter.html
        assert list(verify(s.connection(), ref)) == []  # the rename's event and ours, one chain


def test_nothing_changed_meanwhile_writes_what_the_snapshot_worked_out(
    driver: Driver, engine: Engine, rt: Runtime, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = driver.bring_to("contract_breach", "regeling")
    claim = _claim(engine, ref)
    staged = _between(monkeypatch, lambda: None)
    with Session(engine) as s:
        done = advance(s, rt, ref, "offer_settlement", OFFER, world.handler, claim.version)
    assert staged == [True]
    assert done.version == claim.version + 1
    with Session(engine) as s:
        assert list(verify(s.connection(), ref)) == []


def test_a_claim_moved_on_while_it_was_worked_out_is_stale_and_nothing_is_written(
    driver: Driver, engine: Engine, rt: Runtime, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = driver.bring_to("contract_breach", "regeling")
    claim = _claim(engine, ref)

    before: list[Any] = []

    def someone_else_commits() -> None:
        with engine.begin() as conn:
            conn.execute(update(CLAIMS).where(CLAIMS.c.id == claim.id).values(version=claim.version + 1))
        before.append(snapshot(engine))

    _between(monkeypatch, someone_else_commits)
    with Session(engine) as s, pytest.raises(StaleClaim) as exc:
        advance(s, rt, ref, "offer_settlement", OFFER, world.handler, claim.version)
    assert exc.value.current_version == claim.version + 1
    assert snapshot(engine) == before[0]


def test_a_policy_changed_while_the_settlement_was_worked_out_pays_by_the_policy_as_it_is_now(
    driver: Driver, engine: Engine, rt: Runtime, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = driver.bring_to("contract_breach", "regeling")
    claim = _claim(engine, ref)
    payee = driver.payee(ref)
    claim = _claim(engine, ref)

    def deductible_raised() -> None:
        with Session(engine) as s:
            policy = s.get(Policy, claim.policy_id)
            assert policy is not None
            policy.deductible = Decimal("7500")
            s.add(policy)
            s.commit()

    staged = _between(monkeypatch, deductible_raised)
    inputs = {"damages": "20000", "payee": payee, "terms": "Finale kwijting over en weer."}
    with Session(engine) as s:
        done = advance(s, rt, ref, "settle", inputs, world.handler, claim.version)
    assert staged == [True, False]  # the policy is read beside the claim: read again, then afresh
    with Session(engine) as s:
        paid = s.exec(select(Payment).where(Payment.event_id == done.event_id)).one()
    assert paid.amount == Decimal("12500.00")  # 20,000 less the deductible as it is now, 7,500


def test_letters_are_rendered_outside_the_write_turn(
    driver: Driver, engine: Engine, rt: Runtime, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the write turn is SQLite's (PostgreSQL writers take row locks)")
    ref = driver.bring_to("contract_breach", "regeling")
    claim = _claim(engine, ref)
    writers = _WRITERS[engine]
    held_while_rendering: list[bool] = []
    real_render = rt.letters.render

    def render(name: str, facts: Any) -> Any:
        held_while_rendering.append(writers._lock.locked())
        return real_render(name, facts)

    turns: list[float] = []
    monkeypatch.setattr(rt.letters, "render", render)
    monkeypatch.setattr(dbmod, "write_turn_observer", turns.append)
    with Session(engine) as s:
        advance(s, rt, ref, "offer_settlement", OFFER, world.handler, claim.version)
    assert held_while_rendering == [False]  # rendered, and not while holding the write turn
    assert len(turns) == 1  # one write turn for the transition


@pytest.mark.parametrize(
    ("state", "trigger", "inputs", "bound_ahead"),
    [
        (
            "regeling",
            "offer_settlement",
            OFFER,
            {
                "UPDATE claims SET",
                "INSERT INTO timeline_events",
                "INSERT INTO letters",
                "INSERT INTO deadlines",
            },
        ),
        (
            "dekkingsonderzoek",
            "confirm_cover",
            {"expert": "e@test.nl", "reserve_damages": "5000"},
            {
                "UPDATE claims SET",
                "INSERT INTO timeline_events",
                "INSERT INTO money_lines",
                "UPDATE deadlines SET",
            },
        ),
    ],
)
def test_its_writes_are_bound_outside_the_write_turn(
    driver: Driver,
    engine: Engine,
    rt: Runtime,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    state: str,
    trigger: str,
    inputs: dict[str, str],
    bound_ahead: set[str],
) -> None:
    # the compare-and-set, the event, letters, money lines and deadlines are put in the driver's form
    # while the transition is worked out; inside the turn they are only run
    if engine.dialect.name != "sqlite":
        pytest.skip("the write turn is SQLite's (PostgreSQL writers take row locks)")
    ref = driver.bring_to("contract_breach", state)
    claim = _claim(engine, ref)
    writers = _WRITERS[engine]
    bound: dict[bool, list[str]] = {True: [], False: []}  # statements bound, by whether the turn was held
    real_params = statements.Prepared._params

    def params(c: Any, row: Any) -> Any:
        bound[writers._lock.locked()].append(c.sql.split("(")[0].strip())
        return real_params(c, row)

    monkeypatch.setattr(statements.Prepared, "_params", staticmethod(params))
    with Session(engine) as s:
        done = advance(s, rt, ref, trigger, inputs, world.handler, claim.version)
    assert {w for sql in bound[False] for w in bound_ahead if sql.startswith(w)} == bound_ahead, bound[False]
    assert not [sql for sql in bound[True] if any(sql.startswith(w) for w in bound_ahead)], bound[True]
    with Session(engine) as s:  # and written as bound: the timeline's chain holds
        assert list(verify(s.connection(), ref)) == []
    assert _claim(engine, ref).version == done.version


def test_a_preview_takes_no_write_lock(driver: Driver, engine: Engine, rt: Runtime, world: World) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    ref = driver.bring_to("contract_breach", "regeling")
    claim = _claim(engine, ref)
    before = snapshot(engine)
    other = sqlite3.connect(engine.url.database or "", isolation_level=None, timeout=0.1)
    other.execute("BEGIN IMMEDIATE")  # another process writing, for as long as it likes
    try:
        with Session(engine) as s:
            s.connection().exec_driver_sql("PRAGMA busy_timeout=100")
            shown = preview(s, rt, ref, "offer_settlement", OFFER, world.handler, claim.version)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert [letter.template for letter in shown.letters] == ["schikkingsvoorstel"]
    assert snapshot(engine) == before  # and nothing stored
