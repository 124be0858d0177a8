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
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row
from sqlalchemy.engine import Connection

from claims.people.permissions import visible_claims
from claims.reads.dashboard import POSITION_DEADLINE, POSITION_TRIGGERS
from claims.storage.models import CostType, Role, User
from claims.storage.repositories import claim_list, deadlines
from claims.storage.repositories.claim_list import ANY_COST_TYPE, ClaimCriteria
from workflow.errors import InvalidInput
from workflow.inputs import parse_money

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
NEAR_DUE = timedelta(days=2)

# sort name -> (Dutch label, the claim's key column or None for the id alone, descending?)
SORTS: dict[str, tuple[str, str | None, bool]] = {
    "nieuwste": ("Nieuwste eerst", None, True),
    "oudste": ("Oudste eerst", None, False),
    "bedrag_hoog": ("Hoogste bedrag eerst", "amount_claimed", True),
    "bedrag_laag": ("Laagste bedrag eerst", "amount_claimed", False),
}


@dataclass(frozen=True)
class ClaimFilter:
    kind: str | None = None
    state: str | None = None
    handler: str | None = None  # e-mail address
    overdue: bool = False
    q: str | None = None
    sort: str = "nieuwste"
    open_only: bool = False
    reserve: str | None = None  # a cost type, or ANY_COST_TYPE: open claims with an open reserve of it
    paid: str | None = None  # a cost type, or ANY_COST_TYPE: claims with payments of it
    damages_above: Decimal | None = None  # claims whose damages reserved and paid are above this
    paid_month: str | None = None  # "JJJJ-MM": claims with payments booked in that Amsterdam month
    # "JJJJ-MM-DD": claims whose first position on cover came on or after that day (the dashboard's
    # time to first position counts them)
    positioned_since: str | None = None


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
    money_filters = {ANY_COST_TYPE, *(c.value for c in CostType)}
    for name, value in (("reserve", f.reserve), ("paid", f.paid)):
        if value and value not in money_filters:
            errors[name] = f"onbekende kostensoort '{value}'"
    if f.damages_above is not None and f.damages_above < 0:
        errors["damages_above"] = "een bedrag van nul of meer"
    if f.paid_month and _month(f.paid_month) is None:
        errors["paid_month"] = f"geen maand als JJJJ-MM: '{f.paid_month}'"
    if f.positioned_since and _day(f.positioned_since) is None:
        errors["positioned_since"] = f"geen datum als JJJJ-MM-DD: '{f.positioned_since}'"
    if f.sort not in SORTS:
        errors["sort"] = f"onbekende sortering '{f.sort}' ({', '.join(SORTS)})"
    if errors:
        raise InvalidInput(errors)


def encode_cursor(sort: str, row: ListedClaim, claim_id: int) -> str:
    key = SORTS[sort][1]
    value = None if key is None else str(getattr(row, key))
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


def search_claims(
    conn: Connection,
    actor: User,
    f: ClaimFilter,
    now: datetime,
    *,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
    tz: ZoneInfo = AMSTERDAM,
) -> ClaimPage:
    """One page of the claims `actor` may see that match `f`, in `f.sort` order."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput({"limit": f"tussen 1 en {MAX_LIMIT}"})
    _, key, descending = SORTS[f.sort]
    after = decode_cursor(cursor, f.sort) if cursor else None
    rows = claim_list.page(
        conn,
        criteria(actor, f, now, tz),
        sort_column=key,
        descending=descending,
        after=after,
        limit=limit + 1,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    items = [_listed(r) for r in rows]
    _mark_deadlines(conn, items, [r.id for r in rows], now, course_only=actor.role == Role.expert)
    next_cursor = encode_cursor(f.sort, items[-1], rows[-1].id) if more else None
    return ClaimPage(items=items, next_cursor=next_cursor, filters=f)


REFERENCE = re.compile(r"CF-\d{4}-\d+", re.IGNORECASE)


def _month(text: str) -> date | None:
    """The first day of the month "JJJJ-MM", or None."""
    if not re.fullmatch(r"\d{4}-\d{2}", text):
        return None
    try:
        return date(int(text[:4]), int(text[5:]), 1)
    except ValueError:
        return None


def _day(text: str) -> date | None:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _start(d: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(d, datetime.min.time(), tz)


def criteria(actor: User | None, f: ClaimFilter, now: datetime, tz: ZoneInfo = AMSTERDAM) -> ClaimCriteria:
    """What `f` selects of the claims `actor` may see (None: an operator at the command line sees all);
    the list and the exports filter alike. Months and days are `tz`'s."""
    month = _month(f.paid_month) if f.paid_month else None
    after = date(month.year + month.month // 12, month.month % 12 + 1, 1) if month else None
    since = _day(f.positioned_since) if f.positioned_since else None
    text = (f.q or "").strip()
    # a schadenummer is looked up by its index alone
    reference = text.upper() if REFERENCE.fullmatch(text) else None
    return ClaimCriteria(
        scope=None if actor is None else visible_claims(actor),
        kind=f.kind or None,
        state=f.state or None,
        handler=f.handler.strip().lower() if f.handler else None,
        overdue_at=now if f.overdue else None,
        reference=reference,
        text=None if reference or not text else text,
        open_only=f.open_only,
        reserve=f.reserve or None,
        paid=f.paid or None,
        damages_above=f.damages_above,
        paid_between=(_start(month, tz), _start(after, tz)) if month and after else None,
        first_position=(POSITION_TRIGGERS, POSITION_DEADLINE, _start(since, tz)) if since else None,
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


def _mark_deadlines(
    conn: Connection, items: list[ListedClaim], ids: list[int], now: datetime, *, course_only: bool = False
) -> None:
    """Each listed claim's earliest open deadline, and whether it is overdue or nearly due;
    `course_only`: not counting the complaints' clocks (an expert's list)."""
    if not ids:
        return
    rows = deadlines.open_of_claims(conn, ids, course_only=course_only)
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
