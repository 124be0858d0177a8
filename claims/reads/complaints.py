"""Complaints as their readers see them: a claim's complaints with their clocks, the list across the
claims a reader may see (open first, by the next due moment), and the dashboard's figures. A complaint is
the handler's and the managers' business: an expert is refused (and shown none on the claim page)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.engine import Connection
from sqlmodel import Session

from claims.complaints.terms import (
    ACKNOWLEDGE,
    ANSWER,
    CLOCK_LABELS,
    EXTENDED_ANSWER,
    OPEN_STATUSES,
    OUTCOME_LABELS,
    STATUS_LABELS,
    clock_of,
)
from claims.people.permissions import may_act, visible_claims
from claims.reads.queries import readable_claim
from claims.storage.models import Role, User
from claims.storage.repositories import complaints, users
from claims.storage.scopes import EVERYTHING
from workflow.errors import Forbidden

FILTERS = {"open": "Open", "closed": "Beantwoord", "all": "Alle"}


def check_may_read(actor: User | None) -> None:
    """Forbidden for an expert or an admin (None: an operator at the command line reads all)."""
    if actor is not None and (not actor.active or actor.role not in (Role.handler, Role.manager)):
        raise Forbidden("Klachten zien de behandelaars en de managers; een expert ziet ze niet.")


@dataclass(frozen=True)
class ClockView:
    clock: str  # acknowledge | answer | answer_extended
    label: str
    due_at: datetime
    met_at: datetime | None
    cancelled_at: datetime | None
    flagged_at: datetime | None
    escalated_at: datetime | None

    @property
    def running(self) -> bool:
        return self.met_at is None and self.cancelled_at is None


def _clocks_by_complaint(rows: list[Row[Any]]) -> dict[int, list[ClockView]]:
    out: dict[int, list[ClockView]] = {}
    for r in rows:
        found = clock_of(r.name)
        if found is None:
            continue
        complaint_id, clock = found
        out.setdefault(complaint_id, []).append(
            ClockView(
                clock,
                CLOCK_LABELS[clock],
                r.due_at,
                r.met_at,
                r.cancelled_at,
                r.flagged_at,
                r.escalated_at,
            )
        )
    return out


def _shown(
    c: Any, clocks: list[ClockView], now: datetime, names: dict[int, str], **more: Any
) -> dict[str, Any]:
    running = [k for k in clocks if k.running]
    next_due = min((k.due_at for k in running), default=None)
    answer = next((k for k in clocks if k.clock == EXTENDED_ANSWER), None) or next(
        (k for k in clocks if k.clock == ANSWER), None
    )
    acknowledge = next((k for k in clocks if k.clock == ACKNOWLEDGE), None)
    return {
        **{k: c._mapping[k] for k in _COLUMNS},
        "status_label": STATUS_LABELS.get(c.status, c.status),
        "outcome_label": OUTCOME_LABELS.get(c.outcome or "", ""),
        "open": c.status in OPEN_STATUSES,
        "registered_by_name": names.get(c.registered_by, ""),
        "clocks": clocks,
        "acknowledge_due": acknowledge.due_at if acknowledge else None,
        "answer_due": answer.due_at if answer else None,
        "next_due": next_due,
        "overdue": any(k.due_at < now for k in running),
        **more,
    }


_COLUMNS = (
    "id",
    "claim_id",
    "number",
    "complainant_party_id",
    "complainant_name",
    "subject",
    "description",
    "received_on",
    "registered_by",
    "registered_at",
    "status",
    "acknowledged_at",
    "extended_at",
    "extension_reason",
    "answered_at",
    "answer",
    "outcome",
)


def _names(conn: Connection) -> dict[int, str]:
    return {u.id: u.name for u in users.everyone(conn).values()}


def claim_complaints(
    session: Session, reference: str, actor: User | None, now: datetime
) -> list[dict[str, Any]]:
    """The claim's complaints, the first registered first, each with its clocks and whether `actor` may
    take its next step ("may_act"); Forbidden for an expert."""
    check_may_read(actor)
    conn = session.connection()
    claim = readable_claim(conn, reference, actor)
    clocks = _clocks_by_complaint(complaints.clocks_of_claims(conn, [claim.id]))
    names = _names(conn)
    acting = actor is None or may_act(actor, claim)
    return [
        _shown(c, clocks.get(c.id, []), now, names, reference=claim.reference, may_act=acting)
        for c in complaints.of_claim(conn, claim.id)
    ]


def complaint_of_claim(
    session: Session, reference: str, complaint_id: int, actor: User | None, now: datetime
) -> dict[str, Any]:
    """One of the claim's complaints as `claim_complaints` shows it (after a step, say)."""
    found = next(
        (c for c in claim_complaints(session, reference, actor, now) if c["id"] == complaint_id), None
    )
    assert found is not None, (reference, complaint_id)
    return found


def complaint_list(
    session: Session, actor: User | None, now: datetime, *, which: str = "open"
) -> list[dict[str, Any]]:
    """The complaints on the claims `actor` may see (None: all): `which` open, closed (answered) or all;
    the open ones first, each group by its next due moment, then the latest received first."""
    check_may_read(actor)
    if which not in FILTERS:
        raise ValueError(which)
    conn = session.connection()
    statuses = OPEN_STATUSES if which == "open" else ("answered",) if which == "closed" else None
    scope = visible_claims(actor) if actor is not None else EVERYTHING
    rows = complaints.in_scope(conn, scope, statuses=statuses)
    clocks = _clocks_by_complaint(complaints.clocks_of_claims(conn, sorted({r.claim_id for r in rows})))
    names = _names(conn)
    shown = [
        _shown(r, clocks.get(r.id, []), now, names, reference=r.reference, handler_name=r.handler_name)
        for r in rows
    ]
    far = datetime.max.replace(tzinfo=now.tzinfo)
    shown.sort(key=lambda c: (not c["open"], c["next_due"] or far, -c["received_on"].toordinal(), -c["id"]))
    return shown


@dataclass(frozen=True)
class ComplaintFigures:
    open: int
    overdue_clocks: int


def complaint_figures(conn: Connection, actor: User, now: datetime) -> ComplaintFigures:
    """Open complaints and overdue complaint clocks on the claims `actor` may see (the dashboard's)."""
    scope = visible_claims(actor)
    return ComplaintFigures(complaints.open_count(conn, scope), complaints.overdue_clocks(conn, scope, now))
