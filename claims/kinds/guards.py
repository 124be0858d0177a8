"""The domain's guards: each returns None to pass, or the reason (Dutch) the transition is refused."""

from __future__ import annotations

from decimal import Decimal

from claims.kinds.context import ZERO, TransitionContext
from claims.kinds.payouts import (
    SETTLEMENT_INPUTS,
    SETTLEMENT_PARTS,
    advance_target,
    advanced_so_far,
    cover_refusal,
    invoice_interest,
    settlement_parts,
    settlement_total,
    settlement_within_limits,
    unpaid_net,
)
from claims.storage.models import MoneyKind
from notifications.formatting import euro
from workflow.errors import InvalidInput
from workflow.guards import GuardRegistry

guards: GuardRegistry[TransitionContext] = GuardRegistry()

_SETTLEMENT_AMOUNTS = {k: SETTLEMENT_INPUTS[k] for k in SETTLEMENT_PARTS}


@guards.register("within_authority_limit")
def within_authority_limit(ctx: TransitionContext) -> str | None:
    limit = ctx.actor.authority_limit
    if limit is None:  # no authority to pay at all: known before any amount is typed
        return "U heeft geen bevoegdheid om te betalen: leg het voor aan een manager."
    amount = ctx.amount_at_stake()
    if amount > limit:
        return (
            f"Bedrag {euro(amount)} gaat boven uw bevoegdheid ({euro(limit)}); "
            "leg het voor aan een manager (bij een regeling: ter goedkeuring voorleggen)."
        )
    return None


@guards.register("above_authority_limit", inputs=_SETTLEMENT_AMOUNTS)
def above_authority_limit(ctx: TransitionContext) -> str | None:
    limit = ctx.actor.authority_limit
    amount = settlement_total(ctx.inputs)
    if limit is not None and amount <= limit:
        return f"Bedrag € {amount} valt binnen uw bevoegdheid (€ {limit}): stel de regeling zelf vast."
    return None


@guards.register("four_eyes", role="manager")  # the second pair of eyes: a manager's
def four_eyes(ctx: TransitionContext) -> str | None:
    proposal = ctx.case_data.get("proposal")
    if not proposal:
        return "Er ligt geen regeling ter goedkeuring."
    if proposal["proposed_by"] == ctx.actor.id:
        return "Vier ogen: wie de regeling voorstelt, keurt haar niet zelf goed."
    if ctx.transition.approval:
        amount = Decimal(proposal["total"])
        limit = ctx.actor.authority_limit
        if limit is None or amount > limit:
            return f"Bedrag € {amount} gaat ook boven uw bevoegdheid (€ {limit or 0})."
    return None


@guards.register("expert_report_present")
def expert_report_present(ctx: TransitionContext) -> str | None:
    return None if ctx.case_data.get("expert_report") else "Er is nog geen expertiserapport."


@guards.register("reasons_given", inputs={"reasons": "text"})
def reasons_given(ctx: TransitionContext) -> str | None:
    reasons = str(ctx.inputs.get("reasons", ""))
    if len(reasons) < ctx.rules.min_reason_length:
        return (
            "Een afwijzing moet ondubbelzinnig en gemotiveerd zijn: "
            f"geef ten minste {ctx.rules.min_reason_length} tekens motivering."
        )
    return None


@guards.register("no_open_reserve")
def no_open_reserve(ctx: TransitionContext) -> str | None:
    open_reserve = ctx.total(MoneyKind.reserve)
    if open_reserve != ZERO:
        return f"Er staat nog € {open_reserve} aan reserve open: breng die eerst terug naar nul."
    return None


@guards.register("small_claim")
def small_claim(ctx: TransitionContext) -> str | None:
    if ctx.claim.amount_claimed > ctx.rules.fast_track_limit:
        return f"De snelle route geldt tot € {ctx.rules.fast_track_limit}; deze claim is groter."
    return None


@guards.register("has_unpaid_invoices")
def has_unpaid_invoices(ctx: TransitionContext) -> str | None:
    return None if ctx.unpaid_invoices() else "Er zijn geen onbetaalde facturen vastgelegd."


@guards.register("settlement_within_cover", inputs=_SETTLEMENT_AMOUNTS)
def settlement_within_cover(ctx: TransitionContext) -> str | None:
    """The settlement typed in (paid now or proposed for approval) fits the cover."""
    return cover_refusal(ctx, settlement_within_limits(ctx, settlement_parts(ctx.inputs)))


@guards.register("proposal_within_cover")
def proposal_within_cover(ctx: TransitionContext) -> str | None:
    """The settlement on the table still fits the cover (other claims on the policy may have been paid
    since it was proposed)."""
    proposal = ctx.case_data.get("proposal")
    if not proposal:
        return "Er ligt geen regeling ter goedkeuring."
    return cover_refusal(ctx, settlement_within_limits(ctx, settlement_parts(proposal["amounts"])))


@guards.register("dispute_costs_within_cover", inputs={"dispute_costs": "money"})
def dispute_costs_within_cover(ctx: TransitionContext) -> str | None:
    costs: Decimal = ctx.inputs["dispute_costs"]
    return cover_refusal(ctx, costs)


@guards.register("deduction_within_unpaid", inputs={"deduction": "money?"})
def deduction_within_unpaid(ctx: TransitionContext) -> str | None:
    if unpaid_net(ctx) < ZERO:
        raise InvalidInput({"deduction": "aftrek is groter dan de onbetaalde facturen"})
    return None


@guards.register("advance_above_paid", inputs={"share_percent": "percent", "deduction": "money?"})
def advance_above_paid(ctx: TransitionContext) -> str | None:
    """A further advance pays only the difference with what was advanced: there must be one."""
    target, already = advance_target(ctx), advanced_so_far(ctx)
    if target <= already:
        share = ctx.inputs["share_percent"]
        return (
            f"Er is al {euro(already)} voorgeschoten; {share}% van de onbetaalde facturen is {euro(target)}."
        )
    return None


@guards.register("interest_rates_known")
def interest_rates_known(ctx: TransitionContext) -> str | None:
    try:
        invoice_interest(ctx)
    except ValueError as exc:
        return f"Rente niet te berekenen: {exc}; vul de tabel met rentestanden aan."
    return None


@guards.register("other_handler", inputs={"handler": "user"})
def other_handler(ctx: TransitionContext) -> str | None:
    chosen = ctx.user_by_email(ctx.inputs["handler"])
    if chosen is not None and chosen.id == ctx.claim.handler_id:
        raise InvalidInput({"handler": f"{chosen.email} behandelt deze claim al"})
    return None


POSITIONS_NEEDING_REASONS = ("betwist", "afgewezen")


@guards.register("position_reasoned", inputs={"position": "choice", "reasons": "text?"})
def position_reasoned(ctx: TransitionContext) -> str | None:
    """Disputing or rejecting liability is reasoned, as a rejection of cover is."""
    if ctx.inputs["position"] not in POSITIONS_NEEDING_REASONS:
        return None
    if len(str(ctx.inputs.get("reasons") or "")) < ctx.rules.min_reason_length:
        raise InvalidInput(
            {
                "reasons": "wie de aansprakelijkheid betwist of afwijst, motiveert dat: geef ten minste "
                f"{ctx.rules.min_reason_length} tekens"
            }
        )
    return None


@guards.register("offer_within_authority", inputs={"amount": "money"})
def offer_within_authority(ctx: TransitionContext) -> str | None:
    """An offer binds the insurer once accepted: only within the offerer's authority."""
    limit = ctx.actor.authority_limit
    if limit is None:
        return "U heeft geen bevoegdheid om een schikking aan te bieden: leg het voor aan een manager."
    amount: Decimal = ctx.inputs["amount"]
    if amount > limit:
        return f"Aanbod {euro(amount)} gaat boven uw bevoegdheid ({euro(limit)}): laat een manager het doen."
    return None
