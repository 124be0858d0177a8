"""What the claim page says of the statutory clocks beyond the running terms: a term the law holds back
(7:942 BW while the claim waits for the insurer's position), the negotiations that interrupted it, and
which AVG clock runs for the insured's role."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from notifications.formatting import long_date, long_moment
from workflow.spec import DeadlineSpec, WorkflowSpec

DATA_ROLES = {"controller": "verwerkingsverantwoordelijke", "processor": "verwerker"}
_UNITS = {"hours": "uur", "working_days": "werkdagen", "calendar_days": "dagen", "weeks": "weken"}


@dataclass(frozen=True)
class AvgClock:
    """The insured's role in a personal-data breach and the clock that role opens (AVG art. 33)."""

    role: str  # Dutch
    clock: str  # the term's label, its length and from when it counts


def waiting_clocks(spec: WorkflowSpec, claim: Any, settled: Collection[str], tz: ZoneInfo) -> list[str]:
    """The `waiting` sentence of each term a trigger starts that neither runs nor was met (`settled`:
    the names of those), the claim's dates filled in: "Gestuit door de melding van 10 oktober 2026; ..."."""
    if claim.closed_at is not None:
        return []
    said = []
    for state in spec.states.values():
        for d in state.deadlines:
            if d.started_by and d.waiting and d.name not in settled and d.applies_to(claim):
                said.append(_filled(d.waiting, claim, tz))
    return said


def _filled(text: str, claim: Any, tz: ZoneInfo) -> str:
    values: dict[str, str] = {}
    for name in ("date_reported", "date_known", "date_error", "awareness_at"):
        value = claim.get(name)
        if isinstance(value, datetime):
            values[name] = long_moment(value, tz)
        elif isinstance(value, date):
            values[name] = long_date(value)
        else:
            values[name] = "onbekend"
    return text.format(**values)


def avg_clock(spec: WorkflowSpec, claim: Any, tz: ZoneInfo) -> AvgClock | None:
    """For a claim with personal data: the role recorded and the term of the spec that role opens."""
    if not claim.get("personal_data"):
        return None
    role = claim.get("data_role")
    label = DATA_ROLES.get(role or "", "niet vastgelegd")
    term = next(
        (d for s in spec.states.values() for d in s.deadlines if ("data_role", role) in d.conditions),
        None,
    )
    if term is None:
        return AvgClock(label, "geen AVG-termijn in deze versie van de behandeling")
    return AvgClock(label, _term_text(term, claim, tz))


def _term_text(d: DeadlineSpec, claim: Any, tz: ZoneInfo) -> str:
    base = claim.get(d.base)
    since = long_moment(base, tz) if isinstance(base, datetime) else ""
    length = f"{d.amount} {_UNITS.get(d.unit, d.unit)}"
    return f"{d.label}: {length}" + (f" vanaf {since}" if since else "")
