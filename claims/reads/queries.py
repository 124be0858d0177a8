"""Read-side queries: lists, a claim's summary, its timeline and money. Nothing here writes."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.engine import Connection
from sqlmodel import Session

from claims.errors import ClaimNotFound, LetterNotFound
from claims.people.permissions import allowed_transitions, check_may_view, visible_claims
from claims.reads.claim_list import HANDLER, list_query
from claims.runtime import Runtime
from claims.storage.models import (
    OUTSIDE_LIMIT,
    CostType,
    MoneyKind,
    User,
)
from claims.storage.tables import CLAIMS, DEADLINES, EVENTS, LETTERS, MONEY, POLICIES, USERS
from workflow.engine import Available

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class MoneySummary:
    reserve: dict[str, Decimal]
    paid: dict[str, Decimal]
    deductible: Decimal
    cover_per_claim: Decimal
    paid_within_limit: Decimal

    @property
    def remaining_cover(self) -> Decimal:
        return self.cover_per_claim - self.paid_within_limit

    @property
    def total_reserve(self) -> Decimal:
        return sum(self.reserve.values(), ZERO)

    @property
    def total_paid(self) -> Decimal:
        return sum(self.paid.values(), ZERO)

    def as_dict(self) -> dict[str, Any]:
        return {
            "reserve": {k: str(v) for k, v in self.reserve.items()},
            "paid": {k: str(v) for k, v in self.paid.items()},
            "deductible_applied": str(self.deductible),
            "cover_per_claim": str(self.cover_per_claim),
            "remaining_cover": str(self.remaining_cover),
        }


def money_summary(conn: Connection, claim_id: int, cover_per_claim: Decimal) -> MoneySummary:
    rows = conn.execute(
        select(MONEY.c.kind, MONEY.c.cost_type, func.sum(MONEY.c.amount))
        .where(MONEY.c.claim_id == claim_id)
        .group_by(MONEY.c.kind, MONEY.c.cost_type)
    ).all()
    by: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for kind, cost_type, total in rows:
        by[kind][cost_type] = total
    paid = {c.value: by[MoneyKind.payment].get(c.value, ZERO) for c in CostType}
    return MoneySummary(
        reserve={c.value: by[MoneyKind.reserve].get(c.value, ZERO) for c in CostType},
        paid=paid,
        deductible=sum(by[MoneyKind.deductible].values(), ZERO),
        cover_per_claim=cover_per_claim,
        paid_within_limit=sum((v for k, v in paid.items() if k not in OUTSIDE_LIMIT), ZERO),
    )


def list_claims(
    session: Session,
    *,
    kind: str | None = None,
    state: str | None = None,
    handler: str | None = None,
    limit: int = 100,
) -> list[Row[Any]]:
    """Claims for an operator at the command line (no reader to limit them to), oldest first."""
    query = list_query().order_by(CLAIMS.c.id).limit(limit)
    if kind:
        query = query.where(CLAIMS.c.kind == kind)
    if state:
        query = query.where(CLAIMS.c.state == state)
    if handler:
        query = query.where(HANDLER.c.email == handler.lower())
    return list(session.connection().execute(query).all())


def claim_row(conn: Connection, reference: str) -> Row[Any]:
    row = conn.execute(select(CLAIMS).where(CLAIMS.c.reference == reference)).first()
    if row is None:
        raise ClaimNotFound(f"Claim {reference} bestaat niet.")
    return row


@dataclass(frozen=True)
class ClaimView:
    claim: Row[Any]
    policy: Row[Any]
    handler: Row[Any]
    expert: Row[Any] | None
    money: MoneySummary
    open_deadlines: list[Row[Any]]
    allowed: list[Available]
    state_label: str


def claim_view(session: Session, rt: Runtime, reference: str, actor: User | None = None) -> ClaimView:
    conn = session.connection()
    claim = claim_row(conn, reference)
    spec = rt.catalog.spec(claim.kind, claim.spec_version)
    policy = conn.execute(select(POLICIES).where(POLICIES.c.id == claim.policy_id)).one()
    handler = conn.execute(select(USERS).where(USERS.c.id == claim.handler_id)).one()
    if actor is not None:
        check_may_view(actor, claim, handler.team)
    expert = (
        conn.execute(select(USERS).where(USERS.c.id == claim.expert_id)).one() if claim.expert_id else None
    )
    deadlines = list(
        conn.execute(
            select(DEADLINES)
            .where(
                DEADLINES.c.claim_id == claim.id,
                DEADLINES.c.met_at.is_(None),
                DEADLINES.c.cancelled_at.is_(None),
            )
            .order_by(DEADLINES.c.due_at)
        ).all()
    )
    allowed = allowed_transitions(spec, claim, actor) if actor is not None else []
    return ClaimView(
        claim=claim,
        policy=policy,
        handler=handler,
        expert=expert,
        money=money_summary(conn, claim.id, policy.cover_per_claim),
        open_deadlines=deadlines,
        allowed=allowed,
        state_label=spec.states[claim.state].label,
    )


def readable_claim(conn: Connection, reference: str, actor: User | None) -> Row[Any]:
    """The claim row, if `actor` (None: an operator at the command line) may read it."""
    claim = claim_row(conn, reference)
    if actor is not None:
        team = conn.execute(select(USERS.c.team).where(USERS.c.id == claim.handler_id)).scalar_one()
        check_may_view(actor, claim, team)
    return claim


def timeline(session: Session, reference: str, actor: User | None = None) -> list[dict[str, Any]]:
    """The claim's events in order; each names its actor by e-mail address."""
    conn = session.connection()
    claim = readable_claim(conn, reference, actor)
    rows = conn.execute(
        select(EVENTS, USERS.c.email.label("actor"))
        .outerjoin(USERS, USERS.c.id == EVENTS.c.actor_id)
        .where(EVENTS.c.claim_id == claim.id)
        .order_by(EVENTS.c.id)
    ).all()
    letters: dict[int, list[dict[str, Any]]] = {}
    for letter in _letters_of(conn, claim.id):
        letters.setdefault(letter["event_id"], []).append(letter)
    return [
        {
            "id": r.id,
            "at": r.at,
            "actor": r.actor,
            "kind": r.kind,
            "trigger": r.trigger,
            "from": r.from_state,
            "to": r.to_state,
            "data": r.data,
            "note": r.note,
            "version": r.claim_version,
            "letters": letters.get(r.id, []),
        }
        for r in rows
    ]


_LETTER_FIELDS = (
    LETTERS.c.id,
    LETTERS.c.event_id,
    LETTERS.c.template,
    LETTERS.c.template_version,
    LETTERS.c.title,
    LETTERS.c.recipient,
    LETTERS.c.recipient_name,
    LETTERS.c.sha256,
    LETTERS.c.created_at,
)


def _letters_of(conn: Connection, claim_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(select(*_LETTER_FIELDS).where(LETTERS.c.claim_id == claim_id).order_by(LETTERS.c.id))
    return [dict(r._mapping) for r in rows]


def claim_letters(session: Session, reference: str, actor: User | None = None) -> list[dict[str, Any]]:
    """The claim's letters in the order they were written (without their text)."""
    conn = session.connection()
    return _letters_of(conn, readable_claim(conn, reference, actor).id)


def letter(session: Session, letter_id: int, actor: User | None = None) -> dict[str, Any]:
    """One letter with its HTML and its claim's reference, if `actor` may read the claim."""
    conn = session.connection()
    row = conn.execute(
        select(*_LETTER_FIELDS, LETTERS.c.html, CLAIMS.c.reference)
        .join(CLAIMS, CLAIMS.c.id == LETTERS.c.claim_id)
        .where(LETTERS.c.id == letter_id)
    ).first()
    if row is None:
        raise LetterNotFound(f"Brief {letter_id} bestaat niet.")
    readable_claim(conn, row.reference, actor)
    return dict(row._mapping)


def claim_deadlines(session: Session, reference: str, actor: User | None = None) -> list[Row[Any]]:
    """Every deadline the claim has had, open ones first by due moment, then the closed ones."""
    conn = session.connection()
    claim = readable_claim(conn, reference, actor)
    return list(
        conn.execute(
            select(DEADLINES)
            .where(DEADLINES.c.claim_id == claim.id)
            .order_by(
                (DEADLINES.c.met_at.is_(None) & DEADLINES.c.cancelled_at.is_(None)).desc(),
                DEADLINES.c.due_at,
                DEADLINES.c.id,
            )
        ).all()
    )


def open_deadlines(
    session: Session, actor: User, now: datetime, *, overdue: bool = False, limit: int = 500
) -> list[Row[Any]]:
    """Open deadlines on the claims `actor` may see, soonest first; only past-due ones if `overdue`."""
    query = (
        select(
            DEADLINES,
            CLAIMS.c.reference,
            CLAIMS.c.state.label("claim_state"),
            USERS.c.email.label("handler"),
        )
        .join(CLAIMS, CLAIMS.c.id == DEADLINES.c.claim_id)
        .join(USERS, USERS.c.id == CLAIMS.c.handler_id)
        .where(visible_claims(actor), DEADLINES.c.met_at.is_(None), DEADLINES.c.cancelled_at.is_(None))
        .order_by(DEADLINES.c.due_at, DEADLINES.c.id)
        .limit(limit)
    )
    if overdue:
        query = query.where(DEADLINES.c.due_at < now)
    return list(session.connection().execute(query).all())


def find_policies(session: Session, text: str, limit: int = 20) -> list[Row[Any]]:
    """Policies whose number or insured matches `text` (the melding form's policy lookup)."""
    pattern = "%" + text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return list(
        session.connection()
        .execute(
            select(POLICIES)
            .where(
                POLICIES.c.number.ilike(pattern, escape="\\") | POLICIES.c.insured.ilike(pattern, escape="\\")
            )
            .order_by(POLICIES.c.number)
            .limit(limit)
        )
        .all()
    )


def policy_by_number(session: Session, number: str) -> Row[Any] | None:
    return session.connection().execute(select(POLICIES).where(POLICIES.c.number == number.strip())).first()
