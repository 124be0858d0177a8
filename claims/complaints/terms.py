"""The complaint track's terms and words.

A complaint (klacht) runs three clocks of its own, kept as rows of the deadlines table so that the sweep
reminds, flags and escalates them like any other: acknowledge, answer, and (after one extension) the
extended answer. Their lengths are service terms the insurer sets (terms.yaml), counted in calendar time
from the day the complaint was received; no Algemene termijnenwet shift applies (they are no statutory
terms), so a term ending on a Saturday ends on that Saturday, at 23:59:59 local time (the convention of
workflow.deadlines for every day-based term).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from notifications.formatting import euro
from workflow.deadlines import end_of_day

TERMS_FILE = Path(__file__).with_name("terms.yaml")
UNITS = ("days", "weeks", "months")

# The three clocks, by the suffix of their deadline's name, with the label the claim page, the sweep's
# messages and the exports show (prefixed with the complaint's number).
ACKNOWLEDGE = "acknowledge"
ANSWER = "answer"
EXTENDED_ANSWER = "answer_extended"
CLOCK_LABELS = {
    ACKNOWLEDGE: "ontvangst bevestigen",
    ANSWER: "beantwoorden",
    EXTENDED_ANSWER: "beantwoorden (verlengde termijn)",
}
_PREFIX = "complaint_"

STATUS_LABELS = {
    "received": "ontvangen",
    "acknowledged": "ontvangst bevestigd",
    "extended": "termijn verlengd",
    "answered": "beantwoord",
}
OPEN_STATUSES = ("received", "acknowledged", "extended")
OUTCOME_LABELS = {
    "gegrond": "gegrond",
    "deels_gegrond": "deels gegrond",
    "ongegrond": "ongegrond",
}
# The policy's yearly turnover band, for Kifid (which takes small businesses up to EUR 5 million); no
# band (None) means the turnover is not known.
TURNOVER_BANDS = {
    "tot_5m": "tot € 5 miljoen",
    "boven_5m": "boven € 5 miljoen",
}
KIFID = {
    "name": "Klachteninstituut Financiële Dienstverlening (Kifid)",
    "address": "Postbus 93257, 2509 AG Den Haag",
    "website": "www.kifid.nl",
}


_UNIT_WORDS = {"days": ("dag", "dagen"), "weeks": ("week", "weken"), "months": ("maand", "maanden")}


@dataclass(frozen=True)
class Term:
    amount: int
    unit: str

    def end(self, start: date) -> date:
        """The day the term ends, counted from `start` (a month on the 31st ends on the month's last day)."""
        if self.unit == "days":
            return start + timedelta(days=self.amount)
        if self.unit == "weeks":
            return start + timedelta(weeks=self.amount)
        return add_months(start, self.amount)

    def words(self) -> str:
        """'6 weken', '3 maanden': the term as a letter says it."""
        singular, plural = _UNIT_WORDS[self.unit]
        return f"{self.amount} {singular if self.amount == 1 else plural}"


@dataclass(frozen=True)
class ComplaintTerms:
    acknowledge: Term
    answer: Term
    extended_answer: Term
    kifid_without_answer: Term
    kifid_after_answer: Term
    kifid_turnover_limit: Decimal
    source: str = ""

    def due(self, clock: str, received_on: date, tz: ZoneInfo) -> datetime:
        """The due moment of `clock` for a complaint received on `received_on`: the end of its last day,
        as an aware UTC datetime."""
        terms = {ACKNOWLEDGE: self.acknowledge, ANSWER: self.answer, EXTENDED_ANSWER: self.extended_answer}
        return end_of_day(terms[clock].end(received_on), tz)

    def kifid_until(self, answered_on: date) -> date:
        """The last day the insured may take the complaint to Kifid after the insurer's final position."""
        return self.kifid_after_answer.end(answered_on)

    def turnover_limit_words(self) -> str:
        """'€ 5 miljoen': Kifid's turnover limit as a letter says it."""
        millions, rest = divmod(self.kifid_turnover_limit, 1_000_000)
        return f"€ {millions} miljoen" if not rest else euro(self.kifid_turnover_limit)

    def kifid_without_answer_from(self, received_on: date) -> date:
        """From this day on the client may go to Kifid if there is still no answer."""
        return self.kifid_without_answer.end(received_on)


def add_months(d: date, months: int) -> date:
    """`d` plus `months` calendar months, the day clamped to the month's end (30 Nov + 3 = 28 Feb)."""
    year, month0 = divmod(d.year * 12 + d.month - 1 + months, 12)
    first_after = date(year + 1, 1, 1) if month0 == 11 else date(year, month0 + 2, 1)
    return date(year, month0 + 1, min(d.day, (first_after - timedelta(days=1)).day))


def _term(raw: Any, name: str) -> Term:
    if not isinstance(raw, dict) or raw.get("unit") not in UNITS or not isinstance(raw.get("amount"), int):
        units = ", ".join(UNITS)
        raise ValueError(f"{TERMS_FILE.name}: {name} needs amount (a whole number) and unit ({units})")
    if raw["amount"] < 1:
        raise ValueError(f"{TERMS_FILE.name}: {name}: amount must be at least 1")
    return Term(raw["amount"], raw["unit"])


def load_terms(path: Path = TERMS_FILE) -> ComplaintTerms:
    """The complaint terms as the file sets them; ValueError naming what is wrong with it."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    names = ("acknowledge", "answer", "extended_answer", "kifid_without_answer", "kifid_after_answer")
    terms = {name: _term(raw.get(name), name) for name in names}
    return ComplaintTerms(
        **terms,
        kifid_turnover_limit=Decimal(str(raw.get("kifid_turnover_limit", "5000000"))),
        source=str(raw.get("source", "")),
    )


def clock_name(complaint_id: int, clock: str) -> str:
    """The deadline's name of a complaint's clock: unique per complaint, so two complaints on one claim
    never meet or cancel each other's clocks."""
    return f"{_PREFIX}{complaint_id}_{clock}"


def clock_label(number: int, clock: str) -> str:
    return f"Klacht {number}: {CLOCK_LABELS[clock]}"


def clock_of(name: str) -> tuple[int, str] | None:
    """(complaint id, clock) of a complaint clock's deadline name; None for any other deadline."""
    if not name.startswith(_PREFIX):
        return None
    number, _, clock = name.removeprefix(_PREFIX).partition("_")
    if not number.isdigit() or clock not in CLOCK_LABELS:
        return None
    return int(number), clock


def kifid_qualifies(band: str | None) -> bool | None:
    """Whether Kifid takes the insured by its turnover band: True up to the limit, False above it, None
    when the band is not known (then it depends on the turnover)."""
    if band == "tot_5m":
        return True
    if band == "boven_5m":
        return False
    return None
