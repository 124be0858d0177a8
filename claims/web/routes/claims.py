"""The claims list, the melding form (a new claim), and the claim page with its transition and note forms."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from claims.kinds.intake import INTAKE_FIELDS, KIND_LABELS, KIND_SPECIFIC, applies
from claims.people.permissions import check_may_open
from claims.people.users import active_users_by_role
from claims.reads.claim_list import SORTS, ClaimFilter, check_filter, search_claims
from claims.reads.queries import find_policies, policy_by_number
from claims.service import add_note, advance, open_claim, preview, reopen_claim
from claims.storage.models import COST_TYPE_LABELS, Role
from claims.web.deps import (
    Db,
    FormData,
    PageViewer,
    PostedForm,
    ReleasingRoute,
    Viewer,
    Web,
    WebContext,
    claim_csrf,
    csrf,
)
from claims.web.errors import page_message
from claims.web.pages import Attempt, claim_page, fire_or_show_problem, see_other
from claims.web.templating import render
from workflow.errors import InvalidInput
from workflow.inputs import parse_money

router = APIRouter(include_in_schema=False, route_class=ReleasingRoute)


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
    open: str = "",
    reserve: str = "",
    paid: str = "",
    damages_above: str = "",
    paid_month: str = "",
    positioned_since: str = "",
) -> Response:
    try:
        above, bad_amount = (parse_money(damages_above) if damages_above.strip() else None), False
    except ValueError:
        above, bad_amount = None, True
    f = ClaimFilter(
        kind=kind or None,
        state=state or None,
        handler=handler or None,
        overdue=overdue == "1",
        q=q or None,
        sort=sort,
        open_only=open == "1",
        reserve=reserve or None,
        paid=paid or None,
        damages_above=above,
        paid_month=paid_month.strip() or None,
        positioned_since=positioned_since.strip() or None,
    )
    states = ctx.rt.catalog.state_labels()
    error = ""
    try:
        if bad_amount:
            raise InvalidInput({"damages_above": "geen bedrag"})
        check_filter(f, ctx.rt.catalog.kinds(), list(states))
        page = search_claims(
            db.connection(), viewer.user, f, ctx.rt.clock(), cursor=cursor or None, tz=ctx.rt.tz
        )
        items, next_cursor = page.items, page.next_cursor
    except InvalidInput as exc:
        error, items, next_cursor = page_message(exc), [], None
    query = {k: v for k, v in request.query_params.items() if k != "cursor" and v}
    context = {
        "f": f,
        "items": items,
        "error": error,
        "states": states,
        "kinds": KIND_LABELS,
        "sorts": {k: v[0] for k, v in SORTS.items()},
        "cost_types": COST_TYPE_LABELS,
        "damages_above": damages_above.strip(),
        "handlers": active_users_by_role(db).get(Role.handler, []),
        "next_url": f"/claims?{urlencode({**query, 'cursor': next_cursor})}" if next_cursor else None,
        "first_url": f"/claims?{urlencode(query)}" if cursor else None,
    }
    return render(request, ctx, "claims_list.html", context, 422 if error else 200, viewer)


# ---------------------------------------------------------------------------------------- melding


@router.get("/claims/new", response_class=HTMLResponse)
def new_claim_form(
    request: Request,
    ctx: Web,
    db: Db,
    viewer: PageViewer,
    policy_q: str = "",
    policy_number: str = "",
    kind: str = "",
) -> Response:
    check_may_open(viewer.user)
    values = {"policy_number": policy_number, **({"kind": kind} if kind in KIND_LABELS else {})}
    return _melding_page(request, ctx, db, viewer, values, {}, policy_q=policy_q)


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
        "kind_specific": KIND_SPECIFIC,
        "values": values,
        "errors": errors,
        "policy": policy,
        "policy_q": policy_q,
        "policies": find_policies(db, policy_q) if policy_q.strip() else [],
        "users_by_role": active_users_by_role(db),
        "csrf": ctx.signer.csrf(viewer.session_key, "melding"),
    }
    return render(request, ctx, "claim_new.html", context, status, viewer)


@router.post(
    "/claims/new",
    response_class=HTMLResponse,
    dependencies=[csrf("melding", "Ongeldig of verlopen formulier (CSRF). Open het formulier opnieuw.")],
)
def new_claim(request: Request, ctx: Web, db: Db, viewer: PageViewer, values: PostedForm) -> Response:
    kind = values.get("kind") or None
    # a field the chosen kind does not have (typed before the kind was changed) is not stored with it
    data = {
        k: v
        for k, v in values.items()
        if v != "" and k in {f.name for f in INTAKE_FIELDS} and applies(k, kind)
    }
    try:
        outcome = open_claim(db, ctx.rt, data, viewer.user)
    except InvalidInput as exc:
        return _melding_page(request, ctx, db, viewer, values, dict(exc.errors), status=422)
    return see_other(f"/claims/{outcome.reference}?ok=opened")


# ------------------------------------------------------------------------------------- claim page


@router.get("/claims/{reference}", response_class=HTMLResponse)
def show_claim(
    request: Request, ctx: Web, db: Db, viewer: PageViewer, reference: str, ok: str = ""
) -> Response:
    return claim_page(request, ctx, db, viewer, reference, done=ok)


@router.post("/claims/{reference}/transitions", response_class=HTMLResponse, dependencies=[claim_csrf])
def fire_transition(
    request: Request, ctx: Web, db: Db, viewer: PageViewer, reference: str, values: PostedForm
) -> Response:
    def calculate(trigger: str, inputs: dict[str, str], version: int) -> Response:
        """ "Bereken": the form shown again, filled in, with what firing it would pay now."""
        worked = preview(db, ctx.rt, reference, trigger, inputs, viewer.user, version)
        db.rollback()
        attempt = Attempt(trigger, values, computed=worked)
        return claim_page(request, ctx, db, viewer, reference, attempt=attempt)

    def fire(trigger: str, inputs: dict[str, str], version: int) -> Response:
        outcome = advance(db, ctx.rt, reference, trigger, inputs, viewer.user, version)
        if outcome.proposal_id is not None:  # above the actor's authority: waits for a manager
            return see_other(f"/claims/{quote(reference)}?ok=proposed#voorstel-{outcome.proposal_id}")
        if outcome.from_state == outcome.state:
            # a step within the state (an invoice, a reserve): back to its form, open, for the next one
            return see_other(f"/claims/{quote(reference)}?ok={quote(trigger)}#actie-{quote(trigger)}")
        return see_other(f"/claims/{quote(reference)}?ok={quote(trigger)}")

    return fire_or_show_problem(
        request, ctx, db, viewer, reference, values, calculate if values.get("calculate") else fire
    )


@router.post("/claims/{reference}/reopen", response_class=HTMLResponse, dependencies=[claim_csrf])
def post_reopen(
    request: Request, ctx: Web, db: Db, viewer: PageViewer, reference: str, values: PostedForm
) -> Response:
    def reopen(_trigger: str, inputs: dict[str, str], version: int) -> Response:
        reopen_claim(db, ctx.rt, reference, inputs.get("reason", ""), viewer.user, version)
        return see_other(f"/claims/{quote(reference)}?ok=reopened#acties")

    # the form's own name, whatever was posted as trigger: a refusal shows this form again, marked
    return fire_or_show_problem(request, ctx, db, viewer, reference, {**values, "trigger": "reopen"}, reopen)


@router.post("/claims/{reference}/notes", response_class=HTMLResponse, dependencies=[claim_csrf])
def post_note(
    request: Request, ctx: Web, db: Db, viewer: PageViewer, reference: str, values: PostedForm
) -> Response:
    try:
        add_note(db, ctx.rt, reference, values.get("note", ""), viewer.user, values.get("form_token", ""))
    except InvalidInput as exc:
        attempt = Attempt("note", values, dict(exc.errors))
        return claim_page(
            request, ctx, db, viewer, reference, problem=page_message(exc), attempt=attempt, status=422
        )
    return see_other(f"/claims/{quote(reference)}?ok=note#notities")
