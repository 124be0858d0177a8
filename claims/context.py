"""What guards and effects see of an attempted transition, and what effects leave to be written."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.engine import Connection

from claims.fastsql import Prepared, Record
from claims.models import Invoice, MoneyKind, MoneyLine, Policy, User
from claims.rules import DomainRules
from workflow.spec import TransitionSpec, WorkflowSpec

ZERO = Decimal("0.00")
_POLICIES = Policy.__table__  # type: ignore[attr-defined]
_MONEY = MoneyLine.__table__  # type: ignore[attr-defined]
_INVOICES = Invoice.__table__  # type: ignore[attr-defined]
_USERS = User.__table__  # type: ignore[attr-defined]
_POLICY = Prepared(select(_POLICIES).where(_POLICIES.c.id == bindparam("id")))
_TOTALS = Prepared(
    select(_MONEY.c.kind, _MONEY.c.cost_type, func.sum(_MONEY.c.amount).label("total"))
    .where(_MONEY.c.claim_id == bindparam("claim_id"))
    .group_by(_MONEY.c.kind, _MONEY.c.cost_type)
)
_UNPAID = Prepared(
    select(_INVOICES)
    .where(_INVOICES.c.claim_id == bindparam("claim_id"), _INVOICES.c.paid.is_(False))
    .order_by(_INVOICES.c.due_date)
)
_USER_BY_EMAIL = Prepared(select(_USERS).where(_USERS.c.email == bindparam("email")))


@dataclass
class TransitionContext:
    conn: Connection
    claim: Record
    actor: User
    inputs: dict[str, Any]
    spec: WorkflowSpec
    transition: TransitionSpec
    now: datetime
    rules: DomainRules
    case_data: dict[str, Any]
    updates: dict[str, Any] = field(default_factory=dict)
    money: list[dict[str, Any]] = field(default_factory=list)
    event_data: dict[str, Any] = field(default_factory=dict)
    _policy: Record | None = None
    _totals: dict[tuple[str, str], Decimal] | None = None

    def policy(self) -> Record:
        if self._policy is None:
            self._policy = _POLICY.first(self.conn, {"id": self.claim.policy_id})
            assert self._policy is not None  # a foreign key guarantees it
        return self._policy

    def totals(self) -> dict[tuple[str, str], Decimal]:
        """Stored money per (kind, cost type), plus what this transition has added so far."""
        if self._totals is None:
            rows = _TOTALS.all(self.conn, {"claim_id": self.claim.id})
            self._totals = {(r.kind, r.cost_type): r.total for r in rows}
        out = dict(self._totals)
        for line in self.money:
            key = (line["kind"], line["cost_type"])
            out[key] = out.get(key, ZERO) + line["amount"]
        return out

    def total(self, kind: MoneyKind, cost_type: str | None = None) -> Decimal:
        return sum((v for (k, c), v in self.totals().items() if k == kind and cost_type in (None, c)), ZERO)

    def add_money(self, kind: MoneyKind, cost_type: str, amount: Decimal, note: str = "") -> None:
        if amount == ZERO:
            return
        self.money.append({"kind": str(kind), "cost_type": str(cost_type), "amount": amount, "note": note})

    def unpaid_invoices(self) -> list[Record]:
        return _UNPAID.all(self.conn, {"claim_id": self.claim.id})

    def user_by_email(self, email: str) -> Record | None:
        return _USER_BY_EMAIL.first(self.conn, {"email": email.lower()})
