"""What guards and effects see of an attempted transition, and what effects leave to be written."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection

from claims.money.cover import Cover, Paid
from claims.rules import DomainRules
from claims.storage.models import MoneyKind, User
from claims.storage.records import (
    ClaimRecord,
    InvoiceRecord,
    PartyRecord,
    PolicyRecord,
    RateRecord,
    UserRecord,
)
from claims.storage.repositories import claims, documents, money, parties, payments, policies, users
from workflow.calendar import WorkingDayCalendar
from workflow.engine import UntypedInputs
from workflow.errors import InvalidInput
from workflow.guards import EffectRegistry
from workflow.spec import TransitionSpec, WorkflowSpec

ZERO = Decimal("0.00")
T = TypeVar("T")


class NeedsWriteLock(Exception):
    """A transition being prepared outside the write transaction reached a step that writes at once."""


# how a refusal names the role a chosen user must have
ROLE_NOUNS = {"expert": "expert", "handler": "behandelaar", "manager": "manager", "admin": "beheerder"}


# who a payment is for when a transition (a spec version before payees) names none
_DEFAULT_PAYEE_ROLES = {
    "damages": ("claimant", "insured"),
    "interest": ("claimant", "insured"),
    "collection": ("claimant", "insured"),
    "expert": ("expert_firm", "insured"),
}


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
    # prepared from a snapshot before the write transaction (claims.service.transition): nothing is
    # locked, and what was read of other claims and the policy is kept to be read again inside it
    staging: bool = False
    cross_reads: list[tuple[Callable[[Connection], Any], Any]] = field(default_factory=list)
    memo: dict[str, Any] = field(default_factory=dict)  # what several letters of one transition share
    updates: dict[str, Any] = field(default_factory=dict)
    money: list[dict[str, Any]] = field(default_factory=list)
    event_data: dict[str, Any] = field(default_factory=dict)
    # what the transition offers to pay (a settlement offer binds the insurer once accepted): weighed
    # against the actor's authority like a payment (claims.kinds.authority)
    offered: Decimal | None = None
    _policy: PolicyRecord | None = None
    _totals: dict[tuple[str, str], Decimal] | None = None  # as stored
    _running: dict[tuple[str, str], Decimal] = field(default_factory=dict)  # stored plus staged

    def policy(self) -> PolicyRecord:
        """The claim's policy, its row locked until the transaction ends (the annual cover is weighed
        across the policy's claims)."""
        if self._policy is None:
            policy_id = self.claim.policy_id
            self._policy = self._across(
                lambda conn: policies.by_id(conn, policy_id, lock=not self.read_only and not self.staging),
                lambda conn: policies.by_id(conn, policy_id, lock=True),
            )
        return self._policy

    def _across(self, read: Callable[[Connection], T], again: Callable[[Connection], T] | None = None) -> T:
        """A read of rows beyond this claim's own (its policy, the other claims of the policy or its
        series): their writers leave this claim's timeline alone, so a prepared transition reads them
        again (`again`: as it reads them inside the write, locked) and is worked out afresh if they
        changed."""
        value = read(self.conn)
        if self.staging:
            self.cross_reads.append((again or read, value))
        return value

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
        self,
        kind: MoneyKind,
        cost_type: str,
        amount: Decimal,
        note: str = "",
        *,
        quoted: bool = False,
        payee: int | None = None,
    ) -> None:
        """Stage a money line. `quoted`: the note says something of its own (what the handler typed),
        so a letter quotes it beside the cost type; a fixed note that only repeats the cost type is not.
        `payee`: the party a payment goes to (the service makes one transfer per payee)."""
        self._writable()
        if amount == ZERO:
            return
        if kind == MoneyKind.payment and payee is None and amount > ZERO:
            payee = self.default_payee(cost_type)
        running = self._load_totals()
        key = (str(kind), str(cost_type))
        running[key] = running.get(key, ZERO) + amount
        self.money.append(
            {
                "kind": key[0],
                "cost_type": key[1],
                "amount": amount,
                "note": note,
                "quoted": quoted,
                "payee": payee,
            }
        )

    def series_claims(self) -> list[ClaimRecord]:
        """The claims of this claim's series of related errors (itself included), or just itself."""
        if "series" not in self.memo:
            series_id = self.claim.series_id
            members = self._across(lambda conn: claims.series(conn, series_id)) if series_id else []
            self.memo["series"] = [c for c in members if c.id != self.claim.id]
        others: list[ClaimRecord] = self.memo["series"]
        return [self.claim, *others]

    def cover(self) -> Cover:
        p = self.policy()
        caps = {
            "mitigation": p.cap_mitigation,
            "expert": p.cap_expert,
            "defence": p.cap_defence,
            "sgoa": p.cap_sgoa,
            "interest": p.cap_interest,
        }
        return Cover(
            per_claim=p.cover_per_claim, per_year=p.cover_per_year, deductible=p.deductible, caps=caps
        )

    def paid(self) -> Paid:
        """What the claim and the rest of its series have paid (this transition's staged lines included),
        with what the policy paid within its limit in the series' insurance year (stored only)."""
        totals = self.totals()
        own = sum(
            (v for (k, c), v in totals.items() if k == MoneyKind.payment and c in ("damages", "collection")),
            ZERO,
        )
        others = [c.id for c in self.series_claims()[1:]]
        if others:
            for key, value in self._across(lambda conn: money.totals_of_claims(conn, others)).items():
                totals[key] = totals.get(key, ZERO) + value
        by_type: dict[str, Decimal] = {}
        for (kind, cost_type), value in totals.items():
            if kind == MoneyKind.payment:
                by_type[cost_type] = by_type.get(cost_type, ZERO) + value
        staged_limited = sum(
            (
                m["amount"]
                for m in self.money
                if m["kind"] == MoneyKind.payment and m["cost_type"] in ("damages", "collection")
            ),
            ZERO,
        )
        return Paid(
            by_type=by_type,
            deductible_applied=sum((v for (k, _), v in totals.items() if k == MoneyKind.deductible), ZERO),
            within_limit_in_year=self.paid_in_insurance_year() + staged_limited,
            advanced=own,
        )

    def paid_on_own_authority(self, user_id: int) -> Decimal:
        """What `user_id` has paid on this claim on their own authority so far (stored payments)."""
        return payments.approved_by_on_claim(self.conn, self.claim.id, user_id)

    def party(self, party_id: int) -> PartyRecord | None:
        """A party of this claim, or None."""
        found = parties.by_id(self.conn, party_id)
        return found if found is not None and found.claim_id == self.claim.id else None

    def default_payee(self, cost_type: str) -> int | None:
        """Who a payment goes to when the transition names no payee (a spec version before payees):
        the party a payment of this cost type is for, or None on a claim without parties."""
        roles = _DEFAULT_PAYEE_ROLES.get(cost_type, ("insured",))
        for role in roles:
            for party in self.claim_parties():
                if party.role == role:
                    return party.id
        return None

    def paid_to_party(self, party_id: int) -> Decimal:
        """What was paid to one party on this claim before this transition (cancelled payments aside)."""
        return payments.paid_to_party(self.conn, self.claim.id, party_id)

    def claim_parties(self) -> list[PartyRecord]:
        if "parties" not in self.memo:
            self.memo["parties"] = parties.of_claim(self.conn, self.claim.id)
        found: list[PartyRecord] = self.memo["parties"]
        return found

    def paid_in_insurance_year(self) -> Decimal:
        """Payments within the limits on all claims of this policy reported in the same insurance year
        (claims-made: the year the claim was reported; a series: the year its first claim was), stored
        ones only."""
        if "paid_in_year" not in self.memo:  # the guards, the effect and the authority all ask it
            reported = min(c.date_reported for c in self.series_claims())
            start, end = insurance_year(self.policy().start_date, reported)
            policy_id = self.claim.policy_id
            self.memo["paid_in_year"] = self._across(
                lambda conn: money.paid_within_limits(conn, policy_id, start, end)
            )
        paid: Decimal = self.memo["paid_in_year"]
        return paid

    def unpaid_invoices(self) -> list[InvoiceRecord]:
        if "unpaid_invoices" not in self.memo:  # the guards, the effects and the letters all ask it
            self.memo["unpaid_invoices"] = money.unpaid_invoices(self.conn, self.claim.id)
        return list(self.memo["unpaid_invoices"])

    def invoices(self) -> list[InvoiceRecord]:
        """All the claim's invoices, paid or not."""
        if "invoices" not in self.memo:
            self.memo["invoices"] = money.invoices(self.conn, self.claim.id)
        return list(self.memo["invoices"])

    def change_invoice(self, invoice_id: int, values: dict[str, Any]) -> None:
        """Change an invoice of the claim's at once (its amount, due date, paid date, with the reason)."""
        self._writes_now()
        money.change_invoice(self.conn, invoice_id, values)
        self._invoices_changed()

    def _invoices_changed(self) -> None:
        self.memo.pop("invoices", None)
        self.memo.pop("unpaid_invoices", None)

    def open_information_requests(self) -> list[int]:
        """The indexes of the information requests (case_data) no answer was registered for yet, by a
        transition or by a received letter marked as the answer; the oldest first."""
        by_letter = documents.answered_requests(self.conn, self.claim.id)
        asked = self.case_data.get("information_requests", [])
        return [i for i, r in enumerate(asked) if i not in by_letter and not r.get("answered_on")]

    def claim_by_reference(self, reference: str) -> ClaimRecord | None:
        return self._across(lambda conn: claims.by_reference(conn, reference))

    def start_series(self, first: ClaimRecord) -> None:
        """Mark `first` as the first claim of a series (its own course is not changed)."""
        self._writes_now()
        claims.start_series(self.conn, first.id)

    def add_invoice(self, number: str, amount: Decimal, due_date: date) -> None:
        """Register an invoice of the claimant's at once: a later effect of this transition sees it."""
        self._writes_now()
        money.add_invoice(self.conn, self.claim.id, number, amount, due_date)
        self._invoices_changed()

    def _writable(self) -> None:
        if self.read_only:
            raise RuntimeError("a read-only context (what guards say now) stages nothing")

    def _writes_now(self) -> None:
        """An effect that writes at once (a later effect reads it back): not from a snapshot."""
        self._writable()
        if self.staging:
            raise NeedsWriteLock("this transition writes as it goes: it is worked out inside the write")

    def interest_rates(self, kind: str) -> list[RateRecord]:
        key = f"rates:{kind}"
        if key not in self.memo:
            self.memo[key] = money.interest_rates(self.conn, kind)
        rates: list[RateRecord] = self.memo[key]
        return rates

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


def check_chosen_parties(ctx: TransitionContext) -> None:
    """InvalidInput naming every `party` field that names no party of this claim, or one without the IBAN
    a payment to it needs (a payee is paid to the account on record, checked when it was entered)."""
    errors: dict[str, str] = {}
    for f in ctx.transition.fields:
        party_id = ctx.inputs.get(f.name) if f.type == "party" else None
        if party_id is None:
            continue
        found = ctx.party(party_id)
        if found is None:
            errors[f.name] = f"partij {party_id} hoort niet bij deze claim"
        elif not found.iban:
            errors[f.name] = (
                f"{found.name} heeft geen IBAN: vul het rekeningnummer aan bij de partijen van de claim"
            )
    if errors:
        raise InvalidInput(errors)


# The domain's effects (claims.kinds.effects registers them): here, because what the paying ones will pay
# are part of what a transition's context answers, and effects.py reads this module.
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


class HasRuntime(Protocol):
    """What claim_context reads of claims.runtime.Runtime (kinds sits below the runtime)."""

    @property
    def catalog(self) -> Any: ...
    @property
    def rules(self) -> DomainRules: ...
    @property
    def tz(self) -> ZoneInfo: ...
    @property
    def calendar(self) -> WorkingDayCalendar: ...
    @property
    def clock(self) -> Callable[[], datetime]: ...


def claim_context(
    conn: Connection,
    rt: HasRuntime,
    claim: ClaimRecord,
    actor: User,
    *,
    transition: TransitionSpec | None = None,
    inputs: dict[str, Any] | None = None,
    case_data: dict[str, Any] | None = None,
    now: datetime | None = None,
    read_only: bool = False,
    policy: PolicyRecord | None = None,
) -> TransitionContext:
    """A transition context on `claim` outside a firing (a page's figures, a proposal worked out now,
    the melding's reserves): its spec version's first transition unless one is named, the runtime's
    clock, rules and calendar. `policy`: read beforehand (a page takes no lock)."""
    spec = rt.catalog.spec(claim.kind, claim.spec_version)
    return TransitionContext(
        conn=conn,
        claim=claim,
        actor=actor,
        inputs=inputs if inputs is not None else {},
        spec=spec,
        transition=transition or spec.transitions[0],
        now=now or rt.clock(),
        rules=rt.rules,
        tz=rt.tz,
        case_data=claim.case_data if case_data is None else case_data,
        calendar=rt.calendar,
        read_only=read_only,
        _policy=policy,
    )
