"""Money: the lines a claim's transitions book (reserves, payments, costs), its invoices, and the
statutory interest rates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.engine import Connection

from claims.storage.models import WITHIN_LIMIT, MoneyKind
from claims.storage.records import InvoiceRecord, MoneyTotal, RateRecord
from claims.storage.statements import Bound, Prepared, Record
from claims.storage.tables import CLAIMS, INVOICES, MONEY, RATES

_INSERT_LINE = Prepared.insert(MONEY)
_TOTALS = Prepared(
    select(MONEY.c.kind, MONEY.c.cost_type, func.sum(MONEY.c.amount).label("total"))
    .where(MONEY.c.claim_id == bindparam("claim_id"))
    .group_by(MONEY.c.kind, MONEY.c.cost_type),
    MoneyTotal,
)
_PAID_IN_PERIOD = Prepared(
    select(func.coalesce(func.sum(MONEY.c.amount), 0).label("total"))
    .select_from(MONEY.join(CLAIMS, CLAIMS.c.id == MONEY.c.claim_id))
    .where(
        CLAIMS.c.policy_id == bindparam("policy_id"),
        CLAIMS.c.date_reported >= bindparam("start", type_=CLAIMS.c.date_reported.type),
        CLAIMS.c.date_reported < bindparam("end", type_=CLAIMS.c.date_reported.type),
        MONEY.c.kind == MoneyKind.payment.value,
        or_(*(MONEY.c.cost_type == c.value for c in sorted(WITHIN_LIMIT))),
    ),
    Record,
)
_UNPAID = Prepared(
    select(INVOICES)
    .where(INVOICES.c.claim_id == bindparam("claim_id"), INVOICES.c.paid.is_(False))
    .order_by(INVOICES.c.due_date),
    InvoiceRecord,
)
_INSERT_INVOICE = Prepared.insert(INVOICES)
_RATES = Prepared(
    select(RATES.c.valid_from, RATES.c.rate).where(RATES.c.kind == bindparam("kind")), RateRecord
)


def add_lines(conn: Connection, lines: Sequence[Mapping[str, Any]]) -> None:
    if lines:
        _INSERT_LINE.many(conn, lines)


def bind_lines(conn: Connection, lines: Sequence[Mapping[str, Any]]) -> Bound:
    """Money lines put in the driver's form before the write transaction, but for the id of the event
    that books them (given to `add_lines_bound`)."""
    return _INSERT_LINE.bind(conn, [{**line, "event_id": None} for line in lines], late=("event_id",))


def add_lines_bound(conn: Connection, bound: Bound, event_id: int) -> None:
    bound.run(conn, {"event_id": event_id})


def totals(conn: Connection, claim_id: int) -> dict[tuple[str, str], Decimal]:
    """The claim's money per (kind, cost type)."""
    return {(r.kind, r.cost_type): r.total for r in _TOTALS.all(conn, {"claim_id": claim_id})}


def totals_of_claims(conn: Connection, claim_ids: Sequence[int]) -> dict[tuple[str, str], Decimal]:
    """The money of several claims together (a series of related errors) per (kind, cost type)."""
    q = (
        select(MONEY.c.kind, MONEY.c.cost_type, func.sum(MONEY.c.amount).label("total"))
        .where(MONEY.c.claim_id.in_(list(claim_ids)))
        .group_by(MONEY.c.kind, MONEY.c.cost_type)
    )
    return {(r.kind, r.cost_type): Decimal(r.total) for r in conn.execute(q)}


def paid_within_limits(conn: Connection, policy_id: int, start: date, end: date) -> Decimal:
    """Payments that count against the cover, on the policy's claims reported in [start, end)."""
    row: Record | None = _PAID_IN_PERIOD.first(conn, {"policy_id": policy_id, "start": start, "end": end})
    return Decimal(row["total"] if row else 0)


def unpaid_invoices(conn: Connection, claim_id: int) -> list[InvoiceRecord]:
    """The claim's unpaid invoices, the first due first."""
    return _UNPAID.all(conn, {"claim_id": claim_id})


def add_invoice(conn: Connection, claim_id: int, number: str, amount: Decimal, due_date: date) -> None:
    _INSERT_INVOICE.run(
        conn,
        {
            "claim_id": claim_id,
            "number": number,
            "amount": amount,
            "due_date": due_date,
            "paid": False,
            "paid_on": None,
            "note": "",
        },
    )


def interest_rates(conn: Connection, kind: str) -> list[RateRecord]:
    """The rates of one kind of statutory interest ('wettelijk', 'handels'), each from its date."""
    return _RATES.all(conn, {"kind": kind})


_INVOICES = Prepared(
    select(INVOICES)
    .where(INVOICES.c.claim_id == bindparam("claim_id"))
    .order_by(INVOICES.c.due_date, INVOICES.c.id),
    InvoiceRecord,
)


def invoices(conn: Connection, claim_id: int) -> list[InvoiceRecord]:
    """All the claim's invoices, paid or not, the first due first."""
    return _INVOICES.all(conn, {"claim_id": claim_id})


def change_invoice(conn: Connection, invoice_id: int, values: Mapping[str, Any]) -> None:
    conn.execute(update(INVOICES).where(INVOICES.c.id == invoice_id).values(dict(values)))
