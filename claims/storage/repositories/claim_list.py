"""The claims list as a read model: claims with their insured and handler, filtered by what a reader may
see and asks for, one page at a time by seeking past the last row shown (no OFFSET)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, func, literal, or_, select, tuple_, union
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased

from claims.storage import text_lookup, text_search
from claims.storage.models import CostType, MoneyKind
from claims.storage.repositories import parties
from claims.storage.repositories.dashboard import first_positioned_since
from claims.storage.repositories.deadlines import ON_COURSE
from claims.storage.scopes import ClaimScope, visible
from claims.storage.tables import CLAIMS, DEADLINES, INVOICES, MONEY, POLICIES, USERS
from claims.storage.text_lookup import Found, Listed, Walked

# The handler's row, apart from any other user a query joins.
HANDLER = aliased(USERS, name="handler_user")
# a money filter's value for every cost type together
ANY_COST_TYPE = "alle"


@dataclass(frozen=True)
class ClaimCriteria:
    """Which claims a list or an export reads; every field left unset selects all. `scope` None: no
    reader to limit them to (an operator at the command line)."""

    scope: ClaimScope | None = None
    kind: str | None = None
    state: str | None = None
    handler: str | None = None  # the handler's e-mail address, as stored
    overdue_at: datetime | None = None  # only claims with a running deadline due before this moment
    reference: str | None = None
    # contained in the claimant, the insured or a party's name, contact or e-mail (any case), or equal to
    # the insured's reference, the policy number, a party's kenmerk or an invoice number
    text: str | None = None
    created_from: datetime | None = None
    created_before: datetime | None = None
    open_only: bool = False  # only claims not closed
    # only open claims with an open reserve (above zero) of this cost type, or of any (ANY_COST_TYPE)
    reserve: str | None = None
    # only claims with payments (net of cancellations, above zero) of this cost type, or of any
    paid: str | None = None
    # only claims whose damages reserved and paid together are above this (a large loss)
    damages_above: Decimal | None = None
    # only claims with payments (net, above zero) booked in [from, before)
    paid_between: tuple[datetime, datetime] | None = None
    # only claims whose first position on cover (these triggers, or this deadline met) came at or after
    # the moment: the claims the dashboard's time to first position counts
    first_position: tuple[tuple[str, ...], str, datetime] | None = None


def where(query: Select[Any], c: ClaimCriteria, text_found: Found | None = None) -> Select[Any]:
    """`query` (over CLAIMS joined with HANDLER) limited to the claims `c` selects; `text_found`: where
    the claims containing `c.text` are, as claims.storage.text_lookup looked them up (SQLite)."""
    if c.scope is not None:
        query = query.where(visible(c.scope))
    if c.kind is not None:
        query = query.where(CLAIMS.c.kind == c.kind)
    if c.state is not None:
        query = query.where(CLAIMS.c.state == c.state)
    if c.handler is not None:
        query = query.where(HANDLER.c.email == c.handler)
    if c.overdue_at is not None:
        overdue = select(DEADLINES.c.claim_id).where(
            DEADLINES.c.met_at.is_(None),
            DEADLINES.c.cancelled_at.is_(None),
            DEADLINES.c.paused_at.is_(None),  # a paused term is not overdue: its clock stands still
            DEADLINES.c.due_at < c.overdue_at,
        )
        if c.scope is not None and c.scope.expert_id is not None:  # an expert never sees complaints
            overdue = overdue.where(ON_COURSE)
        query = query.where(CLAIMS.c.id.in_(overdue))
    if c.reference is not None:
        query = query.where(CLAIMS.c.reference == c.reference)
    if c.text is not None:
        query = query.where(_text_match(c.text, text_found))
    if c.created_from is not None:
        query = query.where(CLAIMS.c.created_at >= c.created_from)
    if c.created_before is not None:
        query = query.where(CLAIMS.c.created_at < c.created_before)
    if c.open_only:
        query = query.where(CLAIMS.c.closed_at.is_(None))
    if c.reserve is not None:
        query = query.where(
            CLAIMS.c.closed_at.is_(None), CLAIMS.c.id.in_(_money_above((MoneyKind.reserve,), c.reserve))
        )
    if c.paid is not None:
        query = query.where(CLAIMS.c.id.in_(_money_above((MoneyKind.payment,), c.paid)))
    if c.damages_above is not None:
        damages = _money_above((MoneyKind.reserve, MoneyKind.payment), CostType.damages, c.damages_above)
        query = query.where(CLAIMS.c.id.in_(damages))
    if c.paid_between is not None:
        start, end = c.paid_between
        paid_then = (
            select(MONEY.c.claim_id)
            .where(MONEY.c.kind == MoneyKind.payment.value, MONEY.c.at >= start, MONEY.c.at < end)
            .group_by(MONEY.c.claim_id)
            .having(func.sum(MONEY.c.amount) > 0)
        )
        query = query.where(CLAIMS.c.id.in_(paid_then))
    if c.first_position is not None:
        query = query.where(CLAIMS.c.id.in_(first_positioned_since(*c.first_position)))
    return query


def _money_above(kinds: tuple[str, ...], cost_type: str, floor: Decimal = Decimal(0)) -> Select[Any]:
    """The ids of the claims whose money lines of `kinds` (of `cost_type`, or of all: ANY_COST_TYPE)
    sum to more than `floor`."""
    conditions: list[ColumnElement[bool]] = [MONEY.c.kind.in_(kinds)]
    if cost_type != ANY_COST_TYPE:
        conditions.append(MONEY.c.cost_type == cost_type)
    return (
        select(MONEY.c.claim_id)
        .where(*conditions)
        .group_by(MONEY.c.claim_id)
        .having(func.sum(MONEY.c.amount) > floor)
    )


def _text_match(text: str, text_found: Found | None) -> Any:
    # One union of index lookups, so neither database reads the claims to find a rare term: the
    # identifiers exactly, each by its own index, and names through the text index. A term the text
    # index cannot look up (claims.storage.text_search.searchable) is matched on the identifiers alone.
    policies: Any = select(POLICIES.c.id).where(POLICIES.c.number == text.upper())
    found: list[Any] = [
        select(CLAIMS.c.id).where(CLAIMS.c.insured_reference == text),
        select(INVOICES.c.claim_id).where(INVOICES.c.number == text),
        parties.claims_with_kenmerk(text),
    ]
    found.append(select(CLAIMS.c.id).where(CLAIMS.c.policy_id.in_(policies)))
    if not text_search.searchable(text):
        return CLAIMS.c.id.in_(union(*found))
    if isinstance(text_found, Walked):
        # too many to list: each claim the list walks past is tested, the identifiers stay a lookup
        return or_(CLAIMS.c.id.in_(union(*found)), text_search.walked(text_found.folded))
    if isinstance(text_found, Listed):
        found.extend(text_search.claims_found(text_found))
    else:
        found.extend(text_search.claims_containing(text))
    return CLAIMS.c.id.in_(union(*found))


def text_found(conn: Connection, c: ClaimCriteria) -> Found | None:
    """Where the claims containing `c.text` are, looked up before a query asks for them (SQLite; None:
    no text, or PostgreSQL, whose query finds them through its trigram indexes on its own)."""
    if c.text and text_search.searchable(c.text) and conn.dialect.name == "sqlite":
        return text_lookup.lookup(conn, c.text)
    return None


def _listed() -> Select[Any]:
    return (
        select(
            CLAIMS.c.id,
            CLAIMS.c.reference,
            CLAIMS.c.kind,
            CLAIMS.c.spec_version,
            CLAIMS.c.state,
            CLAIMS.c.version,
            CLAIMS.c.claimant,
            CLAIMS.c.amount_claimed,
            CLAIMS.c.created_at,
            CLAIMS.c.outcome,
            POLICIES.c.insured,
            HANDLER.c.email.label("handler"),
            HANDLER.c.name.label("handler_name"),
        )
        .join(POLICIES, POLICIES.c.id == CLAIMS.c.policy_id)
        .join(HANDLER, HANDLER.c.id == CLAIMS.c.handler_id)
    )


def page(
    conn: Connection,
    c: ClaimCriteria,
    *,
    sort_column: str | None,
    descending: bool,
    after: tuple[Any, int] | None,
    limit: int,
) -> list[Row[Any]]:
    """Up to `limit` claims `c` selects, ordered by the claims column `sort_column` (None: by id alone)
    and then by id, continuing after `after` (the last row's sort value and id). Each row has the
    claim's id, reference, kind, spec_version, state, version, claimant, amount_claimed, created_at and
    outcome, the insured, and the handler's e-mail ("handler") and name ("handler_name")."""
    key = None if sort_column is None else CLAIMS.c[sort_column]
    query = where(_listed(), c, text_found(conn, c))
    if after is not None:
        value, after_id = after
        if key is None:
            query = query.where(CLAIMS.c.id < after_id if descending else CLAIMS.c.id > after_id)
        else:
            # bound with the column's own type: money is compared as stored (cents), not as a float
            seek = tuple_(literal(value, key.type), literal(after_id))
            query = query.where(
                tuple_(key, CLAIMS.c.id) < seek if descending else tuple_(key, CLAIMS.c.id) > seek
            )
    order = [] if key is None else [key.desc() if descending else key.asc()]
    order.append(CLAIMS.c.id.desc() if descending else CLAIMS.c.id.asc())
    return list(conn.execute(query.order_by(*order).limit(limit)).all())
