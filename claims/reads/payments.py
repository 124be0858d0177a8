"""The proposals waiting for a manager and the payments list, as the command line and a page show them:
plain dicts with the claim's reference and who proposed, approved and marked each."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy.engine import Connection

from claims.storage.models import PaymentStatus
from claims.storage.repositories import claims, payments, users
from workflow.errors import InvalidInput

STATUSES = tuple(s.value for s in PaymentStatus)


def check_statuses(statuses: Collection[str]) -> None:
    """InvalidInput naming `status` for a status no payment can have: a filter that cannot match is a
    typing error, not an empty list."""
    unknown = [s for s in statuses if s not in STATUSES]
    if unknown:
        raise InvalidInput({"status": f"onbekende status '{unknown[0]}' (kies uit {', '.join(STATUSES)})"})


def open_proposals(conn: Connection) -> list[dict[str, Any]]:
    """The proposals waiting for a manager, the oldest first; the trigger's label is the one the
    transition had when it was proposed."""
    emails = users.emails_by_id(conn)
    return [
        {
            "id": p.id,
            "claim_reference": p.claim_reference,
            "claimant": p.claimant,
            "trigger": p.trigger,
            "trigger_label": (p.weighed or {}).get("label") or p.trigger,
            "amount": p.amount,
            "proposer": p.proposer_name,
            "proposer_email": emails.get(p.proposed_by, ""),
            "proposed_at": p.proposed_at,
            "reasons": p.reasons,
        }
        for p in payments.open_proposals(conn)
    ]


def payment_list(conn: Connection, statuses: Collection[str] = STATUSES) -> list[dict[str, Any]]:
    """The payments in `statuses` (every status by default), the oldest first; InvalidInput for an
    unknown status."""
    check_statuses(statuses)
    return [
        {
            "id": p.id,
            "reference": p.reference,
            "claim_reference": p.claim_reference,
            "status": p.status,
            "payee": p.payee_name,
            "account_holder": p.account_holder,
            "iban": p.iban,
            "amount": p.amount,
            "description": p.description,
            "proposal_id": p.proposal_id,
            "proposer": p.proposer_name,
            "approver": p.approver_name,
            "approved_at": p.approved_at,
            "paid_on": p.paid_on,
            "cancelled_at": p.cancelled_at,
            "cancel_reason": p.cancel_reason,
            "created_at": p.created_at,
        }
        for p in payments.listing(conn, statuses)
    ]


def proposal(conn: Connection, proposal_id: int) -> dict[str, Any] | None:
    """One proposal with its claim's reference, state and version as they are now."""
    found = payments.proposal(conn, proposal_id)
    claim = claims.by_id(conn, found.claim_id) if found is not None else None
    if found is None or claim is None:
        return None
    return {
        "id": found.id,
        "status": found.status,
        "trigger": found.trigger,
        "amount": found.amount,
        "claim_reference": claim.reference,
        "state": claim.state,
        "version": claim.version,
    }


def payment(conn: Connection, payment_id: int) -> dict[str, Any] | None:
    """One payment: its reference, status, amount and payee."""
    found = payments.by_id(conn, payment_id)
    if found is None:
        return None
    return {
        "id": found.id,
        "reference": found.reference,
        "status": found.status,
        "amount": found.amount,
        "payee": found.payee_name,
        "paid_on": found.paid_on,
        "cancel_reason": found.cancel_reason,
    }
