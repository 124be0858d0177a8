"""Each claim's rows in the portfolio CSV kept as text (export_texts), so that an export over years of
history writes what was built before instead of building millions of rows again.

An entry is used only under the digest of everything its text is built from: the code, its libraries
and the catalog that build it, the display zone and its rules (the context), the claim's facts and
source rows as the export has just read them in its own snapshot, and the names and addresses of the
users its rows name (which users those are follows from the rows, so the entry lists them). Whatever
changed (a party renamed, a deadline moved by hand, a user renamed, a new release) gives another
digest and the rows are built afresh for that export, so nothing ever has to mark an entry stale and a
text is never written that building would not give byte for byte (tests/claims/exports/
test_row_texts.py). A user added, or one renamed, leaves the entries of claims that do not name them
as they are.

The scheduler's refresh rebuilds the entries of claims whose last event is newer than their entry's,
or whose entry was built under another context, a chunk at a time, reading in one transaction and
writing in a short one of its own; each run also checks the digests of the next few thousand claims in
turn, so an entry made stale without an event (a correction by hand) is rebuilt within a day or two.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import marshal
import sys
import time
import zlib
import zoneinfo
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from claims.config import Settings
from claims.exports.csv_text import CsvCells, csv_lines
from claims.exports.query import (
    CHUNK,
    EVENT_IDS,
    fact_chunks,
    fetch_events,
    fetch_sources,
    sources_of,
    user_names,
)
from claims.exports.rows import E_ID, EVENT_COLUMNS, MAX_REMEMBERED, ClaimFacts, HistoryBuilder, Sources
from claims.kinds.catalog import Catalog
from claims.runtime import Runtime
from claims.storage.db import in_write
from claims.storage.repositories import export_texts
from claims.storage.repositories.claim_list import ClaimCriteria

if TYPE_CHECKING:
    from claims.deadlines.scheduler import Job

log = logging.getLogger("claimflow.exports")

REFRESH_CHUNK = 250  # claims per refresh write: the write lock is held for one such chunk's inserts
VERIFY_PER_RUN = 10_000  # claims whose digests each refresh checks, in turn (about 1 s)
COMPRESSION = 1  # zlib's fastest: CSV text still shrinks to about a fifth
# the packages of this release whose code builds the rows (claims.exports.rows formats euros and dates
# with notifications.formatting); tests/claims/exports/test_row_texts.py checks nothing else is imported
CODE_PACKAGES = ("claims", "workflow", "notifications")
LIBRARIES = ("babel",)  # the Dutch number and date formats come from its locale data


def _code_digest() -> str:
    h = hashlib.blake2b(digest_size=16)
    for package in CODE_PACKAGES:
        found = importlib.util.find_spec(package)
        assert found is not None and found.submodule_search_locations, package
        root = Path(next(iter(found.submodule_search_locations)))
        for path in sorted(p for p in root.rglob("*") if p.suffix in (".py", ".yaml") and p.is_file()):
            h.update(f"{package}/{path.relative_to(root).as_posix()}\0".encode())
            h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


# Taken when the code is loaded, so a process digests the code it runs, not files replaced under it.
CODE_DIGEST = _code_digest()


@functools.cache
def _zone_rules(key: str) -> str:
    """A digest of the zone's rules as this machine's tz database has them (its offsets change with
    a tzdata update)."""
    for directory in zoneinfo.TZPATH:
        path = Path(directory) / key
        if path.is_file():
            return hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()
    try:
        from importlib.resources import files

        return hashlib.blake2b(
            files("tzdata.zoneinfo").joinpath(key).read_bytes(), digest_size=16
        ).hexdigest()
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return "unknown"


def _versions() -> list[tuple[str, str]]:
    found = []
    for name in LIBRARIES:
        try:
            found.append((name, importlib.metadata.version(name)))
        except importlib.metadata.PackageNotFoundError:
            found.append((name, ""))
    return found


def context_of(builder: HistoryBuilder, catalog: Catalog) -> str:
    """What every claim's text depends on beside its own rows and the users they name, as one digest:
    the code, Python (its repr and marshal formats), the libraries, the catalog, the zone and its rules,
    and whether cells are neutralised."""
    specs = sorted((kind, version, spec.fingerprint) for (kind, version), spec in catalog.specs.items())
    seen = (
        CODE_DIGEST,
        sys.version,
        marshal.version,
        _versions(),
        specs,
        builder.tz.key,
        _zone_rules(builder.tz.key),
        builder.neutralise,
    )
    return hashlib.blake2b(repr(seen).encode(), digest_size=16).hexdigest()


@dataclass(frozen=True)
class UsersNamed:
    """The users a claim's rows look up: by id (who did what) and by e-mail address (a user field's
    value), whether or not such a user exists."""

    ids: tuple[int, ...] = ()
    emails: tuple[str, ...] = ()

    def as_text(self) -> str:
        return json.dumps([list(self.ids), list(self.emails)], separators=(",", ":"))

    @staticmethod
    def from_text(text: str) -> UsersNamed:
        ids, emails = json.loads(text) if text else ([], [])
        return UsersNamed(tuple(ids), tuple(emails))


class Digests:
    """The digests of claims' texts under one context and builder. The part of the users named is
    remembered by their list: claims share their handlers and experts."""

    def __init__(self, context: str, builder: HistoryBuilder) -> None:
        self.context = context
        self._context = context.encode()
        self.builder = builder
        self._people: dict[str, bytes] = {}

    def people(self, named: str) -> bytes:
        found = self._people.get(named)
        if found is None:
            if len(self._people) >= MAX_REMEMBERED:
                self._people.clear()
            listed, b = UsersNamed.from_text(named), self.builder
            found = self._people[named] = repr(
                (
                    [(i, b.users.get(i)) for i in listed.ids],
                    [(e, b.names_by_email.get(e)) for e in listed.emails],
                )
            ).encode()
        return found

    def of(self, claim: ClaimFacts, src: Sources, named: str) -> str:
        """The digest of one claim's text: the context, its facts, its source rows, and the users its
        rows name (`named`, UsersNamed as text) as the builder has them now, all by value."""
        # an event by its id: the database refuses to change one (a trigger on both databases), so the
        # export need not read what a stored text already holds; the other rows by their content
        ids = [(e[0], e[E_ID]) for e in src.events]
        rows = (ids, src.deadlines, src.letters, src.money, src.parties)
        try:
            # marshal's version 2 writes equal values as equal bytes (no references between objects);
            # it takes SQLite's text, integers and None, and a tenth of the time repr takes
            data = b"m" + marshal.dumps(rows, 2)
        except ValueError:  # PostgreSQL's datetimes
            data = b"r" + repr(rows).encode()
        h = hashlib.blake2b(self._context, digest_size=16)
        h.update(repr(tuple(claim)).encode())
        h.update(self.people(named))
        h.update(data)
        return h.hexdigest()


@dataclass
class TextCounts:
    """How many claims an export wrote from stored text and how many it built."""

    stored: int = 0
    built: int = 0


def csv_texts(
    conn: Connection,
    builder: HistoryBuilder,
    catalog: Catalog,
    selected: ClaimCriteria,
    *,
    chunk: int = CHUNK,
    counts: TextCounts | None = None,
) -> Iterator[tuple[bytes, int]]:
    """Each selected claim's CSV lines in UTF-8 (as files.csv_chunks writes `builder`'s inert rows)
    with how many rows they hold, by claim id: the stored text where its digest matches, else built."""
    assert builder.neutralise, "the stored texts are a spreadsheet's"
    digests = Digests(context_of(builder, catalog), builder)
    cells = CsvCells()
    counts = counts if counts is not None else TextCounts()
    for facts in fact_chunks(conn, selected, chunk=chunk):
        sources, matched = _matched(conn, digests, facts)
        counts.stored += len(matched)
        counts.built += len(facts) - len(matched)
        for claim in facts:
            found = matched.get(claim.id)
            if found is not None:
                yield zlib.decompress(found.text), found.rows
            else:
                rows = builder.history(claim, sources[claim.id]).rows
                yield csv_lines(rows, cells).encode(), len(rows)


def _matched(
    conn: Connection, digests: Digests, facts: Sequence[ClaimFacts]
) -> tuple[dict[int, Sources], dict[int, export_texts.StoredText]]:
    """A chunk's sources, and its stored entries whose digest matches. With entries stored, the
    events are read by id first and whole only for the claims whose entry does not match: the sources
    of those, and only those, are fit to build from."""
    ids = [c.id for c in facts]
    stored = export_texts.stored(conn, ids, digests.context)
    sources = fetch_sources(conn, ids, events=EVENT_IDS if stored else EVENT_COLUMNS)
    matched = {}
    for claim in facts:
        found = stored.get(claim.id)
        if found is not None and found.digest == digests.of(claim, sources[claim.id], found.users):
            matched[claim.id] = found
    missed = [cid for cid in ids if cid not in matched]
    if stored and missed:
        events = fetch_events(conn, missed)  # in the same snapshot
        for cid in missed:
            sources[cid].events = events.get(cid, [])
    return sources, matched


class _Looked(dict[Any, Any]):
    """A mapping that remembers the keys looked up in it (found or not)."""

    def __init__(self, items: Mapping[Any, Any]) -> None:
        super().__init__(items)
        self.looked: set[Any] = set()

    def get(self, key: Any, default: Any = None) -> Any:
        self.looked.add(key)
        return super().get(key, default)

    def __getitem__(self, key: Any) -> Any:
        self.looked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self.looked.add(key)
        return super().__contains__(key)


class _Recorder:
    """Builds claims as `builder` would, noting the users each one's rows look up."""

    def __init__(self, builder: HistoryBuilder) -> None:
        self.builder = builder
        self.ids = _Looked(builder.users)
        self.emails = _Looked(builder.names_by_email)

    def build(self, claim: ClaimFacts, src: Sources) -> tuple[list[tuple[Any, ...]], UsersNamed]:
        b = self.builder
        plain = b.users, b.names_by_email
        self.ids.looked.clear()
        self.emails.looked.clear()
        b.users, b.names_by_email = self.ids, self.emails
        try:
            rows = b.history(claim, src).rows
        finally:
            b.users, b.names_by_email = plain
        named = UsersNamed(tuple(sorted(self.ids.looked)), tuple(sorted(self.emails.looked)))
        return rows, named


@dataclass(frozen=True)
class RefreshReport:
    built: int  # entries written
    verified: int  # claims whose stored digest was checked against their rows as they are now
    verified_to: int  # the last claim id checked; 0 when the check came round to the first claim again
    took_seconds: float


def refresh(
    engine: Engine,
    rt: Runtime,
    *,
    chunk: int = REFRESH_CHUNK,
    verify: int = VERIFY_PER_RUN,
    verify_after: int = 0,
) -> RefreshReport:
    """Rebuild the entries of every claim whose entry is missing, older than its last event or of
    another context; then check the digests of up to `verify` claims after id `verify_after` against
    their rows as they are now and rebuild those that differ. Each chunk is read in one transaction (a
    snapshot) and written in a short one; a claim that changes in between keeps an entry whose digest
    no export will match until the next refresh."""
    started = time.perf_counter()
    options = {} if engine.dialect.name == "sqlite" else {"isolation_level": "REPEATABLE READ"}
    built = verified = 0
    verified_to = verify_after
    with engine.connect().execution_options(**options) as conn:
        with conn.begin():
            builder = HistoryBuilder(rt.catalog, user_names(conn), rt.tz, rt.clock(), for_spreadsheet=True)
        context = context_of(builder, rt.catalog)
        digests = Digests(context, builder)
        recorder = _Recorder(builder)
        cells = CsvCells()
        after = 0
        while True:
            with conn.begin():
                ids = export_texts.to_refresh(conn, context, after, chunk)
                if not ids:
                    break
                facts, sources = sources_of(conn, ids)
                entries = [_entry(recorder, digests, cells, c, sources.get(c.id) or Sources()) for c in facts]
            built += _store(conn, rt, entries)
            after = ids[-1]
        while verified < verify:
            with conn.begin():
                wanted = min(chunk, verify - verified)
                facts = next(fact_chunks(conn, ClaimCriteria(), chunk=wanted, after=verified_to), [])
                if not facts:
                    verified_to = 0
                    break
                sources, matched = _matched(conn, digests, facts)
                entries = [
                    _entry(recorder, digests, cells, c, sources[c.id]) for c in facts if c.id not in matched
                ]
            built += _store(conn, rt, entries)
            verified += len(facts)
            verified_to = facts[-1].id
    return RefreshReport(built, verified, verified_to, time.perf_counter() - started)


def _entry(
    recorder: _Recorder, digests: Digests, cells: CsvCells, claim: ClaimFacts, src: Sources
) -> export_texts.NewText:
    rows, named = recorder.build(claim, src)
    text = zlib.compress(csv_lines(rows, cells).encode(), COMPRESSION)
    # the last event the text was built with, from the same snapshot as its rows
    last = max((e[E_ID] for e in src.events), default=0)
    users = named.as_text()
    return export_texts.NewText(
        claim.id, digests.of(claim, src, users), digests.context, last, users, len(rows), text
    )


def _store(conn: Connection, rt: Runtime, entries: Sequence[export_texts.NewText]) -> int:
    if entries:
        in_write(conn, functools.partial(export_texts.store, entries=entries, built_at=rt.clock()))
    return len(entries)


class _Job:
    """The scheduler's refresh, remembering between runs how far the digests were checked."""

    def __init__(self) -> None:
        self.verified_to = 0

    def __call__(self, engine: Engine, rt: Runtime) -> None:
        report = refresh(engine, rt, verify_after=self.verified_to)
        self.verified_to = report.verified_to
        if report.built:
            log.info("export texts: %d claims rebuilt in %.1f s", report.built, report.took_seconds)


def scheduled(engine: Engine, rt: Runtime, settings: Settings) -> Job:
    """The scheduler's refresh job, every CLAIMFLOW_EXPORT_TEXTS_REFRESH_SECONDS."""
    return ("export-texts-refresh", _Job(), (engine, rt), settings.export_texts_refresh_seconds)
