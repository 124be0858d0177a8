"""The domain's effects: what a transition does to the claim's data besides moving its state.

Effects only stage changes on the context (updates, money lines, case data, event data); the
service writes them in the transition's one transaction.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from claims.kinds.claims_made import check_claims_made
from claims.kinds.context import ZERO, TransitionContext, effects
from claims.kinds.payouts import (
    SETTLEMENT_INPUTS,
    advance_amount,
    collection_offer,
    invoice_interest,
    settlement_interest,
    settlement_of,
    settlement_parts,
    settlement_total,
)
from claims.storage.models import CostType, MoneyKind

__all__ = ["effects"]  # registered here, kept in claims.kinds.context

# Effects refuse nothing: what would refuse a transition is a guard that runs before any effect, named
# in the effect's `guards=` (workflows check holds every transition using the effect to it).


def _set_reserve(ctx: TransitionContext, cost_type: str, amount: Decimal) -> None:
    current = ctx.total(MoneyKind.reserve, cost_type)
    ctx.add_money(MoneyKind.reserve, cost_type, amount - current, "reserve")


def _pay(
    ctx: TransitionContext,
    cost_type: str,
    amount: Decimal,
    note: str,
    *,
    quoted: bool = False,
    payee: int | None = None,
) -> None:
    """A payment to `payee` (a party of the claim; None: the service picks the party a payment of this
    cost type goes to), taken from the reserve of its cost type as far as that reaches; `quoted`: its
    note is quoted in the letters (TransitionContext.add_money)."""
    if amount <= ZERO:
        return
    ctx.add_money(MoneyKind.payment, cost_type, amount, note, quoted=quoted, payee=payee)
    reserve = ctx.total(MoneyKind.reserve, cost_type)
    ctx.add_money(MoneyKind.reserve, cost_type, -min(reserve, amount), "reserve afgeboekt")


def _settle(ctx: TransitionContext, values: dict[str, Any]) -> None:
    """Book a settlement as claims.money.cover works it out: the deductible off, the cover paid at most
    (the rest is the insured's share), the advances deducted, interest and defence costs beside it."""
    worked = settlement_of(ctx, values)
    interest = settlement_interest(ctx, values, worked)
    interest_total = Decimal(interest["total"])
    defence = Decimal(str(values.get("defence") or ZERO))
    payee = values.get("payee")
    defence_payee = values.get("defence_payee") or payee
    if worked.deductible:
        ctx.add_money(MoneyKind.deductible, CostType.damages, worked.deductible, "eigen risico")
        if worked.deductible_in_full:
            ctx.add_money(
                MoneyKind.deductible_due, CostType.damages, worked.deductible, "eigen risico te verhalen"
            )
    if worked.insured_share:
        ctx.add_money(
            MoneyKind.insured_share, CostType.damages, worked.insured_share, "boven het verzekerd bedrag"
        )
    _pay(ctx, CostType.damages, worked.pay_damages, "schadevergoeding", payee=payee)
    _pay(ctx, CostType.collection, worked.pay_collection, "buitengerechtelijke incassokosten", payee=payee)
    _pay(ctx, CostType.advanced_deductible, worked.pay_deductible, "eigen risico, te verhalen", payee=payee)
    _pay(ctx, CostType.interest, interest_total, "wettelijke rente", payee=payee)
    _pay(ctx, CostType.defence, defence, "kosten van verweer", payee=defence_payee)
    for cost_type in CostType:
        _set_reserve(ctx, cost_type, ZERO)
    ctx.event_data["settlement"] = {
        "damages": str(worked.damages),
        "deductible": str(worked.deductible),
        "deductible_in_full": worked.deductible_in_full,
        "collection": str(worked.collection),
        "covered": str(worked.covered),
        "advanced": str(worked.advanced),
        "insured_share": str(worked.insured_share),
        "pay_damages": str(worked.pay_damages),
        "pay_collection": str(worked.pay_collection),
        "pay_deductible": str(worked.pay_deductible),
        "interest": str(interest_total),
        "defence": str(defence),
    }
    ctx.event_data["interest"] = interest


@effects.register("appoint_expert", inputs={"expert": "user"})
def appoint_expert(ctx: TransitionContext) -> None:
    expert = ctx.chosen_user("expert")  # an active expert: checked with the inputs
    ctx.updates["expert_id"] = expert.id
    ctx.event_data["expert"] = expert.email


@effects.register("reassign_handler", inputs={"handler": "user"}, guards=("other_handler",))
def reassign_handler(ctx: TransitionContext) -> None:
    handler = ctx.chosen_user("handler")
    ctx.updates["handler_id"] = handler.id
    ctx.event_data["handler"] = handler.email


@effects.register("set_initial_reserves", inputs={"reserve_damages": "money?", "reserve_expert": "money?"})
def set_initial_reserves(ctx: TransitionContext) -> None:
    for field, cost_type in (("reserve_damages", CostType.damages), ("reserve_expert", CostType.expert)):
        if ctx.inputs.get(field) is not None:
            _set_reserve(ctx, cost_type, ctx.inputs[field])


@effects.register("set_reserve", inputs={"cost_type": "choice", "amount": "money"})
def set_reserve(ctx: TransitionContext) -> None:
    _set_reserve(ctx, ctx.inputs["cost_type"], ctx.inputs["amount"])


@effects.register("release_reserves")
def release_reserves(ctx: TransitionContext) -> None:
    for cost_type in CostType:
        _set_reserve(ctx, cost_type, ZERO)


@effects.register("record_rejection", inputs={"ground": "choice", "reasons": "text"})
def record_rejection(ctx: TransitionContext) -> None:
    ctx.case_data["rejection"] = {
        "ground": ctx.inputs["ground"],
        "reasons": ctx.inputs["reasons"],
        "at": ctx.now.isoformat(),
    }


@effects.register("record_objection", inputs={"objection": "text"})
def record_objection(ctx: TransitionContext) -> None:
    ctx.case_data.setdefault("objections", []).append(
        {"text": ctx.inputs["objection"], "at": ctx.now.isoformat()}
    )


@effects.register("record_mitigation_plan", inputs={"measure": "text", "reserve_mitigation": "money"})
def record_mitigation_plan(ctx: TransitionContext) -> None:
    ctx.case_data.setdefault("mitigation", []).append(
        {"measure": ctx.inputs["measure"], "at": ctx.now.isoformat()}
    )
    _set_reserve(ctx, CostType.mitigation, ctx.inputs["reserve_mitigation"])


def _input_amount(ctx: TransitionContext) -> Decimal:
    amount: Decimal = ctx.inputs["amount"]
    return amount


@effects.register(
    "pay_mitigation_costs",
    inputs={"amount": "money", "description": "text", "payee": "party?"},
    pays=_input_amount,
)
def pay_mitigation_costs(ctx: TransitionContext) -> None:
    _pay(
        ctx,
        CostType.mitigation,
        ctx.inputs["amount"],
        ctx.inputs["description"],
        quoted=True,
        payee=ctx.inputs.get("payee"),
    )


@effects.register("pay_expert_costs", inputs={"amount": "money", "payee": "party?"}, pays=_input_amount)
def pay_expert_costs(ctx: TransitionContext) -> None:
    _pay(ctx, CostType.expert, ctx.inputs["amount"], "kosten expertise", payee=ctx.inputs.get("payee"))


def _team_cost(ctx: TransitionContext) -> Decimal:
    cost: Decimal = ctx.inputs["cost"]
    return cost


@effects.register(
    "pay_team",
    inputs={"team": "text", "cost": "money", "payee": "party?"},
    pays=_team_cost,
)
def pay_team(ctx: TransitionContext) -> None:
    ctx.case_data.setdefault("mitigation", []).append(
        {"measure": ctx.inputs["team"], "at": ctx.now.isoformat()}
    )
    _pay(
        ctx,
        CostType.mitigation,
        ctx.inputs["cost"],
        f"team: {ctx.inputs['team']}",
        quoted=True,
        payee=ctx.inputs.get("payee"),
    )


@effects.register(
    "record_expert_report",
    inputs={"findings": "text", "assessed_damage": "money", "expert_costs": "money?"},
    role="expert",  # the report is signed with the actor's e-mail address
)
def record_expert_report(ctx: TransitionContext) -> None:
    ctx.case_data["expert_report"] = {
        "findings": ctx.inputs["findings"],
        "assessed_damage": str(ctx.inputs["assessed_damage"]),
        "by": ctx.actor.email,
        "at": ctx.now.isoformat(),
    }
    if ctx.inputs.get("expert_costs") is not None:
        # the expert's invoice is reserved here and paid by a handler (pay_expert_costs)
        _set_reserve(ctx, CostType.expert, ctx.inputs["expert_costs"])


def _settlement_amount(ctx: TransitionContext) -> Decimal:
    return settlement_total(ctx.inputs)


@effects.register(
    "pay_settlement",
    inputs=SETTLEMENT_INPUTS,
    guards=("settlement_within_cover",),
    supplies=("settlement",),
    pays=_settlement_amount,
)
def pay_settlement(ctx: TransitionContext) -> None:
    _settle(ctx, dict(ctx.inputs))
    ctx.case_data["settlement_terms"] = ctx.inputs["terms"]


@effects.register("propose_settlement", inputs=SETTLEMENT_INPUTS, guards=("settlement_within_cover",))
def propose_settlement(ctx: TransitionContext) -> None:
    amounts = settlement_parts(ctx.inputs)
    ctx.case_data["proposal"] = {
        "amounts": {k: v if isinstance(v, bool | int) else str(v) for k, v in amounts.items()},
        "total": str(settlement_total(amounts)),
        "terms": ctx.inputs["terms"],
        "proposed_by": ctx.actor.id,
        "at": ctx.now.isoformat(),
    }


@effects.register(
    "pay_proposed_settlement", guards=("four_eyes", "proposal_within_cover"), supplies=("settlement",)
)
def pay_proposed_settlement(ctx: TransitionContext) -> None:
    proposal = ctx.case_data.pop("proposal")
    _settle(ctx, dict(proposal["amounts"]))
    ctx.case_data["settlement_terms"] = proposal["terms"]
    ctx.event_data["approved_proposal_of"] = proposal["proposed_by"]


@effects.register("drop_proposal", guards=("four_eyes",))
def drop_proposal(ctx: TransitionContext) -> None:
    proposal = ctx.case_data.pop("proposal")
    ctx.event_data["refused_proposal"] = proposal["amounts"]


@effects.register("record_dispute", inputs={"forum": "choice", "reserve_sgoa": "money"})
def record_dispute(ctx: TransitionContext) -> None:
    ctx.case_data["dispute"] = {"forum": ctx.inputs["forum"], "at": ctx.now.isoformat()}
    _set_reserve(ctx, CostType.sgoa, ctx.inputs["reserve_sgoa"])


def _dispute_costs(ctx: TransitionContext) -> Decimal:
    costs: Decimal = ctx.inputs["dispute_costs"]
    return costs


@effects.register(
    "pay_dispute_costs",
    inputs={"ruling": "text", "dispute_costs": "money", "payee": "party?"},
    guards=("dispute_costs_within_cover",),
    pays=_dispute_costs,
)
def pay_dispute_costs(ctx: TransitionContext) -> None:
    ctx.case_data.setdefault("dispute", {})["ruling"] = ctx.inputs["ruling"]
    _pay(
        ctx,
        CostType.sgoa,
        ctx.inputs["dispute_costs"],
        "kosten geschil",
        quoted=True,
        payee=ctx.inputs.get("payee"),
    )


@effects.register("record_dpa_notification", inputs={"notified_at": "datetime", "ap_reference": "text?"})
def record_dpa_notification(ctx: TransitionContext) -> None:
    ctx.case_data["ap_notification"] = {
        "notified_at": ctx.inputs["notified_at"].isoformat(),
        "reference": ctx.inputs.get("ap_reference") or "",
    }


@effects.register("record_controller_notification", inputs={"notified_at": "datetime", "controller": "text"})
def record_controller_notification(ctx: TransitionContext) -> None:
    """A processor's duty under AVG art. 33 lid 2: the controller was told (it notifies the AP itself)."""
    ctx.case_data["controller_notification"] = {
        "notified_at": ctx.inputs["notified_at"].isoformat(),
        "controller": ctx.inputs["controller"],
    }
    ctx.event_data["notified_at"] = ctx.inputs["notified_at"].isoformat()


@effects.register(
    "record_answer",
    inputs={"received_on": "date", "summary": "text"},
    guards=("information_request_open",),
)
def record_answer(ctx: TransitionContext) -> None:
    """The answer to the oldest open information request: the terms that waited on it run on."""
    request = ctx.open_information_requests()[0]
    asked = ctx.case_data["information_requests"][request]
    asked.update(answered_on=ctx.inputs["received_on"].isoformat(), answer=ctx.inputs["summary"])
    ctx.event_data["request"] = request
    ctx.event_data["questions"] = asked.get("questions", "")


@effects.register(
    "record_negotiation",
    inputs={"negotiated_on": "date", "summary": "text"},
    guards=("date_not_in_future",),
)
def record_negotiation(ctx: TransitionContext) -> None:
    """7:942 lid 3 BW: negotiations with the claimant interrupt limitation (the clocks restart it)."""
    ctx.case_data.setdefault("negotiations", []).append(
        {
            "on": ctx.inputs["negotiated_on"].isoformat(),
            "summary": ctx.inputs["summary"],
            "at": ctx.now.isoformat(),
        }
    )
    ctx.event_data["negotiated_on"] = ctx.inputs["negotiated_on"].isoformat()


@effects.register("register_invoice", inputs={"number": "text", "amount": "money", "due_date": "date"})
def register_invoice(ctx: TransitionContext) -> None:
    ctx.add_invoice(ctx.inputs["number"], ctx.inputs["amount"], ctx.inputs["due_date"])
    ctx.event_data["invoice"] = {
        "number": ctx.inputs["number"],
        "amount": str(ctx.inputs["amount"]),
        "due_date": ctx.inputs["due_date"].isoformat(),
    }


@effects.register(
    "pay_advance",
    inputs={"share_percent": "percent", "deduction": "money?"},
    guards=("deduction_within_unpaid", "advance_above_paid"),
    pays=advance_amount,
)
def pay_advance(ctx: TransitionContext) -> None:
    """Before version 3: a share of the unpaid invoices, always booked as mitigation."""
    _advance_on_invoices(ctx, "beredding", None)


@effects.register(
    "pay_invoice_advance",
    inputs={"share_percent": "percent", "deduction": "money?", "booked_as": "choice", "payee": "party"},
    guards=("deduction_within_unpaid", "advance_above_paid", "advance_within_cover"),
    pays=advance_amount,
)
def pay_invoice_advance(ctx: TransitionContext) -> None:
    """A share of the unpaid invoices paid now: as mitigation (so the project can be finished: beredding,
    outside the insured sum) or on account of the damages (counted against the cover, deducted from the
    settlement), as the handler chose."""
    _advance_on_invoices(ctx, ctx.inputs["booked_as"], ctx.inputs["payee"])


def _advance_on_invoices(ctx: TransitionContext, booked_as: str, payee: int | None) -> None:
    amount = advance_amount(ctx)
    what = "voorschot op de schadevergoeding" if booked_as == "voorschot" else "beredding"
    _pay(
        ctx,
        CostType.damages if booked_as == "voorschot" else CostType.mitigation,
        amount,
        f"{what}: {ctx.inputs['share_percent']}% van de onbetaalde facturen",
        quoted=True,
        payee=payee,
    )
    ctx.case_data.setdefault("advances", []).append(
        {"amount": str(amount), "at": ctx.now.isoformat(), "booked_as": booked_as, "on": "invoices"}
    )
    ctx.event_data["advance"] = str(amount)
    ctx.event_data["booked_as"] = booked_as


@effects.register(
    "pay_damages_advance",
    inputs={"amount": "money", "payee": "party", "reason": "text?"},
    guards=("advance_within_cover",),
    pays=_input_amount,
)
def pay_damages_advance(ctx: TransitionContext) -> None:
    """A payment on account of the damages (voorschot): counted against the cover, deducted from the
    settlement, and the interest on it stops from the day it was paid."""
    amount: Decimal = ctx.inputs["amount"]
    _pay(ctx, CostType.damages, amount, "voorschot op de schadevergoeding", payee=ctx.inputs["payee"])
    ctx.case_data.setdefault("advances", []).append(
        {"amount": str(amount), "at": ctx.now.isoformat(), "booked_as": "voorschot", "on": "damages"}
    )
    ctx.event_data["advance"] = str(amount)
    ctx.event_data["booked_as"] = "voorschot"


@effects.register("calculate_invoice_interest", guards=("interest_rates_known",))
def calculate_invoice_interest(ctx: TransitionContext) -> None:
    computed = invoice_interest(ctx)  # its guard has made sure the rate table reaches back far enough
    if computed is None:
        return
    ctx.case_data["invoice_interest"] = computed
    ctx.event_data["invoice_interest_total"] = computed["total"]


def _answer_due(ctx: TransitionContext) -> str:
    """The day an answer is due: the working days the handler gave (within the field's bounds),
    counted on the Dutch calendar."""
    days: int = ctx.inputs["answer_days"]
    assert ctx.calendar is not None
    due = ctx.calendar.add_working_days(ctx.now.astimezone(ctx.tz).date(), days)
    ctx.event_data["answer_due"] = due.isoformat()
    return due.isoformat()


@effects.register(
    "record_information_request",
    inputs={"questions": "text", "answer_days": "integer"},
    supplies=("answer_due",),
)
def record_information_request(ctx: TransitionContext) -> None:
    # asked of whom its letter goes to: the insured, or (since version 4) the claimant
    asked_of = ctx.transition.letters[0].to if ctx.transition.letters else "insured"
    ctx.case_data.setdefault("information_requests", []).append(
        {
            "questions": ctx.inputs["questions"],
            "answer_due": _answer_due(ctx),
            "at": ctx.now.isoformat(),
            "asked_of": asked_of,
        }
    )


@effects.register(
    "record_reminder", inputs={"reminder": "text", "answer_days": "integer"}, supplies=("answer_due",)
)
def record_reminder(ctx: TransitionContext) -> None:
    ctx.case_data.setdefault("reminders", []).append(
        {"reminder": ctx.inputs["reminder"], "answer_due": _answer_due(ctx), "at": ctx.now.isoformat()}
    )


@effects.register(
    "record_liability_position",
    inputs={"position": "choice", "reasons": "text?"},
    guards=("position_reasoned",),
)
def record_liability_position(ctx: TransitionContext) -> None:
    """The insurer's position on the insured's liability, as told to the claimant (an acknowledgement
    starts a new limitation period under 7:942 BW: the clocks read it from here)."""
    position = {
        "position": ctx.inputs["position"],
        "reasons": ctx.inputs.get("reasons") or "",
        "at": ctx.now.isoformat(),
    }
    ctx.case_data.setdefault("liability_positions", []).append(position)
    ctx.event_data["liability_position"] = ctx.inputs["position"]


@effects.register(
    "record_settlement_offer",
    inputs={"amount": "money", "terms": "text", "answer_days": "integer"},
    supplies=("answer_due",),
)
def record_settlement_offer(ctx: TransitionContext) -> None:
    """An offer to the claimant; above the offerer's authority it waits for a manager (authority.weigh)
    where the spec no longer refuses it first (offer_within_authority, versions 2 to 4)."""
    ctx.offered = ctx.inputs["amount"]
    offer = {
        "amount": str(ctx.inputs["amount"]),
        "terms": ctx.inputs["terms"],
        "answer_due": _answer_due(ctx),
        "by": ctx.actor.id,
        "at": ctx.now.isoformat(),
    }
    ctx.case_data.setdefault("settlement_offers", []).append(offer)
    ctx.event_data["offer"] = offer["amount"]


@effects.register(
    "record_cover_decision", inputs={"cover_reason": "text?"}, guards=("claims_made_or_reasoned",)
)
def record_cover_decision(ctx: TransitionContext) -> None:
    """The claims-made check as it stood when cover was confirmed, and the manager's reason when the
    claim fell outside it (rules.md: the handler decides, never the engine alone)."""
    if "cover_decision" in ctx.case_data:
        return  # decided before (confirming cover, then mitigation): that decision stands
    check = check_claims_made(ctx.policy(), ctx.claim.date_error, ctx.claim.date_reported)
    decision: dict[str, Any] = {"claims_made": check.as_dict(), "at": ctx.now.isoformat(), "by": ctx.actor.id}
    if not check.covered:
        decision["override_reason"] = ctx.inputs["cover_reason"]
    ctx.case_data["cover_decision"] = decision
    ctx.event_data["claims_made"] = "binnen" if check.covered else "buiten, gedekt met reden"


@effects.register("link_to_series", inputs={"series_reference": "text"}, guards=("series_claim_valid",))
def link_to_series(ctx: TransitionContext) -> None:
    """One claim with the first of its series: the limit and the deductible apply once to them all."""
    first = ctx.claim_by_reference(ctx.inputs["series_reference"])
    assert first is not None  # series_claim_valid
    root = first.series_id or first.id
    if first.series_id is None:
        ctx.start_series(first)
    ctx.updates["series_id"] = root
    ctx.event_data["series_of"] = first.reference


@effects.register(
    "record_interest_choice",
    inputs={"interest_from": "date", "interest_override": "money?", "interest_reason": "text?"},
    guards=("interest_override_by_manager",),
)
def record_interest_choice(ctx: TransitionContext) -> None:
    """From when the damages were due (the statutory interest runs from the day after), and a manager's
    different amount with its reason; the settlement computes the interest from this."""
    chosen: dict[str, Any] = {"from": ctx.inputs["interest_from"].isoformat(), "by": ctx.actor.id}
    if ctx.inputs.get("interest_override") is not None:
        chosen["override"] = str(ctx.inputs["interest_override"])
        chosen["reason"] = ctx.inputs["interest_reason"]
    ctx.case_data["interest"] = chosen
    ctx.event_data["interest_choice"] = chosen


@effects.register(
    "record_recovery",
    inputs={"amount": "money", "from_whom": "text", "received_on": "date", "note": "text?"},
)
def record_recovery(ctx: TransitionContext) -> None:
    """Money received back from a liable third party after paying (regres, subrogation of 7:962 BW)."""
    amount: Decimal = ctx.inputs["amount"]
    ctx.add_money(
        MoneyKind.recovery, CostType.damages, amount, f"regres: {ctx.inputs['from_whom']}", quoted=True
    )
    ctx.case_data.setdefault("recoveries", []).append(
        {
            "amount": str(amount),
            "from": ctx.inputs["from_whom"],
            "received_on": ctx.inputs["received_on"].isoformat(),
            "note": ctx.inputs.get("note") or "",
        }
    )
    ctx.event_data["recovery"] = str(amount)


@effects.register(
    "record_deductible_received",
    inputs={"amount": "money", "received_on": "date"},
    guards=("deductible_outstanding",),
)
def record_deductible_received(ctx: TransitionContext) -> None:
    """The insured paid the deductible the insurer had advanced to the claimant."""
    amount: Decimal = ctx.inputs["amount"]
    ctx.add_money(MoneyKind.deductible_due, CostType.damages, -amount, "eigen risico ontvangen")
    ctx.event_data["deductible_received"] = {
        "amount": str(amount),
        "on": ctx.inputs["received_on"].isoformat(),
    }


@effects.register(
    "change_invoice",
    inputs={"number": "text", "amount": "money?", "due_date": "date?", "paid_on": "date?", "reason": "text"},
    guards=("invoice_known",),
)
def change_invoice(ctx: TransitionContext) -> None:
    """Correct an unpaid invoice or record that the client paid it; the old values stay on the timeline."""
    invoice = next(i for i in ctx.invoices() if i.number == ctx.inputs["number"])  # invoice_known
    values: dict[str, Any] = {"note": ctx.inputs["reason"]}
    before = {"amount": str(invoice.amount), "due_date": invoice.due_date.isoformat(), "paid": invoice.paid}
    if ctx.inputs.get("amount") is not None:
        values["amount"] = ctx.inputs["amount"]
    if ctx.inputs.get("due_date") is not None:
        values["due_date"] = ctx.inputs["due_date"]
    paid_on = ctx.inputs.get("paid_on")
    values["paid"] = paid_on is not None
    values["paid_on"] = paid_on
    ctx.change_invoice(invoice.id, values)
    ctx.event_data["invoice_change"] = {
        "number": invoice.number,
        "before": before,
        "after": {k: v.isoformat() if hasattr(v, "isoformat") else str(v) for k, v in values.items()},
    }


@effects.register(
    "record_collection_costs",
    inputs={"basis": "choice", "amount": "money?", "reason": "text?"},
    guards=("collection_costs_reasoned",),
)
def record_collection_costs(ctx: TransitionContext) -> None:
    """Buitengerechtelijke incassokosten as a cost line of the settlement (within the insured sum, with
    the damages they are claimed with)."""
    worked = collection_offer(ctx)
    ctx.case_data["collection_costs"] = worked
    ctx.event_data["collection_costs"] = {"basis": worked["basis"], "amount": worked["amount"]}
