"""A claim's money as the claim page, the settlement form and the API show it: what the cover still holds,
the advances and the insured's share, the statutory interest to date period by period, the invoices of an
unpaid-fee claim, the payments to payees and the proposals waiting for a manager. Nothing here writes."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Connection

from claims.kinds.claims_made import ClaimsMade, check_claims_made
from claims.kinds.context import TransitionContext, claim_context
from claims.kinds.effects import effects
from claims.kinds.payouts import collection_costs, computed_interest
from claims.money.collection_costs import bik_scale, commercial_lump_sum
from claims.money.cover import NAMES, OUTSIDE_LIMIT, Paid, remaining_cover, room_outside_limit, settle
from claims.money.interest import RatePeriod, statutory_interest
from claims.parties.fields import ROLE_LABELS, iban_display
from claims.reads.field_values import field_value_text
from claims.runtime import Runtime
from claims.storage.models import MoneyKind, User
from claims.storage.records import ClaimRecord, PaymentRecord, ProposalRecord
from claims.storage.repositories import parties, payments, policies, users
from workflow.errors import WorkflowError
from workflow.inputs import validate_inputs
from workflow.spec import TransitionSpec

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Collectible:
    """What came back to the insurer and what it still has to collect: `recovered` from a liable third
    party (regres, 7:962 BW), `deductible_to_collect` the eigen risico (the insured's own part of the
    damage) it advanced to the claimant and has not yet had back from the insured."""

    recovered: Decimal
    deductible_to_collect: Decimal


def collectible(totals: Mapping[tuple[str, str], Decimal]) -> Collectible:
    """The claim page's recovered and still-to-collect figures from a claim's money per (kind, cost type)."""
    return Collectible(
        recovered=sum((v for (k, _), v in totals.items() if k == MoneyKind.recovery), ZERO),
        deductible_to_collect=sum((v for (k, _), v in totals.items() if k == MoneyKind.deductible_due), ZERO),
    )


@dataclass(frozen=True)
class InvoiceLine:
    number: str
    amount: Decimal
    due_date: date
    paid: bool
    paid_on: date | None
    interest_to_date: Decimal | None  # 6:119a to today; None when the rate table does not reach back
    note: str


@dataclass(frozen=True)
class ProposalView:
    proposal: ProposalRecord
    proposer: str
    decider: str | None
    label: str
    payments: list[dict[str, Any]]  # what it would pay: cost type, amount, payee
    reserves: list[dict[str, Any]]  # reserves it would set
    interest: dict[str, Any] | None  # the interest the settlement in it computes
    expert_figure: Decimal | None  # the expert's assessed damage, for the approver to weigh
    inputs: list[tuple[str, str]] = field(default_factory=list)  # what the proposer typed, by label
    # an open proposal's payments and interest are worked out as approving now would pay them (interest
    # runs on while it waits); what they were when it was proposed, where that differs
    proposed_total: Decimal | None = None
    proposed_interest: Decimal | None = None


@dataclass(frozen=True)
class MoneyView:
    remaining_cover: Decimal
    paid_within_limit: Decimal
    caps: list[dict[str, Any]]  # cost type, cap, room (only types the policy caps)
    advances: list[dict[str, Any]]
    advanced_on_damages: Decimal
    deductible_applied: Decimal
    deductible_to_collect: Decimal
    insured_share: Decimal
    recoveries: list[dict[str, Any]]
    recovered: Decimal
    claims_made: ClaimsMade
    cover_decision: dict[str, Any] | None
    interest: dict[str, Any] | None
    interest_problem: str
    interest_choice: dict[str, Any]
    invoices: list[InvoiceLine]
    unpaid_total: Decimal
    invoice_interest_total: Decimal
    invoice_interest_until: date  # today, or the day the claim closed
    collection_offer: dict[str, Any] | None  # the BIK scale and the lump sum on the unpaid principal
    collection_chosen: dict[str, Any] | None
    payments: list[PaymentRecord]
    payee_names: dict[int, str]
    payees: list[dict[str, Any]]  # the claim's parties, for a payee field (those without an IBAN greyed)
    proposals: list[ProposalView] = field(default_factory=list)

    @property
    def open_proposals(self) -> list[ProposalView]:
        return [p for p in self.proposals if p.proposal.status == "open"]


def money_view(conn: Connection, rt: Runtime, claim: ClaimRecord, actor: User) -> MoneyView:
    now = rt.clock()
    ctx = claim_context(conn, rt, claim, actor, now=now, read_only=True)
    cover, paid = ctx.cover(), ctx.paid()
    totals = ctx.totals()
    collect = collectible(totals)
    advances = [
        {
            "on": _day(a["at"], rt),
            "amount": Decimal(a["amount"]),
            "booked_as": a.get("booked_as", "beredding"),
        }
        for a in claim.case_data.get("advances", [])
    ]
    interest, problem = _interest(ctx, paid)
    # a closed claim's invoices stop running interest at the closing: the settlement ended the claim
    interest_until = (claim.closed_at or now).astimezone(rt.tz).date()
    invoices, unpaid, invoice_interest = _invoices(ctx, interest_until)
    claim_payments = payments.of_claim(conn, claim.id)
    listed = parties.of_claim(conn, claim.id)
    register = {p.id: p.name for p in listed}
    payees = [
        {
            "id": p.id,
            "name": p.account_holder or p.name,
            "role_label": ROLE_LABELS.get(p.role, p.role),
            "iban": p.iban,
            "iban_display": iban_display(p.iban),
        }
        for p in listed
    ]
    return MoneyView(
        remaining_cover=remaining_cover(cover, paid),
        paid_within_limit=paid.within_limit,
        caps=[
            {
                "cost_type": c,
                "label": NAMES[c],
                "cap": cover.caps[c],
                "room": room_outside_limit(cover, paid, c),
            }
            for c in OUTSIDE_LIMIT
            if cover.caps.get(c) is not None
        ],
        advances=advances,
        advanced_on_damages=sum((a["amount"] for a in advances if a["booked_as"] == "voorschot"), ZERO),
        deductible_applied=sum((v for (k, _), v in totals.items() if k == MoneyKind.deductible), ZERO),
        deductible_to_collect=collect.deductible_to_collect,
        insured_share=sum((v for (k, _), v in totals.items() if k == MoneyKind.insured_share), ZERO),
        recoveries=[
            {
                "on": date.fromisoformat(r["received_on"]),
                "amount": Decimal(r["amount"]),
                "from": r["from"],
                "note": r.get("note", ""),
            }
            for r in claim.case_data.get("recoveries", [])
        ],
        recovered=collect.recovered,
        claims_made=check_claims_made(ctx.policy(), claim.date_error, claim.date_reported),
        cover_decision=claim.case_data.get("cover_decision"),
        interest=interest,
        interest_problem=problem,
        interest_choice=claim.case_data.get("interest") or {},
        invoices=invoices,
        unpaid_total=unpaid,
        invoice_interest_total=invoice_interest,
        invoice_interest_until=interest_until,
        collection_offer=_collection_offer(ctx, unpaid),
        collection_chosen=claim.case_data.get("collection_costs"),
        payments=claim_payments,
        payee_names=register,
        payees=payees,
        proposals=_proposals(conn, rt, claim, actor),
    )


def _day(moment: str, rt: Runtime) -> date:
    return datetime.fromisoformat(moment).astimezone(rt.tz).date()


def _interest(ctx: TransitionContext, paid: Paid) -> tuple[dict[str, Any] | None, str]:
    """The statutory interest to date, as a settlement today would compute it: on the unpaid invoices, or
    on the damages the expert assessed (else the damages reserve), their covered part."""
    report = ctx.case_data.get("expert_report") or {}
    principal = Decimal(report["assessed_damage"]) if report.get("assessed_damage") else None
    if principal is None:
        principal = ctx.total(MoneyKind.reserve, "damages") + paid.of("damages")
    try:
        worked = settle(ctx.cover(), paid, principal, collection=collection_costs(ctx)) if principal else None
        return computed_interest(ctx, worked), ""
    except ValueError as exc:
        return None, f"Rente niet te berekenen: {exc}; vul de tabel met rentestanden aan."


def _invoices(ctx: TransitionContext, today: date) -> tuple[list[InvoiceLine], Decimal, Decimal]:
    rows = ctx.invoices()
    if not rows:
        return [], ZERO, ZERO
    rates = [RatePeriod(r.valid_from, Decimal(r.rate)) for r in ctx.interest_rates("handels")]
    out = []
    for inv in rows:
        interest: Decimal | None = None
        if not inv.paid:
            try:
                interest = statutory_interest(inv.amount, inv.due_date, today, rates)
            except ValueError:
                interest = None
        out.append(
            InvoiceLine(inv.number, inv.amount, inv.due_date, inv.paid, inv.paid_on, interest, inv.note)
        )
    unpaid = sum((i.amount for i in out if not i.paid), ZERO)
    interest_total = sum((i.interest_to_date or ZERO for i in out if not i.paid), ZERO)
    return out, unpaid, interest_total


def _collection_offer(ctx: TransitionContext, unpaid: Decimal) -> dict[str, Any] | None:
    if unpaid <= ZERO:
        return None
    scale = bik_scale(unpaid)
    count = len([i for i in ctx.unpaid_invoices()])
    return {"scale": scale, "lump_sum": commercial_lump_sum(count), "invoices": count}


def _proposals(conn: Connection, rt: Runtime, claim: ClaimRecord, actor: User) -> list[ProposalView]:
    out = []
    spec = rt.catalog.spec(claim.kind, claim.spec_version)
    report = claim.case_data.get("expert_report") or {}
    expert_figure = Decimal(report["assessed_damage"]) if report.get("assessed_damage") else None
    register = {p.id: p.name for p in parties.of_claim(conn, claim.id)}
    for p in payments.proposals_of_claim(conn, claim.id):
        lines = p.weighed.get("money", [])
        interest = (p.weighed.get("event_data") or {}).get("interest")
        proposed_total = proposed_interest = None
        transition = spec.transition(claim.state, p.trigger)
        if p.status == "open" and transition is not None:
            now = _as_approved_now(conn, rt, claim, actor, transition, p.inputs)
            if now is not None:
                before = _paid_in(lines)
                proposed_interest = Decimal(interest["total"]) if interest and interest.get("total") else None
                lines, interest = now
                proposed_total = before if before != _paid_in(lines) else None
                now_interest = Decimal(interest["total"]) if interest and interest.get("total") else None
                if proposed_interest == now_interest:
                    proposed_interest = None
        proposer = users.row_by_id(conn, p.proposed_by)
        decider = users.row_by_id(conn, p.decided_by) if p.decided_by else None
        out.append(
            ProposalView(
                proposal=p,
                proposer=proposer.name,
                decider=decider.name if decider is not None else None,
                label=p.weighed.get("label", p.trigger),
                payments=[
                    {
                        "cost_type": m["cost_type"],
                        "amount": Decimal(m["amount"]),
                        "payee": register.get(m.get("payee") or 0, ""),
                        "note": m.get("note", ""),
                    }
                    for m in lines
                    if m["kind"] == MoneyKind.payment and Decimal(m["amount"]) > 0
                ],
                reserves=[
                    {"cost_type": m["cost_type"], "amount": Decimal(m["amount"])}
                    for m in lines
                    if m["kind"] == MoneyKind.reserve and Decimal(m["amount"]) > 0
                ],
                interest=interest,
                expert_figure=expert_figure,
                inputs=_typed(conn, rt, transition, p.inputs, register) if transition else [],
                proposed_total=proposed_total,
                proposed_interest=proposed_interest,
            )
        )
    return out


def _paid_in(lines: list[dict[str, Any]]) -> Decimal:
    return sum(
        (Decimal(m["amount"]) for m in lines if m["kind"] == MoneyKind.payment and Decimal(m["amount"]) > 0),
        ZERO,
    )


def _as_approved_now(
    conn: Connection,
    rt: Runtime,
    claim: ClaimRecord,
    actor: User,
    transition: TransitionSpec,
    typed: dict[str, Any],
) -> tuple[list[dict[str, Any]], dict[str, Any] | None] | None:
    """The money lines and interest the proposal's transition stages when fired now, as approving it
    would (its effects on a copy, nothing written); None when it no longer works out (approving then
    says why)."""
    try:
        ctx = claim_context(
            conn,
            rt,
            claim,
            actor,
            transition=transition,
            inputs=validate_inputs(transition.fields, typed, rt.tz),
            case_data=copy.deepcopy(claim.case_data),
            # staged on this copy only and never written; the policy read without the lock a write takes
            policy=policies.by_id(conn, claim.policy_id, lock=False),
        )
        for name in transition.effects:
            effects[name](ctx)
    except (WorkflowError, ValueError, KeyError):
        return None
    lines = [{**m, "amount": str(m["amount"])} for m in ctx.money]
    return lines, ctx.event_data.get("interest")


def _typed(
    conn: Connection, rt: Runtime, transition: TransitionSpec, typed: dict[str, Any], register: dict[int, str]
) -> list[tuple[str, str]]:
    """What the proposer typed, each field by its label and its value as a person reads it."""
    emails = [str(typed[f.name]) for f in transition.fields if f.type == "user" and typed.get(f.name)]
    names = {e: u.name for e in emails if (u := users.by_email(conn, e)) is not None}
    parties_by_id = {str(k): v for k, v in register.items()}
    return [
        (
            f.label,
            field_value_text(
                typed[f.name], f.type, dict(f.choices), users=names, parties=parties_by_id, tz=rt.tz
            ),
        )
        for f in transition.fields
        if typed.get(f.name) not in (None, "")
    ]
