"""Reading what the exports write: the claims a portfolio filter selects, a chunk at a time by id, and
for each chunk their events, deadlines, letters and money lines. Memory holds one chunk, whatever the
number of claims; every chunk costs six indexed queries."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from itertools import groupby
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection

from claims.exports.rows import (
    DEADLINE_COLUMNS,
    EVENT_COLUMNS,
    LETTER_COLUMNS,
    MONEY_COLUMNS,
    PARTY_COLUMNS,
    ClaimFacts,
    History,
    HistoryBuilder,
    Sources,
)
from claims.reads.claim_list import ClaimFilter, criteria
from claims.storage.models import User
from claims.storage.repositories import exports, users
from claims.storage.repositories.claim_list import ClaimCriteria

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


def portfolio_criteria(actor: User | None, f: PortfolioFilter, now: datetime, tz: ZoneInfo) -> ClaimCriteria:
    """The claims a portfolio export of `actor` with filter `f` reads."""
    c = criteria(actor, f.as_claim_filter(), now)
    start = datetime.combine(f.opened_from, time(), tz) if f.opened_from else None
    end = datetime.combine(f.opened_to + timedelta(days=1), time(), tz) if f.opened_to else None
    return replace(c, created_from=start, created_before=end)


def one_claim(reference: str) -> ClaimCriteria:
    return ClaimCriteria(reference=reference)


def user_emails(conn: Connection) -> dict[int, str]:
    return users.emails_by_id(conn)


def user_names(conn: Connection) -> dict[int, tuple[str, str]]:
    """Every user's (name, e-mail address) by id: who the rows say did what."""
    return users.names_by_id(conn)


def fact_chunks(
    conn: Connection, selected: ClaimCriteria, *, chunk: int = CHUNK, after: int = 0
) -> Iterator[list[ClaimFacts]]:
    """The facts of the selected claims with an id above `after`, `chunk` at a time by id."""
    while True:
        facts = [ClaimFacts(*r) for r in exports.facts_after(conn, selected, after, chunk)]
        if not facts:
            return
        yield facts
        if len(facts) < chunk:
            return
        after = facts[-1].id


def source_chunks(
    conn: Connection, selected: ClaimCriteria, *, chunk: int = CHUNK, after: int = 0
) -> Iterator[tuple[list[ClaimFacts], dict[int, Sources]]]:
    """The selected claims with an id above `after`, `chunk` at a time by id, each chunk's facts with
    their sources."""
    for facts in fact_chunks(conn, selected, chunk=chunk, after=after):
        yield facts, fetch_sources(conn, [c.id for c in facts])


def sources_of(conn: Connection, claim_ids: Sequence[int]) -> tuple[list[ClaimFacts], dict[int, Sources]]:
    """These claims' facts, by id, with their sources."""
    facts = [ClaimFacts(*r) for r in exports.facts_of(conn, claim_ids)]
    return facts, fetch_sources(conn, [c.id for c in facts])


def histories(
    conn: Connection, builder: HistoryBuilder, selected: ClaimCriteria, *, chunk: int = CHUNK
) -> Iterator[History]:
    """Each selected claim's History, by claim id, reading `chunk` claims at a time."""
    for facts, sources in source_chunks(conn, selected, chunk=chunk):
        for claim in facts:
            yield builder.history(claim, sources.get(claim.id) or Sources())


def portfolio_histories(
    conn: Connection,
    builder: HistoryBuilder,
    actor: User | None,
    f: PortfolioFilter,
    tz: ZoneInfo,
    *,
    chunk: int = CHUNK,
) -> Iterator[History]:
    return histories(conn, builder, portfolio_criteria(actor, f, builder.now, tz), chunk=chunk)


def count_portfolio(
    conn: Connection, actor: User | None, f: PortfolioFilter, now: datetime, tz: ZoneInfo
) -> tuple[int, int]:
    """(claims, rows) the portfolio export will write, for a progress bar: one row per event, per
    deadline set, met or lapsed, per letter and per money line."""
    n = exports.counts(conn, portfolio_criteria(actor, f, now, tz))
    return n.claims, n.events + n.deadlines + n.closed_deadlines + n.letters + n.money_lines


# The columns of each source, in the positions rows reads them from (after the claim's id).
_COLUMNS = {
    "events": EVENT_COLUMNS,
    "deadlines": DEADLINE_COLUMNS,
    "letters": LETTER_COLUMNS,
    "money": MONEY_COLUMNS,
    "parties": PARTY_COLUMNS,
}


# Only the events' ids, for an export that writes most claims from their stored text: the database
# refuses to change an event, so its id stands for its content (claims.exports.row_texts).
EVENT_IDS = ("id",)


def fetch_sources(
    conn: Connection, claim_ids: Sequence[int], *, events: Sequence[str] = EVENT_COLUMNS
) -> dict[int, Sources]:
    """The events (their `events` columns), deadlines, letters, money lines and parties of these
    claims, in the order they were written."""
    out: dict[int, Sources] = {cid: Sources() for cid in claim_ids}
    if not claim_ids:
        return out
    for name, rows in exports.sources(conn, claim_ids, {**_COLUMNS, "events": events}).items():
        # the rows come by claim: each claim's run is one slice, found without a step per row in Python
        for cid, run in groupby(rows, itemgetter(0)):
            setattr(out[cid], name, list(run))
    return out


def fetch_events(conn: Connection, claim_ids: Sequence[int]) -> dict[int, list[tuple[Any, ...]]]:
    """The events of these claims (every column rows reads), in the order they were written."""
    rows = exports.sources(conn, claim_ids, {"events": EVENT_COLUMNS})["events"]
    return {cid: list(run) for cid, run in groupby(rows, itemgetter(0))}
