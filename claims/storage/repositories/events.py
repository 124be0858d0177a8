"""The timeline: events appended to a claim (a transition, a note, a flag), each linked after the claim's
previous one by its hash (claims.storage.chain); read back in order, its head, and walked for checking."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Select, bindparam, func, or_, select, text, tuple_
from sqlalchemy.engine import Connection

from claims.storage import chain
from claims.storage.statements import Bound, InsertMany, InsertReturningId, Prepared, Record
from claims.storage.tables import CLAIMS, EVENTS, LETTERS, USERS

_INSERT = InsertReturningId(EVENTS)
_INSERT_MANY = InsertMany(EVENTS)
# the claim's head: one seek on ix_timeline_events_claim_id_id
_HEAD = Prepared(
    select(EVENTS.c.sha256)
    .where(EVENTS.c.claim_id == bindparam("claim_id"))
    .order_by(EVENTS.c.id.desc())
    .limit(1),
    Record,
)
# What a left-out column of an event is (as the fast path binds it): hashed as it is stored.
_NULLABLE = {"actor_id": None, "trigger": None, "from_state": None, "to_state": None, "note": ""}

# Two writers must not link after the same head. On SQLite a write transaction holds the database's
# write lock from BEGIN IMMEDIATE (claims.storage.db), so the head read in it stays the head. On
# PostgreSQL (read committed) each append first takes a transaction-scoped advisory lock on the claim,
# then reads the head in a new statement, which sees whatever the previous holder committed. Not the
# claim row FOR UPDATE: the sweep holds deadline rows when it appends, and a transition holds the claim
# row while it closes those deadlines, so locking the claim row in the sweep would deadlock with it.
# The advisory lock is the last lock either takes. uq_timeline_events_claim_prev backs it: a fork is
# refused by the database even if a writer came in another way.
CHAIN_LOCK = 16_001  # advisory lock class of "a claim's timeline chain" (the claim id is the object)
_LOCK_ONE = text("SELECT pg_advisory_xact_lock(:lock, :claim_id)")
_LOCK_MANY = text(  # in claim order, so two sweeps locking overlapping batches cannot deadlock
    "SELECT pg_advisory_xact_lock(:lock, c) FROM "
    "(SELECT DISTINCT c FROM unnest(CAST(:ids AS integer[])) AS c ORDER BY c) AS claims_in_order"
)
_HEADS_CHUNK = 500  # claims per head lookup of append_many


def _lock(conn: Connection, claim_ids: Sequence[int]) -> None:
    if conn.dialect.name != "postgresql":
        return
    if len(claim_ids) == 1:
        conn.execute(_LOCK_ONE, {"lock": CHAIN_LOCK, "claim_id": claim_ids[0]})
    else:
        conn.execute(_LOCK_MANY, {"lock": CHAIN_LOCK, "ids": sorted(set(claim_ids))})


def append(conn: Connection, **values: Any) -> int:
    """A new timeline event, linked after the claim's head; its id."""
    row = {**_NULLABLE, **values}
    claim_id = row["claim_id"]
    _lock(conn, [claim_id])
    chain.seal(row, last_sha256(conn, claim_id))
    return _INSERT.run(conn, row)


def seal(values: Mapping[str, Any], head: str) -> dict[str, Any]:
    """An event's row linked after `head`, sealed before its write transaction (its canonical form and
    sha256 worked out outside the write lock) for `append_sealed`."""
    row = {**_NULLABLE, **values}
    chain.seal(row, head)
    return row


def bind_sealed(conn: Connection, row: Mapping[str, Any]) -> Bound | None:
    """An event sealed by `seal` put in the driver's form before its write transaction, for
    `append_sealed`; None on PostgreSQL, where an event is always linked afresh inside it."""
    return _INSERT.bind(conn, row) if conn.dialect.name == "sqlite" else None


def append_sealed(
    conn: Connection, row: Mapping[str, Any], bound: Bound | None, *, head_checked: bool
) -> int:
    """Append an event sealed by `seal` (`bound`: as `bind_sealed` bound it, or None); its id.
    `head_checked`: the caller found its claim's head still the one it was sealed after, in this write
    transaction, on SQLite (where no one else can append before it commits); otherwise it is linked
    afresh after the head as it is now."""
    if head_checked and conn.dialect.name == "sqlite":
        return _INSERT.run(conn, row) if bound is None else _INSERT.run_bound(conn, bound)
    values = {k: v for k, v in row.items() if k not in ("sha256", "prev_sha256")}
    return append(conn, **values)


def last_sha256(conn: Connection, claim_id: int) -> str:
    """The sha256 of the claim's last event (GENESIS before its first): what changes with every change
    to the claim, its course or beside it."""
    head = _HEAD.first(conn, {"claim_id": claim_id})
    return str(head["sha256"]) if head is not None else chain.GENESIS


def append_many(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """New timeline events, in one statement, each linked after its claim's head (several of one claim
    one after the other, in the order of `rows`); their ids in that order."""
    if not rows:
        return []
    linked = [{**_NULLABLE, **r} for r in rows]
    claim_ids = sorted({r["claim_id"] for r in linked})
    _lock(conn, claim_ids)
    heads = heads_of(conn, claim_ids)
    chain.link(linked, heads)
    return _INSERT_MANY.run(conn, linked)


def heads_of(conn: Connection, claim_ids: Sequence[int]) -> dict[int, str]:
    """The sha256 of each claim's last event; a claim without events is left out."""
    out: dict[int, str] = {}
    for i in range(0, len(claim_ids), _HEADS_CHUNK):
        last = (
            select(func.max(EVENTS.c.id))
            .where(EVENTS.c.claim_id.in_(claim_ids[i : i + _HEADS_CHUNK]))
            .group_by(EVENTS.c.claim_id)
        )
        found = conn.execute(select(EVENTS.c.claim_id, EVENTS.c.sha256).where(EVENTS.c.id.in_(last)))
        out.update((claim_id, sha256) for claim_id, sha256 in found)
    return out


@dataclass(frozen=True)
class ChainHead:
    """Where a claim's chain stands: its last event's sha256 (GENESIS before any) and how many events."""

    sha256: str
    events: int


def head(conn: Connection, claim_id: int) -> ChainHead:
    """The claim's chain head: what a copy of its timeline (PDF, dossier) carries, to check it later."""
    count = select(func.count()).where(EVENTS.c.claim_id == claim_id).scalar_subquery()
    found = conn.execute(
        select(EVENTS.c.sha256, count.label("events"))
        .where(EVENTS.c.claim_id == claim_id)
        .order_by(EVENTS.c.id.desc())
        .limit(1)
    ).first()
    return ChainHead(chain.GENESIS, 0) if found is None else ChainHead(found.sha256, int(found.events))


def of_claim(conn: Connection, claim_id: int) -> list[Row[Any]]:
    """The claim's events in the order they happened, each with its actor's e-mail address ("actor")."""
    return list(conn.execute(_with_actor().where(EVENTS.c.claim_id == claim_id).order_by(EVENTS.c.id)).all())


def _with_actor() -> Select[Any]:
    return select(EVENTS, USERS.c.email.label("actor")).outerjoin(USERS, USERS.c.id == EVENTS.c.actor_id)


def window_of_claim(
    conn: Connection,
    claim_id: int,
    *,
    newest_first: bool,
    limit: int | None,
    leaving_out: Collection[int] = (),
) -> list[Row[Any]]:
    """At most `limit` (None: all) of the claim's events, with their actors as `of_claim` gives them, the
    newest or the oldest first and in that order, leaving out the events with the ids `leaving_out`."""
    # one walk of ix_timeline_events_claim_id_id from either end, stopping after `limit` rows
    query = _with_actor().where(EVENTS.c.claim_id == claim_id)
    if leaving_out:
        query = query.where(EVENTS.c.id.not_in(sorted(leaving_out)))
    query = query.order_by(EVENTS.c.id.desc() if newest_first else EVENTS.c.id)
    return list(conn.execute(query if limit is None else query.limit(limit)).all())


# the claim page's reads of its timeline, on the compiled fast path (claims.storage.statements): a Core
# statement's own machinery cost more than SQLite's answer to it
_COUNT = Prepared(select(func.count().label("n")).where(EVENTS.c.claim_id == bindparam("claim_id")), Record)
_NOTES = Prepared(
    select(EVENTS.c.id, EVENTS.c.at, EVENTS.c.note, USERS.c.email.label("actor"))
    .outerjoin(USERS, USERS.c.id == EVENTS.c.actor_id)
    .where(EVENTS.c.claim_id == bindparam("claim_id"), EVENTS.c.kind == "note")
    .order_by(EVENTS.c.id),
    Record,
)
_HAS_KIND = Prepared(
    select(EVENTS.c.id)
    .where(EVENTS.c.claim_id == bindparam("claim_id"), EVENTS.c.kind == bindparam("kind"))
    .limit(1),
    Record,
)


def count_of_claim(conn: Connection, claim_id: int) -> int:
    """How many events the claim has (read from the index alone)."""
    found = _COUNT.first(conn, {"claim_id": claim_id})
    return int(found["n"]) if found is not None else 0


def notes_of_claim(conn: Connection, claim_id: int) -> list[Record]:
    """The claim's notes in order: each one's id, moment, text and actor's e-mail address ("actor")."""
    return _NOTES.all(conn, {"claim_id": claim_id})


def has_kind(conn: Connection, claim_id: int, kind: str) -> bool:
    """Whether the claim has an event of this kind."""
    return _HAS_KIND.first(conn, {"claim_id": claim_id, "kind": kind}) is not None


def kinds_and_data(conn: Connection, claim_id: int, prefixes: Sequence[str]) -> list[Row[Any]]:
    """The id, kind and data of the claim's events whose kind starts with one of `prefixes` (a few rows
    a reader checks one by one, without a JSON path each database spells its own way)."""
    if not prefixes:
        return []
    kinds = or_(*(EVENTS.c.kind.startswith(p, autoescape=True) for p in prefixes))
    query = select(EVENTS.c.id, EVENTS.c.kind, EVENTS.c.data).where(EVENTS.c.claim_id == claim_id, kinds)
    return list(conn.execute(query.order_by(EVENTS.c.id)).all())


@dataclass(frozen=True)
class ChainPage:
    """A stretch of the timelines in chain order (by claim, then id), each event with its claim's
    reference, and the letters of those events (with their HTML), by event id in the order written."""

    events: list[Row[Any]]
    letters: dict[int, list[Row[Any]]]


def chain_pages(conn: Connection, claim_id: int | None = None, size: int = 1000) -> Iterator[ChainPage]:
    """Every event (or those of one claim) in chain order, `size` at a time: memory stays that of one
    page however many claims there are."""
    query = (
        select(EVENTS, CLAIMS.c.reference)
        .join(CLAIMS, CLAIMS.c.id == EVENTS.c.claim_id)
        .order_by(EVENTS.c.claim_id, EVENTS.c.id)
        .limit(size)
    )
    if claim_id is not None:
        query = query.where(EVENTS.c.claim_id == claim_id)
    after: tuple[int, int] | None = None
    while True:
        page = query if after is None else query.where(tuple_(EVENTS.c.claim_id, EVENTS.c.id) > after)
        events = list(conn.execute(page).all())
        if not events:
            return
        first, last = events[0], events[-1]
        ids = {e.id for e in events}
        letters: dict[int, list[Row[Any]]] = {}
        # by claim (LETTERS is indexed by claim, not by event); a claim split over two pages is read twice
        for letter in conn.execute(
            select(LETTERS.c.id, LETTERS.c.event_id, LETTERS.c.template, LETTERS.c.sha256, LETTERS.c.html)
            .where(LETTERS.c.claim_id.between(first.claim_id, last.claim_id))
            .order_by(LETTERS.c.id)
        ):
            if letter.event_id in ids:
                letters.setdefault(letter.event_id, []).append(letter)
        yield ChainPage(events, letters)
        if len(events) < size:
            return
        after = (last.claim_id, last.id)


def last_of_triggers(conn: Connection, claim_id: int, triggers: Sequence[str]) -> Row[Any] | None:
    """The claim's latest transition event fired by one of `triggers` (its trigger and moment), if any."""
    if not triggers:
        return None
    return conn.execute(
        select(EVENTS.c.trigger, EVENTS.c.at)
        .where(EVENTS.c.claim_id == claim_id, EVENTS.c.kind == "transition", EVENTS.c.trigger.in_(triggers))
        .order_by(EVENTS.c.id.desc())
        .limit(1)
    ).first()


def note_of_form(conn: Connection, claim_id: int, form_token: str) -> int | None:
    """The id of the claim's note sent from the form with this token, if one was stored (a claim has few
    notes: they are read and compared here rather than by a JSON path each database spells its own way)."""
    rows = conn.execute(
        select(EVENTS.c.id, EVENTS.c.data).where(EVENTS.c.claim_id == claim_id, EVENTS.c.kind == "note")
    ).all()
    return next((int(r.id) for r in rows if (r.data or {}).get("form_token") == form_token), None)
