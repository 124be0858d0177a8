"""The manager's dashboard: open claims, overdue deadlines and lead times, with the export form."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from claims.web.deps import Db, PageViewer, ReleasingRoute, Web
from claims.web.pages import dashboard_page

router = APIRouter(include_in_schema=False, route_class=ReleasingRoute)


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, ctx: Web, db: Db, viewer: PageViewer) -> Response:
    return dashboard_page(request, ctx, db, viewer)
