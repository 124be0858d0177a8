"""Deciding a proposal (four eyes) and keeping a payment's status: approved, paid on a date, or cancelled
with a reason. Each in one transaction with its timeline event; a cancelled payment is booked back."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.engine import Connection

from claims.errors import ClaimNotFound
from claims.runtime import Runtime
from claims.service.outcome import Outcome
from claims.service.timeline import append_aside
from claims.service.transition import advance_on
from claims.storage.db import Db, in_write
from claims.storage.models import MoneyKind, PaymentStatus, Role, User
from claims.storage.records import ClaimRecord, PaymentRecord, ProposalRecord
from claims.storage.repositories import claims, money, payments
from claims.text import trimmed
from workflow.errors import Forbidden, InvalidInput, TransitionNotAllowed

MIN_COMMENT = 3
MAX_COMMENT = 5000
# a concurrent writer was first (PostgreSQL: two managers at the same moment)
_DECIDED = "Voorstel {} is intussen afgehandeld."
_HANDLED = "Betaling {} is intussen al verwerkt."


class ProposalNotFound(ClaimNotFound):
    """No proposal has this number."""


class PaymentNotFound(ClaimNotFound):
    """No payment has this number."""


def _open_proposal(conn: Connection, proposal_id: int) -> ProposalRecord:
    found = payments.proposal(conn, proposal_id)
    if found is None:
        raise ProposalNotFound(f"Voorstel {proposal_id} bestaat niet.")
    if found.status != "open":
        raise TransitionNotAllowed(
            f"Voorstel {proposal_id} is al afgehandeld ({_STATUS_WORDS.get(found.status, found.status)}).",
            guard="proposal_open",
        )
    return found


_STATUS_WORDS = {"approved": "goedgekeurd", "rejected": "afgewezen", "withdrawn": "ingetrokken"}


def approve_proposal(db: Db, rt: Runtime, proposal_id: int, actor: User, comment: str = "") -> Outcome:
    """A manager approves a proposal: the transition is fired now, as it was typed, with every guard
    asked again (the claim may have moved, the cover may have been used since). Four eyes: never the
    proposer; the approver's own authority on the claim must cover it, or another manager decides."""

    if len(comment) > MAX_COMMENT:
        raise InvalidInput({"comment": f"te lang (hoogstens {MAX_COMMENT} tekens)"})

    def work(conn: Connection) -> Outcome:
        proposal = _open_proposal(conn, proposal_id)
        _check_decider(proposal, actor)
        claim = claims.by_id(conn, proposal.claim_id)
        assert claim is not None
        outcome = advance_on(
            conn,
            rt,
            claim.reference,
            proposal.trigger,
            proposal.inputs,
            actor,
            claim.version,
            approving=proposal,
        )
        assert actor.id is not None
        if not payments.decide(conn, proposal_id, "approved", actor.id, rt.clock(), comment.strip()):
            raise TransitionNotAllowed(
                f"Voorstel {proposal_id} is intussen door iemand anders afgehandeld.", guard="proposal_open"
            )
        return outcome

    return in_write(db, work)


def reject_proposal(db: Db, rt: Runtime, proposal_id: int, actor: User, comment: str) -> int:
    """A manager rejects a proposal, saying why: nothing is paid, the proposer is told on the timeline."""
    text = trimmed(comment)
    if len(text) < MIN_COMMENT:
        raise InvalidInput({"comment": "zeg waarom het voorstel wordt afgewezen"})
    if len(comment) > MAX_COMMENT:
        raise InvalidInput({"comment": f"te lang (hoogstens {MAX_COMMENT} tekens)"})

    def work(conn: Connection) -> int:
        proposal = _open_proposal(conn, proposal_id)
        _check_decider(proposal, actor)
        claim = claims.by_id(conn, proposal.claim_id)
        assert claim is not None and actor.id is not None
        now = rt.clock()
        if not payments.decide(conn, proposal_id, "rejected", actor.id, now, text):
            raise TransitionNotAllowed(
                f"Voorstel {proposal_id} is intussen afgehandeld.", guard="proposal_open"
            )
        for held in payments.of_proposal(conn, proposal_id):
            payments.change(
                conn,
                held.id,
                {
                    "status": PaymentStatus.cancelled,
                    "cancelled_at": now,
                    "cancel_reason": f"afgewezen: {text}",
                },
            )
        return append_aside(
            conn,
            claim,
            actor.id,
            now,
            "proposal_rejected",
            {"proposal": proposal_id, "trigger": proposal.trigger, "comment": text},
        )

    return in_write(db, work)


def withdraw_proposal(db: Db, rt: Runtime, proposal_id: int, actor: User) -> int:
    """The proposer takes their proposal back before a manager decides."""

    def work(conn: Connection) -> int:
        proposal = _open_proposal(conn, proposal_id)
        if proposal.proposed_by != actor.id:
            raise Forbidden("Alleen wie het voorstel deed, kan het intrekken.")
        claim = claims.by_id(conn, proposal.claim_id)
        assert claim is not None and actor.id is not None
        now = rt.clock()
        if not payments.decide(conn, proposal_id, "withdrawn", actor.id, now, ""):
            raise TransitionNotAllowed(
                f"Voorstel {proposal_id} is intussen afgehandeld.", guard="proposal_open"
            )
        for held in payments.of_proposal(conn, proposal_id):
            payments.change(
                conn,
                held.id,
                {"status": PaymentStatus.cancelled, "cancelled_at": now, "cancel_reason": "ingetrokken"},
            )
        return append_aside(
            conn,
            claim,
            actor.id,
            now,
            "proposal_withdrawn",
            {"proposal": proposal_id, "trigger": proposal.trigger},
        )

    return in_write(db, work)


def _check_decider(proposal: ProposalRecord, actor: User) -> None:
    if actor.role != Role.manager:
        raise Forbidden("Alleen een manager beslist over een voorstel.")
    if proposal.proposed_by == actor.id:
        raise TransitionNotAllowed(
            "Vier ogen: wie het voorstel deed, keurt het niet zelf goed of af.", guard="four_eyes"
        )


def _payment(conn: Connection, payment_id: int) -> PaymentRecord:
    found = payments.by_id(conn, payment_id)
    if found is None:
        raise PaymentNotFound(f"Betaling {payment_id} bestaat niet.")
    return found


def _approved_payment(conn: Connection, payment_id: int) -> tuple[PaymentRecord, ClaimRecord]:
    """An approved payment and its claim, or the refusal: only an approved payment is paid or cancelled."""
    found = _payment(conn, payment_id)
    if found.status != PaymentStatus.approved:
        raise TransitionNotAllowed(
            f"Betaling {found.reference} is {_PAYMENT_WORDS[found.status]}.", guard="payment_open"
        )
    claim = claims.by_id(conn, found.claim_id)
    assert claim is not None
    return found, claim


def mark_paid(db: Db, rt: Runtime, payment_id: int, actor: User, paid_on: date) -> int:
    """Record that the bank paid an approved payment (the day it left the account)."""
    if actor.role not in (Role.manager, Role.admin):
        raise Forbidden("Alleen een manager legt vast dat een betaling is uitgevoerd.")

    def work(conn: Connection) -> int:
        found, claim = _approved_payment(conn, payment_id)
        assert actor.id is not None
        if paid_on < found.created_at.date():
            raise InvalidInput({"paid_on": "de betaaldatum ligt voor de dag waarop de betaling is gedaan"})
        if not payments.mark_paid(conn, payment_id, paid_on, actor.id):  # someone else was first
            raise TransitionNotAllowed(
                f"Betaling {found.reference} is intussen al verwerkt.", guard="payment_open"
            )
        return append_aside(
            conn,
            claim,
            actor.id,
            rt.clock(),
            "payment_paid",
            {"payment": found.reference, "amount": str(found.amount), "paid_on": paid_on.isoformat()},
        )

    return in_write(db, work)


_PAYMENT_WORDS: dict[str, str] = {
    PaymentStatus.proposed: "nog niet goedgekeurd",
    PaymentStatus.approved: "goedgekeurd",
    PaymentStatus.paid: "al betaald",
    PaymentStatus.cancelled: "geannuleerd",
}


def _cancel_advance(conn: Connection, claim: ClaimRecord, found: PaymentRecord) -> None:
    """A cancelled advance no longer counts: not against the settlement, not for the interest, not in the
    settlement agreement. The advance is the one its payment was approved with (same moment and amount)."""
    paid_at = found.approved_at
    if paid_at is None:
        return
    advances = [dict(a) for a in claim.case_data.get("advances", [])]
    for a in advances:
        if (
            not a.get("cancelled")
            and datetime.fromisoformat(a["at"]) == paid_at
            and Decimal(a["amount"]) == sum((Decimal(v) for v in found.parts.values()), Decimal(0))
        ):
            a["cancelled"] = found.reference
            claims.set_case_data(conn, claim.id, {**claim.case_data, "advances": advances})
            return


def cancel_payment(db: Db, rt: Runtime, payment_id: int, actor: User, reason: str) -> int:
    """Cancel an approved payment that has not been paid (a wrong account, a double entry): it is
    booked back on the claim (negative payment lines), with the reason; the reserve is the handler's to
    set again."""
    text = trimmed(reason)
    if len(text) < MIN_COMMENT:
        raise InvalidInput({"reason": "geef de reden van de annulering"})
    if len(reason) > MAX_COMMENT:
        raise InvalidInput({"reason": f"te lang (hoogstens {MAX_COMMENT} tekens)"})
    if actor.role not in (Role.manager, Role.admin):
        raise Forbidden("Alleen een manager annuleert een betaling.")

    def work(conn: Connection) -> int:
        found, claim = _approved_payment(conn, payment_id)
        assert actor.id is not None
        now = rt.clock()
        if not payments.cancel_if_approved(conn, payment_id, now, text):  # paid or cancelled meanwhile
            raise TransitionNotAllowed(
                f"Betaling {found.reference} is intussen al verwerkt.", guard="payment_open"
            )
        event_id = append_aside(
            conn,
            claim,
            actor.id,
            now,
            "payment_cancelled",
            {"payment": found.reference, "amount": str(found.amount), "reason": text},
        )
        lines = []
        for cost_type, amount in found.parts.items():
            value = Decimal(amount)
            base = {"claim_id": claim.id, "event_id": event_id, "at": now, "cost_type": cost_type}
            lines.append(
                {**base, "kind": MoneyKind.payment, "amount": -value, "note": f"geannuleerd: {text}"}
            )
        money.add_lines(conn, lines)
        _cancel_advance(conn, claim, found)
        return event_id

    return in_write(db, work)
