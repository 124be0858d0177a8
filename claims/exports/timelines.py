"""Timeline exports for managers: one claim (PDF, CSV, XLSX, JSON) to read, print or hand to a lawyer, and
a portfolio (CSV, XLSX; a row per event or a row per claim) to analyse. Every export is checked (managers
only; an operator at the command line may too) and recorded in the audit trail before any byte leaves.
The web, the API and the CLI all come through here."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from itertools import chain
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.engine import Connection
from sqlmodel import Session

from claims.exports.files import Sheet, csv_chunks, csv_text_chunks
from claims.exports.query import (
    PortfolioFilter,
    histories,
    one_claim,
    portfolio_criteria,
    portfolio_histories,
    user_emails,
    user_names,
)
from claims.exports.row_texts import csv_texts
from claims.exports.rows import (
    COLUMNS,
    KEYS,
    MOMENT_COLUMNS,
    ROW_LABELS,
    SOURCE_LABELS,
    ClaimTimeline,
    History,
    HistoryBuilder,
    as_dict,
    days,
    instant,
    stays_as_dicts,
)
from claims.exports.xlsx_stream import xlsx_chunks
from claims.kinds.catalog import Catalog
from claims.kinds.intake import KIND_LABELS
from claims.people.permissions import check_is_manager
from claims.reads.audit import record
from claims.reads.documents import claim_documents
from claims.reads.labels import OUTCOME_LABELS
from claims.reads.money_view import collectible
from claims.reads.queries import claim_view
from claims.runtime import Runtime
from claims.storage.models import User
from claims.storage.repositories import events, money
from workflow.errors import InvalidInput

T = TypeVar("T")
YEARS = (1900, 2999)  # a period's dates: beyond these no claim exists, and date arithmetic overflows


class ExportFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"
    pdf = "pdf"
    json = "json"


class PortfolioMode(StrEnum):
    events = "events"  # one row per event, deadline step, letter and money line
    claims = "claims"  # one row per claim, with its time per state


CLAIM_FORMATS = (ExportFormat.pdf, ExportFormat.csv, ExportFormat.xlsx, ExportFormat.json)
PORTFOLIO_FORMATS = (ExportFormat.csv, ExportFormat.xlsx)
MEDIA_TYPES = {
    ExportFormat.csv: "text/csv; charset=utf-8",
    ExportFormat.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.pdf: "application/pdf",
    ExportFormat.json: "application/json",
}
SHEET = "Tijdlijn"
# the timeline's columns by position (COLUMNS), for a spreadsheet
WIDTHS = (16, 22, 17, 12, 22, 48, 22, 32, 24, 20, 20, 17, 14, 22, 10, 60, 8)
EVENT_MONEY = frozenset({KEYS.index("amount")})
EVENT_DAYS = frozenset({KEYS.index("days_in_state")})


@dataclass
class ExportFile:
    """What an export hands to its channel: a name, a media type and the bytes, produced as they are
    read (a portfolio is read from the database while it is being sent)."""

    filename: str
    media_type: str
    chunks: Iterator[bytes]


def parse_format(value: str | None, allowed: Sequence[ExportFormat]) -> ExportFormat:
    names = ", ".join(f.value for f in allowed)
    try:
        fmt = ExportFormat((value or "").strip().lower())
    except ValueError:
        raise InvalidInput({"format": f"onbekend formaat '{value or ''}' (kies uit: {names})"}) from None
    if fmt not in allowed:
        raise InvalidInput({"format": f"'{fmt.value}' kan hier niet (kies uit: {names})"})
    return fmt


def parse_mode(value: str | None) -> PortfolioMode:
    try:
        return PortfolioMode((value or PortfolioMode.events.value).strip().lower())
    except ValueError:
        raise InvalidInput(
            {"mode": f"onbekende indeling '{value}' (events: een rij per gebeurtenis; claims: per claim)"}
        ) from None


def parse_portfolio(
    catalog: Catalog,
    *,
    kind: str | None = None,
    state: str | None = None,
    handler: str | None = None,
    overdue: bool = False,
    q: str | None = None,
    opened_from: str | date | None = None,
    opened_to: str | date | None = None,
    handlers: Container[str] | None = None,
) -> PortfolioFilter:
    """The portfolio filter from what a form, a query string or the command line gave; InvalidInput
    naming every field that is wrong. `handlers`: the e-mail addresses a handler filter may name."""
    errors: dict[str, str] = {}
    who = (handler or "").strip().lower()
    if who and handlers is not None and who not in handlers:
        errors["handler"] = f"onbekende behandelaar '{handler}'"
    if kind and kind not in catalog.kinds():
        errors["kind"] = f"onbekende soort claim '{kind}' ({', '.join(catalog.kinds())})"
    if state and state not in catalog.state_labels():
        errors["state"] = f"onbekende fase '{state}'"
    dates: dict[str, date | None] = {}
    for name, value in (("opened_from", opened_from), ("opened_to", opened_to)):
        dates[name] = None
        if isinstance(value, date):
            dates[name] = value
        elif value and value.strip():
            try:
                dates[name] = date.fromisoformat(value.strip())
            except ValueError:
                errors[name] = f"geen datum: '{value[:40]}' (JJJJ-MM-DD)"
        found = dates[name]
        if found and not YEARS[0] <= found.year <= YEARS[1]:
            errors[name] = f"ligt buiten {YEARS[0]}-{YEARS[1]}"
            dates[name] = None
    start, end = dates["opened_from"], dates["opened_to"]
    if start and end and start > end:
        errors["opened_to"] = "ligt vóór de begindatum"
    if q and len(q) > 200:
        errors["q"] = "hoogstens 200 tekens"
    if errors:
        raise InvalidInput(errors)
    return PortfolioFilter(
        kind=kind or None,
        state=state or None,
        handler=who or None,
        overdue=overdue,
        q=(q or "").strip() or None,
        opened_from=start,
        opened_to=end,
    )


def _collect(errors: dict[str, str], parse: Callable[[], T]) -> T | None:
    """The parsed value, or None with its problems added to `errors` (all fields are named at once)."""
    try:
        return parse()
    except InvalidInput as exc:
        errors.update(exc.errors)
        return None


def parse_portfolio_request(
    catalog: Catalog, handlers: Container[str], *, format: str, mode: str, **filters: Any
) -> tuple[ExportFormat, PortfolioMode, PortfolioFilter]:
    """Format, mode and filter of a portfolio export together, every wrong field named at once."""
    errors: dict[str, str] = {}
    fmt = _collect(errors, lambda: parse_format(format, PORTFOLIO_FORMATS))
    chosen = _collect(errors, lambda: parse_mode(mode))
    f = _collect(errors, lambda: parse_portfolio(catalog, handlers=handlers, **filters))
    if errors or fmt is None or chosen is None or f is None:
        raise InvalidInput(errors)
    return fmt, chosen, f


def known_addresses(conn: Connection) -> set[str]:
    """Every user's e-mail address: what a handler filter may name (a blocked handler's claims too)."""
    return set(user_emails(conn).values())


def _builder(
    conn: Connection, rt: Runtime, now: datetime, *, for_spreadsheet: bool = False
) -> HistoryBuilder:
    return HistoryBuilder(rt.catalog, user_names(conn), rt.tz, now, for_spreadsheet=for_spreadsheet)


def claim_timeline(
    session: Session, rt: Runtime, reference: str, actor: User | None, *, for_spreadsheet: bool = False
) -> ClaimTimeline:
    """The claim's timeline as the exports write it (`for_spreadsheet`: as CSV and XLSX write it, see
    HistoryBuilder); ClaimNotFound or Forbidden as for reading it."""
    view = claim_view(session, rt, reference, actor)
    now = rt.clock()
    conn = session.connection()
    builder = _builder(conn, rt, now, for_spreadsheet=for_spreadsheet)
    history = next(histories(conn, builder, one_claim(view.claim.reference)))
    head = events.head(conn, view.claim.id)  # in the same read as the rows, so it is their head
    collect = collectible(money.totals(conn, view.claim.id))
    found = claim_documents(session, reference, actor)
    return ClaimTimeline(view, history, builder.time_per_state(history), now, rt.tz.key, head, collect, found)


def summary_rows(timeline: ClaimTimeline) -> list[tuple[Any, ...]]:
    """The time per state as rows of the same layout, after the events (CSV and XLSX of one claim)."""
    claim = timeline.history.claim
    kind = KIND_LABELS.get(claim.kind, claim.kind)
    source, what = SOURCE_LABELS["summary"], ROW_LABELS["time_in_state"]
    return [
        (
            claim.reference, kind, "", source, what, f"{what}: {t.label}", "", "", t.label,
            "", "", "", None, "", t.days,
            f"{t.visits} keer" + (", loopt nog" if t.ongoing else ""), None,
        )
        for t in timeline.times
    ]  # fmt: skip


def export_claim(
    session: Session,
    rt: Runtime,
    reference: str,
    fmt: ExportFormat,
    actor: User | None,
    channel: str,
) -> ExportFile:
    """One claim's timeline as a file, for a manager; recorded in the audit trail."""
    if actor is not None:
        check_is_manager(actor)
    spreadsheet = fmt in (ExportFormat.csv, ExportFormat.xlsx)
    timeline = claim_timeline(session, rt, reference, actor, for_spreadsheet=spreadsheet)
    content = _claim_content(timeline, fmt)
    record(
        session,
        at=timeline.generated_at,
        actor=actor,
        channel=channel,
        action="export_timeline",
        subject=timeline.history.claim.reference,
        format=fmt.value,
        detail={"rows": len(timeline.history.rows)},
    )
    name = f"{timeline.history.claim.reference}-tijdlijn.{fmt.value}"
    return ExportFile(_filename(name), MEDIA_TYPES[fmt], iter([content]))


def _claim_content(timeline: ClaimTimeline, fmt: ExportFormat) -> bytes:
    rows = timeline.history.rows
    header = _headers(timeline.tz_name)
    if fmt is ExportFormat.csv:
        return b"".join(csv_chunks(header, [rows, summary_rows(timeline)]))
    if fmt is ExportFormat.xlsx:
        return b"".join(xlsx_chunks([_timeline_sheet(header, [*rows, *summary_rows(timeline)])]))
    if fmt is ExportFormat.json:
        return json.dumps(timeline_json(timeline), ensure_ascii=False, indent=2).encode()
    from claims.exports.pdf import timeline_pdf  # WeasyPrint loads slowly; only PDFs need it

    return timeline_pdf(timeline)


def timeline_json(timeline: ClaimTimeline) -> dict[str, Any]:
    view, claim = timeline.view, timeline.history.claim
    history = timeline.history
    return {
        "reference": claim.reference,
        "kind": claim.kind,
        "kind_label": KIND_LABELS.get(claim.kind, claim.kind),
        "state": claim.state,
        "state_label": view.state_label,
        "outcome": claim.outcome,
        "policy_number": view.policy.number,
        "insured": view.policy.insured,
        "claimant": view.claim.claimant,
        "handler": view.handler.email,
        "amount_claimed": str(view.claim.amount_claimed),
        "paid": str(history.paid),
        "reserve": str(history.reserve),
        "recovered": str(timeline.collect.recovered),
        "deductible_to_collect": str(timeline.collect.deductible_to_collect),
        "timezone": timeline.tz_name,
        "generated_at": timeline.generated_at.isoformat(),
        "time_per_state": stays_as_dicts(timeline.times),
        "rows": [as_dict(r) for r in history.rows],
    }


def _timeline_sheet(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Sheet:
    return Sheet(
        SHEET, header, rows, moments=MOMENT_COLUMNS, money=EVENT_MONEY, days=EVENT_DAYS, widths=WIDTHS
    )


def _headers(tz_name: str) -> list[str]:
    zone = {"at": f"Tijdstip ({tz_name})", "due_at": f"Termijn verloopt ({tz_name})"}
    return [zone.get(k, h) for k, h in COLUMNS]


def _filename(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


# ------------------------------------------------------------------------------------------ portfolio

CLAIM_COLUMNS: tuple[tuple[str, str], ...] = (
    ("reference", "Schadenummer"),
    ("claim_kind", "Soort claim"),
    ("state", "Fase"),
    ("outcome", "Uitkomst"),
    ("handler", "Behandelaar"),
    ("handler_email", "E-mail behandelaar"),
    ("insured", "Verzekerde"),
    ("claimant", "Benadeelde"),
    ("amount_claimed", "Geclaimd (EUR)"),
    ("reserve", "Reserve (EUR)"),
    ("paid", "Betaald (EUR)"),
    ("deductible", "Eigen risico (EUR)"),
    ("date_reported", "Gemeld op"),  # the melding's date, as the insured reported it
    ("opened_at", "Geregistreerd"),  # when the claim was entered here
    ("closed_at", "Gesloten"),
    ("events", "Gebeurtenissen"),
    ("days_open", "Doorlooptijd (dagen)"),
)
_CLAIM_KEYS = [k for k, _ in CLAIM_COLUMNS]
CLAIM_MOMENTS = frozenset(_CLAIM_KEYS.index(k) for k in ("opened_at", "closed_at"))
CLAIM_DATES = frozenset({_CLAIM_KEYS.index("date_reported")})
CLAIM_MONEY = frozenset(_CLAIM_KEYS.index(k) for k in ("amount_claimed", "reserve", "paid", "deductible"))
CLAIM_WIDTHS = (16, 22, 20, 14, 22, 32, 28, 28, 16, 16, 16, 16, 12, 17, 17, 12, 12)
STATE_WIDTH = 14


def state_columns(catalog: Catalog, kind: str | None) -> list[tuple[str, str]]:
    """(state, label) of every state a claim of `kind` (or any kind) can wait in, in workflow order."""
    out: dict[str, str] = {}
    for spec in sorted(catalog.specs.values(), key=lambda s: (s.kind, -s.version)):
        if kind and spec.kind != kind:
            continue
        for name, state in spec.states.items():
            if not state.terminal:
                out.setdefault(name, state.label)
    return list(out.items())


def claim_row(history: History, builder: HistoryBuilder, states: Sequence[str]) -> tuple[Any, ...]:
    """One claim's line in a portfolio: its facts, money, and days per state (empty where never)."""
    c = history.claim
    words = builder.words(c.kind, c.spec_version)
    spent: dict[str, float] = {}
    for stay in history.stays:
        spent[stay.state] = spent.get(stay.state, 0.0) + stay.seconds(builder.now)
    end = instant(c.closed_at) if c.closed_at is not None else builder.now
    return (
        c.reference,
        KIND_LABELS.get(c.kind, c.kind),
        words.states.get(c.state, c.state),
        OUTCOME_LABELS.get(c.outcome or "", c.outcome or ""),
        c.handler_name,
        c.handler,
        c.insured,
        c.claimant,
        Decimal(c.amount_claimed),
        history.reserve,
        history.paid,
        history.deductible,
        c.date_reported,
        builder.moment(c.created_at),
        builder.moment(c.closed_at),
        history.events,
        days((end - instant(c.created_at)).total_seconds()),
        *(days(spent[s]) if s in spent else None for s in states),
    )


def export_portfolio(
    engine: Engine,
    rt: Runtime,
    f: PortfolioFilter,
    mode: PortfolioMode,
    fmt: ExportFormat,
    actor: User | None,
    channel: str,
    *,
    progress: Callable[[int], None] | None = None,
) -> ExportFile:
    """The claims `f` selects as a file, read from the database while it is written: memory holds one
    chunk of claims whatever their number. `progress` hears how many rows (events mode) or claims were
    written since it was last told."""
    if actor is not None:
        check_is_manager(actor)
    if fmt not in PORTFOLIO_FORMATS:
        raise InvalidInput({"format": "een portefeuille gaat als csv of xlsx"})
    now = rt.clock()
    with Session(engine, expire_on_commit=False) as session:
        record(
            session,
            at=now,
            actor=actor,
            channel=channel,
            action="export_portfolio",
            subject=f.words(),
            format=fmt.value,
            detail={"mode": mode.value, "filter": f.as_dict()},
        )
    stamp = now.astimezone(rt.tz).strftime("%Y%m%d-%H%M")
    name = f"portefeuille-{'tijdlijnen' if mode is PortfolioMode.events else 'claims'}-{stamp}.{fmt.value}"
    return ExportFile(
        _filename(name), MEDIA_TYPES[fmt], _portfolio_chunks(engine, rt, f, mode, fmt, actor, now, progress)
    )


def _portfolio_chunks(
    engine: Engine,
    rt: Runtime,
    f: PortfolioFilter,
    mode: PortfolioMode,
    fmt: ExportFormat,
    actor: User | None,
    now: datetime,
    progress: Callable[[int], None] | None,
) -> Iterator[bytes]:
    # One read transaction for the whole file, so it shows the portfolio at one moment: a snapshot on
    # SQLite (WAL), REPEATABLE READ on PostgreSQL.
    options = {} if engine.dialect.name == "sqlite" else {"isolation_level": "REPEATABLE READ"}
    with engine.connect().execution_options(**options) as conn, conn.begin():
        builder = _builder(conn, rt, now, for_spreadsheet=True)
        if mode is PortfolioMode.events and fmt is ExportFormat.csv:
            # each claim's lines as stored where nothing they are built from has changed (row_texts)
            selected = portfolio_criteria(actor, f, now, rt.tz)
            texts = csv_texts(conn, builder, rt.catalog, selected)
            yield from csv_text_chunks(_headers(rt.tz.key), _counted(texts, progress))
            return
        found = portfolio_histories(conn, builder, actor, f, rt.tz)
        batches: Iterable[Sequence[Sequence[Any]]]
        if mode is PortfolioMode.events:
            header, batches = _headers(rt.tz.key), _event_batches(found, progress)
        else:
            states = state_columns(rt.catalog, f.kind)
            header = [h for _, h in CLAIM_COLUMNS] + [f"Dagen in {label}" for _, label in states]
            names = [s for s, _ in states]
            batches = _claim_batches(found, builder, names, progress)
        if fmt is ExportFormat.csv:
            # event rows come out of the builder inert; a claim's row carries names as typed
            yield from csv_chunks(header, batches, inert_already=mode is PortfolioMode.events)
            return
        # the zip goes out as its rows are read: the first bytes leave at once, memory stays flat
        rows = chain.from_iterable(batches)
        if mode is PortfolioMode.events:
            sheet = _timeline_sheet(header, rows)
        else:
            days_from = _CLAIM_KEYS.index("days_open")
            sheet = Sheet(
                "Claims",
                header,
                rows,
                moments=CLAIM_MOMENTS,
                dates=CLAIM_DATES,
                money=CLAIM_MONEY,
                days=frozenset(range(days_from, len(header))),
                widths=(*CLAIM_WIDTHS, *(STATE_WIDTH for _ in states)),
            )
        yield from xlsx_chunks([sheet])


def _counted(
    texts: Iterable[tuple[bytes, int]], progress: Callable[[int], None] | None
) -> Iterator[tuple[bytes, int]]:
    for text, rows in texts:
        yield text, rows
        if progress:
            progress(rows)


def _event_batches(
    found: Iterable[History], progress: Callable[[int], None] | None
) -> Iterator[list[tuple[Any, ...]]]:
    for history in found:
        yield history.rows
        if progress:
            progress(len(history.rows))


def _claim_batches(
    found: Iterable[History],
    builder: HistoryBuilder,
    states: Sequence[str],
    progress: Callable[[int], None] | None,
) -> Iterator[list[tuple[Any, ...]]]:
    for history in found:
        yield [claim_row(history, builder, states)]
        if progress:
            progress(1)
