"""One claim's timeline as a printable PDF: the claim's facts, a drawn timeline (the states as bands over
time, the events, letters and payments as marks, each deadline as a bar from the moment it was set), the
time per state and every row of the timeline. HTML from templates/exports, drawn by WeasyPrint."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from claims.documents.types import DOC_TYPES
from claims.exports.rows import KEYS, ClaimTimeline, Stay
from claims.kinds.intake import KIND_LABELS
from claims.reads.labels import OUTCOME_LABELS
from notifications.formatting import day_month, local_moment, month_year
from notifications.letters import LetterRenderer, to_pdf
from workflow.svgtext import svg_number, xml_text

EXPORT_DIR = Path(__file__).resolve().parents[2] / "templates" / "exports"
TEMPLATE = "tijdlijn"
WIDTH = 1000
LEFT = 150  # room for the lane names
LANE = 26
PALETTE = ("#cfe3f7", "#d8f0d2", "#fbe6c2", "#e9d8f4", "#f7d4d4", "#d3eeee", "#efe9c9", "#e2e2e2")
_COL = {k: i for i, k in enumerate(KEYS)}


def _x(moment: datetime, start: datetime, span: float) -> float:
    return LEFT + (WIDTH - LEFT - 10) * max(0.0, min(1.0, (moment - start).total_seconds() / span))


def _ticks(start: datetime, end: datetime) -> list[tuple[datetime, str]]:
    """Month starts (or days, for a claim of a few weeks) across the axis, at most a dozen labelled."""
    if end - start <= timedelta(days=45):
        first = start.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
        step = max(1, (end - start).days // 10 or 1)
        days = [first + timedelta(days=i) for i in range(0, (end - first).days + 1, step)]
        return [(d, day_month(d)) for d in days]
    out: list[tuple[datetime, str]] = []
    month = start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    while month <= end:
        month = (month + timedelta(days=32)).replace(day=1)
        if month <= end:
            out.append((month, month_year(month)))
    every = max(1, len(out) // 12 + (1 if len(out) % 12 else 0))
    return out[::every]


def timeline_svg(timeline: ClaimTimeline) -> str:
    """The drawn timeline; moments are placed in the display zone the rows are written in."""
    rows = timeline.history.rows
    moments = [datetime.fromisoformat(r[_COL["at"]]) for r in rows if r[_COL["at"]]]
    start = min(moments) if moments else timeline.generated_at
    closed = timeline.view.claim.closed_at
    end = max([*moments, closed or timeline.generated_at])
    if end <= start:
        end = start + timedelta(days=1)
    span = (end - start).total_seconds()
    deadlines = _deadline_bars(rows, end)
    lanes = ["Fasen", "Gebeurtenissen", "Brieven", "Geld"] + [label for label, *_ in deadlines]
    height = 40 + LANE * len(lanes) + 10
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'font-family="DejaVu Sans, sans-serif" font-size="10" role="img" aria-label="Tijdlijn">'
    ]
    for i, name in enumerate(lanes):
        y = 30 + i * LANE
        if i % 2 == 0:
            out.append(f'<rect x="0" y="{y}" width="{WIDTH}" height="{LANE}" fill="#f7f8fa"/>')
        out.append(f'<text x="4" y="{y + 16}" fill="#333">{xml_text(_short(name, 26))}</text>')
    for moment, label in _ticks(start, end):
        x = svg_number(_x(moment, start, span))
        out.append(f'<line x1="{x}" y1="22" x2="{x}" y2="{height - 10}" stroke="#ccd" stroke-width="0.5"/>')
        anchor = "end" if _x(moment, start, span) > WIDTH - 40 else "middle"
        out.append(f'<text x="{x}" y="16" text-anchor="{anchor}" fill="#555" font-size="9">{label}</text>')
    out += _state_bands(timeline.history.stays, {t.state: t.label for t in timeline.times}, start, end, span)
    lane_of = {"event": 1, "letter": 2, "money": 3}
    for r in rows:
        lane = lane_of.get(r[_COL["source"]])
        if lane is None or not r[_COL["at"]]:
            continue
        x = svg_number(_x(datetime.fromisoformat(r[_COL["at"]]), start, span))
        mid = 30.0 + lane * LANE + LANE / 2
        out.append(_mark(r[_COL["type"]], x, mid, f"{r[_COL['at']][:16]} {r[_COL['description']]}"))
    for i, (label, set_at, stop, due, lapsed, overdue) in enumerate(deadlines):
        mid = 30.0 + (4 + i) * LANE + LANE / 2
        x1, x2 = _x(set_at, start, span), _x(stop, start, span)
        colour = "#b42318" if overdue else "#8a94a6" if lapsed else "#2f6f3e"
        out.append(
            f'<line x1="{svg_number(x1)}" y1="{mid}" x2="{svg_number(max(x2, x1 + 2))}" y2="{mid}" '
            f'stroke="{colour}" stroke-width="4"><title>{xml_text(label)}</title></line>'
        )
        if start <= due <= end:
            xd = svg_number(_x(due, start, span))
            out.append(
                f'<line x1="{xd}" y1="{mid - 7}" x2="{xd}" y2="{mid + 7}" '
                'stroke="#b42318" stroke-width="1.5"/>'
            )
    out.append("</svg>")
    return "".join(out)


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _state_bands(
    stays: Sequence[Stay], labels: dict[str, str], start: datetime, end: datetime, span: float
) -> list[str]:
    out = []
    colours: dict[str, str] = {}
    for stay in stays:
        colour = colours.setdefault(stay.state, PALETTE[len(colours) % len(PALETTE)])
        label = labels.get(stay.state, stay.state)
        x1 = _x(stay.entered, start, span)
        x2 = _x(stay.left or end, start, span)
        w = max(x2 - x1, 1.5)
        out.append(
            f'<rect x="{svg_number(x1)}" y="33" width="{svg_number(w)}" height="{LANE - 6}" fill="{colour}" '
            f'stroke="#7a8699" stroke-width="0.5"><title>{xml_text(label)}</title></rect>'
        )
        if w > 40:
            out.append(
                f'<text x="{svg_number(x1 + 3)}" y="47" font-size="8" fill="#222">'
                f"{xml_text(_short(label, int(w / 5)))}</text>"
            )
    return out


def _mark(kind: str, x: str, y: float, title: str) -> str:
    tip = f"<title>{xml_text(title)}</title>"
    if kind in ("deadline_overdue", "deadline_escalated", "late_notice"):
        return f'<circle cx="{x}" cy="{y}" r="4.5" fill="#b42318">{tip}</circle>'
    if kind == "letter":
        return (
            f'<rect x="{x}" y="{y - 4}" width="8" height="8" transform="translate(-4 0)" '
            f'fill="#1f5fa8">{tip}</rect>'
        )
    if kind in ("payment", "deductible", "recovery", "reserve"):
        fill = "#2f6f3e" if kind == "payment" else "#9aa5b1"
        return f'<path d="M {x} {y - 5} l 5 5 l -5 5 l -5 -5 z" fill="{fill}">{tip}</path>'
    fill = "#243b53" if kind in ("transition", "opened") else "#8a94a6"
    return f'<circle cx="{x}" cy="{y}" r="3.5" fill="{fill}">{tip}</circle>'


def _deadline_bars(
    rows: Sequence[Sequence[Any]], end: datetime
) -> list[tuple[str, datetime, datetime, datetime, bool, bool]]:
    """Per deadline: label, set, when it stopped (met, lapsed, or the axis's end while it runs), due
    moment, lapsed?, late (met after it was due, or still open past due)?"""
    bars: dict[int, list[Any]] = {}
    for r in rows:
        if r[_COL["source"]] != "deadline":
            continue
        kind, key = r[_COL["type"]], r[_COL["source_id"]]
        at = datetime.fromisoformat(r[_COL["at"]])
        due = datetime.fromisoformat(r[_COL["due_at"]])
        if kind == "deadline_set":
            bars[key] = [r[_COL["description"]].split(": ", 1)[-1], at, None, due, False, False]
        elif key in bars:
            bars[key][2:] = [at, due, kind == "deadline_cancelled", kind == "deadline_met" and at > due]
    out = []
    for label, set_at, stop, due, lapsed, late in bars.values():
        if stop is None:
            stop, late = end, due < end
        out.append((label, set_at, stop, due, lapsed, late))
    return out


def _entries(rows: Sequence[Sequence[Any]], tz: ZoneInfo) -> list[dict[str, Any]]:
    def shown(iso: str) -> str:  # the zone is named in the heading
        return local_moment(datetime.fromisoformat(iso), tz) if iso else ""

    c = _COL
    out = []
    for r in rows:
        kind = r[c["type"]]
        late = kind in ("deadline_overdue", "deadline_escalated", "late_notice")
        out.append(
            {
                "at": shown(r[c["at"]]),
                "description": r[c["description"]],
                "actor": r[c["actor_name"]],
                "state": r[c["state"]],
                "due": shown(r[c["due_at"]]),
                "amount": r[c["amount"]],
                "detail": r[c["detail"]],
                "css": "laat" if late else "termijn" if r[c["source"]] == "deadline" else "",
            }
        )
    return out


def timeline_html(timeline: ClaimTimeline) -> str:
    tz = ZoneInfo(timeline.tz_name)
    renderer = LetterRenderer(EXPORT_DIR, tz)
    view = timeline.view
    facts = {
        "claim": view.claim,
        "policy": view.policy,
        "handler": view.handler,
        "expert": view.expert,
        "state_label": view.state_label,
        "kind_label": KIND_LABELS.get(view.claim.kind, view.claim.kind),
        "outcome_label": OUTCOME_LABELS.get(view.claim.outcome or "", ""),
        "history": timeline.history,
        "times": [{**vars(t), "days_text": str(t.days).replace(".", ",")} for t in timeline.times],
        "entries": _entries(timeline.history.rows, tz),
        "svg": timeline_svg(timeline),
        "generated_at": timeline.generated_at,
        "generated_local": timeline.generated_at.astimezone(tz).strftime("%H:%M"),
        "tz_name": timeline.tz_name,
        "documents": [
            {**d, "type_label": DOC_TYPES.get(d["doc_type"], d["doc_type"])} for d in timeline.documents
        ],
        "chain": timeline.chain,
        "collect": timeline.collect,
    }
    return renderer.render(TEMPLATE, facts).html


def timeline_pdf(timeline: ClaimTimeline) -> bytes:
    return to_pdf(timeline_html(timeline))
