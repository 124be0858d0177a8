"""Each claim's rows in the portfolio CSV kept as text (export_texts), so that an export over years of
history writes what was built before instead of building millions of rows again.

An entry is used only under the digest of everything its text is built from: the code and the
catalog that build it, the display zone, every user's name and address (the context), and the claim's
facts and source rows as the export has just read them in its own snapshot. Whatever changed (a party
renamed, a deadline moved by hand, a user's name, a new release) gives another digest and the rows are
built afresh for that export, so nothing ever has to mark an entry stale and a text is never written
that building would not give byte for byte (tests/claims/exports/test_row_texts.py). The scheduler's
refresh rebuilds the entries of claims whose last event is newer than their entry's, or whose entry
was built under another context, a chunk at a time, reading in one transaction and writing in a short
one of its own.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import logging
import marshal
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from claims.config import Settings
from claims.exports.csv_text import CsvCells, csv_lines
from claims.exports.query import CHUNK, source_chunks, sources_of, user_names
from claims.exports.rows import ClaimFacts, HistoryBuilder, Sources
from claims.kinds.catalog import Catalog
from claims.runtime import Runtime
from claims.storage.db import in_write
from claims.storage.repositories import export_texts
from claims.storage.repositories.claim_list import ClaimCriteria

if TYPE_CHECKING:
    from claims.deadlines.scheduler import Job

log = logging.getLogger("claimflow.exports")

REFRESH_CHUNK = 250  # claims per refresh write: the write lock is held for one such chunk's inserts
COMPRESSION = 1  # zlib's fastest: CSV text still shrinks to about a fifth


@functools.cache
def code_digest() -> str:
    """A digest of the code and the spec files of this release (claims and workflow): a new release
    builds its texts afresh rather than trust those an older one wrote."""
    h = hashlib.blake2b(digest_size=16)
    for package in ("claims", "workflow"):
        found = importlib.util.find_spec(package)
        assert found is not None and found.submodule_search_locations, package
        root = Path(next(iter(found.submodule_search_locations)))
        for path in sorted(p for p in root.rglob("*") if p.suffix in (".py", ".yaml") and p.is_file()):
            h.update(path.relative_to(root).as_posix().encode() + b"\0")
            h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


def context_of(builder: HistoryBuilder, catalog: Catalog) -> str:
    """What every claim's text depends on beside its own rows, as one digest."""
    specs = sorted((kind, version, spec.fingerprint) for (kind, version), spec in catalog.specs.items())
    users = sorted(builder.users.items())
    seen = (code_digest(), specs, builder.tz.key, builder.neutralise, users)
    return hashlib.blake2b(repr(seen).encode(), digest_size=16).hexdigest()


def digest(context: str, claim: ClaimFacts, src: Sources) -> str:
    """The digest of one claim's text: its context, its facts and its source rows, by value."""
    rows = (src.events, src.deadlines, src.letters, src.money, src.parties)
    try:
        # marshal's version 2 writes equal values as equal bytes (no references between objects); it
        # takes SQLite's text, integers and None, and a tenth of the time repr takes
        data = b"m" + marshal.dumps(rows, 2)
    except ValueError:  # PostgreSQL's datetimes
        data = b"r" + repr(rows).encode()
    h = hashlib.blake2b(context.encode(), digest_size=16)
    h.update(repr(tuple(claim)).encode())
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
    """Each selected claim's CSV lines in UTF-8 (as files.csv_chunks writes `builder`'s inert rows) with how
    many rows they hold, by claim id: the stored text where its digest matches, else built."""
    assert builder.neutralise, "the stored texts are a spreadsheet's"
    context = context_of(builder, catalog)
    cells = CsvCells()
    counts = counts if counts is not None else TextCounts()
    for facts, sources in source_chunks(conn, selected, chunk=chunk):
        stored = export_texts.stored(conn, [c.id for c in facts])
        for claim in facts:
            src = sources.get(claim.id) or Sources()
            found = stored.get(claim.id)
            if found is not None and found.digest == digest(context, claim, src):
                counts.stored += 1
                yield zlib.decompress(found.text), found.rows
            else:
                counts.built += 1
                rows = builder.history(claim, src).rows
                yield csv_lines(rows, cells).encode(), len(rows)


@dataclass(frozen=True)
class RefreshReport:
    built: int  # entries written
    took_seconds: float


def refresh(engine: Engine, rt: Runtime, *, chunk: int = REFRESH_CHUNK) -> RefreshReport:
    """Rebuild the entries of every claim whose entry is missing, older than its last event or of
    another context. Each chunk is read in one transaction (its rows, digests and last events from one
    snapshot) and written in a short one; a claim that changes in between keeps an entry whose digest
    no export will match until the next refresh."""
    started = time.perf_counter()
    built = 0
    with engine.connect() as conn:
        with conn.begin():
            builder = HistoryBuilder(rt.catalog, user_names(conn), rt.tz, rt.clock(), for_spreadsheet=True)
        context = context_of(builder, rt.catalog)
        cells = CsvCells()
        after = 0
        while True:
            with conn.begin():
                ids = export_texts.to_refresh(conn, context, after, chunk)
                if not ids:
                    break
                entries = _entries(conn, builder, context, cells, ids)
            in_write(conn, functools.partial(export_texts.store, entries=entries, built_at=rt.clock()))
            built += len(entries)
            after = ids[-1]
    return RefreshReport(built, time.perf_counter() - started)


def _entries(
    conn: Connection, builder: HistoryBuilder, context: str, cells: CsvCells, ids: Sequence[int]
) -> list[export_texts.NewText]:
    facts, sources = sources_of(conn, ids)
    last = export_texts.last_events(conn, ids)
    out = []
    for claim in facts:
        src = sources.get(claim.id) or Sources()
        rows = builder.history(claim, src).rows
        text = zlib.compress(csv_lines(rows, cells).encode(), COMPRESSION)
        out.append(
            export_texts.NewText(
                claim.id, digest(context, claim, src), context, last.get(claim.id, 0), len(rows), text
            )
        )
    return out


def scheduled(engine: Engine, rt: Runtime, settings: Settings) -> Job:
    """The scheduler's refresh job, every CLAIMFLOW_EXPORT_TEXTS_REFRESH_SECONDS."""
    return ("export-texts-refresh", _refresh_job, (engine, rt), settings.export_texts_refresh_seconds)


def _refresh_job(engine: Engine, rt: Runtime) -> None:
    report = refresh(engine, rt)
    if report.built:
        log.info("export texts: %d claims rebuilt in %.1f s", report.built, report.took_seconds)
