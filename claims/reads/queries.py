"""Read-side queries: lists, a claim's summary, its timeline and money. Nothing here writes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row
from sqlalchemy.engine import Connection
from sqlmodel import Session

from claims.errors import ClaimNotFound, LetterNotFound
from claims.kinds.context import answering_context
from claims.people.permissions import allowed_transitions, check_may_view, visible_claims
from claims.reads.clocks import AvgClock, avg_clock, waiting_clocks
from claims.reads.letter_status import dispatch_lines
from claims.runtime import Runtime
from claims.storage.models import (
    WITHIN_LIMIT,
    CostType,
    MoneyKind,
    Role,
    User,
)
from claims.storage.records import ClaimRecord, PolicyRecord, UserRecord
from claims.storage.repositories import (
    claim_list,
    claims,
    deadlines,
    events,
    letters,
    money,
    outbox,
    policies,
    users,
)
from claims.storage.repositories.claim_list import ClaimCriteria
from workflow.engine import Available
from workflow.spec import WorkflowSpec

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class MoneySummary:
    reserve: dict[str, Decimal]
    paid: dict[str, Decimal]
    deductible: Decimal
    cover_per_claim: Decimal
    paid_within_limit: Decimal

    @property
    def remaining_cover(self) -> Decimal:
        return self.cover_per_claim - self.paid_within_limit

    @property
    def total_reserve(self) -> Decimal:
        return sum(self.reserve.values(), ZERO)

    @property
    def total_paid(self) -> Decimal:
        return sum(self.paid.values(), ZERO)

    def as_dict(self) -> dict[str, Any]:
        return {
            "reserve": {k: str(v) for k, v in self.reserve.items()},
            "paid": {k: str(v) for k, v in self.paid.items()},
            "deductible_applied": str(self.deductible),
            "cover_per_claim": str(self.cover_per_claim),
            "remaining_cover": str(self.remaining_cover),
        }


def money_summary(conn: Connection, claim_id: int, cover_per_claim: Decimal) -> MoneySummary:
    by: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for (kind, cost_type), total in money.totals(conn, claim_id).items():
        by[kind][cost_type] = total
    paid = {c.value: by[MoneyKind.payment].get(c.value, ZERO) for c in CostType}
    return MoneySummary(
        reserve={c.value: by[MoneyKind.reserve].get(c.value, ZERO) for c in CostType},
        paid=paid,
        deductible=sum(by[MoneyKind.deductible].values(), ZERO),
        cover_per_claim=cover_per_claim,
        paid_within_limit=sum((v for k, v in paid.items() if k in WITHIN_LIMIT), ZERO),
    )


def list_claims(
    session: Session,
    *,
    kind: str | None = None,
    state: str | None = None,
    handler: str | None = None,
    limit: int = 100,
) -> list[Row[Any]]:
    """Claims for an operator at the command line (no reader to limit them to), oldest first."""
    c = ClaimCriteria(kind=kind or None, state=state or None, handler=handler.lower() if handler else None)
    return claim_list.page(
        session.connection(), c, sort_column=None, descending=False, after=None, limit=limit
    )


def claim_row(conn: Connection, reference: str) -> ClaimRecord:
    row = claims.by_reference(conn, reference)
    if row is None:
        raise ClaimNotFound(f"Claim {reference} bestaat niet.")
    return row


@dataclass(frozen=True)
class ClaimView:
    claim: ClaimRecord
    policy: PolicyRecord
    handler: UserRecord
    expert: UserRecord | None
    money: MoneySummary
    open_deadlines: list[Row[Any]]
    allowed: list[Available]
    state_label: str
    waiting_clocks: list[str] = field(default_factory=list)
    avg: AvgClock | None = None
    reopens_to: str | None = None  # a closed claim: the label of the state reopening brings it back to


def claim_view(session: Session, rt: Runtime, reference: str, actor: User | None = None) -> ClaimView:
    conn = session.connection()
    # read once, as the record the guards see too when they answer what may be done now
    claim = claims.by_reference(conn, reference)
    if claim is None:
        raise ClaimNotFound(f"Claim {reference} bestaat niet.")
    spec = rt.catalog.spec(claim.kind, claim.spec_version)
    policy = policies.by_id(conn, claim.policy_id)
    handler = users.row_by_id(conn, claim.handler_id)
    if actor is not None:
        check_may_view(actor, claim, handler.team)
    expert = users.row_by_id(conn, claim.expert_id) if claim.expert_id else None
    allowed: list[Available] = []
    if actor is not None:
        now = rt.clock()
        answer = answering_context(conn, claim, actor, spec, now, rt.rules, rt.tz, rt.calendar)
        allowed = allowed_transitions(spec, claim, actor, rt.catalog.engine, answer)
    # a term that runs or was met says nothing more; one never started or stopped waits
    settled = deadlines.names_not_cancelled(conn, claim.id)
    return ClaimView(
        claim=claim,
        policy=policy,
        handler=handler,
        expert=expert,
        money=money_summary(conn, claim.id, policy.cover_per_claim),
        open_deadlines=deadlines.open_of_claim(
            conn, claim.id, course_only=actor is not None and actor.role == Role.expert
        ),
        allowed=allowed,
        state_label=spec.states[claim.state].label,
        waiting_clocks=waiting_clocks(spec, claim, settled, rt.tz),
        avg=avg_clock(spec, claim, rt.tz),
        reopens_to=_reopens_to(spec, claim.state),
    )


def _reopens_to(spec: WorkflowSpec, state: str) -> str | None:
    back = spec.states[state].reopens_to
    return spec.states[back].label if back else None


def readable_claim(conn: Connection, reference: str, actor: User | None) -> ClaimRecord:
    """The claim row, if `actor` (None: an operator at the command line) may read it."""
    claim = claim_row(conn, reference)
    if actor is not None:
        check_may_view(actor, claim, users.row_by_id(conn, claim.handler_id).team)
    return claim


def timeline(session: Session, reference: str, actor: User | None = None) -> list[dict[str, Any]]:
    """The claim's events in order; each names its actor by e-mail address."""
    conn = session.connection()
    claim = readable_claim(conn, reference, actor)
    by_event = _by_event(_letters_of(conn, claim.id, actor))
    return [_event(r, by_event) for r in events.of_claim(conn, claim.id) if not _hidden_from(actor, r)]


TIMELINE_SHOWN = 100  # events the claim page shows before "toon alle"


@dataclass(frozen=True)
class PageTimeline:
    """What the claim page shows of a claim's timeline: a stretch of its events, and what it tells from
    all of them (every note, every letter, whether notice came late) without reading every event."""

    events: list[dict[str, Any]]  # as `timeline` gives them, in the order shown
    total: int  # the events `actor` may see, shown or not
    oldest_first: bool
    notes: list[dict[str, Any]]  # every note (its id, at, actor, kind and note), oldest first
    letters: list[dict[str, Any]]  # every letter `actor` may read, in the order of their events
    late_notice: bool

    @property
    def complete(self) -> bool:
        return len(self.events) == self.total


def page_timeline(
    session: Session,
    reference: str,
    actor: User | None = None,
    *,
    oldest_first: bool = False,
    limit: int | None = TIMELINE_SHOWN,
) -> PageTimeline:
    """The newest (or oldest) `limit` events of the claim's timeline (None: all of them), in that order,
    with the claim's notes and letters and its late-notice flag, as `actor` may see them."""
    conn = session.connection()
    claim = readable_claim(conn, reference, actor)
    # an expert's timeline leaves some complaint and document events out: found first, so that the
    # window below is `limit` events they may see and the total counts only those
    asides = events.kinds_and_data(conn, claim.id, _HIDDEN_KINDS) if _for_expert(actor) else []
    hidden = {r.id for r in asides if _hidden_from(actor, r)}
    written = [x for x in _letters_of(conn, claim.id, actor) if x["event_id"] not in hidden]
    by_event = _by_event(written)
    rows = events.window_of_claim(
        conn, claim.id, newest_first=not oldest_first, limit=limit, leaving_out=hidden
    )
    if limit is None:  # every event read: the notes, the count and the flag are told from them
        notes = sorted((_note(r._mapping) for r in rows if r.kind == "note"), key=lambda n: n["id"])
        total, late_notice = len(rows), any(r.kind == "late_notice" for r in rows)
    else:
        notes = [_note(r) for r in events.notes_of_claim(conn, claim.id)]
        total = events.count_of_claim(conn, claim.id) - len(hidden)
        late_notice = events.has_kind(conn, claim.id, "late_notice")
    return PageTimeline(
        events=[_event(r, by_event) for r in rows],
        total=total,
        oldest_first=oldest_first,
        notes=notes,
        letters=sorted(written, key=lambda x: (x["event_id"], x["id"])),
        late_notice=late_notice,
    )


def _by_event(written: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    by_event: dict[int, list[dict[str, Any]]] = {}
    for x in written:
        by_event.setdefault(x["event_id"], []).append(x)
    return by_event


def _event(row: Row[Any], letters_by_event: dict[int, list[dict[str, Any]]]) -> dict[str, Any]:
    r = row._mapping  # a row's attributes are looked up by name on each access: one mapping instead
    return {
        "id": r["id"],
        "at": r["at"],
        "actor": r["actor"],
        "kind": r["kind"],
        "trigger": r["trigger"],
        "from": r["from_state"],
        "to": r["to_state"],
        "data": r["data"],
        "note": r["note"],
        "version": r["claim_version"],
        "letters": letters_by_event.get(r["id"], []),
    }


def _note(r: Mapping[Any, Any]) -> dict[str, Any]:
    return {"id": r["id"], "at": r["at"], "actor": r["actor"], "kind": "note", "note": r["note"]}


# the kinds of event `_hidden_from` may leave out
_HIDDEN_KINDS = ("complaint", "document")


def _hidden_from(actor: User | None, event: Row[Any]) -> bool:
    """An internal document's events are the insurer's own, and so is a complaint about the claim's
    handling: an expert's timeline leaves them out."""
    if actor is None or actor.role != Role.expert:
        return False
    if event.kind.startswith("complaint"):
        return True
    return event.kind.startswith("document") and bool(event.data.get("visibility") != "shared")


def _for_expert(actor: User | None) -> bool:
    return actor is not None and actor.role == Role.expert


def _letters_of(conn: Connection, claim_id: int, actor: User | None = None) -> list[dict[str, Any]]:
    """The claim's letters, each with where it went (claims.reads.letter_status). An expert reads only
    the letters addressed to them: the ones to the insured and the claimant say what the insurer pays."""
    emails: dict[int, list[Any]] = {}
    for e in outbox.of_letters(conn, claim_id):
        emails.setdefault(e["letter_id"], []).append(e)
    out = []
    for r in letters.of_claim(conn, claim_id):
        if _for_expert(actor) and r["recipient"] != "expert":
            continue
        row = dict(r._mapping)
        row["dispatch"] = dispatch_lines(row, emails.get(row["id"], []))
        out.append(row)
    return out


def claim_letters(session: Session, reference: str, actor: User | None = None) -> list[dict[str, Any]]:
    """The claim's letters in the order they were written (without their text)."""
    conn = session.connection()
    return _letters_of(conn, readable_claim(conn, reference, actor).id, actor)


def letter(session: Session, letter_id: int, actor: User | None = None) -> dict[str, Any]:
    """One letter with its HTML and its claim's reference, if `actor` may read the claim."""
    conn = session.connection()
    row = letters.with_text(conn, letter_id)
    if row is None:
        raise LetterNotFound(f"Brief {letter_id} bestaat niet.")
    readable_claim(conn, row.reference, actor)
    if _for_expert(actor) and row.recipient != "expert":
        raise LetterNotFound(f"Brief {letter_id} bestaat niet.")  # as if it were not there
    return dict(row._mapping)


def claim_deadlines(session: Session, reference: str, actor: User | None = None) -> list[Row[Any]]:
    """Every deadline the claim has had, open ones first by due moment, then the closed ones."""
    conn = session.connection()
    claim = readable_claim(conn, reference, actor)
    # an expert never sees complaints, nor their clocks
    return deadlines.of_claim(conn, claim.id, course_only=actor is not None and actor.role == Role.expert)


def open_deadlines(
    session: Session, actor: User, now: datetime, *, overdue: bool = False, limit: int = 500
) -> list[Row[Any]]:
    """Open deadlines on the claims `actor` may see, soonest first; only past-due ones if `overdue`."""
    return deadlines.open_in_scope(
        session.connection(), visible_claims(actor), due_before=now if overdue else None, limit=limit
    )


def find_policies(session: Session, text: str, limit: int = 20) -> list[Row[Any]]:
    """Policies whose number or insured matches `text` (the melding form's policy lookup)."""
    return policies.matching(session.connection(), text.strip(), limit)


def policy_by_number(session: Session, number: str) -> Row[Any] | None:
    return policies.row_by_number(session.connection(), number.strip())
