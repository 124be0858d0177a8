"""Complaints (klachten) in the web app and the API: the claim page's forms to register a complaint and
take its next step (acknowledge, extend once, answer), each redirecting back to the claim or showing the
page again with the problem next to the field; the list page /klachten; and the same under /api."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from claims.complaints.terms import OUTCOME_LABELS
from claims.reads.complaints import FILTERS, claim_complaints, complaint_list, complaint_of_claim
from claims.service.complaints import (
    REGISTER_FIELDS,
    ComplaintStep,
    acknowledge_complaint,
    answer_complaint,
    extend_complaint,
    register_complaint,
)
from claims.web.deps import (
    ApiViewer,
    Db,
    DbId,
    FormData,
    PageViewer,
    PostedForm,
    ReleasingRoute,
    Viewer,
    Web,
    WebContext,
    claim_csrf,
)
from claims.web.errors import API_PREFIX, page_message
from claims.web.pages import Attempt, claim_page, see_other
from claims.web.routes.api import answer_every_method
from claims.web.schemas import (
    API_AUTH,
    IN_ADDRESS,
    WRITES,
    ComplaintAcknowledge,
    ComplaintAnswer,
    ComplaintCreate,
    ComplaintExtend,
    ComplaintPublic,
    answers,
)
from claims.web.templating import render
from workflow.errors import InvalidInput, TransitionNotAllowed

router = APIRouter(include_in_schema=False, route_class=ReleasingRoute)
api_router = APIRouter(prefix=API_PREFIX, tags=["api"], dependencies=API_AUTH, route_class=ReleasingRoute)
Reference = Annotated[str, Path(description="het schadenummer", json_schema_extra=IN_ADDRESS)]
Which = Annotated[
    str, Query(description="open, closed (beantwoord) of all", json_schema_extra={"enum": list(FILTERS)})
]

# ------------------------------------------------------------------------------------------- pages


def _step_or_form_again(
    request: Request,
    ctx: WebContext,
    db: Db,
    viewer: Viewer,
    reference: str,
    key: str,
    values: FormData,
    step: Callable[[], ComplaintStep],
    done: str,
) -> Response:
    """Take the step and go back to the complaint on the claim page; a refusal shows the page again with
    the problem, the form open and what was typed kept."""
    try:
        taken = step()
    except InvalidInput as exc:
        attempt = Attempt(key, values, dict(exc.errors))
        return claim_page(
            request, ctx, db, viewer, reference, problem=page_message(exc), attempt=attempt, status=422
        )
    except TransitionNotAllowed as exc:
        return claim_page(
            request, ctx, db, viewer, reference, problem=str(exc), attempt=Attempt(key, values), status=409
        )
    return see_other(f"/claims/{quote(reference)}?ok={done}#klacht-{taken.complaint_id}")


@router.post("/claims/{reference}/complaints", response_class=HTMLResponse, dependencies=[claim_csrf])
def post_complaint(
    request: Request, ctx: Web, db: Db, viewer: PageViewer, reference: str, values: PostedForm
) -> Response:
    fields = {k: values.get(k, "") for k in REGISTER_FIELDS}
    return _step_or_form_again(
        request,
        ctx,
        db,
        viewer,
        reference,
        "complaint-new",
        values,
        lambda: register_complaint(db, ctx.rt, reference, fields, viewer.user),
        "complaint_registered",
    )


@router.post(
    "/claims/{reference}/complaints/{complaint_id}/acknowledge",
    response_class=HTMLResponse,
    dependencies=[claim_csrf],
)
def post_acknowledge(
    request: Request,
    ctx: Web,
    db: Db,
    viewer: PageViewer,
    reference: str,
    complaint_id: DbId,
    values: PostedForm,
) -> Response:
    return _step_or_form_again(
        request,
        ctx,
        db,
        viewer,
        reference,
        f"complaint-{complaint_id}-acknowledge",
        values,
        lambda: acknowledge_complaint(db, ctx.rt, reference, complaint_id, viewer.user),
        "complaint_acknowledged",
    )


@router.post(
    "/claims/{reference}/complaints/{complaint_id}/extend",
    response_class=HTMLResponse,
    dependencies=[claim_csrf],
)
def post_extend(
    request: Request,
    ctx: Web,
    db: Db,
    viewer: PageViewer,
    reference: str,
    complaint_id: DbId,
    values: PostedForm,
) -> Response:
    fields = {"reason": values.get("reason", "")}
    return _step_or_form_again(
        request,
        ctx,
        db,
        viewer,
        reference,
        f"complaint-{complaint_id}-extend",
        values,
        lambda: extend_complaint(db, ctx.rt, reference, complaint_id, fields, viewer.user),
        "complaint_extended",
    )


@router.post(
    "/claims/{reference}/complaints/{complaint_id}/answer",
    response_class=HTMLResponse,
    dependencies=[claim_csrf],
)
def post_answer(
    request: Request,
    ctx: Web,
    db: Db,
    viewer: PageViewer,
    reference: str,
    complaint_id: DbId,
    values: PostedForm,
) -> Response:
    fields = {"answer": values.get("answer", ""), "outcome": values.get("outcome", "")}
    return _step_or_form_again(
        request,
        ctx,
        db,
        viewer,
        reference,
        f"complaint-{complaint_id}-answer",
        values,
        lambda: answer_complaint(db, ctx.rt, reference, complaint_id, fields, viewer.user),
        "complaint_answered",
    )


@router.get("/klachten", response_class=HTMLResponse)
def complaints_page(request: Request, ctx: Web, db: Db, viewer: PageViewer, status: str = "open") -> Response:
    """Every complaint the viewer may see: open ones first, by the next due moment."""
    which = status if status in FILTERS else "open"
    items = complaint_list(db, viewer.user, ctx.rt.clock(), which=which)
    context = {"items": items, "which": which, "filters": FILTERS, "outcomes": OUTCOME_LABELS}
    return render(request, ctx, "complaints.html", context, 200 if which == status else 422, viewer)


# --------------------------------------------------------------------------------------------- API


def complaint_json(c: dict[str, Any], now: Any) -> ComplaintPublic:
    return ComplaintPublic.model_validate(
        {
            **c,
            "registered_by": c["registered_by_name"],
            "clocks": [
                {
                    "clock": k.clock,
                    "label": k.label,
                    "due_at": k.due_at,
                    "met_at": k.met_at,
                    "cancelled_at": k.cancelled_at,
                    "overdue": k.running and k.due_at < now,
                }
                for k in c["clocks"]
            ],
        }
    )


def _one(db: Db, ctx: WebContext, reference: str, complaint_id: int, viewer: Viewer) -> ComplaintPublic:
    now = ctx.rt.clock()
    return complaint_json(complaint_of_claim(db, reference, complaint_id, viewer.user, now), now)


@api_router.get(
    "/claims/{reference}/complaints",
    summary="De klachten over een claim, met hun termijnen (niet voor experts)",
    responses=answers(403, 404),
)
def api_claim_complaints(reference: Reference, ctx: Web, db: Db, viewer: ApiViewer) -> list[ComplaintPublic]:
    now = ctx.rt.clock()
    return [complaint_json(c, now) for c in claim_complaints(db, reference, viewer.user, now)]


@api_router.post(
    "/claims/{reference}/complaints",
    status_code=201,
    summary="Een klacht registreren (behandelaar of manager; ook op een gesloten claim)",
    response_model=ComplaintPublic,
    responses={
        **answers(403, 404, 422, *WRITES),
        201: {
            "headers": {"Location": {"description": "de klachten van de claim", "schema": {"type": "string"}}}
        },
    },
)
def api_register(
    reference: Reference, body: ComplaintCreate, ctx: Web, db: Db, viewer: ApiViewer
) -> JSONResponse:
    step = register_complaint(db, ctx.rt, reference, body.model_dump(), viewer.user)
    return JSONResponse(
        _one(db, ctx, reference, step.complaint_id, viewer).model_dump(mode="json"),
        status_code=201,
        headers={"Location": f"/api/claims/{quote(reference)}/complaints"},
    )


@api_router.post(
    "/claims/{reference}/complaints/{complaint_id}/acknowledge",
    summary="De ontvangst van een klacht bevestigen (met de brief)",
    responses=answers(403, 404, 409, 422, *WRITES),  # 409: already acknowledged or answered
)
def api_acknowledge(
    reference: Reference, complaint_id: DbId, body: ComplaintAcknowledge, ctx: Web, db: Db, viewer: ApiViewer
) -> ComplaintPublic:
    acknowledge_complaint(db, ctx.rt, reference, complaint_id, viewer.user)
    return _one(db, ctx, reference, complaint_id, viewer)


@api_router.post(
    "/claims/{reference}/complaints/{complaint_id}/extend",
    summary="De antwoordtermijn eenmalig verlengen, met de reden (en de brief)",
    responses=answers(403, 404, 409, 422, *WRITES),  # 409: extended before, or answered
)
def api_extend(
    reference: Reference, complaint_id: DbId, body: ComplaintExtend, ctx: Web, db: Db, viewer: ApiViewer
) -> ComplaintPublic:
    extend_complaint(db, ctx.rt, reference, complaint_id, body.model_dump(), viewer.user)
    return _one(db, ctx, reference, complaint_id, viewer)


@api_router.post(
    "/claims/{reference}/complaints/{complaint_id}/answer",
    summary="Een klacht beantwoorden: het definitieve standpunt, met de Kifid-route in de brief",
    responses=answers(403, 404, 409, 422, *WRITES),  # 409: answered before
)
def api_answer(
    reference: Reference, complaint_id: DbId, body: ComplaintAnswer, ctx: Web, db: Db, viewer: ApiViewer
) -> ComplaintPublic:
    answer_complaint(db, ctx.rt, reference, complaint_id, body.model_dump(), viewer.user)
    return _one(db, ctx, reference, complaint_id, viewer)


@api_router.get(
    "/complaints",
    summary="De klachten over de claims die u mag zien: open eerst, op de eerstvolgende termijn",
    responses=answers(403, 422),
)
def api_complaints(ctx: Web, db: Db, viewer: ApiViewer, status: Which = "open") -> list[ComplaintPublic]:
    if status not in FILTERS:
        raise InvalidInput({"status": "open, closed of all"})
    now = ctx.rt.clock()
    return [complaint_json(c, now) for c in complaint_list(db, viewer.user, now, which=status)]


answer_every_method(api_router)  # GET and POST share the list's path: OPTIONS and 405 name both
