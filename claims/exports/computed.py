"""What the engine worked out when a transition fired, as the Dutch sentence an export's "Toelichting"
adds to what the person typed: a settlement's parts (damages, eigen risico, advances, the insured's share)
and the statutory interest it paid, an unpaid-fee claim's computed interest, a settlement offer's answer
day. The figures come from the event's data (claims.kinds.effects), so they are those of that moment."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from notifications.formatting import euro, long_date

# Markers in an event's JSON text: an event without any of them has nothing computed to show, and its
# data need not be parsed for it.
MARKERS = ('"settlement":', '"invoice_interest_total":', '"answer_due":', '"collection_costs":')

# A settlement's parts in the order a reader follows the sum; shown only when not zero.
SETTLEMENT_PARTS: tuple[tuple[str, str], ...] = (
    ("damages", "schade"),
    ("deductible", "eigen risico"),
    ("collection", "buitengerechtelijke incassokosten"),
    ("covered", "gedekt"),
    ("advanced", "voorschot in mindering"),
    ("insured_share", "voor rekening verzekerde"),
    ("pay_damages", "uit te keren schadevergoeding"),
    ("pay_collection", "uit te keren incassokosten"),
    ("pay_deductible", "voorgeschoten eigen risico"),
)
INTEREST_BASES = {"6:119": "art. 6:119 BW", "6:119a": "art. 6:119a BW"}


def computed_text(data: Mapping[str, Any]) -> str:
    """The computed figures in `data` (an event's data) as Dutch text, '' when there are none."""
    parts: list[str] = []
    settlement = data.get("settlement")
    if isinstance(settlement, Mapping):
        parts += _settlement(settlement, data.get("interest"))
    if data.get("invoice_interest_total") is not None:
        parts.append(
            f"berekende wettelijke handelsrente (art. 6:119a BW): {_euro(data['invoice_interest_total'])}"
        )
    costs = data.get("collection_costs")
    if isinstance(costs, Mapping) and costs.get("amount") is not None:
        parts.append(f"incassokosten: {_euro(costs['amount'])}")
    if data.get("answer_due"):
        parts.append(f"antwoord uiterlijk: {_day(data['answer_due'])}")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:]


def _settlement(settlement: Mapping[str, Any], interest: Any) -> list[str]:
    out = []
    for key, label in SETTLEMENT_PARTS:
        amount = _amount(settlement.get(key))
        if amount:
            extra = (
                " (te verhalen op verzekerde)"
                if key == "deductible" and settlement.get("deductible_in_full")
                else ""
            )
            out.append(f"{label}{extra}: {euro(amount)}")
    out.append(_interest(interest if isinstance(interest, Mapping) else {}, settlement.get("interest")))
    defence = _amount(settlement.get("defence"))
    if defence:
        out.append(f"kosten van verweer: {euro(defence)}")
    return out


def _interest(interest: Mapping[str, Any], total: Any) -> str:
    amount = _euro(interest.get("total", total) or "0")
    basis = interest.get("basis")
    if basis == "getypt":
        return f"wettelijke rente (ingevuld): {amount}"
    if basis == "handmatig":
        reason = interest.get("reason")
        return f"wettelijke rente (vastgesteld door een manager{': ' + reason if reason else ''}): {amount}"
    if basis in INTEREST_BASES:
        until = f" tot {_day(interest['until'])}" if interest.get("until") else ""
        return f"berekende wettelijke rente ({INTEREST_BASES[basis]}{until}): {amount}"
    return f"wettelijke rente: {amount}"


def _amount(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def _euro(value: Any) -> str:
    try:
        return euro(Decimal(str(value)))
    except InvalidOperation:
        return str(value)


def _day(value: Any) -> str:
    try:
        return long_date(date.fromisoformat(str(value)[:10]))
    except ValueError:
        return str(value)
