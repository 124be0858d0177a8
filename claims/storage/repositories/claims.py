"""The claims table: a claim by reference, the compare-and-set of its state, a new melding and its number;
for the read side, a claim's row as shown."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from claims.storage.chain import GENESIS
from claims.storage.records import ClaimRecord
from claims.storage.statements import Bound, InsertReturningId, Prepared, Record
from claims.storage.tables import CLAIMS, COUNTERS, EVENTS

# Built once: a statement compiled per dialect on first use keeps a transition at a handful of cheap
# executions (see bench/transitions.py).
_BY_REFERENCE = Prepared(select(CLAIMS).where(CLAIMS.c.reference == bindparam("ref")), ClaimRecord)
_BY_INSURED_REFERENCE = Prepared(
    select(CLAIMS.c.reference).where(CLAIMS.c.insured_reference == bindparam("ref")), Record
)
_INSERT = InsertReturningId(CLAIMS)
_update_plans: dict[frozenset[str], Prepared[Record]] = {}


def by_reference(conn: Connection, reference: str) -> ClaimRecord | None:
    return _BY_REFERENCE.first(conn, {"ref": reference})


def lock(conn: Connection, claim_id: int) -> None:
    """Hold the claim's row until the transaction ends, as a transition's compare-and-set does: work
    beside the claim's course (an answer marked on a letter) then waits for a transition, not races it.
    SQLite serialises writers already (BEGIN IMMEDIATE).

    FOR NO KEY UPDATE, the lock an UPDATE of the row takes, not FOR UPDATE: a row inserted meanwhile
    that refers to the claim (an event, a note, a document) checks its foreign key with KEY SHARE, which
    FOR UPDATE blocks. A note holding the claim's chain lock (events.append) would then wait for this
    transaction while this one waits for the chain lock: a deadlock (seen under the load test)."""
    if conn.dialect.name != "sqlite":
        conn.execute(select(CLAIMS.c.id).where(CLAIMS.c.id == claim_id).with_for_update(key_share=True))


def reference_with_insured_reference(conn: Connection, insured_reference: str) -> str | None:
    """The claim that already carries the insured's (or broker's) reference, if any."""
    row = _BY_INSURED_REFERENCE.first(conn, {"ref": insured_reference})
    return None if row is None else str(row["reference"])


def insert(conn: Connection, row: Mapping[str, Any]) -> int:
    """A new claim; its id."""
    return _INSERT.run(conn, row)


def update_if_version(conn: Connection, claim_id: int, version: int, changes: Mapping[str, Any]) -> bool:
    """Compare-and-set: write `changes` only if the claim is still at `version`. Only the columns that
    change are in the SET: an indexed column left out (the state, on an internal transition) costs no
    index write."""
    return _update_plan(changes).run(conn, {**changes, "_id": claim_id, "_version": version}) == 1


def bind_update_if_version(
    conn: Connection, claim_id: int, version: int, changes: Mapping[str, Any]
) -> Bound:
    """`update_if_version`'s statement put in the driver's form before the write transaction; run it
    with `update_bound`."""
    return _update_plan(changes).bind(conn, [{**changes, "_id": claim_id, "_version": version}])


def update_bound(conn: Connection, bound: Bound) -> bool:
    """Run a compare-and-set bound by `bind_update_if_version`: whether the claim was still at its
    version."""
    return bound.run(conn) == 1


def _update_plan(changes: Mapping[str, Any]) -> Prepared[Record]:
    columns = frozenset(changes)
    plan = _update_plans.get(columns)
    if plan is None:
        plan = Prepared(
            update(CLAIMS)
            .where(CLAIMS.c.id == bindparam("_id"), CLAIMS.c.version == bindparam("_version"))
            .values({name: bindparam(name, type_=CLAIMS.c[name].type) for name in sorted(columns)}),
            Record,
        )
        _update_plans[columns] = plan
    return plan


def set_names(conn: Connection, claim_id: int, names: Mapping[str, str]) -> None:
    """The claimant's or counsel's name as the party register now has it (not a change of the claim's
    state: its version stays)."""
    allowed = {"claimant", "claimant_counsel"}
    assert set(names) <= allowed, names
    conn.execute(update(CLAIMS).where(CLAIMS.c.id == claim_id).values(dict(names)))


def _next_counter(dialect: Any) -> Prepared[Record]:
    stmt = dialect.insert(COUNTERS).values(year=bindparam("year"), last=1)
    return Prepared(
        stmt.on_conflict_do_update(
            index_elements=[COUNTERS.c.year], set_={"last": COUNTERS.c.last + 1}
        ).returning(COUNTERS.c.last.label("last")),
        Record,
    )


_NEXT_COUNTER = {"postgresql": _next_counter(postgresql), "sqlite": _next_counter(sqlite)}


def next_reference(conn: Connection, year: int) -> str:
    """CF-YYYY-NNNNNN from a per-year counter, safe under concurrent writers on either database."""
    row = _NEXT_COUNTER[conn.dialect.name].first(conn, {"year": year})
    assert row is not None
    return f"CF-{year}-{row['last']:06d}"


_OPEN_OF_KIND_BEFORE = Prepared(
    select(CLAIMS)
    .where(
        CLAIMS.c.kind == bindparam("kind"),
        CLAIMS.c.spec_version < bindparam("version"),
        CLAIMS.c.closed_at.is_(None),
    )
    .order_by(CLAIMS.c.id),
    ClaimRecord,
)


def open_of_kind_before_version(conn: Connection, kind: str, version: int) -> list[ClaimRecord]:
    """The open claims of `kind` that run under a spec version older than `version`, oldest first: what a
    migration to `version` has to move."""
    return _OPEN_OF_KIND_BEFORE.all(conn, {"kind": kind, "version": version})


_SERIES = Prepared(
    select(CLAIMS).where(CLAIMS.c.series_id == bindparam("series_id")).order_by(CLAIMS.c.id), ClaimRecord
)
_BY_ID = Prepared(select(CLAIMS).where(CLAIMS.c.id == bindparam("id")), ClaimRecord)


def by_id(conn: Connection, claim_id: int) -> ClaimRecord | None:
    return _BY_ID.first(conn, {"id": claim_id})


_LAST_EVENT = (
    select(EVENTS.c.sha256)
    .where(EVENTS.c.claim_id == CLAIMS.c.id)
    .order_by(EVENTS.c.id.desc())
    .limit(1)
    .correlate(CLAIMS)
    .scalar_subquery()
)
_VERSION_AND_HEAD = Prepared(
    select(CLAIMS.c.version, _LAST_EVENT.label("head")).where(CLAIMS.c.id == bindparam("id")), Record
)


def version_and_head(conn: Connection, claim_id: int) -> tuple[int, str] | None:
    """The claim's version and the sha256 of its last event (GENESIS before the first), in one read."""
    found = _VERSION_AND_HEAD.first(conn, {"id": claim_id})
    if found is None:
        return None
    return int(found["version"]), str(found["head"] or GENESIS)


def series(conn: Connection, series_id: int) -> list[ClaimRecord]:
    """The claims of a series of related errors (one claim under the policy), the first first."""
    return _SERIES.all(conn, {"series_id": series_id})


def start_series(conn: Connection, claim_id: int) -> None:
    """Make a claim the first of a series (a fact about it, not a change of its course: its version stays)."""
    conn.execute(
        update(CLAIMS).where(CLAIMS.c.id == claim_id, CLAIMS.c.series_id.is_(None)).values(series_id=claim_id)
    )


def set_case_data(conn: Connection, claim_id: int, case_data: Mapping[str, Any]) -> None:
    """Correct a claim's gathered facts beside its course (a cancelled payment's advance): its version
    stays, the event beside it says why."""
    conn.execute(update(CLAIMS).where(CLAIMS.c.id == claim_id).values(case_data=dict(case_data)))
