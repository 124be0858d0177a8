"""The JSON API for integrations: the same service functions and queries as the web forms."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from claims.claim_list import DEFAULT_LIMIT, MAX_LIMIT, ClaimFilter, check_filter, search_claims
from claims.inbox import notifications
from claims.intake import INTAKE_FIELDS
from claims.queries import claim_deadlines, claim_view, open_deadlines, timeline
from claims.service import add_note, advance, open_claim
from claims.web.deps import ApiViewer, Db, Web
from claims.web.present import claim_json, deadline_json, event_json, spec_json
from workflow.errors import InvalidInput

router = APIRouter(prefix="/api", tags=["api"])

MELDING_EXAMPLE = {
    "kind": "unpaid_fee",
    "policy_number": "BAV-2022-0003",
    "claimant": "Klant B.V.",
    "description": "Opdrachtgever betaalt de facturen niet en stelt de verzekerde aansprakelijk.",
    "date_error": "2026-10-01",
    "date_known": "2026-10-02",
    "amount_claimed": "12500.00",
}


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    trigger: str = Field(description="de transitie, bijv. 'settle'")
    version: int = Field(description="de versie van de claim zoals u die las (optimistische vergrendeling)")
    data: dict[str, Any] = Field(default_factory=dict, description="de velden die de transitie vraagt")


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str


@router.get("/workflows", summary="Alle soorten claims met hun fasen, transities, velden en termijnen")
def workflows(ctx: Web, viewer: ApiViewer) -> list[dict[str, Any]]:
    return [spec_json(spec) for spec in ctx.rt.catalog.latest()]


@router.get("/workflows/{kind}", summary="De workflow van één soort claim")
def workflow(kind: str, ctx: Web, viewer: ApiViewer) -> dict[str, Any]:
    if kind not in ctx.rt.catalog.kinds():
        raise HTTPException(
            404, f"Onbekende soort claim '{kind}' (bekend: {', '.join(ctx.rt.catalog.kinds())})."
        )
    return spec_json(ctx.rt.catalog.spec(kind))


@router.post("/claims", status_code=201, summary="Een melding registreren")
def create_claim(
    ctx: Web,
    db: Db,
    viewer: ApiViewer,
    body: Annotated[dict[str, Any], Body(openapi_examples={"melding": {"value": MELDING_EXAMPLE}})],
) -> JSONResponse:
    known = {f.name for f in INTAKE_FIELDS}
    unknown = sorted(set(body) - known)
    if unknown:
        raise InvalidInput({name: "onbekend veld" for name in unknown})
    outcome = open_claim(db, ctx.rt, body, viewer.user)
    return JSONResponse(
        {"reference": outcome.reference, "state": outcome.state, "version": outcome.version},
        status_code=201,
        headers={"Location": f"/api/claims/{outcome.reference}"},
    )


@router.get("/claims", summary="Claims zoeken (keyset-paginering: geef next_cursor mee als cursor)")
def list_claims(
    ctx: Web,
    db: Db,
    viewer: ApiViewer,
    kind: str | None = None,
    state: str | None = None,
    handler: str | None = None,
    overdue: bool = False,
    q: str | None = None,
    sort: str = "nieuwste",
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> dict[str, Any]:
    f = ClaimFilter(
        kind=kind or None, state=state or None, handler=handler or None, overdue=overdue, q=q, sort=sort
    )
    check_filter(f, ctx.rt.catalog.kinds(), list(ctx.rt.catalog.state_labels()))
    page = search_claims(db.connection(), viewer.user, f, ctx.rt.clock(), cursor=cursor, limit=limit)
    return {"items": [c.as_dict() for c in page.items], "next_cursor": page.next_cursor}


@router.get("/claims/{reference}", summary="Eén claim met geld, open termijnen en wat u nu mag doen")
def get_claim(reference: str, ctx: Web, db: Db, viewer: ApiViewer) -> dict[str, Any]:
    return claim_json(claim_view(db, ctx.rt, reference, viewer.user), ctx.rt.clock())


@router.post(
    "/claims/{reference}/transitions",
    summary="Een transitie uitvoeren",
    responses={409: {"description": "verouderde versie of transitie niet mogelijk"}},
)
def fire(reference: str, body: TransitionIn, ctx: Web, db: Db, viewer: ApiViewer) -> dict[str, Any]:
    advance(db, ctx.rt, reference, body.trigger, body.data, viewer.user, body.version)
    return claim_json(claim_view(db, ctx.rt, reference, viewer.user), ctx.rt.clock())


@router.post("/claims/{reference}/notes", status_code=201, summary="Een notitie toevoegen")
def note(reference: str, body: NoteIn, ctx: Web, db: Db, viewer: ApiViewer) -> dict[str, Any]:
    event_id = add_note(db, ctx.rt, reference, body.note, viewer.user)
    return {"event_id": event_id}


@router.get("/claims/{reference}/timeline", summary="De tijdlijn van een claim, in volgorde")
def get_timeline(reference: str, db: Db, viewer: ApiViewer) -> list[dict[str, Any]]:
    return [event_json(e) for e in timeline(db, reference, viewer.user)]


@router.get("/claims/{reference}/deadlines", summary="Alle termijnen van een claim")
def get_deadlines(reference: str, ctx: Web, db: Db, viewer: ApiViewer) -> list[dict[str, Any]]:
    now = ctx.rt.clock()
    return [deadline_json(d, now) for d in claim_deadlines(db, reference, viewer.user)]


@router.get("/deadlines", summary="Open termijnen op de claims die u ziet (overdue=true: verstreken)")
def deadlines(
    ctx: Web,
    db: Db,
    viewer: ApiViewer,
    overdue: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> list[dict[str, Any]]:
    now = ctx.rt.clock()
    return [deadline_json(d, now) for d in open_deadlines(db, viewer.user, now, overdue=overdue, limit=limit)]


@router.get("/notifications", summary="Uw berichten (unread=true: alleen ongelezen), nieuwste eerst")
def get_notifications(db: Db, viewer: ApiViewer, unread: bool = False) -> list[dict[str, Any]]:
    return [
        {
            "id": n.id,
            "kind": n.kind,
            "message": n.message,
            "reference": n.reference,
            "created_at": n.created_at.isoformat(),
            "read_at": n.read_at.isoformat() if n.read_at else None,
        }
        for n in notifications(db, viewer.user, unread_only=unread)
    ]
