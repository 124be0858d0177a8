"""The domain's guards: each returns None to pass, or the reason (Dutch) the transition is refused."""

from __future__ import annotations

from decimal import Decimal

from claims.kinds.context import ZERO, TransitionContext
from claims.storage.models import MoneyKind
from notifications.formatting import euro
from workflow.guards import GuardRegistry

guards: GuardRegistry[TransitionContext] = GuardRegistry()

SETTLEMENT_PARTS = ("damages", "interest", "defence")
# what settling or proposing a settlement reads: the damages, what else is paid with them, the terms
SETTLEMENT_INPUTS = {"damages": "money", "interest": "money?", "defence": "money?", "terms": "text"}


def settlement_total(values: dict[str, object]) -> Decimal:
    return sum((Decimal(str(values[k])) for k in SETTLEMENT_PARTS if values.get(k) is not None), ZERO)


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


@guards.register("above_authority_limit", inputs={k: SETTLEMENT_INPUTS[k] for k in SETTLEMENT_PARTS})
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
