"""Authority: who may pay and reserve how much on one claim alone, and when a second pair of eyes is needed.

A handler's limit weighs the sum of what they pay on one claim on their own authority, the new payment
included (never one payment at a time), the reserve they set, and a settlement offer they make. No
reserve goes above what the cover still holds for its cost type without a manager. Above either, the
transition is not refused: it becomes a proposal that a manager approves or rejects (four eyes: never
the proposer; a manager whose own limit it passes leaves it to another manager). See
../shared/domain/rules.md, "Authority".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from claims.kinds.context import ZERO, TransitionContext
from claims.money.cover import NAMES, WITHIN_LIMIT, remaining_cover, room_outside_limit
from claims.storage.models import MoneyKind, Role, User
from notifications.formatting import euro


@dataclass(frozen=True)
class Weighed:
    """What a transition pays and reserves, against its actor's authority on the claim."""

    pays: Decimal  # paid by this transition
    paid_before: Decimal  # what the actor paid on the claim on their own authority before
    reserve_after: Decimal | None  # the claim's open reserve after it, when it raised a reserve
    limit: Decimal | None
    offered: Decimal | None = None  # a settlement offer it makes
    over_authority: list[str] = field(default_factory=list)  # why the actor's authority does not reach
    over_cover: list[str] = field(default_factory=list)  # reserves above the remaining cover

    @property
    def needs_manager(self) -> bool:
        return bool(self.over_authority or self.over_cover)

    @property
    def amount(self) -> Decimal:
        """What an approver's own authority must cover: the payments, or else the offer, or else the
        reserve."""
        if self.pays > ZERO:
            return self.pays
        return self.offered if self.offered is not None else (self.reserve_after or ZERO)

    def as_dict(self) -> dict[str, Any]:
        return {
            "pays": str(self.pays),
            "paid_before": str(self.paid_before),
            "reserve_after": None if self.reserve_after is None else str(self.reserve_after),
            "limit": None if self.limit is None else str(self.limit),
            "offered": None if self.offered is None else str(self.offered),
            "over_authority": self.over_authority,
            "over_cover": self.over_cover,
        }


def weigh(ctx: TransitionContext, actor: User) -> Weighed:
    """Weigh what `ctx` has staged against `actor`'s authority on the claim. An expert holds no purse:
    the invoice their report reserves is weighed when a handler pays it."""
    pays = sum((m["amount"] for m in ctx.money if m["kind"] == MoneyKind.payment and m["amount"] > 0), ZERO)
    raised = sorted({m["cost_type"] for m in ctx.money if m["kind"] == MoneyKind.reserve and m["amount"] > 0})
    limit = actor.authority_limit
    offered = ctx.offered
    if actor.role == Role.expert:
        return Weighed(pays, ZERO, None, limit, offered)
    before = ctx.paid_on_own_authority(actor.id) if actor.id is not None and pays > ZERO else ZERO
    reserve_after = ctx.total(MoneyKind.reserve) if raised else None
    over_authority: list[str] = []
    over_cover: list[str] = []
    if pays > ZERO:
        if limit is None:
            over_authority.append("U heeft geen bevoegdheid om te betalen.")
        elif before + pays > limit:
            over_authority.append(
                f"Uw betalingen op deze claim komen op {euro(before + pays)} (al {euro(before)}, nu "
                f"{euro(pays)}), boven uw bevoegdheid van {euro(limit)}."
            )
    if offered is not None:
        if limit is None:
            over_authority.append("U heeft geen bevoegdheid om een schikking aan te bieden.")
        elif offered > limit:
            over_authority.append(
                f"Het aanbod van {euro(offered)} gaat boven uw bevoegdheid van {euro(limit)}."
            )
    if reserve_after is not None:
        if limit is None:
            over_authority.append("U heeft geen bevoegdheid om reserves te zetten.")
        elif reserve_after > limit:
            over_authority.append(
                f"De reserve op deze claim komt op {euro(reserve_after)}, boven uw bevoegdheid van "
                f"{euro(limit)}."
            )
        if actor.role != Role.manager:
            over_cover.extend(_above_cover(ctx, raised))
    return Weighed(pays, before, reserve_after, limit, offered, over_authority, over_cover)


def _above_cover(ctx: TransitionContext, cost_types: list[str]) -> list[str]:
    """Reserves that go above what the cover still holds for their cost type."""
    cover, paid = ctx.cover(), ctx.paid()
    out = []
    within = sum((ctx.total(MoneyKind.reserve, c) for c in WITHIN_LIMIT), ZERO)
    if any(c in WITHIN_LIMIT for c in cost_types):
        left = remaining_cover(cover, paid)
        if within > left:
            out.append(
                f"Reserve schadevergoeding {euro(within)} gaat boven de resterende dekking ({euro(left)})."
            )
    for cost_type in cost_types:
        if cost_type in WITHIN_LIMIT:
            continue
        room = room_outside_limit(cover, paid, cost_type)
        reserve = ctx.total(MoneyKind.reserve, cost_type)
        if room is not None and reserve > room:
            out.append(
                f"Reserve {NAMES[cost_type]} {euro(reserve)} gaat boven het maximum van de polis "
                f"(nog {euro(room)})."
            )
    return out


def approver_refusal(weighed: Weighed, approver: User) -> str | None:
    """Why `approver` may not approve what was weighed for them (their own authority on the claim), or
    None; the remaining-cover rule is what a manager's approval answers."""
    if approver.role != Role.manager:
        return "Alleen een manager keurt een voorstel goed."
    if weighed.over_authority:
        return "Dit gaat ook boven uw eigen bevoegdheid: een andere manager moet het goedkeuren. " + " ".join(
            weighed.over_authority
        )
    return None
