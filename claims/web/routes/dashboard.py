"""The manager's dashboard: open claims, overdue deadlines and lead times, with the export form; and
its figures computed again at a manager's request."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from claims.people.permissions import check_is_manager
from claims.reads import dashboard_cache
from claims.web.deps import Db, PageViewer, ReleasingRoute, Web, csrf
from claims.web.pages import dashboard_page, see_other

router = APIRouter(include_in_schema=False, route_class=ReleasingRoute)


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, ctx: Web, db: Db, viewer: PageViewer) -> Response:
    return dashboard_page(request, ctx, db, viewer)


@router.post("/dashboard/bijwerken", response_class=HTMLResponse, dependencies=[csrf("dashboard")])
def refresh(ctx: Web, db: Db, viewer: PageViewer) -> Response:
    """Compute the figures now and store them: the dashboard then shows them with this moment."""
    check_is_manager(viewer.user)
    dashboard_cache.refresh(db, ctx.rt)
    return see_other("/dashboard")
