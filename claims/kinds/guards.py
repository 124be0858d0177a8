"""The domain's guards: each returns None to pass, or the reason (Dutch) the transition is refused."""

from __future__ import annotations

from decimal import Decimal

from claims.kinds.claims_made import check_claims_made
from claims.kinds.context import ZERO, TransitionContext
from claims.kinds.payouts import (
    SETTLEMENT_INPUTS,
    SETTLEMENT_PARTS,
    advance_amount,
    advance_target,
    advanced_so_far,
    computed_interest,
    cover_refusal,
    invoice_interest,
    settlement_interest,
    settlement_of,
    settlement_total,
    unpaid_net,
)
from claims.money.cover import CoverRefusal
from claims.storage.models import MoneyKind, Role
from notifications.formatting import euro
from workflow.errors import InvalidInput
from workflow.guards import GuardRegistry

guards: GuardRegistry[TransitionContext] = GuardRegistry()

_SETTLEMENT_AMOUNTS = {k: SETTLEMENT_INPUTS[k] for k in SETTLEMENT_PARTS}


@guards.register("within_authority_limit")
def within_authority_limit(ctx: TransitionContext) -> str | None:
    """Kept for the spec versions 1 and 2 that name it. Authority is no longer a refusal: the service
    weighs every transition that pays or reserves against its actor's authority on the claim (the sum
    of their payments, the reserve; claims.kinds.authority) and holds one above it as a proposal for a
    manager, whatever its version."""
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


def _settlement_refusal(ctx: TransitionContext, values: dict[str, object]) -> str | None:
    """Why the policy does not pay this settlement as given, or None. Above the cover is no refusal (the
    insurer pays the cover, the insured bears the rest); advances above the settlement are, and so are
    interest and defence costs above a cap of the policy."""
    try:
        worked = settlement_of(ctx, values)
        interest = settlement_interest(ctx, values, worked)
    except CoverRefusal as exc:
        return str(exc)
    except ValueError as exc:
        return f"Rente niet te berekenen: {exc}; vul de tabel met rentestanden aan."
    for cost_type, amount in (("interest", interest["total"]), ("defence", values.get("defence"))):
        over_cap = cover_refusal(ctx, cost_type, Decimal(str(amount or 0)))
        if over_cap:
            return over_cap
    return None


@guards.register("settlement_within_cover", inputs=_SETTLEMENT_AMOUNTS | {"deductible_in_full": "boolean?"})
def settlement_within_cover(ctx: TransitionContext) -> str | None:
    """The settlement typed in (paid now or proposed for approval) is one the policy pays."""
    return _settlement_refusal(ctx, dict(ctx.inputs))


@guards.register("proposal_within_cover")
def proposal_within_cover(ctx: TransitionContext) -> str | None:
    """The settlement on the table is still one the policy pays (other claims on the policy may have
    been paid since it was proposed)."""
    proposal = ctx.case_data.get("proposal")
    if not proposal:
        return "Er ligt geen regeling ter goedkeuring."
    return _settlement_refusal(ctx, dict(proposal["amounts"]))


@guards.register("dispute_costs_within_cover", inputs={"dispute_costs": "money"})
def dispute_costs_within_cover(ctx: TransitionContext) -> str | None:
    """SGOA and procedure costs are defence costs, paid beside the insured sum (7:959 lid 1 BW), under
    the policy's cap for them if it has one."""
    costs: Decimal = ctx.inputs["dispute_costs"]
    return cover_refusal(ctx, "sgoa", costs)


@guards.register(
    "advance_within_cover",
    inputs={"amount": "money?", "booked_as": "choice?", "share_percent": "percent?", "deduction": "money?"},
)
def advance_within_cover(ctx: TransitionContext) -> str | None:
    """An advance on account of the damages is paid on the cover: it must fit what the cover per claim
    and per year still holds. One booked as mitigation is paid beside it, under the mitigation cap."""
    if ctx.inputs.get("booked_as") == "beredding":
        return cover_refusal(ctx, "mitigation", advance_amount(ctx))
    amount = ctx.inputs["amount"] if ctx.inputs.get("amount") is not None else advance_amount(ctx)
    return cover_refusal(ctx, "damages", amount)


@guards.register("mitigation_within_cap", inputs={"amount": "money?", "cost": "money?"})
def mitigation_within_cap(ctx: TransitionContext) -> str | None:
    """Mitigation costs are paid even above the insured sum (7:957 lid 3 BW), under the policy's cap for
    them if it has one (7:963 lid 2 BW)."""
    amount = ctx.inputs.get("amount") if ctx.inputs.get("amount") is not None else ctx.inputs.get("cost")
    return cover_refusal(ctx, "mitigation", Decimal(str(amount or 0)))


@guards.register("expert_costs_within_cap", inputs={"amount": "money"})
def expert_costs_within_cap(ctx: TransitionContext) -> str | None:
    """Costs of establishing the damage are paid even above the insured sum (7:959 lid 1 BW), under the
    policy's cap for them if it has one."""
    amount: Decimal = ctx.inputs["amount"]
    return cover_refusal(ctx, "expert", amount)


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


@guards.register("statutory_rates_known")
def statutory_rates_known(ctx: TransitionContext) -> str | None:
    """The interest the settlement would pay can be worked out with the rate table (6:119, 6:119a)."""
    try:
        computed_interest(ctx, None)
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


@guards.register("claims_made_or_reasoned", inputs={"cover_reason": "text?"})
def claims_made_or_reasoned(ctx: TransitionContext) -> str | None:
    """Claims-made: reported within the policy period and an error on or after the retroactive date.
    Outside it cover is confirmed only by a manager who gives a reason, never silently. Once cover was
    decided on the claim (record_cover_decision) later steps into paying states go on from it."""
    if "cover_decision" in ctx.case_data:
        return None
    check = check_claims_made(ctx.policy(), ctx.claim.date_error, ctx.claim.date_reported)
    if check.covered:
        return None
    found = " ".join(check.findings())
    if ctx.actor.role != Role.manager:
        return f"Buiten de claims-made-dekking: {found} Alleen een manager kan toch dekking bevestigen."
    reason = str(ctx.inputs.get("cover_reason") or "")
    if len(reason) < ctx.rules.min_reason_length:
        raise InvalidInput(
            {
                "cover_reason": f"buiten de claims-made-dekking ({found}): geef ten minste "
                f"{ctx.rules.min_reason_length} tekens reden om toch te dekken"
            }
        )
    return None


@guards.register("series_claim_valid", inputs={"series_reference": "text"})
def series_claim_valid(ctx: TransitionContext) -> str | None:
    """A series is claims on one policy: another claim, not already of another series."""
    reference = ctx.inputs["series_reference"].strip().upper()
    first = ctx.claim_by_reference(reference)
    if first is None:
        raise InvalidInput({"series_reference": f"claim {reference} bestaat niet"})
    if first.id == ctx.claim.id:
        raise InvalidInput({"series_reference": "een claim vormt geen reeks met zichzelf"})
    if first.policy_id != ctx.claim.policy_id:
        raise InvalidInput({"series_reference": f"claim {reference} valt onder een andere polis"})
    if ctx.claim.series_id is not None:
        return "Deze claim hoort al bij een reeks."
    return None


@guards.register(
    "interest_override_by_manager", inputs={"interest_override": "money?", "interest_reason": "text?"}
)
def interest_override_by_manager(ctx: TransitionContext) -> str | None:
    """The interest is computed; only a manager sets another amount, and says why."""
    if ctx.inputs.get("interest_override") is None:
        return None
    if ctx.actor.role != Role.manager:
        raise InvalidInput(
            {"interest_override": "alleen een manager kan een afwijkend rentebedrag vaststellen"}
        )
    if len(str(ctx.inputs.get("interest_reason") or "")) < ctx.rules.min_reason_length:
        raise InvalidInput(
            {
                "interest_reason": f"geef ten minste {ctx.rules.min_reason_length} tekens reden voor "
                "het afwijkende bedrag"
            }
        )
    return None


@guards.register("deductible_outstanding", inputs={"amount": "money"})
def deductible_outstanding(ctx: TransitionContext) -> str | None:
    """There is a deductible to collect from the insured, and no more is received than is due."""
    due = ctx.total(MoneyKind.deductible_due)
    if due <= ZERO:
        return "Er staat geen eigen risico open om op de verzekerde te verhalen."
    if ctx.inputs["amount"] > due:
        raise InvalidInput({"amount": f"er staat {euro(due)} eigen risico open, niet meer"})
    return None


@guards.register("invoice_known", inputs={"number": "text", "paid_on": "date?", "due_date": "date?"})
def invoice_known(ctx: TransitionContext) -> str | None:
    if not any(i.number == ctx.inputs["number"] for i in ctx.invoices()):
        known = ", ".join(i.number for i in ctx.invoices()) or "geen"
        raise InvalidInput({"number": f"geen factuur {ctx.inputs['number']} bij deze claim (wel: {known})"})
    return None


@guards.register(
    "collection_costs_reasoned", inputs={"basis": "choice", "amount": "money?", "reason": "text?"}
)
def collection_costs_reasoned(ctx: TransitionContext) -> str | None:
    """A scale needs an unpaid principal; an amount other than the law's needs the amount and a reason
    (between businesses the contract may deviate from the Besluit)."""
    basis = ctx.inputs["basis"]
    if basis in ("staffel", "forfait") and not ctx.unpaid_invoices():
        return "Er zijn geen onbetaalde facturen om incassokosten over te berekenen."
    if basis == "afwijkend":
        errors = {}
        if ctx.inputs.get("amount") is None:
            errors["amount"] = "vul het afwijkende bedrag in"
        if len(str(ctx.inputs.get("reason") or "")) < ctx.rules.min_reason_length:
            errors["reason"] = (
                f"geef ten minste {ctx.rules.min_reason_length} tekens reden (bijv. het artikel van de "
                "overeenkomst)"
            )
        if errors:
            raise InvalidInput(errors)
    return None


@guards.register("information_request_open")
def information_request_open(ctx: TransitionContext) -> str | None:
    if not ctx.open_information_requests():
        return "Er staat geen informatieverzoek open waarop dit het antwoord is."
    return None


@guards.register("date_not_in_future", inputs={"negotiated_on": "date"})
def date_not_in_future(ctx: TransitionContext) -> str | None:
    if ctx.inputs["negotiated_on"] > ctx.now.astimezone(ctx.tz).date():
        raise InvalidInput({"negotiated_on": "ligt in de toekomst"})
    return None


@guards.register("notified_after_awareness", inputs={"notified_at": "datetime"})
def notified_after_awareness(ctx: TransitionContext) -> str | None:
    """AVG art. 33: the notification moment entered meets the clock, so it must be a real one: not
    before the breach was discovered, not in the future."""
    notified = ctx.inputs["notified_at"]
    aware = ctx.claim.awareness_at
    if aware is not None and notified < aware:
        shown = aware.astimezone(ctx.tz).strftime("%d-%m-%Y %H:%M")
        raise InvalidInput({"notified_at": f"ligt voor het moment waarop het datalek ontdekt is ({shown})"})
    if notified > ctx.now:
        raise InvalidInput({"notified_at": "ligt in de toekomst"})
    return None
