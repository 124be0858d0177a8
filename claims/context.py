"""What guards and effects see of an attempted transition, and what effects leave to be written."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.engine import Connection

from claims.models import Invoice, MoneyKind, MoneyLine, Policy, User
from claims.rules import DomainRules
from workflow.spec import TransitionSpec, WorkflowSpec

ZERO = Decimal("0.00")


@dataclass
class TransitionContext:
    conn: Connection
    claim: Row[Any]
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
    _policy: Row[Any] | None = None
    _totals: dict[tuple[str, str], Decimal] | None = None

    def policy(self) -> Row[Any]:
        if self._policy is None:
            t = Policy.__table__  # type: ignore[attr-defined]
            self._policy = self.conn.execute(select(t).where(t.c.id == self.claim.policy_id)).one()
        return self._policy

    def totals(self) -> dict[tuple[str, str], Decimal]:
        """Stored money per (kind, cost type), plus what this transition has added so far."""
        if self._totals is None:
            t = MoneyLine.__table__  # type: ignore[attr-defined]
            rows = self.conn.execute(
                select(t.c.kind, t.c.cost_type, func.sum(t.c.amount))
                .where(t.c.claim_id == self.claim.id)
                .group_by(t.c.kind, t.c.cost_type)
            ).all()
            self._totals = {(k, c): total for k, c, total in rows}
        out = dict(self._totals)
        for line in self.money:
            key = (line["kind"], line["cost_type"])
            out[key] = out.get(key, ZERO) + line["amount"]
        return out

    def total(self, kind: MoneyKind, cost_type: str | None = None) -> Decimal:
        return sum(
            (v for (k, c), v in self.totals().items() if k == kind and cost_type in (None, c)), ZERO
        )

    def add_money(self, kind: MoneyKind, cost_type: str, amount: Decimal, note: str = "") -> None:
        if amount == ZERO:
            return
        self.money.append({"kind": str(kind), "cost_type": str(cost_type), "amount": amount, "note": note})

    def unpaid_invoices(self) -> list[Row[Any]]:
        t = Invoice.__table__  # type: ignore[attr-defined]
        return list(
            self.conn.execute(
                select(t).where(t.c.claim_id == self.claim.id, t.c.paid.is_(False)).order_by(t.c.due_date)
            ).all()
        )

    def user_by_email(self, email: str) -> Row[Any] | None:
        t = User.__table__  # type: ignore[attr-defined]
        return self.conn.execute(select(t).where(t.c.email == email.lower())).first()
