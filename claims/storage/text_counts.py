"""How many of the text index's texts hold each trigram (SQLite), counted at one moment and stored, so
the search (claims.storage.text_lookup) looks a term up by its rarest trigrams.

FTS5 finds a phrase by walking the lists of all its trigrams side by side: a term whose own trigrams
are each in a million texts ("Opdrachtgever 199999") costs a pass over those million, even when it is
in five. Asked instead for the part of the term made of its rare trigrams ("199999"), it reads a few
thousand entries, and the few texts found are checked for the whole term.

The counts are a planner's statistics: counted again by the scheduler (an hour apart), they may be
old; an old count only makes a search slower, never its results different. A trigram not counted yet
counts as rare.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, text

from claims.storage.db import in_read, in_write
from claims.storage.text_index import TABLE, TRIGRAMS

log = logging.getLogger(__name__)

REFRESH_SECONDS = 3600  # the scheduler counts again this often (and at its start)
_VOCAB = "claim_search_vocab"  # per connection, in its temp schema: it stores nothing
_BATCH = 5_000


def counted(conn: Connection, trigrams: Iterable[str]) -> dict[str, int]:
    """The stored count of each of `trigrams` (folded) that has one."""
    wanted = sorted(set(trigrams))
    if not wanted:
        return {}
    query = text(f"SELECT trigram, texts FROM {TRIGRAMS} WHERE trigram IN :wanted").bindparams(
        bindparam("wanted", expanding=True)
    )
    return {row.trigram: row.texts for row in conn.execute(query, {"wanted": wanted})}


def refresh(engine: Engine) -> None:
    """Count every trigram's texts from the index and store the counts. The count reads in a
    transaction of its own (a pass over the whole index: seconds at a million claims, and no writer
    waits for a reader); the counts are written in short transactions after it, each replacing some,
    so a search never finds them missing."""
    if engine.dialect.name != "sqlite":
        return
    started = time.perf_counter()
    with engine.connect() as conn:
        counts = in_read(conn, _count)
        rows = [{"trigram": t, "texts": n} for t, n in counts]
        upsert = text(
            f"INSERT INTO {TRIGRAMS} (trigram, texts) VALUES (:trigram, :texts) "
            "ON CONFLICT (trigram) DO UPDATE SET texts = excluded.texts"
        )
        for first in range(0, len(rows), _BATCH):
            batch = rows[first : first + _BATCH]
            _write(conn, upsert, batch)
        # a trigram no text holds any more
        gone = text(f"DELETE FROM {TRIGRAMS} WHERE trigram NOT IN (SELECT value FROM json_each(:counted))")
        _write(conn, gone, {"counted": json.dumps([t for t, _n in counts])})
    log.info("search: %d trigrams counted in %.1f s", len(rows), time.perf_counter() - started)


def _write(conn: Connection, statement: Any, params: Any) -> None:
    in_write(conn, lambda c: c.execute(statement, params))


def _count(conn: Connection) -> list[tuple[str, int]]:
    conn.exec_driver_sql(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{_VOCAB} USING fts5vocab(main, {TABLE}, row)"
    )
    return [(row[0], row[1]) for row in conn.exec_driver_sql(f"SELECT term, doc FROM temp.{_VOCAB}")]
