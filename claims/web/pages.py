"""The server-rendered pages: log-in, claims list, melding form, claim page, dashboard, users.

Every POST answers with a redirect (POST-redirect-GET) or, when the input is refused, with the same
page again: the problem next to the field, the input kept, nothing stored.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from claims.errors import LoginRefused, StaleClaim
from claims.kinds.intake import INTAKE_FIELDS, KIND_LABELS
from claims.notify.inbox import mark_all_read, notifications
from claims.notify.outbox_view import incident_count
from claims.people.admin import set_active
from claims.people.logins import authenticate, end_session, start_session
from claims.people.permissions import check_may_manage_users, check_may_open
from claims.people.users import active_users_by_role, add_user, all_users
from claims.reads.claim_list import SORTS, ClaimFilter, check_filter, search_claims
from claims.reads.dashboard import dashboard as dashboard_figures
from claims.reads.queries import claim_deadlines, claim_view, find_policies, policy_by_number, timeline
from claims.service import add_note, advance, open_claim
from claims.storage.db import in_write
from claims.storage.models import Role, User
from claims.web import charts
from claims.web.deps import Db, MaybeViewer, PageViewer, ReleasingRoute, Viewer, Web, WebContext
from claims.web.errors import message_of, status_of
from claims.web.security import COOKIE, LOGIN_COOKIE, claim_scope
from claims.web.templating import render
from workflow.diagram import to_svg
from workflow.errors import Forbidden, InvalidInput, TransitionNotAllowed, WorkflowError
from workflow.inputs import parse_money

router = APIRouter(include_in_schema=False, route_class=ReleasingRoute)
FormData = dict[str, str]


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _form_values(raw: Any) -> FormData:
    """The posted fields as text; an empty field counts as not filled in."""
    bad = sorted(k for k, v in raw.items() if isinstance(v, str) and "\x00" in v)
    if bad:
        raise InvalidInput({k: "bevat een ongeldig teken" for k in bad})
    return {
        k: v.strip() if k not in ("note", "description") else v for k, v in raw.items() if isinstance(v, str)
    }


async def posted_form(request: Request) -> FormData:
    """The posted form, read on the event loop (reading a body is waiting, not work); the endpoint
    that takes it stays sync, so its database work runs on a worker thread (deps.ReleasingRoute)."""
    return _form_values(await request.form())


PostedForm = Annotated[FormData, Depends(posted_form)]


def _safe_next(target: str | None) -> str:
    # only a path on this site: never '//evil.example' or 'https://...'
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _home(user: User) -> str:
    return "/admin/users" if user.role == Role.admin else "/claims"


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "?"


# ------------------------------------------------------------------------------------------ log-in


@router.get("/", response_class=HTMLResponse)
def home(viewer: MaybeViewer) -> Response:
    return _see_other(_home(viewer.user) if viewer else "/login")


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, ctx: Web, viewer: MaybeViewer, next: str = "/") -> Response:
    if viewer is not None:
        return _see_other(_safe_next(next) if next != "/" else _home(viewer.user))
    return _login_page(request, ctx, next=next)


def _login_page(
    request: Request, ctx: WebContext, *, next: str, email: str = "", error: str = "", status: int = 200
) -> Response:
    # Log-in CSRF: the form carries a nonce that must match a cookie only this site could have set.
    nonce = secrets.token_urlsafe(16)
    response = render(
        request, ctx, "login.html", {"next": next, "email": email, "error": error, "nonce": nonce}, status
    )
    response.set_cookie(
        LOGIN_COOKIE, ctx.signer.sign(nonce), httponly=True, samesite="strict", secure=_secure(ctx)
    )
    return response


def _secure(ctx: WebContext) -> bool:
    return ctx.settings.environment == "production"


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    ctx: Web,
    db: Db,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    nonce: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    cookie = request.cookies.get(LOGIN_COOKIE)
    if not nonce or not cookie or ctx.signer.unsign(cookie) != nonce:
        return _login_page(
            request,
            ctx,
            next=next,
            email=email,
            error="Het formulier was verlopen. Probeer het opnieuw.",
            status=400,
        )
    try:
        user = authenticate(db, email, password, _client_ip(request), ctx.rt.clock())
    except LoginRefused as exc:
        response = _login_page(
            request, ctx, next=next, email=email, error=str(exc), status=429 if exc.retry_after else 401
        )
        if exc.retry_after:
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    token = start_session(db, user, ctx.rt.clock())
    response = _see_other(_safe_next(next) if next != "/" else _home(user))
    response.set_cookie(
        COOKIE,
        ctx.signer.sign(token),
        max_age=int(ctx.policy.absolute.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=_secure(ctx),
    )
    response.delete_cookie(LOGIN_COOKIE)
    return response


@router.post("/logout")
def logout(
    request: Request, ctx: Web, db: Db, viewer: PageViewer, csrf: Annotated[str, Form()] = ""
) -> Response:
    if not ctx.signer.csrf_ok(viewer.session_key, "logout", csrf):
        raise Forbidden("Ongeldig of verlopen formulier (CSRF).")
    token = ctx.signer.unsign(request.cookies.get(COOKIE, "")) or ""
    end_session(db, token, ctx.rt.clock())
    response = _see_other("/login")
    response.delete_cookie(COOKIE)
    return response


# ------------------------------------------------------------------------------------ claims list


@router.get("/claims", response_class=HTMLResponse)
def claims_list(
    request: Request,
    ctx: Web,
    db: Db,
    viewer: PageViewer,
    kind: str = "",
    state: str = "",
    handler: str = "",
    overdue: str = "",
    q: str = "",
    sort: str = "nieuwste",
    cursor: str = "",
) -> Response:
    f = ClaimFilter(
        kind=kind or None,
        state=state or None,
        handler=handler or None,
        overdue=overdue == "1",
        q=q or None,
        sort=sort,
    )
    states = ctx.rt.catalog.state_labels()
    error = ""
    try:
        check_filter(f, ctx.rt.catalog.kinds(), list(states))
        page = search_claims(db.connection(), viewer.user, f, ctx.rt.clock(), cursor=cursor or None)
        items, next_cursor = page.items, page.next_cursor
    except InvalidInput as exc:
        error, items, next_cursor = message_of(exc), [], None
    query = {k: v for k, v in request.query_params.items() if k != "cursor" and v}
    context = {
        "f": f,
        "items": items,
        "error": error,
        "states": states,
        "kinds": KIND_LABELS,
        "sorts": {k: v[0] for k, v in SORTS.items()},
        "handlers": active_users_by_role(db).get(Role.handler, []),
        "next_url": f"/claims?{urlencode({**query, 'cursor': next_cursor})}" if next_cursor else None,
        "first_url": f"/claims?{urlencode(query)}" if cursor else None,
    }
    return render(request, ctx, "claims_list.html", context, 422 if error else 200, viewer)


# ---------------------------------------------------------------------------------------- melding


@router.get("/claims/new", response_class=HTMLResponse)
def new_claim_form(
    request: Request, ctx: Web, db: Db, viewer: PageViewer, policy_q: str = "", policy_number: str = ""
) -> Response:
    check_may_open(viewer.user)
    return _melding_page(request, ctx, db, viewer, {"policy_number": policy_number}, {}, policy_q=policy_q)


def _melding_page(
    request: Request,
    ctx: WebContext,
    db: Session,
    viewer: Viewer,
    values: FormData,
    errors: dict[str, str],
    *,
    policy_q: str = "",
    status: int = 200,
) -> Response:
    policy = policy_by_number(db, values["policy_number"]) if values.get("policy_number") else None
    context = {
        "fields": INTAKE_FIELDS,
        "values": values,
        "errors": errors,
        "policy": policy,
        "policy_q": policy_q,
        "policies": find_policies(db, policy_q) if policy_q.strip() else [],
        "users_by_role": active_users_by_role(db),
        "csrf": ctx.signer.csrf(viewer.session_key, "melding"),
    }
    return render(request, ctx, "claim_new.html", context, status, viewer)


@router.post("/claims/new", response_class=HTMLResponse)
def new_claim(request: Request, ctx: Web, db: Db, viewer: PageViewer, values: PostedForm) -> Response:
    if not ctx.signer.csrf_ok(viewer.session_key, "melding", values.pop("csrf", "")):
        raise Forbidden("Ongeldig of verlopen formulier (CSRF). Open het formulier opnieuw.")
    data = {k: v for k, v in values.items() if v != "" and k in {f.name for f in INTAKE_FIELDS}}
    try:
        outcome = open_claim(db, ctx.rt, data, viewer.user)
    except InvalidInput as exc:
        return _melding_page(request, ctx, db, viewer, values, dict(exc.errors), status=422)
    return _see_other(f"/claims/{outcome.reference}?ok=opened")


# ------------------------------------------------------------------------------------- claim page


@dataclass
class Attempt:
    """A refused form, shown again: which trigger, what was typed, what was wrong."""

    trigger: str
    values: FormData = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def _claim_page(
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
    events = timeline(db, reference, viewer.user)
    users_by_role = active_users_by_role(db)
    names = {u.email: u.name for users in users_by_role.values() for u in users}
    if done:
        fixed = {"opened": "De melding is geregistreerd.", "note": "De notitie is opgeslagen."}
        transition = next((t for t in spec.transitions if t.trigger == done), None)
        message = fixed.get(done) or (f"Uitgevoerd: {transition.label}." if transition else "")
    context = {
        "view": view,
        "c": view.claim,
        "spec": spec,
        "diagram": to_svg(spec, view.claim.state),
        "events": events,
        "notes": [e for e in events if e["kind"] == "note"],
        "letters": [x for e in events for x in e["letters"]],
        "deadlines": claim_deadlines(db, reference, viewer.user),
        "names": names,
        "message": message,
        "problem": problem,
        "attempt": attempt,
        "users_by_role": users_by_role,
        "csrf": ctx.signer.csrf(viewer.session_key, claim_scope(reference, view.claim.version)),
        "may_note": bool(view.allowed) or viewer.user.role == Role.manager,
        "kind_label": KIND_LABELS.get(view.claim.kind, view.claim.kind),
        "trigger_labels": {t.trigger: t.label for t in spec.transitions},
        "field_labels": {t.trigger: {f.name: f.label for f in t.fields} for t in spec.transitions},
    }
    return render(request, ctx, "claim.html", context, status, viewer)


@router.get("/claims/{reference}", response_class=HTMLResponse)
def claim_page(
    request: Request, ctx: Web, db: Db, viewer: PageViewer, reference: str, ok: str = ""
) -> Response:
    return _claim_page(request, ctx, db, viewer, reference, done=ok)


def _csrf_for_claim(ctx: WebContext, viewer: Viewer, reference: str, values: FormData) -> None:
    if not ctx.signer.csrf_ok(
        viewer.session_key, claim_scope(reference, values.get("version", "")), values.get("csrf", "")
    ):
        raise Forbidden("Ongeldig of vervalst formulier (CSRF). Er is niets doorgevoerd.")


@router.post("/claims/{reference}/transitions", response_class=HTMLResponse)
def fire_transition(
    request: Request, ctx: Web, db: Db, viewer: PageViewer, reference: str, values: PostedForm
) -> Response:
    def fire(trigger: str, inputs: dict[str, str], version: int) -> Response:
        advance(db, ctx.rt, reference, trigger, inputs, viewer.user, version)
        return _see_other(f"/claims/{quote(reference)}?ok={quote(trigger)}")

    return fire_or_show_problem(request, ctx, db, viewer, reference, values, fire)


# the form's own fields, not the transition's inputs ('preview' is the preview button's name)
_FORM_FIELDS = ("csrf", "trigger", "version", "preview")


def fire_or_show_problem(
    request: Request,
    ctx: WebContext,
    db: Session,
    viewer: Viewer,
    reference: str,
    values: FormData,
    action: Callable[[str, dict[str, str], int], Response],
) -> Response:
    """Check a posted transition form and run `action(trigger, inputs, version)`: firing it, or
    previewing its letters. A refusal shows the claim page again with the problem and the input kept."""
    _csrf_for_claim(ctx, viewer, reference, values)
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
        return _claim_page(
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
        return _claim_page(
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
        return _claim_page(request, ctx, db, viewer, reference, problem=str(exc), attempt=attempt, status=409)


@router.post("/claims/{reference}/notes", response_class=HTMLResponse)
def post_note(
    request: Request, ctx: Web, db: Db, viewer: PageViewer, reference: str, values: PostedForm
) -> Response:
    _csrf_for_claim(ctx, viewer, reference, values)
    try:
        add_note(db, ctx.rt, reference, values.get("note", ""), viewer.user)
    except InvalidInput as exc:
        attempt = Attempt("note", values, dict(exc.errors))
        return _claim_page(
            request, ctx, db, viewer, reference, problem=message_of(exc), attempt=attempt, status=422
        )
    return _see_other(f"/claims/{quote(reference)}?ok=note#notities")


# ------------------------------------------------------------------------------------ notifications


@router.get("/berichten", response_class=HTMLResponse)
def inbox(request: Request, ctx: Web, db: Db, viewer: PageViewer, ok: str = "") -> Response:
    context = {
        "items": notifications(db, viewer.user),
        "csrf": ctx.signer.csrf(viewer.session_key, "inbox"),
        "message": "Alle berichten zijn als gelezen gemarkeerd." if ok else "",
    }
    return render(request, ctx, "inbox.html", context, 200, viewer)


@router.post("/berichten/gelezen", response_class=HTMLResponse)
def inbox_read(ctx: Web, db: Db, viewer: PageViewer, csrf: Annotated[str, Form()] = "") -> Response:
    if not ctx.signer.csrf_ok(viewer.session_key, "inbox", csrf):
        raise Forbidden("Ongeldig of verlopen formulier (CSRF).")
    mark_all_read(db, viewer.user, ctx.rt.clock())
    return _see_other("/berichten?ok=1")


# -------------------------------------------------------------------------------------- dashboard


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(request: Request, ctx: Web, db: Db, viewer: PageViewer) -> Response:
    return dashboard_response(request, ctx, db, viewer)


def dashboard_response(
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
    d = dashboard_figures(db.connection(), viewer.user, now, ctx.rt.tz)
    states = ctx.rt.catalog.state_labels()
    by_state: dict[str, int] = {}
    by_kind: dict[str, int] = {}
    for (kind, state), n in d.open_by_kind_state.items():
        by_state[state] = by_state.get(state, 0) + n
        by_kind[kind] = by_kind.get(kind, 0) + n
    state_order = list(states)
    context = {
        "d": d,
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


def _position(order: list[str]) -> Any:
    """Sort key: a state's place in the workflow; a state no current spec knows goes last."""
    return lambda state: order.index(state) if state in order else len(order)


# ------------------------------------------------------------------------------------------ users


def _users_page(
    request: Request,
    ctx: WebContext,
    db: Session,
    viewer: Viewer,
    *,
    values: FormData | None = None,
    errors: dict[str, str] | None = None,
    message: str = "",
    status: int = 200,
) -> Response:
    context = {
        "users": all_users(db),
        "values": values or {},
        "errors": errors or {},
        "message": message,
        "csrf": ctx.signer.csrf(viewer.session_key, "users"),
    }
    return render(request, ctx, "users.html", context, status, viewer)


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, ctx: Web, db: Db, viewer: PageViewer, ok: str = "") -> Response:
    check_may_manage_users(viewer.user)
    messages = {
        "added": "De gebruiker is toegevoegd.",
        "blocked": "Geblokkeerd.",
        "unblocked": "Gedeblokkeerd.",
    }
    return _users_page(request, ctx, db, viewer, message=messages.get(ok, ""))


@router.post("/admin/users", response_class=HTMLResponse)
def users_add(request: Request, ctx: Web, db: Db, viewer: PageViewer, values: PostedForm) -> Response:
    check_may_manage_users(viewer.user)
    if not ctx.signer.csrf_ok(viewer.session_key, "users", values.get("csrf", "")):
        raise Forbidden("Ongeldig of verlopen formulier (CSRF).")
    errors: dict[str, str] = {}
    limit: Decimal | None = None
    if values.get("authority_limit"):
        try:
            limit = parse_money(values["authority_limit"], "bevoegdheid")
        except ValueError as exc:
            errors["authority_limit"] = str(exc)
    try:
        if errors:
            raise InvalidInput(errors)
        # a write transaction from the start: SQLite cannot turn a reading one into a writing one
        in_write(
            db,
            lambda _conn: add_user(
                db,
                email=values.get("email", ""),
                name=values.get("name", ""),
                role=values.get("role", ""),
                password=values.get("password", ""),
                now=ctx.rt.clock(),
                authority_limit=limit,
                team=values.get("team") or "BAV",
                actor=viewer.user,
            ),
        )
    except InvalidInput as exc:
        values.pop("password", None)
        return _users_page(request, ctx, db, viewer, values=values, errors=dict(exc.errors), status=422)
    return _see_other("/admin/users?ok=added")


@router.post("/admin/users/{user_id}/active", response_class=HTMLResponse)
def users_active(
    request: Request,
    ctx: Web,
    db: Db,
    viewer: PageViewer,
    user_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    active: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    if not ctx.signer.csrf_ok(viewer.session_key, "users", csrf):
        raise Forbidden("Ongeldig of verlopen formulier (CSRF).")
    try:
        in_write(db, lambda _conn: set_active(db, viewer.user, user_id, active == "1", ctx.rt.clock()))
    except InvalidInput as exc:
        return _users_page(request, ctx, db, viewer, message=message_of(exc), status=422)
    return _see_other(f"/admin/users?ok={'unblocked' if active == '1' else 'blocked'}")


def error_page(request: Request, ctx: WebContext, viewer: Viewer | None, exc: WorkflowError) -> Response:
    return render(request, ctx, "error.html", {"message": message_of(exc)}, status_of(exc), viewer)
