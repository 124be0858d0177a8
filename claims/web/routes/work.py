"""Mijn werk: the handler's and the expert's home page (managers land on the dashboard)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from claims.reads.work import my_work
from claims.storage.models import Role
from claims.web.deps import Db, PageViewer, ReleasingRoute, Web
from claims.web.templating import render
from workflow.errors import Forbidden

router = APIRouter(include_in_schema=False, route_class=ReleasingRoute)


@router.get("/werk", response_class=HTMLResponse)
def work_page(request: Request, ctx: Web, db: Db, viewer: PageViewer) -> Response:
    if viewer.user.role == Role.admin:
        raise Forbidden("Een beheerder behandelt geen claims: zie Gebruikers.")
    queue = my_work(db, ctx.rt.catalog, viewer.user, ctx.rt.clock())
    return render(request, ctx, "work.html", {"queue": queue}, 200, viewer)
