"""What the insurer pays on a claim under a BAV policy: the money rules, each with the article it comes from
(../shared/domain/rules.md). Pure arithmetic on what a policy covers and what a claim has already paid:
the guards that refuse, the effects that book and the pages that explain all ask these functions, so they
cannot disagree about an amount.

Only damages (and the collection costs claimed with them) count against the insured sum; a settlement
above it is settled at the cover, the rest is the insured's share. The other cost types are paid outside
the insured sum, each under the policy's own cap where it has one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from notifications.formatting import euro

ZERO = Decimal("0.00")

# Counted against the insured sum per claim and per insurance year.
WITHIN_LIMIT = ("damages", "collection")
# Paid even above the insured sum, each under its own optional cap (the policy's cap_<type>).
OUTSIDE_LIMIT = ("mitigation", "expert", "defence", "sgoa", "interest")

OUTSIDE_LIMIT_RULES = {
    "mitigation": "art. 7:957 lid 3 BW: redelijke kosten van beredding, ook boven de verzekerde som",
    "expert": "art. 7:959 lid 1 BW: redelijke kosten van vaststelling van de schade (expertise)",
    "defence": "art. 7:959 lid 1 BW: kosten van verweer in en buiten rechte bij aansprakelijkheid",
    "sgoa": "art. 7:959 lid 1 BW: kosten van verweer, ook bij de SGOA",
    "interest": "polisvoorwaarden BAV: wettelijke rente over het gedekte deel van de hoofdsom",
}

NAMES = {
    "damages": "schadevergoeding",
    "collection": "incassokosten",
    "mitigation": "kosten van beredding",
    "expert": "expertisekosten",
    "defence": "kosten van verweer",
    "sgoa": "SGOA-kosten",
    "interest": "wettelijke rente",
}


class CoverRefusal(ValueError):
    """A payment the policy does not cover: the message says why, with the amounts (Dutch)."""


@dataclass(frozen=True)
class Cover:
    """What the policy covers."""

    per_claim: Decimal  # verzekerd bedrag per aanspraak
    per_year: Decimal  # per verzekeringsjaar (claims-made: the year the claim was reported)
    deductible: Decimal  # eigen risico per aanspraak
    caps: Mapping[str, Decimal | None] = field(default_factory=dict)  # cost type -> cap; None: no cap


@dataclass(frozen=True)
class Paid:
    """What the claim (with the others of its series) has paid so far, and what the policy paid within
    its limit on all claims of the same insurance year."""

    by_type: Mapping[str, Decimal]  # payments per cost type, cancelled ones taken off (the whole series)
    deductible_applied: Decimal = ZERO
    within_limit_in_year: Decimal = ZERO
    # what this claim itself paid on account of its damages (advances): deducted from its settlement; the
    # other claims of a series settled their own
    advanced: Decimal | None = None

    def of(self, cost_type: str) -> Decimal:
        return self.by_type.get(cost_type, ZERO)

    @property
    def within_limit(self) -> Decimal:
        return sum((self.of(c) for c in WITHIN_LIMIT), ZERO)


def remaining_cover(cover: Cover, paid: Paid) -> Decimal:
    """What the insured sum still holds for this claim: the cover per claim less what the claim (its
    series: one claim for the limit) paid within the limit, and never more than the year's aggregate
    leaves. Art. 7:959 lid 1 and 7:957 lid 3 BW name the insured sum as the limit the other costs may pass;
    the sums per claim (aanspraak) and per insurance year are the BAV policy's (rules.md, "7:957 BW")."""
    per_claim = cover.per_claim - paid.within_limit
    per_year = cover.per_year - paid.within_limit_in_year
    return max(min(per_claim, per_year), ZERO)


def deductible_due(cover: Cover, paid: Paid, damages: Decimal) -> Decimal:
    """The eigen risico this payment of damages bears: once per claim, and once for a series of related
    claims (one claim under the policy), never more than the damages. No article: the eigen risico per
    aanspraak is the BAV policy's own term (rules.md, "Policy" and "Money by cost type")."""
    left = max(cover.deductible - paid.deductible_applied, ZERO)
    return min(left, max(damages, ZERO))


def room_outside_limit(cover: Cover, paid: Paid, cost_type: str) -> Decimal | None:
    """What may still be paid of a cost type outside the insured sum: None without a cap (7:957 lid 3,
    7:959 lid 1 BW: even above the insured sum); with the policy's cap, the cap less what was paid (7:963
    lid 2 BW lets a policy not taken by a consumer deviate)."""
    cap = cover.caps.get(cost_type)
    if cap is None:
        return None
    return max(cap - paid.of(cost_type), ZERO)


def check_outside_limit(cover: Cover, paid: Paid, cost_type: str, amount: Decimal) -> None:
    """CoverRefusal when a cost paid outside the insured sum goes above the policy's cap for it."""
    room = room_outside_limit(cover, paid, cost_type)
    if room is not None and amount > room:
        cap = cover.caps[cost_type]
        assert cap is not None
        raise CoverRefusal(
            f"{NAMES[cost_type].capitalize()} {euro(amount)} gaat boven het maximum van de polis "
            f"({euro(cap)}; nog {euro(room)} beschikbaar)."
        )


def check_within_limit(cover: Cover, paid: Paid, amount: Decimal) -> None:
    """CoverRefusal when a payment on account of damages (an advance, collection costs) does not fit
    the cover per claim or the year's aggregate: an advance is paid on the cover, never beside it
    (rules.md, "Advances": a voorschot is a payment on account of damages; art. 7:959 lid 1 BW leaves only
    the costs beside the insured sum)."""
    if amount <= ZERO:
        return
    if paid.within_limit + amount > cover.per_claim:
        raise CoverRefusal(
            f"Uitkering {euro(paid.within_limit + amount)} gaat boven het verzekerd bedrag per aanspraak "
            f"({euro(cover.per_claim)}); er is nog {euro(remaining_cover(cover, paid))} beschikbaar."
        )
    if paid.within_limit_in_year + amount > cover.per_year:
        raise CoverRefusal(
            f"Uitkeringen op deze polis in dit verzekeringsjaar komen op "
            f"{euro(paid.within_limit_in_year + amount)}, boven het verzekerd bedrag per jaar "
            f"({euro(cover.per_year)})."
        )


@dataclass(frozen=True)
class Settlement:
    """A settlement worked out under the cover."""

    damages: Decimal  # agreed with the claimant, before the deductible
    collection: Decimal  # buitengerechtelijke incassokosten claimed with them (within the limit)
    deductible: Decimal  # the insured's eigen risico in it
    covered: Decimal  # the damages the insurer bears in all: advances included, at most the cover
    advanced: Decimal  # paid on account before (voorschotten), deducted here
    insured_share: Decimal  # above the cover: the insured bears it
    deductible_in_full: bool  # the claimant is paid the deductible too; the insurer collects it
    pay_damages: Decimal  # the damages paid now, against the cover
    pay_collection: Decimal  # the collection costs paid now
    pay_deductible: Decimal  # the deductible paid to the claimant for the insured (in full), to collect

    @property
    def pay_within_limit(self) -> Decimal:
        """What this settlement pays now against the insured sum (the deductible paid for the insured
        aside: the insurer collects it)."""
        return self.covered - self.advanced


def settle(
    cover: Cover,
    paid: Paid,
    damages: Decimal,
    *,
    collection: Decimal = ZERO,
    deductible_in_full: bool = False,
) -> Settlement:
    """The damages of a settlement under the cover. The deductible comes off first (once per claim or
    series); what is left counts against the insured sum per claim and per year, advances included
    (they are payments on account of damages, deducted here); above the cover the insurer pays the cover
    and the insured bears the rest, never a refusal (rules.md, "7:957 BW": a claim above the cover is
    settled at the cover; the insured sum bounds the damages, art. 7:959 lid 1 BW only the costs beside it).
    With `deductible_in_full` the claimant is paid the deductible as well and the insurer collects it
    from the insured (it is no part of the cover). Collection costs claimed with the damages count
    against the cover with them. CoverRefusal when the advances already paid are more than the damages
    agreed: the difference would have to be paid back first."""
    if damages < ZERO or collection < ZERO:
        raise CoverRefusal("De schadevergoeding kan niet negatief zijn.")
    deductible = deductible_due(cover, paid, damages)
    net = damages - deductible + collection
    advanced = paid.within_limit if paid.advanced is None else paid.advanced
    covered = min(net, advanced + remaining_cover(cover, paid))
    if covered < advanced:
        raise CoverRefusal(
            f"Er is al {euro(advanced)} voorgeschoten op de schadevergoeding, meer dan de regeling na "
            f"eigen risico ({euro(net)}): regel eerst de terugbetaling."
        )
    now = covered - advanced
    # the collection costs first: a share above the cover comes off the damages
    pay_collection = min(collection, now)
    pay = now - pay_collection
    return Settlement(
        damages=damages,
        collection=collection,
        deductible=deductible,
        covered=covered,
        advanced=advanced,
        insured_share=net - covered,
        deductible_in_full=deductible_in_full,
        pay_damages=pay,
        pay_collection=pay_collection,
        pay_deductible=deductible if deductible_in_full else ZERO,
    )
