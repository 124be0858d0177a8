"""What guards and effects see of an attempted transition, and what effects leave to be written."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection

from claims.rules import DomainRules
from claims.storage.models import MoneyKind, User
from claims.storage.records import ClaimRecord, InvoiceRecord, PolicyRecord, RateRecord, UserRecord
from claims.storage.repositories import money, policies, users
from workflow.calendar import WorkingDayCalendar
from workflow.engine import UntypedInputs
from workflow.errors import InvalidInput
from workflow.guards import EffectRegistry
from workflow.spec import TransitionSpec, WorkflowSpec

ZERO = Decimal("0.00")
# how a refusal names the role a chosen user must have
ROLE_NOUNS = {"expert": "expert", "handler": "behandelaar", "manager": "manager", "admin": "beheerder"}


@dataclass
class TransitionContext:
    conn: Connection
    claim: ClaimRecord
    actor: User
    inputs: dict[str, Any]
    spec: WorkflowSpec
    transition: TransitionSpec
    now: datetime
    rules: DomainRules
    tz: ZoneInfo
    case_data: dict[str, Any]
    calendar: WorkingDayCalendar | None = None
    read_only: bool = False  # answering "what can I do now": nothing is locked or staged
    memo: dict[str, Any] = field(default_factory=dict)  # what several letters of one transition share
    updates: dict[str, Any] = field(default_factory=dict)
    money: list[dict[str, Any]] = field(default_factory=list)
    event_data: dict[str, Any] = field(default_factory=dict)
    _policy: PolicyRecord | None = None
    _totals: dict[tuple[str, str], Decimal] | None = None  # as stored
    _running: dict[tuple[str, str], Decimal] = field(default_factory=dict)  # stored plus staged

    def policy(self) -> PolicyRecord:
        """The claim's policy, its row locked until the transaction ends (the annual cover is weighed
        across the policy's claims)."""
        if self._policy is None:
            self._policy = policies.by_id(self.conn, self.claim.policy_id, lock=not self.read_only)
        return self._policy

    def _load_totals(self) -> dict[tuple[str, str], Decimal]:
        if self._totals is None:
            self._totals = money.totals(self.conn, self.claim.id)
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

    def add_money(
        self, kind: MoneyKind, cost_type: str, amount: Decimal, note: str = "", *, quoted: bool = False
    ) -> None:
        """Stage a money line. `quoted`: the note says something of its own (what the handler typed),
        so a letter quotes it beside the cost type; a fixed note that only repeats the cost type is not."""
        self._writable()
        if amount == ZERO:
            return
        running = self._load_totals()
        key = (str(kind), str(cost_type))
        running[key] = running.get(key, ZERO) + amount
        self.money.append(
            {"kind": key[0], "cost_type": key[1], "amount": amount, "note": note, "quoted": quoted}
        )

    def paid_in_insurance_year(self) -> Decimal:
        """Payments within the limits on all claims of this policy reported in the same insurance year
        (claims-made: the year the claim was reported), stored ones only."""
        start, end = insurance_year(self.policy().start_date, self.claim.date_reported)
        return money.paid_within_limits(self.conn, self.claim.policy_id, start, end)

    def amount_at_stake(self) -> Decimal:
        """What this transition's effects will pay out."""
        paying = (effects.payment(e) for e in self.transition.effects)
        return sum((pays(self) for pays in paying if pays is not None), ZERO)

    def unpaid_invoices(self) -> list[InvoiceRecord]:
        return money.unpaid_invoices(self.conn, self.claim.id)

    def add_invoice(self, number: str, amount: Decimal, due_date: date) -> None:
        """Register an invoice of the claimant's at once: a later effect of this transition sees it."""
        self._writable()
        money.add_invoice(self.conn, self.claim.id, number, amount, due_date)

    def _writable(self) -> None:
        if self.read_only:
            raise RuntimeError("a read-only context (what guards say now) stages nothing")

    def interest_rates(self, kind: str) -> list[RateRecord]:
        return money.interest_rates(self.conn, kind)

    def user_by_email(self, email: str) -> UserRecord | None:
        key = f"user:{email}"
        if key not in self.memo:  # a guard and the effect after it look up the same chosen user
            self.memo[key] = users.by_email(self.conn, email)
        found: UserRecord | None = self.memo[key]
        return found

    def chosen_user(self, field_name: str) -> UserRecord:
        """The user a `user` field names (check_chosen_users has made sure there is one)."""
        chosen = self.user_by_email(self.inputs[field_name])
        assert chosen is not None, f"{field_name}: checked by check_chosen_users"
        return chosen


def check_chosen_users(ctx: TransitionContext) -> None:
    """InvalidInput naming every `user` field whose e-mail address is not that of an active user with
    the field's role: checked with the inputs, before any guard or effect reads them."""
    errors: dict[str, str] = {}
    for f in ctx.transition.fields:
        email = ctx.inputs.get(f.name) if f.type == "user" else None
        if email is None:
            continue
        found = ctx.user_by_email(email)
        if found is None or not found.active or (f.role is not None and found.role != f.role):
            role = f" {ROLE_NOUNS.get(f.role, f.role)}" if f.role else " gebruiker"
            errors[f.name] = f"geen actieve{role} met e-mailadres {email}"
    if errors:
        raise InvalidInput(errors)


# The domain's effects (claims.kinds.effects registers them): here, because what the paying ones will pay
# is part of what a transition's context answers (amount_at_stake), and effects.py reads this module.
effects: EffectRegistry[TransitionContext] = EffectRegistry()


def answering_context(
    conn: Connection,
    claim: ClaimRecord,
    actor: User,
    spec: WorkflowSpec,
    now: datetime,
    rules: DomainRules,
    tz: ZoneInfo,
    calendar: WorkingDayCalendar | None = None,
) -> Callable[[TransitionSpec], TransitionContext]:
    """What the guards see when asked, before anything is typed, whether they would refuse a
    transition now: the stored claim, the actor, no inputs (a guard that reads one is checked when the
    form is submitted), nothing locked."""

    def build(transition: TransitionSpec) -> TransitionContext:
        return TransitionContext(
            conn=conn,
            claim=claim,
            actor=actor,
            inputs=UntypedInputs(),
            spec=spec,
            transition=transition,
            now=now,
            rules=rules,
            tz=tz,
            case_data=claim.case_data,
            calendar=calendar,
            read_only=True,
        )

    return build


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
