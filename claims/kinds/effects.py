"""The domain's effects: what a transition does to the claim's data besides moving its state.

Effects only stage changes on the context (updates, money lines, case data, event data); the
service writes them in the transition's one transaction.
"""

from __future__ import annotations

from decimal import Decimal

from claims.kinds.context import ZERO, TransitionContext, effects
from claims.kinds.payouts import (
    SETTLEMENT_INPUTS,
    advance_amount,
    invoice_interest,
    settlement_deductible,
    settlement_parts,
    settlement_total,
)
from claims.storage.models import CostType, MoneyKind

__all__ = ["effects"]  # registered here, kept in claims.kinds.context (amount_at_stake reads it)

# Effects refuse nothing: what would refuse a transition is a guard that runs before any effect, named
# in the effect's `guards=` (workflows check holds every transition using the effect to it).


def _set_reserve(ctx: TransitionContext, cost_type: str, amount: Decimal) -> None:
    current = ctx.total(MoneyKind.reserve, cost_type)
    ctx.add_money(MoneyKind.reserve, cost_type, amount - current, "reserve")


def _pay(ctx: TransitionContext, cost_type: str, amount: Decimal, note: str, *, quoted: bool = False) -> None:
    """A payment, taken from the reserve of its cost type as far as that reaches; `quoted`: its note is
    quoted in the letters (TransitionContext.add_money)."""
    if amount <= ZERO:
        return
    ctx.add_money(MoneyKind.payment, cost_type, amount, note, quoted=quoted)
    reserve = ctx.total(MoneyKind.reserve, cost_type)
    ctx.add_money(MoneyKind.reserve, cost_type, -min(reserve, amount), "reserve afgeboekt")


def _settle(ctx: TransitionContext, amounts: dict[str, Decimal]) -> None:
    damages = amounts.get("damages", ZERO)
    deductible = settlement_deductible(ctx, amounts)
    net_damages = damages - deductible
    if deductible:
        ctx.add_money(MoneyKind.deductible, CostType.damages, deductible, "eigen risico")
    _pay(ctx, CostType.damages, net_damages, "schadevergoeding")
    _pay(ctx, CostType.interest, amounts.get("interest", ZERO), "wettelijke rente")
    _pay(ctx, CostType.defence, amounts.get("defence", ZERO), "kosten van verweer")
    for cost_type in CostType:
        _set_reserve(ctx, cost_type, ZERO)
    ctx.event_data["settlement"] = {k: str(v) for k, v in amounts.items()} | {"deductible": str(deductible)}


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
    "pay_mitigation_costs", inputs={"amount": "money", "description": "text"}, pays=_input_amount
)
def pay_mitigation_costs(ctx: TransitionContext) -> None:
    _pay(ctx, CostType.mitigation, ctx.inputs["amount"], ctx.inputs["description"], quoted=True)


@effects.register("pay_expert_costs", inputs={"amount": "money"}, pays=_input_amount)
def pay_expert_costs(ctx: TransitionContext) -> None:
    _pay(ctx, CostType.expert, ctx.inputs["amount"], "kosten expertise")


def _team_cost(ctx: TransitionContext) -> Decimal:
    cost: Decimal = ctx.inputs["cost"]
    return cost


@effects.register("pay_team", inputs={"team": "text", "cost": "money"}, pays=_team_cost)
def pay_team(ctx: TransitionContext) -> None:
    ctx.case_data.setdefault("mitigation", []).append(
        {"measure": ctx.inputs["team"], "at": ctx.now.isoformat()}
    )
    _pay(ctx, CostType.mitigation, ctx.inputs["cost"], f"team: {ctx.inputs['team']}", quoted=True)


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
    _settle(ctx, settlement_parts(ctx.inputs))
    ctx.case_data["settlement_terms"] = ctx.inputs["terms"]


@effects.register("propose_settlement", inputs=SETTLEMENT_INPUTS, guards=("settlement_within_cover",))
def propose_settlement(ctx: TransitionContext) -> None:
    amounts = settlement_parts(ctx.inputs)
    ctx.case_data["proposal"] = {
        "amounts": {k: str(v) for k, v in amounts.items()},
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
    _settle(ctx, settlement_parts(proposal["amounts"]))
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
    inputs={"ruling": "text", "dispute_costs": "money"},
    guards=("dispute_costs_within_cover",),
    pays=_dispute_costs,
)
def pay_dispute_costs(ctx: TransitionContext) -> None:
    ctx.case_data.setdefault("dispute", {})["ruling"] = ctx.inputs["ruling"]
    _pay(ctx, CostType.sgoa, ctx.inputs["dispute_costs"], "kosten geschil", quoted=True)


@effects.register("record_dpa_notification", inputs={"notified_at": "datetime", "ap_reference": "text?"})
def record_dpa_notification(ctx: TransitionContext) -> None:
    ctx.case_data["ap_notification"] = {
        "notified_at": ctx.inputs["notified_at"].isoformat(),
        "reference": ctx.inputs.get("ap_reference") or "",
    }


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
    amount = advance_amount(ctx)
    _pay(
        ctx,
        CostType.mitigation,
        amount,
        f"voorschot {ctx.inputs['share_percent']}% onbetaalde facturen",
        quoted=True,
    )
    ctx.case_data.setdefault("advances", []).append({"amount": str(amount), "at": ctx.now.isoformat()})
    ctx.event_data["advance"] = str(amount)


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
    ctx.case_data.setdefault("information_requests", []).append(
        {"questions": ctx.inputs["questions"], "answer_due": _answer_due(ctx), "at": ctx.now.isoformat()}
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
    guards=("offer_within_authority",),
    supplies=("answer_due",),
)
def record_settlement_offer(ctx: TransitionContext) -> None:
    offer = {
        "amount": str(ctx.inputs["amount"]),
        "terms": ctx.inputs["terms"],
        "answer_due": _answer_due(ctx),
        "by": ctx.actor.id,
        "at": ctx.now.isoformat(),
    }
    ctx.case_data.setdefault("settlement_offers", []).append(offer)
    ctx.event_data["offer"] = offer["amount"]
