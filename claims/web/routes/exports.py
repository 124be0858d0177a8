"""Timeline exports on the web (buttons on the claim page and the dashboard) and in the API: thin over
claims.exports.timelines, which checks that the asker is a manager and records each export in the
audit trail."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from sqlmodel import Session

from claims.exports.dossier import export_dossier
from claims.exports.timelines import (
    CLAIM_FORMATS,
    ExportFormat,
    PortfolioMode,
    export_claim,
    export_portfolio,
    known_addresses,
    parse_format,
    parse_portfolio_request,
)
from claims.people.permissions import check_is_manager
from claims.storage.models import User
from claims.web.capacity import refuse_head
from claims.web.deps import ApiViewer, Db, PageViewer, ReleasingRoute, Web, WebContext
from claims.web.errors import API_PREFIX
from claims.web.files import attachment
from claims.web.pages import dashboard_page
from claims.web.schemas import (
    API_AUTH,
    BINARY,
    CSV,
    IN_ADDRESS,
    KINDS,
    MODE_NAMES,
    PORTFOLIO_FORMAT_NAMES,
    STATES,
    XLSX,
    answers,
    enum_of,
)
from workflow.errors import InvalidInput

# every route here records an export: HEAD, which would record one and send nothing, is refused
NO_HEAD = [Depends(refuse_head)]
router = APIRouter(include_in_schema=False, route_class=ReleasingRoute, dependencies=NO_HEAD)
api_router = APIRouter(
    prefix=API_PREFIX, tags=["api"], dependencies=[*API_AUTH, *NO_HEAD], route_class=ReleasingRoute
)

Reference = Annotated[str, Path(description="het schadenummer", json_schema_extra=IN_ADDRESS)]
FORMAT_HELP = "pdf, csv, xlsx of json"
PORTFOLIO_HELP = "csv of xlsx"
FROM_HELP = "gemeld vanaf, JJJJ-MM-DD (1900-2999); leeg: geen grens"
TO_HELP = "gemeld tot en met, JJJJ-MM-DD (1900-2999), niet vóór from; leeg: geen grens"
SHORT = {"maxLength": 200, **IN_ADDRESS}  # the length is checked by parse_portfolio, with the rest
# a period's bound: empty, or a day in claims.exports.timelines.YEARS
PERIOD = {
    "anyOf": [
        {"type": "string", "maxLength": 0},
        {"type": "string", "format": "date", "pattern": "^(19|2[0-9])[0-9]{2}-[0-9]{2}-[0-9]{2}$"},
    ]
}


def _portfolio(ctx: WebContext, db: Session, user: User, channel: str, **request: Any) -> Response:
    fmt, mode, f = parse_portfolio_request(ctx.rt.catalog, known_addresses(db.connection()), **request)
    return attachment(export_portfolio(ctx.engine, ctx.rt, f, mode, fmt, user, channel))


@router.get("/claims/{reference}/export")
def claim_export(ctx: Web, db: Db, viewer: PageViewer, reference: str, format: str = "pdf") -> Response:
    check_is_manager(viewer.user)  # before looking at what was asked: a refusal tells nothing
    return attachment(
        export_claim(db, ctx.rt, reference, parse_format(format, CLAIM_FORMATS), viewer.user, "web")
    )


@router.get("/claims/{reference}/dossier.zip")
def dossier_export(ctx: Web, viewer: PageViewer, reference: str) -> Response:
    """The claim's whole file as one ZIP: timeline, letters, documents, manifest."""
    check_is_manager(viewer.user)
    return attachment(export_dossier(ctx.engine, ctx.rt, ctx.documents, reference, viewer.user, "web"))


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
            ctx, db, viewer.user, "web", format=format, mode=mode, kind=kind, state=state, handler=handler,
            overdue=overdue == "1", q=q, opened_from=opened_from, opened_to=opened_to,
        )  # fmt: skip
    except InvalidInput as exc:
        return dashboard_page(request, ctx, db, viewer, export_values=values, export_errors=exc.errors)


@api_router.get(
    "/claims/{reference}/dossier.zip",
    summary="Het hele dossier van een claim als ZIP (managers): tijdlijn, brieven, documenten, manifest",
    response_class=Response,
    responses=answers(403, 404, files={"application/zip": BINARY}),
)
def api_dossier_export(reference: Reference, ctx: Web, viewer: ApiViewer) -> Response:
    check_is_manager(viewer.user)
    return attachment(export_dossier(ctx.engine, ctx.rt, ctx.documents, reference, viewer.user, "api"))


@api_router.get(
    "/exports/timelines",
    summary="Tijdlijnen van een portefeuille (managers): CSV of XLSX, gestreamd",
    response_class=Response,
    responses=answers(403, 422, files={**CSV, **XLSX}),
)
def api_portfolio_export(
    ctx: Web,
    db: Db,
    viewer: ApiViewer,
    format: Annotated[
        str, Query(description=PORTFOLIO_HELP, json_schema_extra=enum_of(PORTFOLIO_FORMAT_NAMES))
    ] = ExportFormat.csv.value,
    mode: Annotated[
        str,
        Query(
            description="events: een rij per gebeurtenis; claims: een rij per claim (leeg: events)",
            json_schema_extra=enum_of([*MODE_NAMES, ""]),
        ),
    ] = PortfolioMode.events.value,
    kind: Annotated[str, Query(description="leeg: alle", json_schema_extra=enum_of(["", *KINDS]))] = "",
    state: Annotated[str, Query(description="leeg: alle", json_schema_extra=enum_of(["", *STATES]))] = "",
    handler: Annotated[
        str, Query(description="e-mailadres van een gebruiker; leeg: alle", json_schema_extra=IN_ADDRESS)
    ] = "",
    overdue: bool = False,
    q: Annotated[str, Query(description="zoekt in schadenummer en partijen", json_schema_extra=SHORT)] = "",
    opened_from: Annotated[str, Query(alias="from", description=FROM_HELP, json_schema_extra=PERIOD)] = "",
    opened_to: Annotated[str, Query(alias="to", description=TO_HELP, json_schema_extra=PERIOD)] = "",
) -> Response:
    check_is_manager(viewer.user)
    return _portfolio(
        ctx, db, viewer.user, "api", format=format, mode=mode, kind=kind, state=state, handler=handler,
        overdue=overdue, q=q, opened_from=opened_from, opened_to=opened_to,
    )  # fmt: skip
