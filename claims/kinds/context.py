"""What guards and effects see of an attempted transition, and what effects leave to be written."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.engine import Connection

from claims.rules import DomainRules
from claims.storage.fastsql import Prepared, Record
from claims.storage.models import OUTSIDE_LIMIT, MoneyKind, User
from claims.storage.tables import CLAIMS, INVOICES, MONEY, POLICIES, USERS
from workflow.calendar import WorkingDayCalendar
from workflow.spec import TransitionSpec, WorkflowSpec

ZERO = Decimal("0.00")

# What each paying effect will pay, by effect name: the authority guards weigh it before any effect runs.
PAYMENT_AMOUNTS: dict[str, Callable[[TransitionContext], Decimal]] = {}
# FOR UPDATE on PostgreSQL: two claims of one policy paying at once must not both fit the annual cover.
_POLICY = Prepared(select(POLICIES).where(POLICIES.c.id == bindparam("id")).with_for_update())
_PAID_IN_YEAR = Prepared(
    select(func.coalesce(func.sum(MONEY.c.amount), 0).label("total"))
    .select_from(MONEY.join(CLAIMS, CLAIMS.c.id == MONEY.c.claim_id))
    .where(
        CLAIMS.c.policy_id == bindparam("policy_id"),
        CLAIMS.c.date_reported >= bindparam("start", type_=CLAIMS.c.date_reported.type),
        CLAIMS.c.date_reported < bindparam("end", type_=CLAIMS.c.date_reported.type),
        MONEY.c.kind == MoneyKind.payment.value,
        and_(*(MONEY.c.cost_type != c.value for c in OUTSIDE_LIMIT)),
    )
)
_TOTALS = Prepared(
    select(MONEY.c.kind, MONEY.c.cost_type, func.sum(MONEY.c.amount).label("total"))
    .where(MONEY.c.claim_id == bindparam("claim_id"))
    .group_by(MONEY.c.kind, MONEY.c.cost_type)
)
_UNPAID = Prepared(
    select(INVOICES)
    .where(INVOICES.c.claim_id == bindparam("claim_id"), INVOICES.c.paid.is_(False))
    .order_by(INVOICES.c.due_date)
)
_USER_BY_EMAIL = Prepared(select(USERS).where(USERS.c.email == bindparam("email")))


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
    tz: ZoneInfo
    case_data: dict[str, Any]
    calendar: WorkingDayCalendar | None = None
    memo: dict[str, Any] = field(default_factory=dict)  # what several letters of one transition share
    updates: dict[str, Any] = field(default_factory=dict)
    money: list[dict[str, Any]] = field(default_factory=list)
    event_data: dict[str, Any] = field(default_factory=dict)
    _policy: Record | None = None
    _totals: dict[tuple[str, str], Decimal] | None = None  # as stored
    _running: dict[tuple[str, str], Decimal] = field(default_factory=dict)  # stored plus staged

    def policy(self) -> Record:
        if self._policy is None:
            self._policy = _POLICY.first(self.conn, {"id": self.claim.policy_id})
            assert self._policy is not None  # a foreign key guarantees it
        return self._policy

    def _load_totals(self) -> dict[tuple[str, str], Decimal]:
        if self._totals is None:
            rows = _TOTALS.all(self.conn, {"claim_id": self.claim.id})
            self._totals = {(r.kind, r.cost_type): r.total for r in rows}
            self._running = dict(self._totals)
        return self._running

    def totals(self) -> dict[tuple[str, str], Decimal]:
        """Stored money per (kind, cost type), plus what this transition has added so far."""
        return dict(self._load_totals())

    def stored_totals(self) -> dict[tuple[str, str], Decimal]:
        """Money per (kind, cost type) as stored, without what this transition stages."""
        self._load_totals()
        assert self._totals is not None
        return dict(self._totals)

    def total(self, kind: MoneyKind, cost_type: str | None = None) -> Decimal:
        running = self._load_totals()
        if cost_type is not None:
            return running.get((kind, cost_type), ZERO)
        return sum((v for (k, _), v in running.items() if k == kind), ZERO)

    def add_money(self, kind: MoneyKind, cost_type: str, amount: Decimal, note: str = "") -> None:
        if amount == ZERO:
            return
        running = self._load_totals()
        key = (str(kind), str(cost_type))
        running[key] = running.get(key, ZERO) + amount
        self.money.append({"kind": key[0], "cost_type": key[1], "amount": amount, "note": note})

    def paid_in_insurance_year(self) -> Decimal:
        """Payments within the limits on all claims of this policy reported in the same insurance year
        (claims-made: the year the claim was reported), stored ones only."""
        start, end = insurance_year(self.policy().start_date, self.claim.date_reported)
        row = _PAID_IN_YEAR.first(self.conn, {"policy_id": self.claim.policy_id, "start": start, "end": end})
        return Decimal(row.total if row else 0)

    def amount_at_stake(self) -> Decimal:
        """What this transition's effects will pay out."""
        return sum((PAYMENT_AMOUNTS[e](self) for e in self.transition.effects if e in PAYMENT_AMOUNTS), ZERO)

    def unpaid_invoices(self) -> list[Record]:
        return _UNPAID.all(self.conn, {"claim_id": self.claim.id})

    def user_by_email(self, email: str) -> Record | None:
        return _USER_BY_EMAIL.first(self.conn, {"email": email.lower()})


def _anniversary(start: date, year: int) -> date:
    try:
        return start.replace(year=year)
    except ValueError:  # 29 February
        return start.replace(year=year, day=28)


def insurance_year(policy_start: date, reported: date) -> tuple[date, date]:
    """[first day, first day of the next) of the insurance year that holds `reported`."""
    begin = _anniversary(policy_start, reported.year)
    if begin > reported:
        begin = _anniversary(policy_start, reported.year - 1)
    return begin, _anniversary(policy_start, begin.year + 1)
