"""What a team manager watches: open claims by kind and state, overdue deadlines by handler, time spent
per state, claims opened and closed per week, and the settlements waiting for a second pair of eyes; and
the money view: reserves and payments, payments per month, large losses, the load per handler and the
time to the first position on cover.

"Betaald" is what the claims' money lines of kind payment hold: a payment counts from the moment it was
made (approved within authority, or a proposal approved), net of cancellations (booked back as negative
lines when cancelled). It is the money the reserve was taken down by, so reserve + betaald is what the
claim costs; whether the bank has executed the transfer yet (payments.paid_on) is the payments list's
business, not the dashboard's."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection

from claims.people.permissions import check_is_manager
from claims.storage.models import COST_TYPE_LABELS, User
from claims.storage.repositories import dashboard as figures
from claims.storage.repositories import payments
from workflow.calendar import CalendarNotCovered, WorkingDayCalendar

WEEKS = 12
STAY_WINDOW = timedelta(days=365)
MONTHS = 12
# A position on cover (standpunt over dekking): confirming or rejecting it, the fast track (which settles
# on cover at once) or mitigation (which can only start on cover), or the deadline asking for it met.
POSITION_TRIGGERS = ("confirm_cover", "reject", "fast_track", "start_mitigation")
POSITION_DEADLINE = "standpunt_dekking"
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class StateStay:
    state: str
    count: int
    median_days: float
    p90_days: float


@dataclass(frozen=True)
class Dashboard:
    open_by_kind_state: dict[tuple[str, str], int]
    overdue_by_handler: list[tuple[str, str, int]]  # (e-mail, name, count)
    stays: list[StateStay]
    weeks: list[tuple[str, int, int]]  # (label, opened, closed)
    approvals: list[dict[str, Any]]


def dashboard(
    conn: Connection, actor: User, now: datetime, tz: ZoneInfo, *, approval_states: Collection[str]
) -> Dashboard:
    """The figures over all claims, for a manager (who sees all of them); Forbidden for anyone else.
    `approval_states`: the states where proposals wait for approval (the specs' `role: approval`)."""
    check_is_manager(actor)
    return replace(aggregates(conn, now, tz), approvals=approvals_waiting(conn, approval_states))


def aggregates(conn: Connection, now: datetime, tz: ZoneInfo) -> Dashboard:
    """The counts over all claims, the approvals left empty (a manager's to-do list, always read as it
    is). Checks no actor: for the stored snapshot (claims.reads.dashboard_cache), which no user asks."""
    return Dashboard(
        open_by_kind_state=_open_by_kind_state(conn),
        overdue_by_handler=_overdue_by_handler(conn, now),
        stays=_stays(conn, now),
        weeks=_weeks(conn, now, tz),
        approvals=[],
    )


def _open_by_kind_state(conn: Connection) -> dict[tuple[str, str], int]:
    return {(k, s): n for k, s, n in figures.open_by_kind_state(conn)}


def _overdue_by_handler(conn: Connection, now: datetime) -> list[tuple[str, str, int]]:
    return [(e, n, c) for e, n, c in figures.overdue_by_handler(conn, now)]


def _stays(conn: Connection, now: datetime) -> list[StateStay]:
    """How long claims stayed in each state they left in the last year (internal transitions, which
    stay in their state, are not a stay)."""
    days: dict[str, list[float]] = defaultdict(list)
    for state, entered, left in figures.states_left(conn, now - STAY_WINDOW):
        if entered is not None:
            days[state].append((left - entered).total_seconds() / 86400)
    return [StateStay(state, len(v), statistics.median(v), _p90(v)) for state, v in sorted(days.items())]


def _p90(values: list[float]) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


def _week_start(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _weeks(conn: Connection, now: datetime, tz: ZoneInfo) -> list[tuple[str, int, int]]:
    """Claims opened and closed per ISO week (Amsterdam), the last WEEKS weeks, this one included."""
    this_week = _week_start(now.astimezone(tz).date())
    starts = [this_week - timedelta(weeks=i) for i in reversed(range(WEEKS))]
    since = datetime.combine(starts[0], datetime.min.time(), tz)
    opened: Counter[date] = Counter()
    closed: Counter[date] = Counter()
    for moments, counter in (
        (figures.opened_since(conn, since), opened),
        (figures.closed_since(conn, since), closed),
    ):
        for moment in moments:
            counter[_week_start(moment.astimezone(tz).date())] += 1
    return [(f"wk {s.isocalendar().week}", opened[s], closed[s]) for s in starts]


def approvals_waiting(conn: Connection, states: Collection[str]) -> list[dict[str, Any]]:
    """What waits for a manager's approval: the claims in `states` and the transitions above their
    proposer's authority, the longest waiting first."""
    rows = sorted(
        (r for state in sorted(states) for r in figures.in_state_with_deadline(conn, state)),
        key=lambda r: r.state_entered_at,
    )
    return [
        {
            "reference": r.reference,
            "kind": r.kind,
            "claimant": r.claimant,
            "since": r.state_entered_at,
            "handler_name": r.handler_name,
            "due_at": r.due_at,
            "proposal": (r.case_data or {}).get("proposal"),
        }
        for r in rows
    ] + [
        # a transition above its actor's authority waits the same way (spec version 3 on)
        {
            "reference": p.claim_reference,
            "kind": p.kind,
            "claimant": p.claimant,
            "since": p.proposed_at,
            "handler_name": p.proposer_name,
            "due_at": None,
            "proposal": {"total": str(p.amount), "label": p.weighed.get("label", p.trigger)},
        }
        for p in payments.open_proposals(conn)
    ]


# ----------------------------------------------------------------------------------- the money view


@dataclass(frozen=True)
class MoneyCell:
    reserve: Decimal
    paid: Decimal


@dataclass(frozen=True)
class LargeLoss:
    reference: str
    kind: str
    state: str
    insured: str
    claimant: str
    handler_name: str
    reserve: Decimal  # damages
    paid: Decimal  # damages
    total: Decimal


@dataclass(frozen=True)
class HandlerLoad:
    email: str
    name: str
    open_claims: int
    open_reserve: Decimal


@dataclass(frozen=True)
class CycleTime:
    """Calendar days from the melding (date_reported) to the first position on cover (Amsterdam days)."""

    count: int
    median_days: float | None
    p90_days: float | None
    # the same in Dutch working days (weekends and public holidays left out); None where the calendar
    # does not cover a year the count passes through
    median_working_days: float | None = None
    p90_working_days: float | None = None


@dataclass(frozen=True)
class MoneyFigures:
    since: date  # the first day of the months shown (and of the cycle time's window)
    # (kind, cost type) -> open reserve of the open claims and paid on all claims
    cells: dict[tuple[str, str], MoneyCell]
    by_kind: dict[str, MoneyCell]
    by_cost_type: dict[str, MoneyCell]
    total: MoneyCell
    months: list[tuple[date, Decimal]]  # (first day of the month, paid in it), oldest first
    large_loss_above: Decimal
    large_losses: list[LargeLoss]
    handlers: list[HandlerLoad]
    first_position: CycleTime

    def cost_types(self, kind: str | None = None) -> list[str]:
        """The cost types with money (of `kind`, or of any kind), in the order of their labels."""
        found = {c for (k, c) in self.cells if kind is None or k == kind}
        order = list(COST_TYPE_LABELS)
        return sorted(found, key=lambda c: (order.index(c) if c in order else len(order), c))

    def kinds(self) -> list[str]:
        return sorted(self.by_kind)


def money_figures(
    conn: Connection,
    actor: User,
    now: datetime,
    tz: ZoneInfo,
    *,
    large_loss_above: Decimal,
    calendar: WorkingDayCalendar | None = None,
) -> MoneyFigures:
    """The money figures over all claims, for a manager; Forbidden for anyone else. The months and the
    cycle time cover the last MONTHS calendar months (Amsterdam), this one included."""
    check_is_manager(actor)
    return money_aggregates(conn, now, tz, large_loss_above=large_loss_above, calendar=calendar)


def money_aggregates(
    conn: Connection,
    now: datetime,
    tz: ZoneInfo,
    *,
    large_loss_above: Decimal,
    calendar: WorkingDayCalendar | None = None,
) -> MoneyFigures:
    """money_figures without the actor's check: for the stored snapshot, which no user asks."""
    cells = {(k, c): MoneyCell(r, p) for k, c, r, p in figures.money_by_kind(conn)}
    starts = _month_starts(now.astimezone(tz).date())
    bounds = [datetime.combine(d, datetime.min.time(), tz) for d in [*starts, _next_month(starts[-1])]]
    return assemble_money(
        since=starts[0],
        cells=cells,
        months=list(zip(starts, figures.paid_between(conn, bounds), strict=True)),
        large_loss_above=large_loss_above,
        large_losses=[LargeLoss(**r._asdict()) for r in figures.large_losses(conn, large_loss_above)],
        handlers=[HandlerLoad(e, n, c, r) for e, n, c, r in figures.open_by_handler(conn)],
        first_position=_cycle_time(conn, bounds[0], tz, calendar),
    )


def assemble_money(
    *,
    since: date,
    cells: dict[tuple[str, str], MoneyCell],
    months: list[tuple[date, Decimal]],
    large_loss_above: Decimal,
    large_losses: list[LargeLoss],
    handlers: list[HandlerLoad],
    first_position: CycleTime,
) -> MoneyFigures:
    """The money figures from their parts, the sums per kind, per cost type and in all worked out."""
    return MoneyFigures(
        since=since,
        cells=cells,
        by_kind=_sum_by(cells, 0),
        by_cost_type=_sum_by(cells, 1),
        total=_sum(cells.values()),
        months=months,
        large_loss_above=large_loss_above,
        large_losses=large_losses,
        handlers=handlers,
        first_position=first_position,
    )


def _sum(cells: Collection[MoneyCell]) -> MoneyCell:
    return MoneyCell(sum((c.reserve for c in cells), ZERO), sum((c.paid for c in cells), ZERO))


def _sum_by(cells: dict[tuple[str, str], MoneyCell], part: int) -> dict[str, MoneyCell]:
    groups: dict[str, list[MoneyCell]] = defaultdict(list)
    for key, cell in cells.items():
        groups[key[part]].append(cell)
    return {k: _sum(v) for k, v in groups.items()}


def _next_month(d: date) -> date:
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


def _month_starts(today: date) -> list[date]:
    """The first days of the last MONTHS months, this one included, oldest first."""
    starts = [today.replace(day=1)]
    for _ in range(MONTHS - 1):
        starts.append((starts[-1] - timedelta(days=1)).replace(day=1))
    return starts[::-1]


def _cycle_time(
    conn: Connection, since: datetime, tz: ZoneInfo, calendar: WorkingDayCalendar | None
) -> CycleTime:
    spans = [
        (reported, at.astimezone(tz).date())
        for reported, at in figures.first_positions(conn, POSITION_TRIGGERS, POSITION_DEADLINE, since)
    ]
    days = [float((end - start).days) for start, end in spans]
    if not days:
        return CycleTime(0, None, None)
    working: list[float] | None = None
    if calendar is not None:
        try:
            working = _working_spans(calendar, spans)
        except CalendarNotCovered:
            working = None
    return CycleTime(
        len(days),
        statistics.median(days),
        _p90(days),
        statistics.median(working) if working else None,
        _p90(working) if working else None,
    )


def _working_spans(calendar: WorkingDayCalendar, spans: list[tuple[date, date]]) -> list[float]:
    """_working_days of each span, from one count of the working days up to each date of the spans'
    range (at a million claims, asking the calendar day by day for each span takes minutes). Where the
    calendar does not cover all of that range, span by span: a gap between the spans must not refuse
    what the spans themselves allow."""
    first, last = min(s for s, _ in spans), max(e for _, e in spans)
    try:
        upto: dict[date, int] = {}
        count = 0
        for n in range((last - first).days + 1):
            day = first + timedelta(days=n)
            count += n > 0 and calendar.is_working_day(day)
            upto[day] = count
    except CalendarNotCovered:
        return [float(_working_days(calendar, start, end)) for start, end in spans]
    return [float(upto[end] - upto[start]) if end > start else 0.0 for start, end in spans]


def _working_days(calendar: WorkingDayCalendar, start: date, end: date) -> int:
    """The working days after `start` up to and including `end` (0 on the same day)."""
    return sum(
        1 for n in range(1, (end - start).days + 1) if calendar.is_working_day(start + timedelta(days=n))
    )
