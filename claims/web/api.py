"""The JSON API for integrations: the same service functions and queries as the web forms."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from claims.claim_list import DEFAULT_LIMIT, MAX_LIMIT, ClaimFilter, check_filter, search_claims
from claims.delivery import retry_incident
from claims.exports import MEDIA_TYPES
from claims.inbox import notifications
from claims.intake import INTAKE_FIELDS
from claims.models import OutboxStatus
from claims.outbox_view import outbox_messages
from claims.queries import claim_deadlines, claim_letters, claim_view, letter, open_deadlines, timeline
from claims.service import add_note, advance, open_claim, preview_letters
from claims.web.correspondence import letter_page, pdf_name, pdf_response
from claims.web.deps import ApiViewer, Db, DbId, Web
from claims.web.exports import api_claim_export
from claims.web.present import claim_json, deadline_json, event_json, letter_json, spec_json
from notifications.letters import to_pdf
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


@router.post(
    "/claims/{reference}/preview",
    summary="Voorbeeld van de brieven die een transitie zou versturen (er wordt niets opgeslagen)",
    responses={409: {"description": "verouderde versie of transitie niet mogelijk"}},
)
def preview(reference: str, body: TransitionIn, ctx: Web, db: Db, viewer: ApiViewer) -> dict[str, Any]:
    letters = preview_letters(db, ctx.rt, reference, body.trigger, body.data, viewer.user, body.version)
    return {
        "letters": [
            {"template": x.template, "template_version": x.version, "title": x.title, "html": x.html}
            for x in letters
        ]
    }


@router.get("/claims/{reference}/letters", summary="De brieven van een claim, in volgorde")
def get_letters(reference: str, db: Db, viewer: ApiViewer) -> list[dict[str, Any]]:
    return [letter_json(x) for x in claim_letters(db, reference, viewer.user)]


@router.get(
    "/letters/{letter_id}.pdf",
    summary="Een brief als PDF (bijlage)",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def get_letter_pdf(letter_id: DbId, db: Db, viewer: ApiViewer) -> Response:
    found = letter(db, letter_id, viewer.user)
    return pdf_response(to_pdf(found["html"]), pdf_name(found["reference"], found["template"], letter_id))


@router.get(
    "/letters/{letter_id}.html",
    summary="Een brief als HTML, zoals hij is opgeslagen",
    response_class=HTMLResponse,
)
def get_letter_html(letter_id: DbId, db: Db, viewer: ApiViewer) -> Response:
    return letter_page(letter(db, letter_id, viewer.user)["html"])


@router.get("/outbox", summary="Uitgaande e-mail (manager: alles; anderen: aan henzelf), nieuwste eerst")
def get_outbox(db: Db, viewer: ApiViewer, status: OutboxStatus | None = None) -> dict[str, Any]:
    messages, counts = outbox_messages(db, viewer.user, status.value if status else None)
    moments = ("created_at", "next_attempt_at", "sent_at", "incident_at")
    return {
        "counts": counts,
        "messages": [
            {
                k: (v.isoformat() if k in moments and v is not None else v)
                for k, v in m.items()
                if k not in ("notification_id",)
            }
            for m in messages
        ],
    }


@router.post("/outbox/{message_id}/retry", summary="Een incident opnieuw versturen (managers)")
def post_outbox_retry(message_id: DbId, ctx: Web, db: Db, viewer: ApiViewer) -> dict[str, Any]:
    retry_incident(db, ctx.rt, message_id, viewer.user)
    return {"id": message_id, "status": OutboxStatus.pending.value}


@router.post("/claims/{reference}/notes", status_code=201, summary="Een notitie toevoegen")
def note(reference: str, body: NoteIn, ctx: Web, db: Db, viewer: ApiViewer) -> dict[str, Any]:
    event_id = add_note(db, ctx.rt, reference, body.note, viewer.user)
    return {"event_id": event_id}


@router.get(
    "/claims/{reference}/timeline",
    summary="De tijdlijn van een claim, in volgorde; met format= als bestand (managers)",
    responses={200: {"content": {t: {} for t in MEDIA_TYPES.values()}}},
)
def get_timeline(
    reference: str,
    ctx: Web,
    db: Db,
    viewer: ApiViewer,
    format: Annotated[
        str | None,
        Query(description="pdf, csv, xlsx of json: de export met termijnen, brieven, geld en tijd per fase"),
    ] = None,
) -> Any:
    if format is not None:
        return api_claim_export(db, ctx, viewer, reference, format)
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
