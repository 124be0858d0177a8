"""The portfolio CSV's stored texts (claims.exports.row_texts): after the scheduler's refresh an export
writes each claim's lines as stored, byte for byte what building them gives; whatever changed since
(even without an event: a row edited by hand, a user renamed) is built afresh, and the refresh
rebuilds only the claims that moved on."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select, update
from sqlmodel import Session

from claims.config import Settings
from claims.deadlines.sweep import sweep
from claims.exports import row_texts
from claims.exports.files import csv_chunks
from claims.exports.query import PortfolioFilter, histories, user_names
from claims.exports.rows import HistoryBuilder
from claims.exports.timelines import ExportFormat, PortfolioMode, _headers, export_portfolio
from claims.people.users import user_by_email
from claims.runtime import Runtime
from claims.service import add_note
from claims.storage.models import User
from claims.storage.repositories.claim_list import ClaimCriteria
from claims.storage.tables import CLAIMS, DEADLINES, EXPORT_TEXTS, LETTERS, MONEY, PARTIES, USERS
from seeds.loader import seed

SWEPT = datetime(2026, 11, 23, 9, tzinfo=UTC)


@pytest.fixture
def seeded(engine: Engine, base_runtime: Runtime) -> Runtime:
    seed(engine, base_runtime)
    sweep(engine, base_runtime, SWEPT)  # reminders, flags and escalations in the timelines
    return base_runtime


def _user(engine: Engine, email: str) -> User:
    with Session(engine, expire_on_commit=False) as s:
        user = user_by_email(s, email)
    assert user is not None
    return user


def _exported(engine: Engine, rt: Runtime) -> bytes:
    manager = _user(engine, "eva.manager@claimflow.test")
    export = export_portfolio(
        engine, rt, PortfolioFilter(), PortfolioMode.events, ExportFormat.csv, manager, "cli"
    )
    return b"".join(export.chunks)


def _built(engine: Engine, rt: Runtime) -> bytes:
    """The portfolio CSV as building every row gives it, without the stored texts."""
    with engine.connect() as conn, conn.begin():
        builder = HistoryBuilder(rt.catalog, user_names(conn), rt.tz, rt.clock(), for_spreadsheet=True)
        rows = [h.rows for h in histories(conn, builder, ClaimCriteria())]
    return b"".join(csv_chunks(_headers(rt.tz.key), rows, inert_already=True))


def _counts(engine: Engine, rt: Runtime) -> row_texts.TextCounts:
    counts = row_texts.TextCounts()
    with engine.connect() as conn, conn.begin():
        builder = HistoryBuilder(rt.catalog, user_names(conn), rt.tz, rt.clock(), for_spreadsheet=True)
        for _ in row_texts.csv_texts(conn, builder, rt.catalog, ClaimCriteria(), counts=counts):
            pass
    return counts


def _claims(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(CLAIMS)).scalar_one())


def test_after_the_refresh_the_export_writes_the_stored_texts_byte_for_byte(
    engine: Engine, seeded: Runtime
) -> None:
    rt = seeded
    claims = _claims(engine)
    built = _built(engine, rt)
    assert _exported(engine, rt) == built  # nothing stored yet: every claim built
    assert _counts(engine, rt) == row_texts.TextCounts(stored=0, built=claims)

    assert row_texts.refresh(engine, rt, chunk=3).built == claims  # chunks smaller than the portfolio
    assert row_texts.refresh(engine, rt).built == 0  # nothing changed since
    assert _counts(engine, rt) == row_texts.TextCounts(stored=claims, built=0)
    assert _exported(engine, rt) == built

    # what is stored is what is written: a stored text with a matching digest goes out as it is
    with engine.begin() as conn:
        first = conn.execute(select(func.min(EXPORT_TEXTS.c.claim_id))).scalar_one()
        text = conn.execute(select(EXPORT_TEXTS.c.text).where(EXPORT_TEXTS.c.claim_id == first)).scalar_one()
        marked = zlib.decompress(text).decode().replace("Gebeurtenis", "GEBEURTENIS", 1)
        conn.execute(
            update(EXPORT_TEXTS)
            .where(EXPORT_TEXTS.c.claim_id == first)
            .values(text=zlib.compress(marked.encode()))
        )
    assert "GEBEURTENIS" in _exported(engine, rt).decode()


def test_a_change_without_an_event_is_built_afresh_and_written_as_it_is_now(
    engine: Engine, seeded: Runtime
) -> None:
    rt = seeded
    row_texts.refresh(engine, rt)
    with engine.begin() as conn:
        ids = [cid for (cid,) in conn.execute(select(CLAIMS.c.id).order_by(CLAIMS.c.id))]
        party = conn.execute(
            select(PARTIES.c.id, PARTIES.c.claim_id).where(PARTIES.c.claim_id.is_not(None))
        ).first()
        deadline = conn.execute(select(DEADLINES.c.id, DEADLINES.c.claim_id)).first()
        letter = conn.execute(select(LETTERS.c.id, LETTERS.c.claim_id)).first()
        money = conn.execute(select(MONEY.c.id, MONEY.c.claim_id)).first()
        assert party and deadline and letter and money
        conn.execute(update(PARTIES).where(PARTIES.c.id == party.id).values(name="Hernoemd B.V."))
        conn.execute(
            update(DEADLINES)
            .where(DEADLINES.c.id == deadline.id)
            .values(due_at=datetime(2027, 1, 5, 16, tzinfo=UTC))
        )
        conn.execute(update(LETTERS).where(LETTERS.c.id == letter.id).values(title="Een andere titel"))
        conn.execute(update(MONEY).where(MONEY.c.id == money.id).values(note="met de hand verbeterd"))
        conn.execute(update(CLAIMS).where(CLAIMS.c.id == ids[-1]).values(claimant="Andere Benadeelde B.V."))
    changed = {party.claim_id, deadline.claim_id, letter.claim_id, money.claim_id, ids[-1]}

    assert _counts(engine, rt) == row_texts.TextCounts(stored=len(ids) - len(changed), built=len(changed))
    exported = _exported(engine, rt)
    assert exported == _built(engine, rt)
    assert "Een andere titel" in exported.decode() and "met de hand verbeterd" in exported.decode()


def test_a_renamed_user_rebuilds_every_claim_and_the_refresh_stores_them_again(
    engine: Engine, seeded: Runtime
) -> None:
    rt = seeded
    claims = _claims(engine)
    row_texts.refresh(engine, rt)
    with engine.begin() as conn:
        conn.execute(
            update(USERS)
            .where(USERS.c.email == "sanne.behandelaar@claimflow.test")
            .values(name="Sanne de Vries-Bakker")
        )
    assert _counts(engine, rt) == row_texts.TextCounts(stored=0, built=claims)
    exported = _exported(engine, rt)
    assert exported == _built(engine, rt) and "Sanne de Vries-Bakker" in exported.decode()
    assert row_texts.refresh(engine, rt).built == claims
    assert _exported(engine, rt) == _built(engine, rt)


def test_the_refresh_rebuilds_only_the_claim_that_moved_on(engine: Engine, seeded: Runtime) -> None:
    rt = seeded
    claims = _claims(engine)
    row_texts.refresh(engine, rt)
    sanne = _user(engine, "sanne.behandelaar@claimflow.test")
    with Session(engine) as s:
        add_note(s, rt, "CF-2026-000001", "Verzekerde belt: logboek volgt vrijdag.", sanne)
    assert _counts(engine, rt) == row_texts.TextCounts(stored=claims - 1, built=1)
    assert _exported(engine, rt) == _built(engine, rt)  # the note is in it
    assert "logboek volgt vrijdag" in _exported(engine, rt).decode()
    assert row_texts.refresh(engine, rt).built == 1
    assert _counts(engine, rt) == row_texts.TextCounts(stored=claims, built=0)


def test_the_context_covers_the_zone_the_users_and_the_catalog(engine: Engine, seeded: Runtime) -> None:
    rt = seeded
    with engine.connect() as conn:
        users = user_names(conn)
    now = rt.clock()

    def context(tz: ZoneInfo = rt.tz, names: dict[int, tuple[str, str]] = users, sheet: bool = True) -> str:
        return row_texts.context_of(
            HistoryBuilder(rt.catalog, names, tz, now, for_spreadsheet=sheet), rt.catalog
        )

    first = next(iter(users))
    renamed = {**users, first: ("Iemand Anders", users[first][1])}
    assert context() == context()
    assert len({context(), context(ZoneInfo("UTC")), context(names=renamed), context(sheet=False)}) == 4


def test_the_scheduler_job_fills_the_store_at_the_interval_of_the_settings(
    engine: Engine, seeded: Runtime
) -> None:
    settings = Settings(export_texts_refresh_seconds=120)
    job_id, job, args, interval = row_texts.scheduled(engine, seeded, settings)
    assert (job_id, interval) == ("export-texts-refresh", 120)
    job(*args)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(EXPORT_TEXTS)).scalar_one() == _claims(engine)
    with pytest.raises(ValueError, match="CLAIMFLOW_EXPORT_TEXTS_REFRESH_SECONDS"):
        Settings(export_texts_refresh_seconds=0)
