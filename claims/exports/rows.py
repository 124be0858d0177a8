"""A claim's history as export rows: its timeline events, its deadlines (set, met, lapsed), its letters
and its money lines, merged in time order, with the state the claim was in and the time it spent in each
state. One row layout for every export, so a timeline reads the same as CSV, XLSX, JSON or PDF: JSON
(the API) names its source and kind of row by code, a spreadsheet by their Dutch labels.

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

from claims.exports.computed import MARKERS, computed_text
from claims.exports.sheets import FORMULA_START, inert
from claims.kinds.catalog import Catalog
from claims.kinds.intake import KIND_LABELS
from claims.letters.facts import recipient_role_label
from claims.reads.field_values import field_value_text
from claims.reads.labels import EVENT_LABELS
from claims.reads.money_view import Collectible
from claims.reads.queries import ClaimView
from claims.storage.coltypes import from_cents
from claims.storage.models import COST_TYPE_LABELS
from claims.storage.repositories.events import ChainHead
from workflow.spec import WorkflowSpec

# (key, Dutch column header): the keys name the JSON fields, the headers head CSV and XLSX columns.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("reference", "Schadenummer"),
    ("claim_kind", "Soort claim"),
    ("at", "Tijdstip"),
    ("source", "Bron"),
    ("type", "Soort"),
    ("description", "Omschrijving"),
    ("actor_name", "Door"),
    ("actor", "E-mail"),  # the e-mail address: what the API has always called the actor
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
    "insured_share": "Boven de dekking (verzekerde)",
    "deductible_due": "Eigen risico te verhalen",
}
# A row's source and kind as a spreadsheet shows them (JSON keeps the codes); an event's kind is the label
# the claim page gives it (EVENT_LABELS).
SOURCE_LABELS = {
    "event": "Gebeurtenis",
    "deadline": "Termijn",
    "letter": "Brief",
    "money": "Geld",
    "summary": "Samenvatting",
}
ROW_LABELS = {
    **EVENT_LABELS,
    **MONEY_LABELS,
    "deadline_set": "Termijn gesteld",
    "deadline_met": "Termijn gehaald",
    "deadline_cancelled": "Termijn vervallen",
    "letter": "Brief",
    "time_in_state": "Tijd in fase",
}
# Within one instant: the event first, then the deadlines it met or ended, those it set, its letters and
# its money lines; a reader sees cause before consequence.
_EVENT, _CLOSED, _SET, _LETTER, _MONEY = range(5)
ZERO = Decimal("0.00")
SET_TEXT = "Termijn gesteld: "
MAX_REMEMBERED = 10_000  # texts a builder keeps by value before it forgets them: memory stays flat


class LocalMoments:
    """Stored moments as ISO 8601 text in the display zone, '2025-10-10T10:15:00+02:00'.

    Each text is remembered by the stored value (`texts`): an event's moment is also that of the
    deadlines it sets, its letters and its money lines. SQLite keeps naive UTC text; where the zone's
    offset is whole hours and constant over a UTC hour (Amsterdam's always is: it changes at 01:00 UTC),
    the local text is the UTC text with the hour part replaced, the hour's part remembered per UTC hour.
    Anything else goes through datetime arithmetic."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self.hours: dict[str, tuple[str, str] | None] = {}
        self.texts: dict[Any, str] = {}

    def __call__(self, value: Any) -> str:
        text = self.texts.get(value)
        if text is None:
            if len(self.texts) >= MAX_REMEMBERED:
                self.texts.clear()
            text = self.texts[value] = self._local(value)
        return text

    def _local(self, value: Any) -> str:
        if value is None:
            return ""
        if value.__class__ is str:
            hour = value[:13]
            known = self.hours[hour] if hour in self.hours else self._learn(hour)
            if known is not None:
                return known[0] + value[13:19] + known[1]
            value = datetime.fromisoformat(value).replace(tzinfo=UTC)
        text: str = value.astimezone(self.tz).isoformat(timespec="seconds")
        return text

    def _learn(self, hour: str) -> tuple[str, str] | None:
        if len(self.hours) > 100_000:
            self.hours.clear()
        try:
            start = datetime.fromisoformat(hour + ":00:00").replace(tzinfo=UTC)
        except ValueError:
            self.hours[hour] = None
            return None
        first, last = start.astimezone(self.tz), (start + timedelta(seconds=3599)).astimezone(self.tz)
        offset = first.utcoffset()
        known: tuple[str, str] | None = None
        if offset == last.utcoffset() and offset is not None and offset.total_seconds() % 3600 == 0:
            known = (first.strftime("%Y-%m-%dT%H"), first.isoformat()[-6:])
        self.hours[hour] = known
        return known


def instant(value: Any) -> datetime:
    """A stored moment (SQLite text or a PostgreSQL datetime) as an aware UTC datetime."""
    if value.__class__ is str:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    moment: datetime = value
    return moment.astimezone(UTC)


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
    handler: str  # the handler's e-mail address
    handler_name: str
    date_reported: Any  # the melding's date (meldingsdatum), as the driver gives it


# The source rows are the driver's tuples as they come, the claim's id first; these name their positions.
# (NamedTuples would document them better, but building half a million of them costs 7% of an export.)
E_ID, E_AT, E_ACTOR, E_KIND, E_TRIGGER, E_FROM, E_TO, E_DATA, E_NOTE = range(1, 10)
EVENT_COLUMNS = (
    "id",
    "at",
    "actor_id",
    "kind",
    "trigger",
    "from_state",
    "to_state",
    "data",  # as its JSON text
    "note",
)
D_ID, D_LABEL, D_STARTED, D_DUE, D_MET, D_MET_TRIGGER, D_CANCELLED = range(1, 8)
DEADLINE_COLUMNS = ("id", "label", "started_at", "due_at", "met_at", "met_trigger", "cancelled_at")
L_ID, L_EVENT, L_TITLE, L_RECIPIENT, L_RECIPIENT_NAME, L_CREATED = range(1, 7)
LETTER_COLUMNS = ("id", "event_id", "title", "recipient", "recipient_name", "created_at")
M_ID, M_EVENT, M_AT, M_KIND, M_COST_TYPE, M_AMOUNT, M_NOTE = range(1, 8)
MONEY_COLUMNS = ("id", "event_id", "at", "kind", "cost_type", "amount", "note")
P_ID, P_NAME = range(1, 3)
PARTY_COLUMNS = ("id", "name")  # a payee field holds a party's id: the Toelichting names it
Row = tuple[Any, ...]


@dataclass
class Sources:
    """What the database holds for one claim, in the order it was written."""

    events: list[Row] = field(default_factory=list)
    deadlines: list[Row] = field(default_factory=list)
    letters: list[Row] = field(default_factory=list)
    money: list[Row] = field(default_factory=list)
    parties: list[Row] = field(default_factory=list)


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


class InputField(NamedTuple):
    """A transition's field as its typed value is written: under its label, by its type and choices."""

    label: str
    type: str
    choices: dict[str, str]


class SpecWords:
    """A spec's Dutch words, looked up once per export rather than per row; passed through `text` (for a
    spreadsheet: neutralised once here, so rows built from them need no check per cell; a field's words
    are not, as they go inside a Toelichting, which is checked as a whole)."""

    def __init__(self, spec: WorkflowSpec, text: Callable[[str], str]) -> None:
        self.kind = text(KIND_LABELS.get(spec.kind, spec.kind))
        self.states = {name: text(s.label) for name, s in spec.states.items()}
        self.triggers: dict[str, str] = {}
        self.fields: dict[str, dict[str, InputField]] = {}
        for t in spec.transitions:
            self.triggers.setdefault(t.trigger, text(t.label))
            self.fields.setdefault(
                t.trigger, {f.name: InputField(f.label, f.type, dict(f.choices)) for f in t.fields}
            )
        self.terminal = {name for name, s in spec.states.items() if s.terminal}


class HistoryBuilder:
    """Builds each claim's History; made once per export with the catalog, the users (id: name and
    e-mail address) and the zone.

    `for_spreadsheet`: sources and kinds of row by their Dutch labels, the system's e-mail left empty,
    and every text cell inert (see files.inert): the labels, names and e-mail addresses once, here, and
    what people typed as each row is built, so a portfolio's millions of rows need no check per cell when
    they are written. Without it (JSON, PDF) codes stay codes and the text is as it was typed."""

    def __init__(
        self,
        catalog: Catalog,
        users: Mapping[int, tuple[str, str]],
        tz: ZoneInfo,
        now: datetime,
        *,
        for_spreadsheet: bool = False,
    ) -> None:
        self.catalog = catalog
        text: Callable[[str], str] = inert if for_spreadsheet else str
        self.text = text
        self.neutralise = for_spreadsheet
        self.users = {uid: (text(name), text(email)) for uid, (name, email) in users.items()}
        self.names_by_email = {email: name for name, email in users.values()}  # for a user field's value
        self.tz = tz
        self.system = (SYSTEM, "" if for_spreadsheet else SYSTEM)
        self.moment = LocalMoments(tz)
        self.now = now
        self._words: dict[tuple[str, int], SpecWords] = {}
        self._said: dict[Any, str] = {}
        self._kinds: dict[Any, str] = {}
        self.sources = {c: text(label) if for_spreadsheet else c for c, label in SOURCE_LABELS.items()}
        # a row's texts made of a label and a stored word, by that word: a portfolio repeats them
        self._deadline_texts: dict[tuple[str, str], str] = {}
        self._addressees: dict[tuple[str, str], str] = {}
        self._money_texts: dict[tuple[Any, Any], tuple[str, str]] = {}

    def kind_of_row(self, code: Any) -> str:
        """A kind of row (an event's kind, deadline_set, payment …) as a cell: its Dutch label for a
        spreadsheet, else the code; remembered, as a portfolio repeats them."""
        text = self._kinds.get(code)
        if text is None:
            label = ROW_LABELS.get(code) if self.neutralise else None
            text = self._kinds[code] = self.text(label) if label else self.say(code)
        return text

    def say(self, code: Any) -> str:
        """A code or stored word as a cell (neutralised for a spreadsheet): codes the builder has no
        label for, written as they are stored; remembered, as a portfolio repeats them."""
        text = self._said.get(code)
        if text is None:
            text = self._said[code] = self.text("" if code is None else str(code))
        return text

    def words(self, kind: str, version: int) -> SpecWords:
        found = self._words.get((kind, version))
        if found is None:
            found = self._words[(kind, version)] = SpecWords(self.catalog.spec(kind, version), self.text)
        return found

    def history(self, claim: ClaimFacts, src: Sources) -> History:
        """The rows of one claim in time order. Written for speed (it runs for every row of a
        portfolio): one branch per kind of row, each building its tuple in one go."""
        words = self.words(claim.kind, claim.spec_version)
        states, triggers = words.states, words.triggers
        moment, users = self.moment, self.users
        ref, kind = self.text(claim.reference), words.kind
        neutralise = self.neutralise
        texts = moment.texts
        phrase, addressees, money_texts = self._deadline_texts, self._addressees, self._money_texts
        system, sources = self.system, self.sources
        s_event, s_deadline, s_letter, s_money = (
            sources[k] for k in ("event", "deadline", "letter", "money")
        )
        kinds, kind_of = self._kinds, self.kind_of_row
        t_set, t_met, t_cancelled, t_letter = (
            kind_of(k) for k in ("deadline_set", "deadline_met", "deadline_cancelled", "letter")
        )
        # (moment, rank, id, row): unique on the first three, so the sort never compares rows
        items: list[tuple[Any, int, int, Row]] = [(e[E_AT], _EVENT, e[E_ID], e) for e in src.events]
        add = items.append
        for d in src.deadlines:
            add((d[D_STARTED], _SET, d[D_ID], d))
            closed = d[D_MET] if d[D_MET] is not None else d[D_CANCELLED]
            if closed is not None:
                add((closed, _CLOSED, d[D_ID], d))
        for x in src.letters:
            add((x[L_CREATED], _LETTER, x[L_ID], x))
        for m in src.money:
            add((m[M_AT], _MONEY, m[M_ID], m))
        items.sort()

        rows: list[Row] = []
        out = rows.append
        stays: list[Stay] = []
        actors: dict[int, tuple[str, str]] = {}
        state: Any = ""
        label: Any = ""
        entered: Any = None
        # deadlines are set, met and ended by the melding, a transition or a complaint's step at the same
        # instant: theirs is the actor of the last of those (not of a note or the 7:941 flag beside it)
        mover = system
        say = self.say
        paid = reserve = deductible = ZERO
        for at, rank, _, r in items:
            # the moment's local text as LocalMoments remembers it, without the call
            when = texts.get(at) or moment(at)
            if rank == _EVENT:
                actor = system if r[E_ACTOR] is None else users.get(r[E_ACTOR], system)
                actors[r[E_ID]] = actor
                event, target = r[E_KIND], r[E_TO]
                # a complaint's step sets, meets and cancels its clocks at its own instant
                if event == "transition" or event == "opened" or event[:10] == "complaint_":
                    mover = actor
                came: Any = ""
                went: Any = ""
                spent = None
                if event == "transition":
                    description = triggers.get(r[E_TRIGGER]) or say(r[E_TRIGGER])
                    detail = self.transition_detail(r, words, src.parties)
                    if r[E_FROM] != target:
                        came = states.get(r[E_FROM]) or say(r[E_FROM])
                        went = states.get(target) or say(target)
                else:
                    description, detail = EVENT_LABELS.get(event) or say(event), r[E_NOTE]
                if neutralise and detail[:1] in FORMULA_START:
                    detail = "'" + detail
                if target and target != state and (event == "transition" or event == "opened"):
                    if entered is not None:
                        stay = Stay(state, instant(entered), instant(at))
                        stays.append(stay)
                        spent = days(stay.seconds(self.now))
                    state, entered, label = target, at, states.get(target) or say(target)
                out((ref, kind, when, s_event, kinds.get(event) or kind_of(event), description, actor[0],
                     actor[1], label, came, went, "", None, "",
                     spent, detail, r[E_ID]))  # fmt: skip
            elif rank == _SET:
                what = phrase.get((SET_TEXT, r[D_LABEL])) or self.phrase(SET_TEXT, r[D_LABEL])
                due = r[D_DUE]
                out((ref, kind, when, s_deadline, t_set, what, mover[0], mover[1], label, "", "",
                     texts.get(due) or moment(due), None, "", None, "", r[D_ID]))  # fmt: skip
            elif rank == _CLOSED:
                if r[D_MET] is not None:
                    met_by = r[D_MET_TRIGGER] or ""
                    typ, what, detail = (
                        t_met,
                        "Termijn gehaald: ",
                        # a complaint's clock is met by the complaint's own step, not by a trigger
                        (
                            "door: " + (triggers.get(met_by) or EVENT_LABELS.get(met_by) or say(met_by))
                            if met_by
                            else ""
                        ),
                    )
                else:
                    typ, what, detail = t_cancelled, "Termijn vervallen: ", ""
                what = phrase.get((what, r[D_LABEL])) or self.phrase(what, r[D_LABEL])
                due = r[D_DUE]
                out((ref, kind, when, s_deadline, typ, what, mover[0], mover[1], label, "", "",
                     texts.get(due) or moment(due), None, "", None, detail, r[D_ID]))  # fmt: skip
            elif rank == _LETTER:
                writer = actors.get(r[L_EVENT], system)
                to = (r[L_RECIPIENT_NAME], r[L_RECIPIENT])
                out((ref, kind, when, s_letter, t_letter, "Brief: " + r[L_TITLE], writer[0], writer[1],
                     label, "", "", "", None, "", None,
                     addressees.get(to) or self.addressee(*to), r[L_ID]))  # fmt: skip
            else:
                money_kind = r[M_KIND]
                line = (money_kind, r[M_COST_TYPE])
                cost_type, what = money_texts.get(line) or self.money_texts(*line)
                amount = from_cents(r[M_AMOUNT])
                if money_kind == "payment":
                    paid += amount
                elif money_kind == "reserve":
                    reserve += amount
                elif money_kind == "deductible":
                    deductible += amount
                note = r[M_NOTE]
                if neutralise and note[:1] in FORMULA_START:
                    note = "'" + note
                booker = actors.get(r[M_EVENT], system)
                out((ref, kind, when, s_money, kinds.get(money_kind) or kind_of(money_kind), what,
                     booker[0], booker[1], label,
                     "", "", "", amount, cost_type, None, note, r[M_ID]))  # fmt: skip
        if entered is not None and state not in words.terminal:
            stays.append(Stay(state, instant(entered), None))
        return History(claim, rows, stays, paid, reserve, deductible, len(src.events))

    def transition_detail(self, e: Row, words: SpecWords, parties: Sequence[Row]) -> str:
        """What the person filled in, under the fields' labels and as the claim page shows it (by the
        field's type: euros, dates, names), then what the engine computed, then the note if any."""
        data = _data(e[E_DATA])
        note = e[E_NOTE]
        if not data:
            return str(note)
        inputs = data.get("inputs")
        parts: list[str] = []
        if isinstance(inputs, dict) and inputs:
            fields = words.fields.get(e[E_TRIGGER] or "", {})
            names = {str(p[P_ID]): p[P_NAME] for p in parties}
            filled = []
            for k, v in inputs.items():
                f = fields.get(k)
                text = field_value_text(
                    v,
                    f.type if f else None,
                    f.choices if f else None,
                    users=self.names_by_email,
                    parties=names,
                    tz=self.tz,
                )
                if text:
                    filled.append(f"{f.label if f else k}: {text}")
            parts.append("; ".join(filled))
        parts.append(computed_text(data))
        parts.append(note or "")
        return "\n".join(p for p in parts if p)

    def addressee(self, name: str, role: str) -> str:
        """A letter's addressee and the role they were written to as, 'aan Jansen B.V. (verzekerde)'
        (it starts with 'aan': never a formula); remembered."""
        addressees = self._addressees
        if len(addressees) >= MAX_REMEMBERED:
            addressees.clear()
        text = addressees[(name, role)] = f"aan {name} ({recipient_role_label(role)})"
        return text

    def phrase(self, prefix: str, label: str) -> str:
        """A deadline row's description, 'Termijn gesteld: ' and the deadline's label; remembered."""
        phrases = self._deadline_texts
        if len(phrases) >= MAX_REMEMBERED:
            phrases.clear()
        text = phrases[(prefix, label)] = prefix + label
        return text

    def money_texts(self, money_kind: Any, cost_type: Any) -> tuple[str, str]:
        """A money line's cost type and description ('Reserve: Schadevergoeding') as cells; remembered."""
        label = COST_TYPE_LABELS.get(cost_type) or self.say(cost_type)
        texts = self._money_texts[(money_kind, cost_type)] = (
            label,
            f"{MONEY_LABELS.get(money_kind) or self.say(money_kind)}: {label}",
        )
        return texts

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


def _data(data: Any) -> Mapping[str, Any]:
    """An event's data as far as its Toelichting needs it; {} when it holds neither inputs nor computed
    figures (the most common transition: no parse)."""
    if data.__class__ is str:
        if '"inputs": {}' in data and not any(map(data.__contains__, MARKERS)):
            return {}
        data = json.loads(data)
    return data if isinstance(data, dict) else {}


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


@dataclass(frozen=True)
class ClaimTimeline:
    """One claim's timeline with what a reader of the document needs around it."""

    view: ClaimView
    history: History
    times: list[StateTime]
    generated_at: datetime
    tz_name: str
    chain: ChainHead  # the claim's chain head as these rows were read: a copy can be checked against it
    # recovered (regres) and the eigen risico still to collect, as the claim page's money section has them
    collect: Collectible
    # the claim's documents by title and sha256, so a copy can be checked against the file later
    documents: list[dict[str, Any]] = field(default_factory=list)
