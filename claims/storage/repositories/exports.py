"""The exports as a read model: the claims a portfolio selects, a chunk at a time by id, and each chunk's
events, deadlines, letters, money lines and parties; and how many of each a portfolio holds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Column, Row, Select, Table, func, select
from sqlalchemy.engine import Connection, Dialect

from claims.storage.repositories.claim_list import HANDLER, ClaimCriteria, text_found, where
from claims.storage.tables import CLAIMS, DEADLINES, EVENTS, LETTERS, MONEY, PARTIES, POLICIES
from claims.storage.text_lookup import Found, Listed

# What a chunk reads of its claims, by name (what claims.exports.rows.Sources holds): the parties to name
# a payee field's party id by.
SOURCES: dict[str, Table] = {
    "events": EVENTS,
    "deadlines": DEADLINES,
    "letters": LETTERS,
    "money": MONEY,
    "parties": PARTIES,
}


def _facts(c: ClaimCriteria, text_found: Found | None) -> Select[Any]:
    return where(
        select(
            CLAIMS.c.id,
            CLAIMS.c.reference,
            CLAIMS.c.kind,
            CLAIMS.c.spec_version,
            CLAIMS.c.state,
            CLAIMS.c.outcome,
            CLAIMS.c.created_at,
            CLAIMS.c.closed_at,
            CLAIMS.c.claimant,
            CLAIMS.c.amount_claimed,
            POLICIES.c.insured,
            HANDLER.c.email.label("handler"),
            HANDLER.c.name.label("handler_name"),
            CLAIMS.c.date_reported,
        )
        .join(POLICIES, POLICIES.c.id == CLAIMS.c.policy_id)
        .join(HANDLER, HANDLER.c.id == CLAIMS.c.handler_id),
        c,
        text_found,
    )


def facts_after(conn: Connection, c: ClaimCriteria, after_id: int, limit: int) -> list[Row[Any]]:
    """Up to `limit` of the claims `c` selects with an id above `after_id`, by id: (id, reference, kind,
    spec_version, state, outcome, created_at, closed_at, claimant, amount_claimed, insured, handler's
    e-mail address, handler's name, date_reported)."""
    # the free text looked up for each chunk: a few milliseconds, where the text index's union in the
    # query would find every claim containing it again for each
    query = _facts(c, text_found(conn, c)).where(CLAIMS.c.id > after_id)
    return list(conn.execute(query.order_by(CLAIMS.c.id).limit(limit)))


def facts_of(conn: Connection, claim_ids: Sequence[int]) -> list[Row[Any]]:
    """These claims' facts as facts_after gives them, by id."""
    if not claim_ids:
        return []
    query = _facts(ClaimCriteria(), None).where(CLAIMS.c.id.in_(claim_ids))
    return list(conn.execute(query.order_by(CLAIMS.c.id)))


@dataclass(frozen=True)
class PortfolioCounts:
    claims: int
    events: int
    deadlines: int
    closed_deadlines: int  # met or cancelled
    letters: int
    money_lines: int


def counts(conn: Connection, c: ClaimCriteria) -> PortfolioCounts:
    """How many claims `c` selects, and their events, deadlines, letters and money lines."""
    found = text_found(conn, c)
    # a term in too many texts to list: found by the text index once for each count, not tested on
    # every claim (each count reads them all)
    listed = found if isinstance(found, Listed) else None
    # the claims selected once, for all six counts: one statement
    ids = _facts(c, listed).with_only_columns(CLAIMS.c.id).cte("selected_claims").prefix_with("MATERIALIZED")
    selected = select(ids.c.id)
    closed = DEADLINES.c.met_at.is_not(None) | DEADLINES.c.cancelled_at.is_not(None)

    def count(*conditions: Any) -> Any:
        return select(func.count()).where(*conditions).scalar_subquery()

    row = conn.execute(
        select(
            select(func.count()).select_from(ids).scalar_subquery(),
            count(EVENTS.c.claim_id.in_(selected)),
            count(DEADLINES.c.claim_id.in_(selected)),
            count(DEADLINES.c.claim_id.in_(selected), closed),
            count(LETTERS.c.claim_id.in_(selected)),
            count(MONEY.c.claim_id.in_(selected)),
        )
    ).one()
    return PortfolioCounts(*(int(n) for n in row))


_source_sql: dict[tuple[str, str, tuple[str, ...]], str] = {}


def _sql(dialect: Dialect, name: str, columns: tuple[str, ...]) -> str:
    key = (dialect.name, name, columns)
    sql = _source_sql.get(key)
    if sql is None:
        table = SOURCES[name]
        listed = ", ".join(_selected(dialect, table.c[column]) for column in columns)
        sql = f"SELECT claim_id, {listed} FROM {table.name} WHERE claim_id {{ids}} ORDER BY claim_id, id"
        _source_sql[key] = sql
    return sql


def _selected(dialect: Dialect, column: Column[Any]) -> str:
    quoted = dialect.identifier_preparer.quote(column.name)  # "trigger" is a reserved word
    # JSON as its text, which the export writes as it is (decoding it costs more than the rest of a row)
    return f"CAST({quoted} AS TEXT)" if isinstance(column.type, JSON) else quoted


def sources(
    conn: Connection, claim_ids: Sequence[int], columns: Mapping[str, Sequence[str]]
) -> dict[str, list[tuple[Any, ...]]]:
    """Per name of SOURCES, the rows of these claims as tuples (claim_id, *columns), by claim and then in
    the order they were written. Raw SQL on the driver's cursor: values come back as the driver gives
    them (a moment as SQLite's text, JSON as its text), which is what a chunk of thousands of rows can
    afford."""
    sql = {name: _sql(conn.dialect, name, tuple(wanted)) for name, wanted in columns.items()}
    return by_claims(conn, claim_ids, sql)


def by_claims(
    conn: Connection, claim_ids: Sequence[int], statements: Mapping[str, str], *extra: Any
) -> dict[str, list[tuple[Any, ...]]]:
    """Each of `statements` (SQL with `{ids}` where the test of claim_id against these claims goes, and
    `{p}` for each of `extra`, in order) run on the driver's cursor: its rows as the driver gives them."""
    out: dict[str, list[tuple[Any, ...]]] = {name: [] for name in statements}
    if not claim_ids:
        return out
    driver = conn.connection.driver_connection
    assert driver is not None
    params: list[Any]
    if conn.dialect.name == "sqlite":
        where_ids, mark, params = f"IN ({','.join('?' * len(claim_ids))})", "?", [*claim_ids, *extra]
    else:
        where_ids, mark, params = "= ANY(%s)", "%s", [list(claim_ids), *extra]
    cursor = driver.cursor()
    try:
        for name, sql in statements.items():
            cursor.execute(sql.format(ids=where_ids, p=mark), params)
            out[name] = cursor.fetchall()
    finally:
        cursor.close()
    return out
