"""Payments to payees and the proposals that wait for a manager: read and written inside the caller's
transaction, never committed here."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.engine import Connection

from claims.storage.models import PaymentStatus
from claims.storage.records import PaymentListed, PaymentRecord, ProposalListed, ProposalRecord
from claims.storage.statements import InsertReturningId, Prepared, Record
from claims.storage.tables import CLAIMS, PAYMENTS, PROPOSALS, USERS

LIVE = (PaymentStatus.proposed.value, PaymentStatus.approved.value, PaymentStatus.paid.value)

_OF_CLAIM = Prepared(
    select(PAYMENTS).where(PAYMENTS.c.claim_id == bindparam("claim_id")).order_by(PAYMENTS.c.id),
    PaymentRecord,
)
_BY_ID = Prepared(select(PAYMENTS).where(PAYMENTS.c.id == bindparam("id")), PaymentRecord)
_OF_PROPOSAL = Prepared(
    select(PAYMENTS).where(PAYMENTS.c.proposal_id == bindparam("proposal_id")).order_by(PAYMENTS.c.id),
    PaymentRecord,
)
_PROPOSAL = Prepared(select(PROPOSALS).where(PROPOSALS.c.id == bindparam("id")), ProposalRecord)
_PROPOSALS_OF_CLAIM = Prepared(
    select(PROPOSALS).where(PROPOSALS.c.claim_id == bindparam("claim_id")).order_by(PROPOSALS.c.id),
    ProposalRecord,
)


# a transition pays, counts and sums these on every step: prepared once (claims.storage.statements)
_INSERT = InsertReturningId(PAYMENTS)
_COUNT_OF_CLAIM = Prepared(
    select(func.count().label("n")).select_from(PAYMENTS).where(PAYMENTS.c.claim_id == bindparam("claim_id")),
    Record,
)
# the statuses spelled out, not IN: the prepared statements bind no lists
_IS_LIVE = or_(*(PAYMENTS.c.status == s for s in LIVE))
_IS_APPROVED_OR_PAID = or_(
    PAYMENTS.c.status == PaymentStatus.approved.value, PAYMENTS.c.status == PaymentStatus.paid.value
)
_APPROVED_BY_ON_CLAIM = Prepared(
    select(func.coalesce(func.sum(PAYMENTS.c.amount), 0).label("total")).where(
        PAYMENTS.c.claim_id == bindparam("claim_id"), PAYMENTS.c.approved_by == bindparam("user_id"), _IS_LIVE
    ),
    Record,
)
_PAID_TO_PARTY = Prepared(
    select(func.coalesce(func.sum(PAYMENTS.c.amount), 0).label("total")).where(
        PAYMENTS.c.claim_id == bindparam("claim_id"),
        PAYMENTS.c.payee_party_id == bindparam("party_id"),
        _IS_APPROVED_OR_PAID,
    ),
    Record,
)


def add(conn: Connection, row: Mapping[str, Any]) -> int:
    return _INSERT.run(conn, row)


def count_of_claim(conn: Connection, claim_id: int) -> int:
    found = _COUNT_OF_CLAIM.first(conn, {"claim_id": claim_id})
    return int(found["n"] or 0) if found is not None else 0


def of_claim(conn: Connection, claim_id: int) -> list[PaymentRecord]:
    return _OF_CLAIM.all(conn, {"claim_id": claim_id})


def by_id(conn: Connection, payment_id: int) -> PaymentRecord | None:
    return _BY_ID.first(conn, {"id": payment_id})


def approved_by_on_claim(conn: Connection, claim_id: int, user_id: int) -> Decimal:
    """What `user_id` has paid on the claim on their own authority (payments they approved, cancelled
    ones left out): what their authority on the claim has used."""
    found = _APPROVED_BY_ON_CLAIM.first(conn, {"claim_id": claim_id, "user_id": user_id})
    return Decimal(found["total"] or 0) if found is not None else Decimal(0)


def change(conn: Connection, payment_id: int, values: Mapping[str, Any]) -> None:
    conn.execute(update(PAYMENTS).where(PAYMENTS.c.id == payment_id).values(dict(values)))


def of_proposal(conn: Connection, proposal_id: int) -> list[PaymentRecord]:
    return _OF_PROPOSAL.all(conn, {"proposal_id": proposal_id})


_PROPOSER = USERS.alias("proposer")
_APPROVER = USERS.alias("approver")
_LISTING = Prepared(
    select(
        PAYMENTS,
        CLAIMS.c.reference.label("claim_reference"),
        _PROPOSER.c.name.label("proposer_name"),
        _APPROVER.c.name.label("approver_name"),
    )
    .join(CLAIMS, CLAIMS.c.id == PAYMENTS.c.claim_id)
    .join(_PROPOSER, _PROPOSER.c.id == PAYMENTS.c.proposed_by)
    .outerjoin(_APPROVER, _APPROVER.c.id == PAYMENTS.c.approved_by)
    .where(PAYMENTS.c.status == bindparam("status"))
    .order_by(PAYMENTS.c.id)
    .limit(5000),
    PaymentListed,
)


def listing(conn: Connection, statuses: Collection[str]) -> list[PaymentListed]:
    """Payments in `statuses` with their claim's reference and who proposed and approved them, the
    oldest first (the order they are to be paid in)."""
    found = [row for status in statuses for row in _LISTING.all(conn, {"status": status})]
    return sorted(found, key=lambda r: r.id)


def add_proposal(conn: Connection, row: Mapping[str, Any]) -> int:
    return int(conn.execute(insert(PROPOSALS).values(dict(row)).returning(PROPOSALS.c.id)).scalar_one())


def proposal(conn: Connection, proposal_id: int) -> ProposalRecord | None:
    return _PROPOSAL.first(conn, {"id": proposal_id})


def proposals_of_claim(conn: Connection, claim_id: int) -> list[ProposalRecord]:
    return _PROPOSALS_OF_CLAIM.all(conn, {"claim_id": claim_id})


def open_proposals_of_claim(conn: Connection, claim_id: int) -> list[ProposalRecord]:
    return [p for p in proposals_of_claim(conn, claim_id) if p.status == "open"]


def open_proposals(conn: Connection, limit: int = 200) -> list[ProposalListed]:
    """Proposals waiting for a manager, the oldest first, with the claim and the proposer."""
    q = (
        select(
            PROPOSALS,
            CLAIMS.c.reference.label("claim_reference"),
            CLAIMS.c.claimant,
            CLAIMS.c.kind,
            USERS.c.name.label("proposer_name"),
        )
        .join(CLAIMS, CLAIMS.c.id == PROPOSALS.c.claim_id)
        .join(USERS, USERS.c.id == PROPOSALS.c.proposed_by)
        .where(PROPOSALS.c.status == "open")
        .order_by(PROPOSALS.c.id)
        .limit(limit)
    )
    return Prepared(q, ProposalListed).all(conn, {})


def decide(conn: Connection, proposal_id: int, status: str, by: int, at: datetime, comment: str) -> bool:
    """Close an open proposal; False when someone decided it first."""
    done = conn.execute(
        update(PROPOSALS)
        .where(PROPOSALS.c.id == proposal_id, PROPOSALS.c.status == "open")
        .values(status=status, decided_by=by, decided_at=at, comment=comment)
    )
    return bool(done.rowcount)


def mark_paid(conn: Connection, payment_id: int, on: date, by: int) -> bool:
    done = conn.execute(
        update(PAYMENTS)
        .where(PAYMENTS.c.id == payment_id, PAYMENTS.c.status == PaymentStatus.approved.value)
        .values(status=PaymentStatus.paid.value, paid_on=on, paid_marked_by=by)
    )
    return bool(done.rowcount)


def paid_to_party(conn: Connection, claim_id: int, party_id: int) -> Decimal:
    """What the claim has paid (or approved to pay) to one party, cancelled payments aside."""
    found = _PAID_TO_PARTY.first(conn, {"claim_id": claim_id, "party_id": party_id})
    return Decimal(found["total"] or 0) if found is not None else Decimal(0)


def cancel_if_approved(conn: Connection, payment_id: int, at: datetime, reason: str) -> bool:
    """Cancel an approved payment; False when it was paid or cancelled first (a concurrent writer)."""
    done = conn.execute(
        update(PAYMENTS)
        .where(PAYMENTS.c.id == payment_id, PAYMENTS.c.status == PaymentStatus.approved.value)
        .values(status=PaymentStatus.cancelled.value, cancelled_at=at, cancel_reason=reason)
    )
    return bool(done.rowcount)
