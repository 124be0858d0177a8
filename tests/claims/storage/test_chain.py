"""The timeline's hash chain: built across transitions, notes, the sweep and migrations; a row or a
letter changed behind the application's back is named by `verify`; the database refuses UPDATE and
DELETE on events; two writers on one claim cannot fork it; the revision that adds it links an existing
database so that it verifies."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import shutil
import threading
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session

from claims.deadlines.sweep import sweep
from claims.kinds.catalog import SPEC_DIR, load_catalog
from claims.reads.chain_check import Checked, verify
from claims.runtime import Runtime
from claims.service import add_note
from claims.service.migration import migrate
from claims.storage import chain
from claims.storage.repositories import claims, events
from claims.storage.schema import APPEND_ONLY_SQL, DROP_APPEND_ONLY_SQL, MIGRATIONS, downgrade, upgrade
from claims.storage.tables import EVENTS, LETTERS
from tests.claims.driver import Driver
from tests.claims.service.test_migration import NEW, write_next
from tests.factories import Clock, World

CHAIN_REVISION = MIGRATIONS / "versions" / "e3a9c4f1b2d6_timeline_hash_chain.py"
# the revision before the chain, as the chain's revision names it (it moves when revisions are relinked)
BEFORE_CHAIN = re.search(r"^down_revision: .*= '([0-9a-f]+)'", CHAIN_REVISION.read_text(), re.M).group(1)  # type: ignore[union-attr]


def _verify(engine: Engine, reference: str | None = None) -> tuple[list[Any], Checked]:
    checked = Checked()
    with engine.connect() as conn:
        found = list(verify(conn, reference, checked=checked, page=7))  # small pages: claims split over them
    return found, checked


def behind_the_back(engine: Engine, *statements: str, params: dict[str, Any] | None = None) -> None:
    """What someone with the database's keys could do: drop the append-only triggers, change rows, and
    put the triggers back as if nothing happened."""
    dialect = engine.dialect.name
    with engine.begin() as conn:
        for statement in DROP_APPEND_ONLY_SQL[dialect]:
            conn.execute(text(statement))
        for statement in statements:
            conn.execute(text(statement), params or {})
        for statement in APPEND_ONLY_SQL[dialect]:
            conn.execute(text(statement))


def _claim_id(engine: Engine, reference: str) -> int:
    with engine.connect() as conn:
        claim = claims.by_reference(conn, reference)
    assert claim is not None
    return claim.id


def _events(engine: Engine, claim_id: int | None = None) -> list[Any]:
    query = select(EVENTS).order_by(EVENTS.c.claim_id, EVENTS.c.id)
    if claim_id is not None:
        query = query.where(EVENTS.c.claim_id == claim_id)
    with engine.connect() as conn:
        return list(conn.execute(query).all())


def _life(engine: Engine, rt: Runtime, world: World, clock: Clock) -> list[str]:
    """Transitions with letters and money, a note, then the sweep (reminders, overdue flags and an
    escalation with its letter to the managers)."""
    driver = Driver(engine, rt, world)
    refs = [driver.bring_to("contract_breach", "gesloten"), driver.bring_to("unpaid_fee", "schadebeperking")]
    refs.append(driver.open("late_delivery").reference)  # its receipt term runs out below
    with Session(engine) as s:
        add_note(s, rt, refs[0], "Gebeld met de verzekerde: “akkoord” — €\u00a0100.", world.handler)
    clock.advance(days=40)
    sweep(engine, rt)
    return refs


# --- the canonical form ------------------------------------------------------------------------------


def test_the_canonical_form_is_the_documented_one() -> None:
    event = {
        "claim_id": 7,
        "claim_version": 3,
        "at": datetime(2026, 11, 16, 10, 0, tzinfo=UTC).astimezone(),  # any zone: written as UTC
        "actor_id": None,
        "kind": "note",
        "trigger": None,
        "from_state": "melding",
        "to_state": "melding",
        "data": {"b": [1, Decimal("2.50")], "a": "é"},
        "note": "x",
    }
    expected = (
        '{"actor_id":null,"at":"2026-11-16T10:00:00.000000Z","claim_id":7,"claim_version":3,'
        '"data":{"a":"\\u00e9","b":[1,"2.50"]},"from_state":"melding","kind":"note","note":"x",'
        '"prev_sha256":"' + chain.GENESIS + '","to_state":"melding","trigger":null}'
    )
    assert chain.canonical(event, chain.GENESIS).decode() == expected
    assert chain.digest(event, chain.GENESIS) == hashlib.sha256(expected.encode()).hexdigest()
    with pytest.raises(ValueError, match="naive"):
        chain.canonical({**event, "at": datetime(2026, 11, 16, 10, 0)}, chain.GENESIS)


# --- built by every writer ---------------------------------------------------------------------------


def test_every_writer_links_its_events_and_lists_its_letters(
    engine: Engine, rt: Runtime, world: World, clock: Clock
) -> None:
    refs = _life(engine, rt, world, clock)
    rows = _events(engine)
    kinds = {r.kind for r in rows}
    assert {"opened", "transition", "note", "deadline_overdue", "deadline_escalated"} <= kinds, kinds
    heads: dict[int, str] = {}
    for r in rows:  # each after its claim's previous one, its hash that of its content
        assert r.prev_sha256 == heads.get(r.claim_id, chain.GENESIS)
        assert r.sha256 == chain.digest(r._mapping, r.prev_sha256)
        heads[r.claim_id] = r.sha256
    with engine.connect() as conn:
        letters = conn.execute(select(LETTERS).order_by(LETTERS.c.id)).all()
        for claim_id, head in heads.items():
            assert events.head(conn, claim_id) == events.ChainHead(
                head, sum(r.claim_id == claim_id for r in rows)
            )
    by_event = {r.id: r for r in rows}
    assert {by_event[x.event_id].kind for x in letters} >= {"transition", "deadline_escalated"}
    for letter in letters:
        assert {"template": letter.template, "sha256": letter.sha256} in by_event[letter.event_id].data[
            "letters"
        ]
    found, checked = _verify(engine)
    assert found == []
    assert (checked.claims, checked.events, checked.letters) == (len(refs), len(rows), len(letters))


def test_a_migration_event_is_linked_too(engine: Engine, rt: Runtime, world: World, tmp_path: Path) -> None:
    folder = tmp_path / "workflows"
    shutil.copytree(SPEC_DIR, folder)
    write_next(folder)
    rt2 = replace(rt, catalog=load_catalog(folder))
    ref = Driver(engine, rt, world).open("contract_breach").reference
    with Session(engine) as s:
        assert [step.to_state for step in migrate(s, rt2, "contract_breach", NEW, "cli:test")] == [
            "aangemeld"
        ]
    opened, migrated = _events(engine, _claim_id(engine, ref))
    assert (migrated.kind, migrated.prev_sha256) == ("migrated", opened.sha256)
    assert _verify(engine, ref)[0] == []


def test_a_claim_without_events_has_the_genesis_head(engine: Engine) -> None:
    with engine.connect() as conn:
        assert events.head(conn, 999) == events.ChainHead(chain.GENESIS, 0)


# --- changed behind the application's back ---------------------------------------------------------


def test_an_event_edited_behind_the_back_is_the_first_broken_link(
    engine: Engine, rt: Runtime, world: World, clock: Clock
) -> None:
    refs = _life(engine, rt, world, clock)
    claim_id = _claim_id(engine, refs[0])
    target = _events(engine, claim_id)[1]
    edited = json.dumps({**target.data, "inputs": {"damages": "1"}})
    behind_the_back(
        engine, "UPDATE timeline_events SET data = :d WHERE id = :i", params={"d": edited, "i": target.id}
    )
    found, _ = _verify(engine)
    assert [(b.reference, b.event_id) for b in found] == [(refs[0], target.id)]  # the others still hold
    assert "inhoud" in found[0].problem
    assert [b.event_id for b in _verify(engine, refs[0])[0]] == [target.id]
    assert _verify(engine, refs[1])[0] == []


def test_an_event_removed_or_relinked_behind_the_back_breaks_the_link_after_it(
    engine: Engine, rt: Runtime, world: World
) -> None:
    driver = Driver(engine, rt, world)
    refs = [driver.open("contract_breach").reference for _ in range(2)]
    with Session(engine) as s:
        for ref in refs:
            for i in range(3):
                add_note(s, rt, ref, f"notitie {i}", world.handler)
    first, second = (_events(engine, _claim_id(engine, ref)) for ref in refs)
    behind_the_back(engine, "DELETE FROM timeline_events WHERE id = :i", params={"i": first[2].id})
    # a forger who recomputes the edited event's own hash still breaks the link after it
    forged = {**second[1]._mapping, "note": "anders"}
    behind_the_back(
        engine,
        "UPDATE timeline_events SET note = 'anders', sha256 = :sha WHERE id = :i",
        params={"sha": chain.digest(forged, second[1].prev_sha256), "i": second[1].id},
    )
    found = {b.reference: b for b in _verify(engine)[0]}
    assert found[refs[0]].event_id == first[3].id and "verwijst naar" in found[refs[0]].problem
    assert found[refs[1]].event_id == second[2].id and "verwijst naar" in found[refs[1]].problem


def test_a_letter_changed_behind_the_back_is_named(
    engine: Engine, rt: Runtime, world: World, clock: Clock
) -> None:
    refs = _life(engine, rt, world, clock)
    with engine.connect() as conn:
        letter = conn.execute(select(LETTERS).order_by(LETTERS.c.id).limit(1)).one()
        other = conn.execute(select(LETTERS).order_by(LETTERS.c.id.desc()).limit(1)).one()
    # its text alone
    behind_the_back(engine, "UPDATE letters SET html = html || ' ' WHERE id = :i", params={"i": letter.id})
    # and a text with its own hash made to match: the event's list still has the old one
    html = other.html.replace("<p>", "<p>Ook: ", 1)
    behind_the_back(
        engine,
        "UPDATE letters SET html = :h, sha256 = :s WHERE id = :i",
        params={"h": html, "s": hashlib.sha256(html.encode()).hexdigest(), "i": other.id},
    )
    found = {b.event_id: b.problem for b in _verify(engine)[0]}
    assert set(found) == {letter.event_id, other.event_id}, found
    assert f"brief {letter.id}" in found[letter.event_id] and "tekst" in found[letter.event_id]
    assert "niet die in de keten" in found[other.event_id]
    assert refs


def test_the_database_refuses_update_and_delete_on_events(engine: Engine, rt: Runtime, world: World) -> None:
    Driver(engine, rt, world).open("contract_breach")
    for statement in ("UPDATE timeline_events SET note = 'x'", "DELETE FROM timeline_events"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert len(_events(engine)) == 1 and _events(engine)[0].note == ""


def test_a_fork_is_refused_by_the_database(engine: Engine, rt: Runtime, world: World) -> None:
    ref = Driver(engine, rt, world).open("contract_breach").reference
    [opened] = _events(engine, _claim_id(engine, ref))
    row = {c: opened._mapping[c] for c in chain.CONTENT}

    def insert_after(prev: str, note: str) -> None:
        sealed = {**row, "kind": "note", "note": note}
        chain.seal(sealed, prev)
        with engine.begin() as conn:
            conn.execute(insert(EVENTS), [sealed])

    with pytest.raises(IntegrityError):
        insert_after(chain.GENESIS, "een tweede begin")
    with engine.begin() as conn:
        events.append(conn, **{**row, "kind": "note", "note": "de echte opvolger"})
    with pytest.raises(IntegrityError):
        insert_after(opened.sha256, "een tak")
    assert len(_events(engine)) == 2
    assert _verify(engine)[0] == []


def test_two_writers_on_one_claim_at_once_link_one_after_the_other(
    engine: Engine, rt: Runtime, world: World
) -> None:
    """PostgreSQL, two connections: the second append waits for the first's commit, then links after
    it (read committed: it reads the head after the lock)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time by its write lock")
    ref = Driver(engine, rt, world).open("contract_breach").reference
    claim_id = _claim_id(engine, ref)
    row = {
        "claim_id": claim_id,
        "claim_version": 1,
        "at": datetime(2026, 11, 16, 9, 0, tzinfo=UTC),
        "actor_id": None,
        "kind": "note",
        "data": {},
    }
    second_done = threading.Event()
    failures: list[BaseException] = []

    def second() -> None:
        try:
            with engine.begin() as conn:
                events.append(conn, **row, note="tweede")
        except BaseException as exc:
            failures.append(exc)
        second_done.set()

    with engine.connect() as first:
        with first.begin():
            events.append(first, **row, note="eerste")
            writer = threading.Thread(target=second)
            writer.start()
            assert not second_done.wait(0.5), "the second writer did not wait for the first"
        writer.join(10)
    assert second_done.is_set() and failures == []
    opened, one, two = _events(engine, claim_id)
    assert (one.note, two.note) == ("eerste", "tweede")
    assert (one.prev_sha256, two.prev_sha256) == (opened.sha256, one.sha256)
    assert _verify(engine)[0] == []


def test_many_writers_through_the_service_keep_one_chain(engine: Engine, rt: Runtime, world: World) -> None:
    """Notes from several threads at once on one claim (and the sweep's batch path beside them)."""
    ref = Driver(engine, rt, world).open("contract_breach").reference
    failures: list[BaseException] = []

    def notes(n: int) -> None:
        try:
            for i in range(5):
                with Session(engine) as s:
                    add_note(s, rt, ref, f"notitie {n}.{i}", world.handler)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=notes, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert failures == []
    assert len(_events(engine, _claim_id(engine, ref))) == 21
    assert _verify(engine)[0] == []


# --- the revision that builds the chain ---------------------------------------------------------------


def test_the_revision_links_an_existing_database(
    engine: Engine, rt: Runtime, world: World, clock: Clock
) -> None:
    """Events written before the chain (no hashes, letters not listed) are linked by the upgrade exactly
    as the writer links them now; the downgrade takes the chain away again."""
    _life(engine, rt, world, clock)
    written = [(r.id, r.prev_sha256, r.sha256, r.data) for r in _events(engine)]
    downgrade(engine, BEFORE_CHAIN)
    try:
        with engine.begin() as conn:
            columns = {c["name"] for c in _columns(conn)}
            assert "sha256" not in columns and "prev_sha256" not in columns
            # as a database from before the chain holds them: no letters in the events' data
            for event_id, _, _, data in written:
                if "letters" in data:
                    stripped = {k: v for k, v in data.items() if k != "letters"}
                    conn.execute(
                        text("UPDATE timeline_events SET data = :d WHERE id = :i"),
                        {"d": json.dumps(stripped), "i": event_id},
                    )
            conn.execute(text("UPDATE timeline_events SET note = note"))  # no trigger refuses it any more
    finally:
        upgrade(engine)
    relinked = [(r.id, r.prev_sha256, r.sha256, r.data) for r in _events(engine)]
    assert relinked == written
    assert _verify(engine)[0] == []
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("DELETE FROM timeline_events"))


def test_the_revision_links_across_its_pages(
    engine: Engine, rt: Runtime, world: World, monkeypatch: Any
) -> None:
    """More events than one backfill page, claims split over pages: the revision run with pages of 3."""
    path = MIGRATIONS / "versions" / "e3a9c4f1b2d6_timeline_hash_chain.py"
    spec = importlib.util.spec_from_file_location("timeline_hash_chain", path)
    assert spec is not None and spec.loader is not None
    revision = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(revision)
    driver = Driver(engine, rt, world)
    for _ in range(3):
        ref = driver.open("contract_breach").reference
        with Session(engine) as s:
            for i in range(3):
                add_note(s, rt, ref, f"notitie {i}", world.handler)
    written = [(r.id, r.sha256) for r in _events(engine)]
    assert len(written) == 12
    downgrade(engine, BEFORE_CHAIN)
    monkeypatch.setattr(revision, "PAGE", 3)
    with engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
        revision.upgrade()
        conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": revision.revision})
    upgrade(engine)  # the revisions after the chain's, as the database had them before
    assert [(r.id, r.sha256) for r in _events(engine)] == written
    assert _verify(engine)[0] == []


def _columns(conn: Any) -> list[dict[str, Any]]:
    from sqlalchemy import inspect

    return list(inspect(conn).get_columns("timeline_events"))
