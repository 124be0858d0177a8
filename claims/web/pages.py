"""What the routes share to answer with a page: the redirect after a POST, and the pages that more
than one area shows again with a refused form's problems (the claim page, the dashboard).

Every POST answers with a redirect (POST-redirect-GET) or, when the input is refused, with the same
page again: the problem next to the field, the input kept, nothing stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from claims.complaints.terms import OUTCOME_LABELS
from claims.documents.types import DOC_TYPES, EXPERT_DOC_TYPES, VISIBILITIES
from claims.errors import StaleClaim
from claims.kinds.intake import KIND_LABELS
from claims.notify.outbox_view import incident_count
from claims.parties.fields import FIELDS
from claims.people.permissions import may_act
from claims.people.users import active_users_by_role
from claims.reads import dashboard_cache
from claims.reads.claim_header import claim_header
from claims.reads.complaints import claim_complaints, complaint_figures
from claims.reads.documents import claim_documents, open_requests
from claims.reads.labels import EVENT_LABELS
from claims.reads.money_view import money_view
from claims.reads.parties import claim_parties, may_change_parties, may_see_accounts
from claims.reads.queries import TIMELINE_SHOWN, claim_deadlines, claim_view, page_timeline
from claims.service import Preview
from claims.storage.models import Role, User
from claims.web import charts
from claims.web.deps import FormData, Viewer, WebContext
from claims.web.present import moment_text
from claims.web.security import claim_scope
from claims.web.templating import render
from notifications.formatting import month_year
from workflow.errors import InvalidInput, TransitionNotAllowed


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def safe_next(target: str | None) -> str:
    """`target` if it is a path on this site (never '//evil.example' or 'https://...'), else '/'."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def home_of(user: User) -> str:
    """Where a user lands after logging in: a manager on the dashboard, a handler and an expert on their
    work queue."""
    if user.role == Role.admin:
        return "/admin/users"
    return "/dashboard" if user.role == Role.manager else "/werk"


# ------------------------------------------------------------------------------------- claim page


@dataclass
class Attempt:
    """A refused form, shown again: which trigger, what was typed, what was wrong."""

    trigger: str
    values: FormData = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    # "Bereken": what firing it with these values would pay, worked out and rolled back
    computed: Preview | None = None


def claim_page(
    request: Request,
    ctx: WebContext,
    db: Session,
    viewer: Viewer,
    reference: str,
    *,
    message: str = "",
    problem: str = "",
    attempt: Attempt | None = None,
    status: int = 200,
    done: str = "",
) -> Response:
    """The claim page; `done` names what the previous POST did (the message after a redirect)."""
    view = claim_view(db, ctx.rt, reference, viewer.user)
    spec = ctx.rt.catalog.spec(view.claim.kind, view.claim.spec_version)
    # the newest events (the toggle: ?tijdlijn=oud), all of them with ?alles=1
    oldest_first = request.query_params.get("tijdlijn") == "oud"
    shown_all = request.query_params.get("alles") == "1"
    history = page_timeline(
        db, reference, viewer.user, oldest_first=oldest_first, limit=None if shown_all else TIMELINE_SHOWN
    )
    users_by_role = active_users_by_role(db)
    names = {u.email: u.name for users in users_by_role.values() for u in users}
    if done:
        fixed = {
            "opened": "De melding is geregistreerd.",
            "note": "De notitie is opgeslagen.",
            "reopened": "De claim is heropend; de termijnen van de fase lopen vanaf nu.",
            "party_added": "De partij is toegevoegd.",
            "party_changed": "De partij is gewijzigd.",
            "party_unchanged": "Er was niets aan de partij gewijzigd.",
            "document": "Het document is toegevoegd.",
            "answer": "Het document is gekoppeld als antwoord op het informatieverzoek.",
            "proposed": "Dit gaat boven uw bevoegdheid: het is als voorstel voorgelegd aan een manager. "
            "Er is nog niets betaald of gewijzigd.",
            "approved": "Het voorstel is goedgekeurd en uitgevoerd.",
            "rejected": "Het voorstel is afgewezen.",
            "withdrawn": "Het voorstel is ingetrokken.",
            "complaint_registered": "De klacht is geregistreerd; de termijnen lopen.",
            "complaint_acknowledged": "De ontvangst van de klacht is bevestigd; de brief is gemaakt.",
            "complaint_extended": "De antwoordtermijn van de klacht is verlengd; de brief is gemaakt.",
            "complaint_answered": "De klacht is beantwoord; de brief is gemaakt.",
        }
        transition = next((t for t in spec.transitions if t.trigger == done), None)
        message = fixed.get(done) or (f"Uitgevoerd: {transition.label}." if transition else "")
    money = money_view(db.connection(), ctx.rt, view.claim, viewer.user)
    context = {
        "view": view,
        "money": money,
        "payees": money.payees,
        "may_see_money": viewer.user.role in (Role.handler, Role.manager, Role.admin),
        "proposals_csrf": ctx.signer.csrf(viewer.session_key, "proposals"),
        "c": view.claim,
        "spec": spec,
        "diagram": ctx.diagrams.svg(spec, view.claim.state),
        "timeline": history,
        # newest first, each with its author and moment written here (see the timeline's days below);
        # with every event shown, the timeline holds every note in full and the column only the newest
        "notes": [
            n | {"who": names.get(n["actor"], n["actor"]), "at_text": moment_text(n["at"], ctx.rt.tz)}
            for n in history.notes[::-1][: NOTES_SHOWN if shown_all else None]
        ],
        "notes_total": len(history.notes),
        "letters": history.letters,
        "deadlines": claim_deadlines(db, reference, viewer.user),
        "names": names,
        "message": message,
        "done": done,
        "problem": problem,
        "attempt": attempt,
        "users_by_role": users_by_role,
        "csrf": ctx.signer.csrf(viewer.session_key, claim_scope(reference, view.claim.version)),
        "may_note": bool(view.allowed) or viewer.user.role == Role.manager,
        "may_post": viewer.user.role in (Role.handler, Role.manager),
        "letters_csrf": ctx.signer.csrf(viewer.session_key, "letters"),
        "parties": claim_parties(db, reference, viewer.user),
        "party_fields": FIELDS,
        "may_see_accounts": may_see_accounts(viewer.user),
        "may_change_parties": may_change_parties(viewer.user, view.claim),
        "kind_label": KIND_LABELS.get(view.claim.kind, view.claim.kind),
        "trigger_labels": ctx.rt.catalog.trigger_labels(view.claim.kind, view.claim.spec_version),
        "field_labels": {t.trigger: {f.name: f.label for f in t.fields} for t in spec.transitions},
        "documents": claim_documents(db, reference, viewer.user),
        "may_add_document": may_act(viewer.user, view.claim),
        "open_requests": open_requests(db, reference, viewer.user),
        "doc_types": {
            k: v for k, v in DOC_TYPES.items() if viewer.user.role != Role.expert or k in EXPERT_DOC_TYPES
        },
        "all_doc_types": DOC_TYPES,
        "visibilities": VISIBILITIES,
        "document_max_mb": ctx.settings.document_max_bytes / 1_000_000,
        # an expert never sees complaints: no section at all
        "complaints": (
            claim_complaints(db, reference, viewer.user, ctx.rt.clock())
            if viewer.user.role in (Role.handler, Role.manager)
            else None
        ),
        "complaint_outcomes": OUTCOME_LABELS,
        "complaint_terms": ctx.rt.complaint_terms,
        "may_act_on_claim": viewer.user.role in (Role.handler, Role.manager)
        and may_act(viewer.user, view.claim),
    }
    # by day in Amsterdam, each event with its moment, actor and label written here: on a timeline of
    # hundreds of events the template's four calls and a filter for each cost more than the rest of it
    days: list[tuple[date, list[dict[str, Any]]]] = []
    tz = ctx.rt.tz
    for e in history.events:
        at = e["at"]
        day = at.astimezone(tz).date()
        if not days or days[-1][0] != day:
            days.append((day, []))
        days[-1][1].append(
            e
            | {
                "at_iso": at.isoformat(),
                "at_text": moment_text(at, tz),
                "who": names.get(e["actor"], e["actor"] or "systeem"),
                "label": EVENT_LABELS.get(e["kind"], e["kind"]),
                "clocks": e["data"].get("clocks", {}),
            }
        )
    context["timeline_days"] = days
    context["notes_shown"] = NOTES_SHOWN
    context["shown_all"] = shown_all
    context["timeline_shown"] = TIMELINE_SHOWN
    context["timeline_urls"] = {
        "order": _timeline_url(reference, oldest_first=not oldest_first, shown_all=shown_all),
        "paging": _timeline_url(reference, oldest_first=oldest_first, shown_all=not shown_all),
    }
    context["oldest_first"] = oldest_first
    context["field_types"] = {t.trigger: {f.name: f.type for f in t.fields} for t in spec.transitions}
    context["field_choices"] = {
        t.trigger: {f.name: dict(f.choices) for f in t.fields if f.choices} for t in spec.transitions
    }
    parties = context["parties"]
    context["party_names"] = {str(p["id"]): p["name"] for p in parties} if isinstance(parties, list) else {}
    complaints = context["complaints"]
    context["header"] = claim_header(
        view.open_deadlines,
        history.late_notice,
        view.avg,
        view.waiting_clocks,
        complaints if isinstance(complaints, list) else None,
        ctx.rt.clock(),
        ctx.rt.tz,
    )
    return render(request, ctx, "claim.html", context, status, viewer)


NOTES_SHOWN = 10  # notes open beside the timeline; the older ones are one click away


def _timeline_url(reference: str, *, oldest_first: bool, shown_all: bool) -> str:
    """The claim page with its timeline in this order and this much of it, scrolled to the timeline."""
    query = "&".join(q for q, on in (("tijdlijn=oud", oldest_first), ("alles=1", shown_all)) if on)
    return f"/claims/{reference}{'?' + query if query else ''}#h-timeline"


# the form's own fields, not the transition's inputs ('preview' and 'calculate' name its buttons)
_FORM_FIELDS = ("csrf", "trigger", "version", "preview", "calculate")


def fire_or_show_problem(
    request: Request,
    ctx: WebContext,
    db: Session,
    viewer: Viewer,
    reference: str,
    values: FormData,
    action: Callable[[str, dict[str, str], int], Response],
) -> Response:
    """Run `action(trigger, inputs, version)` for a posted transition form (its CSRF token checked by
    deps.claim_csrf): firing it, or previewing its letters. A refusal shows the claim page again with
    the problem and the input kept."""
    trigger = values.get("trigger", "")
    try:
        version = int(values.get("version", ""))
    except ValueError:
        raise InvalidInput({"version": "ontbreekt of is geen getal"}) from None
    inputs = {k: v for k, v in values.items() if k not in _FORM_FIELDS and v != ""}
    attempt = Attempt(trigger, values)
    try:
        return action(trigger, inputs, version)
    except InvalidInput as exc:
        attempt.errors = dict(exc.errors)
        return claim_page(
            request,
            ctx,
            db,
            viewer,
            reference,
            problem="Controleer de gemarkeerde velden.",
            attempt=attempt,
            status=422,
        )
    except StaleClaim as exc:
        return claim_page(
            request,
            ctx,
            db,
            viewer,
            reference,
            problem=f"{exc} Bekijk de huidige stand hieronder en probeer het zo nodig opnieuw.",
            attempt=attempt,
            status=409,
        )
    except TransitionNotAllowed as exc:
        return claim_page(request, ctx, db, viewer, reference, problem=str(exc), attempt=attempt, status=409)


# -------------------------------------------------------------------------------------- dashboard

LARGE_LOSSES_SHOWN = 25


def dashboard_page(
    request: Request,
    ctx: WebContext,
    db: Session,
    viewer: Viewer,
    *,
    export_values: dict[str, str] | None = None,
    export_errors: dict[str, str] | None = None,
) -> Response:
    """The dashboard; with `export_errors`, its export form shown again as filled in, the problems marked."""
    now = ctx.rt.clock()
    figures = dashboard_cache.shown(
        db.connection(),
        viewer.user,
        ctx.rt,
        max_age=dashboard_cache.max_age(ctx.settings),
        approval_states=list(ctx.rt.catalog.approval_states()),
    )
    d, m = figures.dashboard, figures.money
    # whole euros, none below zero: the charts draw, the table under them gives the amounts to the cent
    months = [(start, max(int(paid.to_integral_value(ROUND_HALF_UP)), 0)) for start, paid in m.months]
    states = ctx.rt.catalog.state_labels()
    by_state: dict[str, int] = {}
    by_kind: dict[str, int] = {}
    for (kind, state), n in d.open_by_kind_state.items():
        by_state[state] = by_state.get(state, 0) + n
        by_kind[kind] = by_kind.get(kind, 0) + n
    state_order = list(states)
    context = {
        "d": d,
        "m": m,
        # the largest losses as rows, the rest behind the link to the list (at a million claims there
        # are thousands: a table no one reads, and most of the page's time)
        "large_shown": LARGE_LOSSES_SHOWN,
        "figures_at": figures.computed_at,
        "figures_live": figures.live,
        "refresh_csrf": ctx.signer.csrf(viewer.session_key, "dashboard"),
        "month_label": month_year,
        "days": _days,
        "chart_months": charts.grouped_bar_chart(
            [month_year(start) for start, _ in m.months],
            [("Betaald (€)", [euros for _, euros in months])],
            title="Betalingen per maand (afgelopen 12 maanden)",
            width=1120,
        ),
        # on a phone: a bar per month, readable at its own size
        "chart_months_narrow": charts.bar_chart(
            [(month_year(start), euros) for start, euros in months], title="Betaald per maand (€)", width=340
        ),
        "complaint_figures": complaint_figures(db.connection(), viewer.user, now),
        "incidents": incident_count(db),
        "states": states,
        "kinds": KIND_LABELS,
        "total_open": sum(by_kind.values()),
        "chart_kind": charts.bar_chart(
            [(KIND_LABELS.get(k, k), n) for k, n in sorted(by_kind.items())], title="Open claims per soort"
        ),
        "chart_state": charts.bar_chart(
            [(states.get(s, s), by_state[s]) for s in sorted(by_state, key=_position(state_order))],
            title="Open claims per fase",
        ),
        "chart_overdue": charts.bar_chart(
            [(name, n) for _, name, n in d.overdue_by_handler], title="Verlopen termijnen per behandelaar"
        ),
        "chart_stays": charts.range_chart(
            [(states.get(s.state, s.state), s.median_days, s.p90_days) for s in d.stays],
            title="Doorlooptijd per fase (afgelopen jaar)",
        ),
        "chart_weeks": charts.grouped_bar_chart(
            [w[0] for w in d.weeks],
            [("Geopend", [w[1] for w in d.weeks]), ("Gesloten", [w[2] for w in d.weeks])],
            title="Claims geopend en gesloten per week",
            width=1120,
        ),
        "kind_state_rows": sorted(
            d.open_by_kind_state.items(), key=lambda kv: (kv[0][0], _position(state_order)(kv[0][1]))
        ),
        "handlers": active_users_by_role(db).get(Role.handler, []),
        "export_values": export_values or {},
        "export_errors": export_errors or {},
    }
    return render(request, ctx, "dashboard.html", context, 422 if export_errors else 200, viewer)


def _days(value: float | None) -> str:
    """`14 dagen`, `18,8 dagen`, `1 dag`: a number of days, whole when it is."""
    if value is None:
        return ""
    shown = charts.format_number(int(value) if value == int(value) else value)
    return f"{shown} dag{'' if value == 1 else 'en'}"


def _position(order: list[str]) -> Callable[[str], int]:
    """Sort key: a state's place in the workflow; a state no current spec knows goes last."""
    return lambda state: order.index(state) if state in order else len(order)
