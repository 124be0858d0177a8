"""Mijn werk: the handler's and the expert's home page (managers land on the dashboard), with the
handler's follow-ups (the diary)."""

from __future__ import annotations

from contextlib import suppress
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from claims.documents.types import DOC_TYPES
from claims.errors import ClaimNotFound
from claims.reads.work import NEW_DAYS, my_work
from claims.service.followups import add_followup, complete_followup
from claims.storage.models import Role
from claims.web.deps import Db, PageViewer, PostedForm, ReleasingRoute, Web, WebContext, csrf
from claims.web.pages import see_other
from claims.web.templating import render
from workflow.errors import Forbidden, InvalidInput, TransitionNotAllowed

router = APIRouter(include_in_schema=False, route_class=ReleasingRoute)
WORK_CSRF = "work"
_EXPIRED = "Ongeldig of verlopen formulier (CSRF). Open Mijn werk opnieuw."


def _page(
    request: Request,
    ctx: WebContext,
    db: Db,
    viewer: PageViewer,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    message: str = "",
    status: int = 200,
) -> Response:
    if viewer.user.role == Role.admin:
        raise Forbidden("Een beheerder behandelt geen claims: zie Gebruikers.")
    context = {
        "queue": my_work(db, ctx.rt.catalog, viewer.user, ctx.rt.clock()),
        "csrf": ctx.signer.csrf(viewer.session_key, WORK_CSRF),
        "values": values or {},
        "errors": errors or {},
        "message": message,
        "new_days": NEW_DAYS,
        "DOC_TYPES": DOC_TYPES,
    }
    return render(request, ctx, "work.html", context, status, viewer)


@router.get("/werk", response_class=HTMLResponse)
def work_page(request: Request, ctx: Web, db: Db, viewer: PageViewer, ok: str = "") -> Response:
    said = {"added": "De opvolging staat in uw agenda.", "done": "De opvolging is afgehandeld."}
    return _page(request, ctx, db, viewer, message=said.get(ok, ""))


@router.post("/werk/opvolgingen", response_class=HTMLResponse, dependencies=[csrf(WORK_CSRF, _EXPIRED)])
def post_followup(request: Request, ctx: Web, db: Db, viewer: PageViewer, values: PostedForm) -> Response:
    fields = {k: str(values.get(k, "")) for k in ("reference", "on", "text")}
    try:
        add_followup(
            db, ctx.rt, fields["reference"].strip().upper(), fields["on"], fields["text"], viewer.user
        )
    except InvalidInput as exc:
        return _page(request, ctx, db, viewer, values=fields, errors=dict(exc.errors), status=422)
    except ClaimNotFound as exc:  # the reference typed names no claim
        return _page(request, ctx, db, viewer, values=fields, errors={"reference": str(exc)}, status=422)
    return see_other("/werk?ok=added#opvolgingen")


@router.post(
    "/werk/opvolgingen/{reference}/{followup_id}/klaar",
    response_class=HTMLResponse,
    dependencies=[csrf(WORK_CSRF, _EXPIRED)],
)
def post_followup_done(
    request: Request, ctx: Web, db: Db, viewer: PageViewer, reference: str, followup_id: int
) -> Response:
    with suppress(TransitionNotAllowed):  # done twice (a double click): it is done
        complete_followup(db, ctx.rt, reference, followup_id, viewer.user)
    return see_other(f"/werk?ok=done#opvolgingen-{quote(reference)}")
