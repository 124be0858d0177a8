"""What a transition would pay or work out, computed once for the guard that weighs it and the effect
that books it: the settlement's parts and deductible, the advance on unpaid invoices, the interest on
them, and what the cover still leaves.

A guard refuses before anything is staged; the effect after it books what the guard weighed, so the
two can never disagree about the amount.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from claims.kinds.context import ZERO, TransitionContext
from claims.money.collection_costs import bik_scale, commercial_lump_sum
from claims.money.cover import (
    WITHIN_LIMIT,
    CoverRefusal,
    Settlement,
    check_outside_limit,
    check_within_limit,
    deductible_due,
    settle,
)
from claims.money.damages_interest import interest_with_payments
from claims.money.interest import RatePeriod, statutory_interest

CENT = Decimal("0.01")

SETTLEMENT_PARTS = ("damages", "interest", "defence")
# what settling or proposing a settlement reads: the damages, what else is paid with them, the terms; a
# version from 3 on computes the interest (set_interest) and names the payees
SETTLEMENT_INPUTS = {
    "damages": "money",
    "interest": "money?",
    "defence": "money?",
    "deductible_in_full": "boolean?",
    "payee": "party?",
    "defence_payee": "party?",
    "terms": "text",
}
_AMOUNT_INPUTS = ("damages", "interest", "defence")


def settlement_total(values: Mapping[str, object]) -> Decimal:
    return sum((Decimal(str(values[k])) for k in SETTLEMENT_PARTS if values.get(k) is not None), ZERO)


def settlement_parts(values: Mapping[str, object]) -> dict[str, Any]:
    """The settlement as given (amounts as Decimal, the rest as it is): what a proposal keeps."""
    out: dict[str, Any] = {}
    for k in SETTLEMENT_INPUTS:
        if k == "terms" or values.get(k) is None:
            continue
        out[k] = Decimal(str(values[k])) if k in _AMOUNT_INPUTS else values[k]
    return out


def settlement_of(ctx: TransitionContext, values: Mapping[str, Any]) -> Settlement:
    """The settlement's damages worked out under the cover (claims.money.cover.settle); raises
    CoverRefusal. Once per transition: the guard weighs it, the effect books it."""
    key = "settlement"
    if key not in ctx.memo:
        ctx.memo[key] = settle(
            ctx.cover(),
            ctx.paid(),
            Decimal(str(values["damages"])),
            collection=collection_costs(ctx),
            deductible_in_full=bool(values.get("deductible_in_full")),
        )
    worked: Settlement = ctx.memo[key]
    return worked


def collection_costs(ctx: TransitionContext) -> Decimal:
    """The buitengerechtelijke incassokosten offered as a cost line (set_collection_costs), or zero."""
    chosen = ctx.case_data.get("collection_costs")
    return Decimal(chosen["amount"]) if chosen else ZERO


def settlement_interest(
    ctx: TransitionContext, values: Mapping[str, Any], worked: Settlement
) -> dict[str, Any]:
    """The statutory interest the settlement pays, on the covered part only (BAV: interest over the
    covered principal): typed (a spec version before 3), set by a manager with a reason (set_interest),
    or computed to today: 6:119a on each unpaid invoice of an unpaid-fee claim, 6:119 on the damages
    from the day they were due otherwise (advances lower the principal from the day they were paid)."""
    if values.get("interest") is not None:
        return {"basis": "getypt", "total": str(Decimal(str(values["interest"])))}
    chosen = ctx.case_data.get("interest") or {}
    if chosen.get("override") is not None:
        return {"basis": "handmatig", "total": chosen["override"], "reason": chosen.get("reason", "")}
    computed = computed_interest(ctx, worked)
    return computed if computed is not None else {"basis": "geen", "total": "0.00"}


def computed_interest(ctx: TransitionContext, worked: Settlement | None) -> dict[str, Any] | None:
    """What the interest would be today on the covered part (None: nothing to count, or the rate table
    does not reach back: ValueError is raised for that)."""
    until = ctx.now.astimezone(ctx.tz).date()
    if ctx.unpaid_invoices():
        per_invoice = invoice_interest(ctx)
        if per_invoice is None:
            return None
        total = Decimal(per_invoice["total"])
        share = _covered_share(worked)
        return {
            "basis": "6:119a",
            "until": until.isoformat(),
            "invoices": per_invoice["invoices"],
            "covered_share": str(share),
            "total": str((total * share).quantize(CENT, rounding=ROUND_HALF_UP)),
        }
    if worked is None or worked.covered <= ZERO:
        return None
    start = interest_start(ctx)
    rates = [RatePeriod(r.valid_from, Decimal(r.rate)) for r in ctx.interest_rates("wettelijk")]
    advances = [(advance_day(ctx, a), Decimal(a["amount"])) for a in damages_advances(ctx)]
    result = interest_with_payments(worked.covered, start, until, rates, advances)
    return {
        "basis": "6:119",
        "from": start.isoformat(),
        "until": until.isoformat(),
        "principal": str(worked.covered),
        "periods": [
            {
                "first_day": p.first_day.isoformat(),
                "last_day": p.last_day.isoformat(),
                "days": p.days,
                "rate": str(p.rate),
                "base": str(p.base),
                "interest": str(p.interest),
                "compounded": p.compounded,
            }
            for p in result.periods
        ],
        "total": str(result.total),
    }


def _covered_share(worked: Settlement | None) -> Decimal:
    """The part of the principal the cover bears: less the deductible and a share above the cover."""
    if worked is None:
        return Decimal(1)
    # the deductible is the insured's as much as a share above the cover: no interest is paid on either;
    # the collection costs bear none (they are no part of the principal)
    covered_damages = worked.covered - min(worked.collection, worked.covered)
    if worked.damages <= ZERO or covered_damages >= worked.damages:
        return Decimal(1)
    return covered_damages / worked.damages


def interest_start(ctx: TransitionContext) -> date:
    """The day the damages were due: entered by the handler (set_interest), else the melding."""
    chosen = ctx.case_data.get("interest") or {}
    return date.fromisoformat(chosen["from"]) if chosen.get("from") else ctx.claim.date_reported


def damages_advances(ctx: TransitionContext) -> list[dict[str, Any]]:
    """The advances paid on account of the damages (not those booked as mitigation, nor cancelled)."""
    return [
        a
        for a in ctx.case_data.get("advances", [])
        if a.get("booked_as") == "voorschot" and not a.get("cancelled")
    ]


def advance_day(ctx: TransitionContext, advance: Mapping[str, Any]) -> date:
    """The Dutch calendar day an advance was paid (its moment is stored in UTC)."""
    return datetime.fromisoformat(advance["at"]).astimezone(ctx.tz).date()


def settlement_deductible(ctx: TransitionContext, parts: Mapping[str, Any]) -> Decimal:
    """The deductible this settlement bears: once per claim (or series), never more than the damages."""
    return deductible_due(ctx.cover(), ctx.paid(), Decimal(str(parts.get("damages", ZERO))))


def cover_refusal(ctx: TransitionContext, cost_type: str, amount: Decimal) -> str | None:
    """Why a new payment of `amount` of `cost_type` does not fit the policy, or None: within the limit
    it must fit the cover per claim and per year (an advance is paid on the cover); outside it only the
    policy's cap for its type, if any, bounds it (7:957, 7:959 lid 1 BW). Asked before anything is
    staged."""
    try:
        if cost_type in WITHIN_LIMIT:
            check_within_limit(ctx.cover(), ctx.paid(), amount)
        else:
            check_outside_limit(ctx.cover(), ctx.paid(), cost_type, amount)
    except CoverRefusal as refused:
        return str(refused)
    return None


def unpaid_net(ctx: TransitionContext) -> Decimal:
    """The unpaid invoices' total less the deduction for margin and taxes (may be negative: a guard
    refuses that)."""
    unpaid: Decimal = sum((inv.amount for inv in ctx.unpaid_invoices()), ZERO)
    return unpaid - (ctx.inputs.get("deduction") or ZERO)


def advanced_so_far(ctx: TransitionContext) -> Decimal:
    """What was advanced on the unpaid invoices so far, however it was booked."""
    return sum(
        (Decimal(a["amount"]) for a in ctx.case_data.get("advances", []) if a.get("on") != "damages"), ZERO
    )


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


def collection_offer(ctx: TransitionContext) -> dict[str, Any]:
    """The collection costs the handler chose, worked out on the unpaid principal: the scale of the
    Besluit vergoeding voor buitengerechtelijke incassokosten, the EUR 40 per invoice of art. 6:96 lid 4
    BW (a commercial contract), an amount the contract sets (with a reason), or none."""
    basis = ctx.inputs["basis"]
    unpaid = ctx.unpaid_invoices()
    principal = sum((inv.amount for inv in unpaid), ZERO)
    out: dict[str, Any] = {"basis": basis, "principal": str(principal), "at": ctx.now.isoformat()}
    if basis == "staffel":
        worked = bik_scale(principal)
        out["amount"] = str(worked.amount)
        out["tiers"] = [
            {
                "from": str(t.start),
                "to": None if t.end is None else str(t.end),
                "percent": str(t.percent),
                "amount": str(t.amount),
            }
            for t in worked.tiers
        ]
        out["source"] = worked.source
    elif basis == "forfait":
        out["amount"] = str(commercial_lump_sum(len(unpaid)))
        out["invoices"] = len(unpaid)
    elif basis == "afwijkend":
        out["amount"] = str(ctx.inputs["amount"])
        out["reason"] = ctx.inputs["reason"]
    else:
        out["amount"] = "0.00"
    return out
