"""Buitengerechtelijke incassokosten: the compensation for collecting a money debt out of court (6:96 lid
2 onder c BW), set by the Besluit vergoeding voor buitengerechtelijke incassokosten (Stb. 2012, 141) as a
sliding scale (staffel) over the principal (hoofdsom), and the EUR 40 a commercial debtor owes per
late-paid claim (6:96 lid 4 BW).

The scale is data (BIK_SCALE): a correction is one edit there, with its source beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Tier:
    """`percent` of the part of the principal up to `upto` (None: everything above the tier before)."""

    upto: Decimal | None
    percent: Decimal


@dataclass(frozen=True)
class BikScale:
    tiers: tuple[Tier, ...]
    minimum: Decimal
    maximum: Decimal
    source: str


BIK_SCALE = BikScale(
    tiers=(
        Tier(Decimal("2500"), Decimal("15")),
        Tier(Decimal("5000"), Decimal("10")),
        Tier(Decimal("10000"), Decimal("5")),
        Tier(Decimal("200000"), Decimal("1")),
        Tier(None, Decimal("0.5")),
    ),
    minimum=Decimal("40.00"),
    maximum=Decimal("6775.00"),
    source="Besluit vergoeding voor buitengerechtelijke incassokosten (Stb. 2012, 141), art. 2 lid 1 and 2",
)

B2B_LUMP_SUM = Decimal("40.00")


@dataclass(frozen=True)
class TierAmount:
    """One line of the scale as a page shows it: `percent` of the principal from `start` to `end`."""

    start: Decimal
    end: Decimal
    percent: Decimal
    amount: Decimal


@dataclass(frozen=True)
class BikResult:
    """What `bik_scale` found: the tiers the principal reaches, their sum, and the amount due after the
    minimum and maximum (`minimum_applied`, `maximum_applied` say which one set it)."""

    principal: Decimal
    tiers: tuple[TierAmount, ...]
    scale_total: Decimal
    amount: Decimal
    minimum_applied: bool
    maximum_applied: bool
    source: str


def bik_scale(principal: Decimal, scale: BikScale = BIK_SCALE) -> BikResult:
    """Buitengerechtelijke incassokosten over `principal` by the staffel of art. 2 lid 1 of the Besluit
    vergoeding voor buitengerechtelijke incassokosten, at least EUR 40 (lid 2), at most EUR 6,775.

    ValueError for a principal of zero or less (there is nothing to collect, and a zero would otherwise
    come out as the EUR 40 minimum) or one in fractions of a cent. The VAT increase of lid 3 (a creditor
    who cannot deduct VAT) is not applied here."""
    if principal <= 0:
        raise ValueError(f"incassokosten need a principal above zero, not {principal}")
    if principal != principal.quantize(CENT):
        raise ValueError(f"principal {principal} is not a whole number of cents")
    lines: list[TierAmount] = []
    start = Decimal(0)
    for tier in scale.tiers:
        if principal <= start:
            break
        end = principal if tier.upto is None else min(principal, tier.upto)
        # Only the tier the principal ends in can have a fraction of a cent (the full tiers are whole
        # euros), so rounding each line is the same as rounding the sum once, and the lines add up.
        amount = ((end - start) * tier.percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        lines.append(TierAmount(start.quantize(CENT), end.quantize(CENT), tier.percent, amount))
        start = end
    scale_total = sum((line.amount for line in lines), ZERO)
    amount = min(max(scale_total, scale.minimum), scale.maximum)
    return BikResult(
        principal=principal,
        tiers=tuple(lines),
        scale_total=scale_total,
        amount=amount,
        minimum_applied=scale_total < scale.minimum,
        maximum_applied=scale_total > scale.maximum,
        source=scale.source,
    )


def commercial_lump_sum(invoice_count: int) -> Decimal:
    """The fixed EUR 40 of 6:96 lid 4 BW (art. 6 of Directive 2011/7/EU) a debtor under a commercial
    contract (6:119a BW) owes for each claim it paid late: per invoice, also when several invoices are
    claimed together (CJEU 20 October 2022, C-585/20, BFF Finance Iberia).

    The law makes it a floor ("ten minste"): it compensates the collection costs of that invoice, it is no
    supplement to a scale amount claimed for the same invoice. ValueError for a negative count."""
    if invoice_count < 0:
        raise ValueError(f"invoice count cannot be negative: {invoice_count}")
    return B2B_LUMP_SUM * invoice_count
