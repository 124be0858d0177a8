"""The portfolio CSV's stored texts (claims.exports.row_texts): after the scheduler's refresh an export
writes each claim's lines as stored, byte for byte what building them gives; whatever changed since
(even without an event: a row edited by hand, a user renamed) is built afresh, the refresh rebuilds
the claims that moved on and, checking digests in turn, those changed without an event; a user added
rebuilds nothing, a user renamed only the claims whose rows name them."""

from __future__ import annotations

import subprocess
import sys
import zlib
from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from claims.config import Settings
from claims.deadlines.sweep import sweep
from claims.exports import row_texts
from claims.exports.files import csv_chunks
from claims.exports.query import PortfolioFilter, histories, source_chunks, user_names
from claims.exports.rows import HistoryBuilder, Sources
from claims.exports.timelines import ExportFormat, PortfolioMode, _headers, export_portfolio
from claims.kinds.catalog import Catalog
from claims.people.users import user_by_email
from claims.runtime import Runtime
from claims.service import add_note
from claims.storage.models import User
from claims.storage.repositories import export_texts
from claims.storage.repositories.claim_list import ClaimCriteria
from claims.storage.tables import CLAIMS, DEADLINES, EVENTS, EXPORT_TEXTS, LETTERS, MONEY, PARTIES, USERS
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


def _claim_ids(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return [cid for (cid,) in conn.execute(select(CLAIMS.c.id).order_by(CLAIMS.c.id))]


def _built_ids(engine: Engine, rt: Runtime) -> set[int]:
    """The claims an export would build rather than write from their stored text."""
    built: set[int] = set()
    with engine.connect() as conn, conn.begin():
        builder = HistoryBuilder(rt.catalog, user_names(conn), rt.tz, rt.clock(), for_spreadsheet=True)
        context = row_texts.context_of(builder, rt.catalog)
        digests = row_texts.Digests(context, builder)  # from the events whole, as the refresh has them
        for facts, sources in source_chunks(conn, ClaimCriteria()):
            stored = export_texts.stored(conn, [c.id for c in facts], context)
            for c in facts:
                found = stored.get(c.id)
                src = sources.get(c.id) or Sources()
                if found is None:
                    built.add(c.id)
                    continue
                if found.digest != digests.of(c, src, found.users):
                    built.add(c.id)
    return built


def test_a_change_without_an_event_is_built_afresh_and_written_as_it_is_now(
    engine: Engine, seeded: Runtime
) -> None:
    rt = seeded
    row_texts.refresh(engine, rt)
    ids = _claim_ids(engine)
    changed: list[int] = []
    with engine.begin() as conn:
        # each kind of row changed on another claim, so that each is seen to count on its own
        for table, values in (
            (PARTIES, {"name": "Hernoemd B.V."}),
            (DEADLINES, {"due_at": datetime(2027, 1, 5, 16, tzinfo=UTC)}),
            (LETTERS, {"title": "Een andere titel"}),
            (MONEY, {"note": "met de hand verbeterd"}),
        ):
            row = conn.execute(
                select(table.c.id, table.c.claim_id)
                .where(table.c.claim_id.is_not(None), table.c.claim_id.not_in(changed))
                .order_by(table.c.id)
            ).first()
            assert row is not None, table.name
            conn.execute(update(table).where(table.c.id == row.id).values(values))
            changed.append(row.claim_id)
        last = next(c for c in reversed(ids) if c not in changed)
        conn.execute(update(CLAIMS).where(CLAIMS.c.id == last).values(claimant="Andere Benadeelde B.V."))
        changed.append(last)
    assert len(set(changed)) == 5
    # events are digested by their id alone: what makes that safe is that the database refuses to
    # change one
    with pytest.raises(DBAPIError), engine.begin() as conn:
        conn.execute(update(EVENTS).where(EVENTS.c.claim_id == changed[0]).values(note="anders"))
    assert _built_ids(engine, rt) == set(changed)
    assert _counts(engine, rt) == row_texts.TextCounts(stored=len(ids) - 5, built=5)
    exported = _exported(engine, rt)
    assert exported == _built(engine, rt)
    assert "Een andere titel" in exported.decode() and "met de hand verbeterd" in exported.decode()

    # no event marks them: the refresh finds them by checking digests in turn, a few claims a run
    first = row_texts.refresh(engine, rt, verify=3)
    assert (first.verified, first.verified_to) == (3, ids[2])
    report = row_texts.refresh(engine, rt, verify_after=first.verified_to)
    assert report.verified == len(ids) - 3 and report.verified_to == 0  # came round to the start
    assert first.built + report.built == 5
    assert _built_ids(engine, rt) == set()
    assert _exported(engine, rt) == exported


def test_a_user_added_rebuilds_nothing_and_one_renamed_only_the_claims_naming_them(
    engine: Engine, seeded: Runtime
) -> None:
    rt = seeded
    claims = _claims(engine)
    row_texts.refresh(engine, rt)
    with engine.begin() as conn:
        conn.execute(
            insert(USERS).values(
                email="nieuw@claimflow.test", name="Nieuwe Collega", role="handler", team="BAV",
                password_hash="", active=True, created_at=datetime(2026, 11, 24, 9, tzinfo=UTC),
            )
        )  # fmt: skip
    assert _built_ids(engine, rt) == set()

    lars = _user(engine, "lars.expert@claimflow.test")
    with engine.connect() as conn:
        named = {
            cid: row_texts.UsersNamed.from_text(users)
            for cid, users in conn.execute(select(EXPORT_TEXTS.c.claim_id, EXPORT_TEXTS.c.users))
        }
    naming = {cid for cid, n in named.items() if lars.id in n.ids or lars.email in n.emails}
    assert 0 < len(naming) < claims
    before = _exported(engine, rt).decode()
    with engine.begin() as conn:
        conn.execute(update(USERS).where(USERS.c.id == lars.id).values(name="Lars de Expert-Jansen"))
    assert _built_ids(engine, rt) == naming
    exported = _exported(engine, rt)
    assert exported == _built(engine, rt)
    # who did what is named as the user is called now (a letter keeps the name it was addressed to)
    assert before.count(lars.name) > exported.decode().count(lars.name)
    assert "Lars de Expert-Jansen" in exported.decode()
    assert row_texts.refresh(engine, rt).built == len(naming)  # found by checking the digests
    assert _built_ids(engine, rt) == set()
    assert _exported(engine, rt) == exported


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
    report = row_texts.refresh(engine, rt, verify=0)  # found by its event alone
    assert (report.built, report.verified) == (1, 0)
    assert _counts(engine, rt) == row_texts.TextCounts(stored=claims, built=0)


def test_after_a_release_nothing_stored_is_read_until_the_refresh_made_it_again(
    engine: Engine, seeded: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt = seeded
    claims = _claims(engine)
    row_texts.refresh(engine, rt)
    built = _built(engine, rt)
    monkeypatch.setattr(row_texts, "CODE_DIGEST", "de volgende versie")
    assert _counts(engine, rt) == row_texts.TextCounts(stored=0, built=claims)
    assert _exported(engine, rt) == built
    with engine.connect() as conn:
        builder = HistoryBuilder(rt.catalog, user_names(conn), rt.tz, rt.clock(), for_spreadsheet=True)
        context = row_texts.context_of(builder, rt.catalog)
        assert export_texts.stored(conn, _claim_ids(engine), context) == {}  # the old ones are not read
    assert row_texts.refresh(engine, rt, verify=0).built == claims
    assert _counts(engine, rt) == row_texts.TextCounts(stored=claims, built=0)
    assert _exported(engine, rt) == built


def test_the_context_covers_code_python_libraries_catalog_zone_and_neutralising(
    engine: Engine, seeded: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt = seeded
    with engine.connect() as conn:
        users = user_names(conn)
    now = rt.clock()

    def context(tz: ZoneInfo = rt.tz, sheet: bool = True, catalog: Catalog = rt.catalog) -> str:
        return row_texts.context_of(HistoryBuilder(catalog, users, tz, now, for_spreadsheet=sheet), catalog)

    key = next(iter(rt.catalog.specs))
    changed_spec = Catalog({**rt.catalog.specs, key: replace(rt.catalog.specs[key], fingerprint="anders")})
    seen = {context(), context(ZoneInfo("UTC")), context(sheet=False), context(catalog=changed_spec)}
    assert context() == context() and len(seen) == 4
    plain = context()
    for name, value in (
        ("CODE_DIGEST", "een andere versie"),
        ("LIBRARIES", ("babel", "jinja2")),
    ):
        with monkeypatch.context() as m:
            m.setattr(row_texts, name, value)
            assert context() != plain, name
    with monkeypatch.context() as m:
        m.setattr(sys, "version", "3.99.0")
        assert context() != plain


def test_the_code_digest_covers_every_package_of_this_project_the_rows_are_built_with() -> None:
    # in a fresh interpreter: what importing the export (and building with it) loads of this project
    loaded = subprocess.run(
        [sys.executable, "-c", _LOADED],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert "claims" in loaded and "notifications" in loaded
    assert set(loaded) <= set(row_texts.CODE_PACKAGES)


_LOADED = """
import sys
from pathlib import Path
import claims.exports.row_texts, claims.exports.timelines
root = Path(claims.__file__).resolve().parent.parent
tops = set()
for name, module in list(sys.modules.items()):
    path = getattr(module, "__file__", None)
    if path and Path(path).resolve().is_relative_to(root) and ".venv" not in Path(path).parts:
        tops.add(name.split(".")[0])
print(" ".join(sorted(tops)))
"""


def test_the_scheduler_job_fills_the_store_and_checks_digests_on_from_where_it_stopped(
    engine: Engine, seeded: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(export_texts_refresh_seconds=120)
    job_id, job, args, interval = row_texts.scheduled(engine, seeded, settings)
    assert (job_id, interval) == ("export-texts-refresh", 120)
    monkeypatch.setattr(row_texts, "VERIFY_PER_RUN", 2)
    calls: list[int] = []
    real = row_texts.refresh

    def counted(engine: Engine, rt: Runtime, **kw: int) -> row_texts.RefreshReport:
        calls.append(kw["verify_after"])
        return real(engine, rt, verify=2, **kw)

    monkeypatch.setattr(row_texts, "refresh", counted)
    job(*args)
    job(*args)
    ids = _claim_ids(engine)
    assert calls == [0, ids[1]]  # the second run checks on after the first run's last claim
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(EXPORT_TEXTS)).scalar_one() == len(ids)
    with pytest.raises(ValueError, match="CLAIMFLOW_EXPORT_TEXTS_REFRESH_SECONDS"):
        Settings(export_texts_refresh_seconds=0)
