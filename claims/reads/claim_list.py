"""The claims list: filters, sort orders and keyset pagination, limited to what the reader may see.

A page is found by seeking past the last row of the previous one (its sort key and id) instead of an
OFFSET, so page 20,000 costs what page 1 costs; the cursor is that key, opaque to the caller.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Container, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, Select, literal, or_, select, tuple_
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased

from claims.people.permissions import visible_claims
from claims.storage.models import User
from claims.storage.tables import CLAIMS, DEADLINES, POLICIES, USERS
from workflow.errors import InvalidInput
from workflow.inputs import parse_money

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
NEAR_DUE = timedelta(days=2)

# sort name -> (Dutch label, key column or None for the id alone, descending?)
SORTS: dict[str, tuple[str, Any, bool]] = {
    "nieuwste": ("Nieuwste eerst", None, True),
    "oudste": ("Oudste eerst", None, False),
    "bedrag_hoog": ("Hoogste bedrag eerst", CLAIMS.c.amount_claimed, True),
    "bedrag_laag": ("Laagste bedrag eerst", CLAIMS.c.amount_claimed, False),
}


@dataclass(frozen=True)
class ClaimFilter:
    kind: str | None = None
    state: str | None = None
    handler: str | None = None  # e-mail address
    overdue: bool = False
    q: str | None = None
    sort: str = "nieuwste"


@dataclass
class ListedClaim:
    reference: str
    kind: str
    state: str
    version: int
    claimant: str
    insured: str
    handler: str
    handler_name: str
    amount_claimed: Decimal
    created_at: datetime
    outcome: str | None
    next_due: datetime | None = None
    next_due_label: str | None = None
    due_mark: str | None = None  # 'overdue' | 'near' | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "kind": self.kind,
            "state": self.state,
            "version": self.version,
            "claimant": self.claimant,
            "insured": self.insured,
            "handler": self.handler,
            "amount_claimed": str(self.amount_claimed),
            "created_at": self.created_at.isoformat(),
            "outcome": self.outcome,
            "next_due": self.next_due.isoformat() if self.next_due else None,
            "next_due_label": self.next_due_label,
            "due_mark": self.due_mark,
        }


@dataclass
class ClaimPage:
    items: list[ListedClaim]
    next_cursor: str | None
    filters: ClaimFilter = field(default_factory=ClaimFilter)


def check_filter(
    f: ClaimFilter, kinds: Sequence[str], states: Sequence[str], handlers: Container[str] | None = None
) -> None:
    """InvalidInput naming each filter that cannot match: a typing error, not an empty list.
    `handlers`: the e-mail addresses a handler filter may name (None: not checked)."""
    errors: dict[str, str] = {}
    if f.handler and handlers is not None and f.handler.strip().lower() not in handlers:
        errors["handler"] = f"onbekende behandelaar '{f.handler}'"
    if f.kind and f.kind not in kinds:
        errors["kind"] = f"onbekende soort claim '{f.kind}'"
    if f.state and f.state not in states:
        errors["state"] = f"onbekende fase '{f.state}'"
    if f.sort not in SORTS:
        errors["sort"] = f"onbekende sortering '{f.sort}' ({', '.join(SORTS)})"
    if errors:
        raise InvalidInput(errors)


def encode_cursor(sort: str, row: ListedClaim, claim_id: int) -> str:
    key = SORTS[sort][1]
    value = None if key is None else str(getattr(row, key.name))
    raw = json.dumps([sort, value, claim_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


MAX_CURSOR = 200
MAX_ID = 2**63 - 1


def decode_cursor(cursor: str, sort: str) -> tuple[Any, int]:
    """(sort key value, id) of the row a page continues after; InvalidInput for anything else."""
    bad = InvalidInput({"cursor": "ongeldige cursor (hoort bij een andere zoekopdracht of is beschadigd)"})
    if len(cursor) > MAX_CURSOR:
        raise bad
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        name, value, claim_id = json.loads(raw)
        if name != sort or type(claim_id) is not int or not 0 < claim_id <= MAX_ID:
            raise ValueError
        if SORTS[sort][1] is not None:
            if not isinstance(value, str):
                raise ValueError
            value = parse_money(value)
    except (ValueError, TypeError, KeyError, RecursionError):
        raise bad from None
    return value, claim_id


HANDLER = aliased(USERS, name="handler_user")


def list_query() -> Select[Any]:
    """The columns a list of claims shows (with the insured and the handler), before any filter;
    filter the handler through HANDLER."""
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


def search_claims(
    conn: Connection,
    actor: User,
    f: ClaimFilter,
    now: datetime,
    *,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> ClaimPage:
    """One page of the claims `actor` may see that match `f`, in `f.sort` order."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput({"limit": f"tussen 1 en {MAX_LIMIT}"})
    _, key, descending = SORTS[f.sort]
    query = filtered(list_query(), actor, f, now)
    if cursor:
        value, after_id = decode_cursor(cursor, f.sort)
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
    rows = conn.execute(query.order_by(*order).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = [_listed(r) for r in rows]
    _mark_deadlines(conn, items, [r.id for r in rows], now)
    next_cursor = encode_cursor(f.sort, items[-1], rows[-1].id) if more else None
    return ClaimPage(items=items, next_cursor=next_cursor, filters=f)


def filtered(query: Select[Any], actor: User | None, f: ClaimFilter, now: datetime) -> Select[Any]:
    """`query` (over CLAIMS joined with HANDLER) limited to the claims `actor` may see (None: an operator
    at the command line sees all) that match `f`; the list and the exports filter alike."""
    if actor is not None:
        query = query.where(visible_claims(actor))
    if f.kind:
        query = query.where(CLAIMS.c.kind == f.kind)
    if f.state:
        query = query.where(CLAIMS.c.state == f.state)
    if f.handler:
        query = query.where(HANDLER.c.email == f.handler.strip().lower())
    if f.overdue:
        overdue = select(DEADLINES.c.claim_id).where(
            DEADLINES.c.met_at.is_(None), DEADLINES.c.cancelled_at.is_(None), DEADLINES.c.due_at < now
        )
        query = query.where(CLAIMS.c.id.in_(overdue))
    if f.q and f.q.strip():
        query = query.where(_text_match(f.q.strip()))
    return query


REFERENCE = re.compile(r"CF-\d{4}-\d+", re.IGNORECASE)


def _text_match(text: str) -> Any:
    """A schadenummer is looked up by its index alone; other text matches the claimant, the insured,
    the insured's own reference or the policy number. Insured names are matched in the (small)
    policies table first, so the claims are scanned for the claimant's name only."""
    if REFERENCE.fullmatch(text):
        return CLAIMS.c.reference == text.upper()
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    policies = select(POLICIES.c.id).where(
        or_(POLICIES.c.insured.ilike(pattern, escape="\\"), POLICIES.c.number == text.upper())
    )
    return or_(
        CLAIMS.c.insured_reference == text,
        CLAIMS.c.claimant.ilike(pattern, escape="\\"),
        CLAIMS.c.policy_id.in_(policies),
    )


def _listed(r: Row[Any]) -> ListedClaim:
    return ListedClaim(
        reference=r.reference,
        kind=r.kind,
        state=r.state,
        version=r.version,
        claimant=r.claimant,
        insured=r.insured,
        handler=r.handler,
        handler_name=r.handler_name,
        amount_claimed=r.amount_claimed,
        created_at=r.created_at,
        outcome=r.outcome,
    )


def _mark_deadlines(conn: Connection, items: list[ListedClaim], ids: list[int], now: datetime) -> None:
    """Each listed claim's earliest open deadline, and whether it is overdue or nearly due."""
    if not ids:
        return
    rows = conn.execute(
        select(DEADLINES.c.claim_id, DEADLINES.c.due_at, DEADLINES.c.label)
        .where(
            DEADLINES.c.claim_id.in_(ids),
            DEADLINES.c.met_at.is_(None),
            DEADLINES.c.cancelled_at.is_(None),
        )
        .order_by(DEADLINES.c.claim_id, DEADLINES.c.due_at)
    ).all()
    first: dict[int, Row[Any]] = {}
    for r in rows:
        first.setdefault(r.claim_id, r)
    for claim_id, item in zip(ids, items, strict=True):
        d = first.get(claim_id)
        if d is None:
            continue
        item.next_due, item.next_due_label = d.due_at, d.label
        item.due_mark = due_mark(d.due_at, now)


def due_mark(due_at: datetime, now: datetime) -> str | None:
    if due_at < now:
        return "overdue"
    if due_at - now <= NEAR_DUE:
        return "near"
    return None
