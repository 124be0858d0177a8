"""What a transition would pay or work out, computed once for the guard that weighs it and the effect
that books it: the settlement's parts and deductible, the advance on unpaid invoices, the interest on
them, and what the cover still leaves.

A guard refuses before anything is staged; the effect after it books what the guard weighed, so the
two can never disagree about the amount.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from claims.kinds.context import ZERO, TransitionContext
from claims.money.interest import RatePeriod, statutory_interest
from claims.storage.models import OUTSIDE_LIMIT, MoneyKind
from notifications.formatting import euro

CENT = Decimal("0.01")

SETTLEMENT_PARTS = ("damages", "interest", "defence")
# what settling or proposing a settlement reads: the damages, what else is paid with them, the terms
SETTLEMENT_INPUTS = {"damages": "money", "interest": "money?", "defence": "money?", "terms": "text"}


def settlement_total(values: Mapping[str, object]) -> Decimal:
    return sum((Decimal(str(values[k])) for k in SETTLEMENT_PARTS if values.get(k) is not None), ZERO)


def settlement_parts(values: Mapping[str, object]) -> dict[str, Decimal]:
    """The settlement's parts that were given, as amounts."""
    return {k: Decimal(str(values[k])) for k in SETTLEMENT_PARTS if values.get(k) is not None}


def settlement_deductible(ctx: TransitionContext, parts: Mapping[str, Decimal]) -> Decimal:
    """The deductible this settlement bears: once per claim, never more than the damages."""
    if ctx.total(MoneyKind.deductible) > ZERO:
        return ZERO
    return min(ctx.policy().deductible, parts.get("damages", ZERO))


def settlement_within_limits(ctx: TransitionContext, parts: Mapping[str, Decimal]) -> Decimal:
    """What of a settlement weighs against the cover: its parts, less the deductible."""
    return settlement_total(parts) - settlement_deductible(ctx, parts)


def cover_refusal(ctx: TransitionContext, new_limited: Decimal) -> str | None:
    """Why a new payment of `new_limited` within the limits does not fit the cover per claim or per
    insurance year, or None; mitigation and expert costs fall outside both (7:957, 7:959 BW). Only a
    new payment is weighed: nothing paid is ever undone. Asked before anything is staged."""
    if new_limited <= ZERO:
        return None
    paid = sum(
        (v for (k, c), v in ctx.stored_totals().items() if k == MoneyKind.payment and c not in OUTSIDE_LIMIT),
        ZERO,
    )
    policy = ctx.policy()
    if paid + new_limited > policy.cover_per_claim:
        return (
            f"Uitkering {euro(paid + new_limited)} gaat boven het verzekerd bedrag per aanspraak "
            f"({euro(policy.cover_per_claim)})."
        )
    in_year = ctx.paid_in_insurance_year() + new_limited
    if in_year > policy.cover_per_year:
        return (
            f"Uitkeringen op deze polis in dit verzekeringsjaar komen op {euro(in_year)}, boven het "
            f"verzekerd bedrag per jaar ({euro(policy.cover_per_year)})."
        )
    return None


def unpaid_net(ctx: TransitionContext) -> Decimal:
    """The unpaid invoices' total less the deduction for margin and taxes (may be negative: a guard
    refuses that)."""
    unpaid: Decimal = sum((inv.amount for inv in ctx.unpaid_invoices()), ZERO)
    return unpaid - (ctx.inputs.get("deduction") or ZERO)


def advanced_so_far(ctx: TransitionContext) -> Decimal:
    return sum((Decimal(a["amount"]) for a in ctx.case_data.get("advances", [])), ZERO)


def advance_target(ctx: TransitionContext) -> Decimal:
    """The share of the net unpaid invoices that is to have been advanced once this advance is paid."""
    share: Decimal = ctx.inputs["share_percent"]
    return (max(unpaid_net(ctx), ZERO) * share / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def advance_amount(ctx: TransitionContext) -> Decimal:
    """The advance on unpaid invoices: a share of their total net of margin and taxes, less what was
    advanced before (a second advance at a higher share pays only the difference); never negative."""
    return max(advance_target(ctx) - advanced_so_far(ctx), ZERO)


def invoice_interest(ctx: TransitionContext) -> dict[str, Any] | None:
    """The handelsrente on every unpaid invoice up to today (the Dutch calendar day, not the UTC one),
    or None without unpaid invoices. Raises ValueError when the rate table does not reach back to an
    invoice's due date. Worked out once per transition (the guard checks it, the effect books it)."""
    if "invoice_interest" in ctx.memo:
        result: dict[str, Any] | None = ctx.memo["invoice_interest"]
        return result
    invoices = ctx.unpaid_invoices()
    result = None
    if invoices:
        rates = [RatePeriod(r.valid_from, Decimal(r.rate)) for r in ctx.interest_rates("handels")]
        until = ctx.now.astimezone(ctx.tz).date()
        per_invoice: list[dict[str, Any]] = [
            {
                "number": inv.number,
                "amount": str(inv.amount),
                "due_date": inv.due_date.isoformat(),
                "interest": str(statutory_interest(inv.amount, inv.due_date, until, rates)),
            }
            for inv in invoices
        ]
        total = sum((Decimal(i["interest"]) for i in per_invoice), ZERO)
        result = {"until": until.isoformat(), "invoices": per_invoice, "total": str(total)}
    ctx.memo["invoice_interest"] = result
    return result
