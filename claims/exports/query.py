"""Reading what the exports write: the claims a portfolio filter selects, a chunk at a time by id, and
for each chunk their events, deadlines, letters and money lines. Memory holds one chunk, whatever the
number of claims; every chunk costs five indexed queries."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.engine import Connection

from claims.exports.rows import (
    DEADLINE_COLUMNS,
    EVENT_COLUMNS,
    LETTER_COLUMNS,
    MONEY_COLUMNS,
    ClaimFacts,
    History,
    HistoryBuilder,
    Sources,
)
from claims.reads.claim_list import HANDLER, ClaimFilter, filtered
from claims.storage.models import User
from claims.storage.tables import CLAIMS, DEADLINES, EVENTS, LETTERS, MONEY, POLICIES, USERS

CHUNK = 500


@dataclass(frozen=True)
class PortfolioFilter:
    """The list's filters, and the period in which the claims were reported (Amsterdam dates, both
    ends included)."""

    kind: str | None = None
    state: str | None = None
    handler: str | None = None
    overdue: bool = False
    q: str | None = None
    opened_from: date | None = None
    opened_to: date | None = None

    def as_claim_filter(self) -> ClaimFilter:
        return ClaimFilter(
            kind=self.kind, state=self.state, handler=self.handler, overdue=self.overdue, q=self.q
        )

    def words(self) -> str:
        """The filter as a manager would say it (what the audit trail records)."""
        parts = [
            f"{name}={value}"
            for name, value in (
                ("soort", self.kind),
                ("fase", self.state),
                ("behandelaar", self.handler),
                ("zoek", self.q),
                ("gemeld_vanaf", self.opened_from),
                ("gemeld_tot_en_met", self.opened_to),
            )
            if value
        ]
        if self.overdue:
            parts.append("alleen verlopen termijnen")
        return ", ".join(parts) or "alle claims"

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "state": self.state,
            "handler": self.handler,
            "overdue": self.overdue,
            "q": self.q,
            "opened_from": self.opened_from.isoformat() if self.opened_from else None,
            "opened_to": self.opened_to.isoformat() if self.opened_to else None,
        }


_FACTS = (
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
)


def _facts() -> Select[Any]:
    return (
        select(*_FACTS)
        .join(POLICIES, POLICIES.c.id == CLAIMS.c.policy_id)
        .join(HANDLER, HANDLER.c.id == CLAIMS.c.handler_id)
    )


def _claims(actor: User | None, f: PortfolioFilter, now: datetime, tz: ZoneInfo) -> Select[Any]:
    query = filtered(_facts(), actor, f.as_claim_filter(), now)
    if f.opened_from:
        query = query.where(CLAIMS.c.created_at >= datetime.combine(f.opened_from, time(), tz))
    if f.opened_to:
        end = datetime.combine(f.opened_to + timedelta(days=1), time(), tz)
        query = query.where(CLAIMS.c.created_at < end)
    return query


def one_claim(reference: str) -> Select[Any]:
    return _facts().where(CLAIMS.c.reference == reference)


def user_emails(conn: Connection) -> dict[int, str]:
    return {uid: email for uid, email in conn.execute(select(USERS.c.id, USERS.c.email))}


def histories(
    conn: Connection, builder: HistoryBuilder, query: Select[Any], *, chunk: int = CHUNK
) -> Iterator[History]:
    """Each selected claim's History, by claim id, reading `chunk` claims at a time."""
    after = 0
    while True:
        facts = [
            ClaimFacts(*r)
            for r in conn.execute(query.where(CLAIMS.c.id > after).order_by(CLAIMS.c.id).limit(chunk))
        ]
        if not facts:
            return
        sources = fetch_sources(conn, [c.id for c in facts])
        for claim in facts:
            yield builder.history(claim, sources.get(claim.id) or Sources())
        if len(facts) < chunk:
            return
        after = facts[-1].id


def portfolio_histories(
    conn: Connection,
    builder: HistoryBuilder,
    actor: User | None,
    f: PortfolioFilter,
    tz: ZoneInfo,
    *,
    chunk: int = CHUNK,
) -> Iterator[History]:
    return histories(conn, builder, _claims(actor, f, builder.now, tz), chunk=chunk)


def count_portfolio(
    conn: Connection, actor: User | None, f: PortfolioFilter, now: datetime, tz: ZoneInfo
) -> tuple[int, int]:
    """(claims, rows) the portfolio export will write, for a progress bar: one row per event, per
    deadline set, met or lapsed, per letter and per money line."""
    ids = _claims(actor, f, now, tz).with_only_columns(CLAIMS.c.id).scalar_subquery()
    closed = DEADLINES.c.met_at.is_not(None) | DEADLINES.c.cancelled_at.is_not(None)
    counts = (
        select(func.count()).where(EVENTS.c.claim_id.in_(ids)),
        select(func.count()).where(DEADLINES.c.claim_id.in_(ids)),
        select(func.count()).where(DEADLINES.c.claim_id.in_(ids), closed),
        select(func.count()).where(LETTERS.c.claim_id.in_(ids)),
        select(func.count()).where(MONEY.c.claim_id.in_(ids)),
    )
    rows = sum(int(conn.execute(q).scalar_one()) for q in counts)
    claims = int(conn.execute(select(func.count()).where(CLAIMS.c.id.in_(ids))).scalar_one())
    return claims, rows


# Raw SQL on the driver's cursor: the values come back as the driver gives them (see rows).
_SOURCES = {
    name: f"SELECT claim_id, {', '.join(columns)} FROM {table} WHERE claim_id {{ids}} ORDER BY claim_id, id"
    for name, table, columns in (
        ("events", "timeline_events", EVENT_COLUMNS),
        ("deadlines", "deadlines", DEADLINE_COLUMNS),
        ("letters", "letters", LETTER_COLUMNS),
        ("money", "money_lines", MONEY_COLUMNS),
    )
}


def fetch_sources(conn: Connection, claim_ids: Sequence[int]) -> dict[int, Sources]:
    """The events, deadlines, letters and money lines of these claims, in the order they were written."""
    out: dict[int, Sources] = {cid: Sources() for cid in claim_ids}
    if not claim_ids:
        return out
    driver = conn.connection.driver_connection
    assert driver is not None
    params: list[Any]
    if conn.dialect.name == "sqlite":
        where, params = f"IN ({','.join('?' * len(claim_ids))})", list(claim_ids)
    else:
        where, params = "= ANY(%s)", [list(claim_ids)]
    cursor = driver.cursor()
    try:
        for name, sql in _SOURCES.items():
            cursor.execute(sql.format(ids=where), params)
            lists = {cid: getattr(s, name) for cid, s in out.items()}
            for r in cursor.fetchall():
                lists[r[0]].append(r)
    finally:
        cursor.close()
    return out
