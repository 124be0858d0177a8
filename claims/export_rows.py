"""A claim's history as export rows: its timeline events, its deadlines (set, met, lapsed), its letters
and its money lines, merged in time order, with the state the claim was in and the time it spent in each
state. One row layout for every export, so a timeline reads the same as CSV, XLSX, JSON or PDF.

Rows are built from the raw values the database driver returns (SQLite's UTC text or PostgreSQL's
datetimes, integer cents, JSON text): a portfolio export writes millions of them, and SQLAlchemy's row
machinery would cost more than the rest together.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from claims.catalog import Catalog
from claims.intake import KIND_LABELS
from claims.labels import EVENT_LABELS
from claims.models import COST_TYPE_LABELS
from workflow.spec import WorkflowSpec

# (key, Dutch column header): the keys name the JSON fields, the headers head CSV and XLSX columns.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("reference", "Schadenummer"),
    ("claim_kind", "Soort claim"),
    ("at", "Tijdstip"),
    ("source", "Bron"),
    ("type", "Soort"),
    ("description", "Omschrijving"),
    ("actor", "Door"),
    ("state", "Fase"),
    ("from_state", "Van fase"),
    ("to_state", "Naar fase"),
    ("due_at", "Termijn verloopt"),
    ("amount", "Bedrag (EUR)"),
    ("cost_type", "Kostensoort"),
    ("days_in_state", "Dagen in vorige fase"),
    ("detail", "Toelichting"),
    ("source_id", "Bron-id"),
)
KEYS = tuple(k for k, _ in COLUMNS)
MOMENT_COLUMNS = frozenset(KEYS.index(k) for k in ("at", "due_at"))
SYSTEM = "systeem"  # the actor of what the scheduler did
DAY_SECONDS = 86400
HUNDREDTH = Decimal("0.01")

MONEY_LABELS = {
    "reserve": "Reserve",
    "payment": "Betaling",
    "deductible": "Eigen risico",
    "recovery": "Verhaal",
}
# Within one instant: the event first, then the deadlines it met or ended, those it set, its letters and
# its money lines; a reader sees cause before consequence.
_RANK_EVENT, _RANK_CLOSED, _RANK_SET, _RANK_LETTER, _RANK_MONEY = range(5)


class LocalMoments:
    """Stored moments as ISO 8601 text in the display zone, '2025-10-10T10:15:00+02:00'.

    SQLite keeps naive UTC text; where the zone's offset is whole hours and constant over a UTC hour
    (Amsterdam's always is: it changes at 01:00 UTC), the local text is the UTC text with the hour part
    replaced, remembered per UTC hour. Anything else goes through datetime arithmetic."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self._hours: dict[str, tuple[str, str] | None] = {}

    def __call__(self, value: Any) -> str:
        if value is None:
            return ""
        if value.__class__ is str:
            hour = value[:13]
            known = self._hours[hour] if hour in self._hours else self._learn(hour)
            if known is not None:
                return known[0] + value[13:19] + known[1]
            value = datetime.fromisoformat(value).replace(tzinfo=UTC)
        text: str = value.astimezone(self.tz).isoformat(timespec="seconds")
        return text

    def _learn(self, hour: str) -> tuple[str, str] | None:
        if len(self._hours) > 100_000:
            self._hours.clear()
        try:
            start = datetime.fromisoformat(hour + ":00:00").replace(tzinfo=UTC)
        except ValueError:
            self._hours[hour] = None
            return None
        first, last = start.astimezone(self.tz), (start + timedelta(seconds=3599)).astimezone(self.tz)
        offset = first.utcoffset()
        known: tuple[str, str] | None = None
        if offset == last.utcoffset() and offset is not None and offset.total_seconds() % 3600 == 0:
            known = (first.strftime("%Y-%m-%dT%H"), first.isoformat()[-6:])
        self._hours[hour] = known
        return known


def instant(value: Any) -> datetime:
    """A stored moment (SQLite text or a PostgreSQL datetime) as an aware UTC datetime."""
    if value.__class__ is str:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    moment: datetime = value
    return moment.astimezone(UTC)


def cents(value: int) -> Decimal:
    return Decimal(int(value)).scaleb(-2)


def days(seconds: float) -> Decimal:
    """A span in days to two decimals (durations are not money, but exact text is easier to compare)."""
    return (Decimal(int(seconds)) / DAY_SECONDS).quantize(HUNDREDTH)


class ClaimFacts(NamedTuple):
    id: int
    reference: str
    kind: str
    spec_version: int
    state: str
    outcome: str | None
    created_at: Any
    closed_at: Any
    claimant: str
    amount_claimed: int
    insured: str
    handler: str


class EventRow(NamedTuple):
    id: int
    at: Any
    actor_id: int | None
    kind: str
    trigger: str | None
    from_state: str | None
    to_state: str | None
    data: str
    note: str


class DeadlineRow(NamedTuple):
    id: int
    label: str
    started_at: Any
    due_at: Any
    met_at: Any
    met_trigger: str | None
    cancelled_at: Any


class LetterRow(NamedTuple):
    id: int
    event_id: int
    title: str
    recipient: str
    recipient_name: str
    created_at: Any


class MoneyRow(NamedTuple):
    id: int
    event_id: int
    at: Any
    kind: str
    cost_type: str
    amount: int
    note: str


@dataclass
class Sources:
    """What the database holds for one claim, in the order it was written."""

    events: list[EventRow] = field(default_factory=list)
    deadlines: list[DeadlineRow] = field(default_factory=list)
    letters: list[LetterRow] = field(default_factory=list)
    money: list[MoneyRow] = field(default_factory=list)


@dataclass(frozen=True)
class Stay:
    """One uninterrupted stay in a state; `left` None while the claim is still there."""

    state: str
    entered: datetime
    left: datetime | None

    def seconds(self, now: datetime) -> float:
        return ((self.left or now) - self.entered).total_seconds()


@dataclass
class History:
    """A claim's export rows in time order, its stays per state and its money totals."""

    claim: ClaimFacts
    rows: list[tuple[Any, ...]]
    stays: list[Stay]
    paid: Decimal
    reserve: Decimal
    deductible: Decimal
    events: int


@dataclass(frozen=True)
class StateTime:
    state: str
    label: str
    days: Decimal
    visits: int
    ongoing: bool


class _SpecWords:
    """A spec's Dutch words, looked up once per export rather than per row."""

    def __init__(self, spec: WorkflowSpec) -> None:
        self.states = {name: s.label for name, s in spec.states.items()}
        self.triggers: dict[str, str] = {}
        self.fields: dict[str, dict[str, str]] = {}
        for t in spec.transitions:
            self.triggers.setdefault(t.trigger, t.label)
            self.fields.setdefault(t.trigger, {f.name: f.label for f in t.fields})
        self.terminal = {name for name, s in spec.states.items() if s.terminal}


class HistoryBuilder:
    """Builds each claim's History; made once per export with the catalog, the users and the zone."""

    def __init__(self, catalog: Catalog, users: Mapping[int, str], tz: ZoneInfo, now: datetime) -> None:
        self.catalog = catalog
        self.users = users
        self.moment = LocalMoments(tz)
        self.now = now
        self._words: dict[tuple[str, int], _SpecWords] = {}

    def words(self, kind: str, version: int) -> _SpecWords:
        found = self._words.get((kind, version))
        if found is None:
            found = self._words[(kind, version)] = _SpecWords(self.catalog.spec(kind, version))
        return found

    def history(self, claim: ClaimFacts, src: Sources) -> History:
        words = self.words(claim.kind, claim.spec_version)
        states = words.states
        moment = self.moment
        users = self.users
        ref, kind = claim.reference, KIND_LABELS.get(claim.kind, claim.kind)
        actors: dict[int, str] = {}
        items: list[tuple[Any, int, int, Callable[..., tuple[Any, ...]], Any]] = []
        for e in src.events:
            items.append((e.at, _RANK_EVENT, e.id, _event, e))
            actors[e.id] = users.get(e.actor_id, SYSTEM) if e.actor_id is not None else SYSTEM
        for d in src.deadlines:
            items.append((d.started_at, _RANK_SET, d.id, _deadline_set, d))
            if d.met_at is not None:
                items.append((d.met_at, _RANK_CLOSED, d.id, _deadline_met, d))
            elif d.cancelled_at is not None:
                items.append((d.cancelled_at, _RANK_CLOSED, d.id, _deadline_cancelled, d))
        for x in src.letters:
            items.append((x.created_at, _RANK_LETTER, x.id, _letter, x))
        for m in src.money:
            items.append((m.at, _RANK_MONEY, m.id, _money, m))
        items.sort(key=_order)

        rows: list[tuple[Any, ...]] = []
        stays: list[Stay] = []
        state = ""
        entered: Any = None
        actor = SYSTEM
        for at, _rank, _id, make, item in items:
            spent: Decimal | None = None
            if make is _event:
                actor = actors[item.id]
                moved = item.to_state and item.to_state != state and item.kind in ("opened", "transition")
                if moved:
                    if entered is not None:
                        stay = Stay(state, instant(entered), instant(at))
                        stays.append(stay)
                        spent = days(stay.seconds(self.now))
                    state, entered = item.to_state, at
            elif make is _letter or make is _money:
                actor = actors.get(item.event_id, SYSTEM)
            rows.append(
                (ref, kind, moment(at), *make(item, words, states, moment), actor, states.get(state, state),
                 *_moves(make, item, states), moment(_due(make, item)), *_amount(make, item), spent,
                 _detail(make, item, words), item.id)
            )  # fmt: skip
        if entered is not None and state not in words.terminal:
            stays.append(Stay(state, instant(entered), None))
        paid = reserve = deductible = Decimal("0.00")
        for m in src.money:
            amount = cents(m.amount)
            if m.kind == "payment":
                paid += amount
            elif m.kind == "reserve":
                reserve += amount
            elif m.kind == "deductible":
                deductible += amount
        return History(claim, rows, stays, paid, reserve, deductible, len(src.events))

    def time_per_state(self, history: History) -> list[StateTime]:
        """Total time per state, in the order the claim first entered them."""
        words = self.words(history.claim.kind, history.claim.spec_version)
        totals: dict[str, list[Any]] = {}
        for stay in history.stays:
            total = totals.setdefault(stay.state, [0.0, 0, False])
            total[0] += stay.seconds(self.now)
            total[1] += 1
            total[2] = total[2] or stay.left is None
        return [
            StateTime(state, words.states.get(state, state), days(t[0]), t[1], t[2])
            for state, t in totals.items()
        ]


def _order(item: tuple[Any, ...]) -> tuple[Any, int, int]:
    return item[0], item[1], item[2]


def _event(e: EventRow, words: _SpecWords, *_: Any) -> tuple[str, ...]:
    if e.kind == "transition":
        return ("event", e.kind, words.triggers.get(e.trigger or "", e.trigger or ""))
    return ("event", e.kind, EVENT_LABELS.get(e.kind, e.kind))


def _moves(make: Any, item: Any, states: Mapping[str, str]) -> tuple[str, str]:
    if make is _event and item.kind == "transition" and item.from_state != item.to_state:
        return states.get(item.from_state, item.from_state), states.get(item.to_state, item.to_state)
    return "", ""


def _deadline_set(d: DeadlineRow, *_: Any) -> tuple[str, ...]:
    return ("deadline", "deadline_set", f"Termijn gesteld: {d.label}")


def _deadline_met(d: DeadlineRow, *_: Any) -> tuple[str, ...]:
    return ("deadline", "deadline_met", f"Termijn gehaald: {d.label}")


def _deadline_cancelled(d: DeadlineRow, *_: Any) -> tuple[str, ...]:
    return ("deadline", "deadline_cancelled", f"Termijn vervallen: {d.label}")


def _letter(x: LetterRow, *_: Any) -> tuple[str, ...]:
    return ("letter", "letter", f"Brief: {x.title}")


def _money(m: MoneyRow, *_: Any) -> tuple[str, ...]:
    label = f"{MONEY_LABELS.get(m.kind, m.kind)}: {COST_TYPE_LABELS.get(m.cost_type, m.cost_type)}"
    return ("money", m.kind, label)


_DEADLINE_MAKERS = (_deadline_set, _deadline_met, _deadline_cancelled)


def _due(make: Any, item: Any) -> Any:
    return item.due_at if make in _DEADLINE_MAKERS else None


def _amount(make: Any, item: Any) -> tuple[Decimal | None, str]:
    if make is _money:
        return cents(item.amount), COST_TYPE_LABELS.get(item.cost_type, item.cost_type)
    return None, ""


def _detail(make: Any, item: Any, words: _SpecWords) -> str:
    if make is _money:
        return str(item.note)
    if make is _letter:
        return f"aan {item.recipient_name} ({item.recipient})"
    if make is _deadline_met:
        trigger = item.met_trigger or ""
        return f"door: {words.triggers.get(trigger, trigger)}" if trigger else ""
    if make in _DEADLINE_MAKERS:
        return ""
    return _event_detail(item, words)


def _event_detail(e: EventRow, words: _SpecWords) -> str:
    """The note, and for a transition what the person filled in, under the fields' own labels."""
    if e.kind != "transition":
        return str(e.note)
    inputs = _inputs(e.data)
    if not inputs:
        return str(e.note)
    labels = words.fields.get(e.trigger or "", {})
    filled = "; ".join(f"{labels.get(k, k)}: {v}" for k, v in inputs.items() if v not in ("", None))
    return f"{filled}\n{e.note}" if e.note else filled


def _inputs(data: Any) -> Mapping[str, Any]:
    if data.__class__ is str:
        if '"inputs": {}' in data:  # the most common transition carries no inputs: skip the parse
            return {}
        data = json.loads(data)
    found = data.get("inputs") if isinstance(data, dict) else None
    return found if isinstance(found, dict) else {}


def as_dict(row: Sequence[Any]) -> dict[str, Any]:
    """One row for JSON: moments as ISO text (null when empty), amounts and days as decimal text."""
    out: dict[str, Any] = {}
    for key, value in zip(KEYS, row, strict=True):
        if isinstance(value, Decimal):
            value = str(value)
        elif value == "" and key in ("due_at", "from_state", "to_state", "cost_type"):
            value = None
        out[key] = value
    return out


def stays_as_dicts(times: Iterable[StateTime]) -> list[dict[str, Any]]:
    return [
        {"state": t.state, "label": t.label, "days": str(t.days), "visits": t.visits, "ongoing": t.ongoing}
        for t in times
    ]
