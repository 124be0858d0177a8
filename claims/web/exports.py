"""Timeline exports on the web (buttons on the claim page and the dashboard) and in the API: thin over
claims.exports, which checks that the asker is a manager and records each export in the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from claims.exports import (
    CLAIM_FORMATS,
    MEDIA_TYPES,
    PORTFOLIO_FORMATS,
    ExportFile,
    ExportFormat,
    export_claim,
    export_portfolio,
    parse_format,
    parse_mode,
    parse_portfolio,
)
from claims.models import User
from claims.permissions import check_is_manager
from claims.web.deps import ApiViewer, Db, PageViewer, Web, WebContext
from claims.web.pages import dashboard_response
from workflow.errors import InvalidInput

T = TypeVar("T")
router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["api"])

ATTACHMENT_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
FORMAT_HELP = "pdf, csv, xlsx of json"
PORTFOLIO_HELP = "csv of xlsx"


def attachment(export: ExportFile) -> Response:
    """The file as a download, never kept by a cache or a browser's history of pages."""
    return StreamingResponse(
        export.chunks,
        media_type=export.media_type,
        headers={**ATTACHMENT_HEADERS, "Content-Disposition": f'attachment; filename="{export.filename}"'},
    )


def _collect(errors: dict[str, str], parse: Callable[[], T]) -> T | None:
    """The parsed value, or None with its problems added to `errors` (all fields are named at once)."""
    try:
        return parse()
    except InvalidInput as exc:
        errors.update(exc.errors)
        return None


def _portfolio(
    ctx: WebContext,
    user: User,
    channel: str,
    *,
    format: str,
    mode: str,
    kind: str,
    state: str,
    handler: str,
    overdue: bool,
    q: str,
    opened_from: str,
    opened_to: str,
) -> Response:
    errors: dict[str, str] = {}
    fmt = _collect(errors, lambda: parse_format(format, PORTFOLIO_FORMATS))
    chosen = _collect(errors, lambda: parse_mode(mode))
    f = _collect(
        errors,
        lambda: parse_portfolio(
            ctx.rt.catalog, kind=kind, state=state, handler=handler, overdue=overdue, q=q,
            opened_from=opened_from, opened_to=opened_to,
        ),
    )  # fmt: skip
    if errors or fmt is None or chosen is None or f is None:
        raise InvalidInput(errors)
    return attachment(export_portfolio(ctx.engine, ctx.rt, f, chosen, fmt, user, channel))


@router.get("/claims/{reference}/export")
def claim_export(ctx: Web, db: Db, viewer: PageViewer, reference: str, format: str = "pdf") -> Response:
    return attachment(
        export_claim(db, ctx.rt, reference, parse_format(format, CLAIM_FORMATS), viewer.user, "web")
    )


@router.get("/exports/timelines")
def portfolio_export(
    request: Request,
    ctx: Web,
    db: Db,
    viewer: PageViewer,
    format: str = "csv",
    mode: str = "events",
    kind: str = "",
    state: str = "",
    handler: str = "",
    overdue: str = "",
    q: str = "",
    opened_from: Annotated[str, Query(alias="from")] = "",
    opened_to: Annotated[str, Query(alias="to")] = "",
) -> Response:
    """The dashboard's export form: the file, or the dashboard again with the wrong fields marked."""
    check_is_manager(viewer.user)
    values = dict(request.query_params)
    try:
        return _portfolio(
            ctx, viewer.user, "web", format=format, mode=mode, kind=kind, state=state, handler=handler,
            overdue=overdue == "1", q=q, opened_from=opened_from, opened_to=opened_to,
        )  # fmt: skip
    except InvalidInput as exc:
        return dashboard_response(request, ctx, db, viewer, export_values=values, export_errors=exc.errors)


@api_router.get(
    "/exports/timelines",
    summary="Tijdlijnen van een portefeuille (managers): CSV of XLSX, gestreamd",
    response_class=Response,
    responses={200: {"content": {MEDIA_TYPES[ExportFormat.csv]: {}, MEDIA_TYPES[ExportFormat.xlsx]: {}}}},
)
def api_portfolio_export(
    ctx: Web,
    viewer: ApiViewer,
    format: Annotated[str, Query(description=PORTFOLIO_HELP)] = "csv",
    mode: Annotated[str, Query(description="events: een rij per gebeurtenis; claims: per claim")] = "events",
    kind: str = "",
    state: str = "",
    handler: Annotated[str, Query(description="e-mailadres van de behandelaar")] = "",
    overdue: bool = False,
    q: str = "",
    opened_from: Annotated[str, Query(alias="from", description="gemeld vanaf, JJJJ-MM-DD")] = "",
    opened_to: Annotated[str, Query(alias="to", description="gemeld tot en met, JJJJ-MM-DD")] = "",
) -> Response:
    check_is_manager(viewer.user)
    return _portfolio(
        ctx, viewer.user, "api", format=format, mode=mode, kind=kind, state=state, handler=handler,
        overdue=overdue, q=q, opened_from=opened_from, opened_to=opened_to,
    )  # fmt: skip


def api_claim_export(db: Db, ctx: Web, viewer: ApiViewer, reference: str, format: str) -> Response:
    """GET /api/claims/{reference}/timeline?format=…: the same timeline as a file (managers)."""
    return attachment(
        export_claim(db, ctx.rt, reference, parse_format(format, CLAIM_FORMATS), viewer.user, "api")
    )
