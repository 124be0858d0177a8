"""The JSON API for integrations: the same service functions and queries as the web forms. Every
endpoint documents its bodies and answers (claims.web.schemas); tests/web/test_openapi.py checks the
server against that document."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from claims.exports.timelines import CLAIM_FORMATS, export_claim, known_addresses, parse_format
from claims.notify.delivery import retry_incident
from claims.notify.inbox import notifications
from claims.notify.outbox_view import outbox_messages
from claims.people.permissions import check_is_manager
from claims.reads.claim_list import DEFAULT_LIMIT, MAX_LIMIT, ClaimFilter, check_filter, search_claims
from claims.reads.money_view import money_view
from claims.reads.parties import claim_parties, party_of_claim
from claims.reads.queries import claim_deadlines, claim_letters, claim_view, letter, open_deadlines, timeline
from claims.service import add_note, advance, open_claim, preview_letters, reopen_claim
from claims.service.parties import add_party, change_party
from claims.storage.models import OutboxStatus, Role
from claims.web.capacity import refuse_head
from claims.web.deps import ApiViewer, Db, DbId, ReleasingRoute, Viewer, Web, WebContext
from claims.web.errors import API_PREFIX
from claims.web.files import attachment, letter_page, pdf_name, pdf_response
from claims.web.present import (
    claim_json,
    deadline_json,
    event_json,
    letter_json,
    listed_deadline_json,
    spec_json,
)
from claims.web.schemas import (
    API_AUTH,
    CLAIM_FORMAT_NAMES,
    CSV,
    HTML,
    IN_ADDRESS,
    KINDS,
    PDF,
    SORT_NAMES,
    STATES,
    WRITES,
    XLSX,
    ClaimCreated,
    ClaimListItem,
    ClaimPage,
    ClaimPublic,
    DeadlinePublic,
    DeadlineWithClaimPublic,
    LetterPreview,
    LetterPublic,
    MeldingCreate,
    NoteCreate,
    NoteCreated,
    NotificationPublic,
    OutboxMessagePublic,
    OutboxPublic,
    PartyChange,
    PartyCreate,
    PartyPublic,
    PreviewPublic,
    ReopenCreate,
    RetryPublic,
    Timeline,
    TransitionCreate,
    WorkflowPublic,
    answers,
    claim_links,
    enum_of,
    link,
    melding_values,
)
from notifications.letters import to_pdf

router = APIRouter(prefix=API_PREFIX, tags=["api"], dependencies=API_AUTH, route_class=ReleasingRoute)

MELDING_EXAMPLE = {
    "kind": "unpaid_fee",
    "policy_number": "BAV-2022-0003",
    "claimant": "Klant B.V.",
    "description": "Opdrachtgever betaalt de facturen niet en stelt de verzekerde aansprakelijk.",
    "date_error": "2025-10-01",
    "date_known": "2025-10-02",
    "amount_claimed": "12500.00",
    "handler": "sanne.behandelaar@claimflow.test",  # a handler may leave it out (then: themselves)
}
# from a claim's answer (the claim, or the claim after a transition) on to what can be done with it
READ_ON = claim_links("$request.path.reference", "$response.body#/version")
FIRST_ID = "$response.body#/0/id"  # of the first item of a list
Reference = Annotated[str, Path(description="het schadenummer", json_schema_extra=IN_ADDRESS)]
# a filter left empty ('kind=') filters nothing, as in the web forms
ANY = ""


@router.get(
    "/workflows",
    summary="Alle soorten claims met hun fasen, transities, velden en termijnen",
    responses=answers(),
)
def workflows(ctx: Web, viewer: ApiViewer) -> list[WorkflowPublic]:
    return [spec_json(spec) for spec in ctx.rt.catalog.latest()]


@router.get("/workflows/{kind}", summary="De workflow van één soort claim", responses=answers(404))
def workflow(
    kind: Annotated[str, Path(json_schema_extra=enum_of(KINDS))], ctx: Web, viewer: ApiViewer
) -> WorkflowPublic:
    if kind not in ctx.rt.catalog.kinds():
        raise HTTPException(
            404, f"Onbekende soort claim '{kind}' (bekend: {', '.join(ctx.rt.catalog.kinds())})."
        )
    return spec_json(ctx.rt.catalog.spec(kind))


@router.post(
    "/claims",
    status_code=201,
    summary="Een melding registreren",
    response_model=ClaimCreated,
    responses={
        **answers(403, 422, *WRITES),
        201: {
            "headers": {
                "Location": {
                    "description": "waar de claim te lezen is",
                    "schema": {"type": "string"},
                    "required": True,
                }
            },
            "links": claim_links("$response.body#/reference", "$response.body#/version"),
        },
    },
)
def create_claim(
    ctx: Web,
    db: Db,
    viewer: ApiViewer,
    body: Annotated[MeldingCreate, Body(openapi_examples={"melding": {"value": MELDING_EXAMPLE}})],  # type: ignore[valid-type]
) -> JSONResponse:
    outcome = open_claim(db, ctx.rt, melding_values(body), viewer.user)
    created = ClaimCreated(reference=outcome.reference, state=outcome.state, version=outcome.version)
    return JSONResponse(
        created.model_dump(), status_code=201, headers={"Location": f"/api/claims/{outcome.reference}"}
    )


@router.get(
    "/claims",
    summary="Claims zoeken (keyset-paginering: geef next_cursor mee als cursor)",
    responses=answers(422),
)
def list_claims(
    ctx: Web,
    db: Db,
    viewer: ApiViewer,
    kind: Annotated[str, Query(json_schema_extra=enum_of([ANY, *KINDS]))] = ANY,
    state: Annotated[str, Query(json_schema_extra=enum_of([ANY, *STATES]))] = ANY,
    handler: Annotated[
        str, Query(description="e-mailadres van de behandelaar", json_schema_extra=IN_ADDRESS)
    ] = ANY,
    overdue: bool = False,
    q: Annotated[
        str,
        Query(
            description="zoekt een deel van benadeelde, verzekerde of een partij (naam, contactpersoon, "
            "e-mailadres; hoofdletters maken niet uit) en exact een schadenummer, polisnummer, kenmerk of "
            "factuurnummer; een zoekterm zonder drie letters of cijfers op een rij zoekt alleen exact",
            json_schema_extra=IN_ADDRESS,
        ),
    ] = ANY,
    sort: Annotated[str, Query(json_schema_extra=enum_of(SORT_NAMES))] = SORT_NAMES[0],
    cursor: Annotated[
        str, Query(description="next_cursor van de vorige bladzijde", json_schema_extra=IN_ADDRESS)
    ] = ANY,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> ClaimPage:
    # a filter of white space only (a tab, a form feed) is no filter, as an empty one is
    f = ClaimFilter(
        kind=kind or None,
        state=state or None,
        handler=handler.strip() or None,
        overdue=overdue,
        q=q,
        sort=sort,
    )
    kinds, states = ctx.rt.catalog.kinds(), list(ctx.rt.catalog.state_labels())
    check_filter(f, kinds, states, known_addresses(db.connection()) if handler else None)
    page = search_claims(db.connection(), viewer.user, f, ctx.rt.clock(), cursor=cursor, limit=limit)
    items = [ClaimListItem.model_validate(c.as_dict()) for c in page.items]
    return ClaimPage(items=items, next_cursor=page.next_cursor)


@router.get(
    "/claims/{reference}",
    summary="Eén claim met geld, open termijnen en wat u nu mag doen",
    responses={**answers(403, 404), 200: {"links": READ_ON}},
)
def get_claim(reference: Reference, ctx: Web, db: Db, viewer: ApiViewer) -> ClaimPublic:
    return _claim_json(db, ctx, reference, viewer)


def _claim_json(db: Db, ctx: WebContext, reference: str, viewer: Viewer) -> ClaimPublic:
    """The claim, with its payments and proposals for whoever handles money (not an expert)."""
    view = claim_view(db, ctx.rt, reference, viewer.user)
    money = None
    if viewer.user.role in (Role.handler, Role.manager, Role.admin):
        money = money_view(db.connection(), ctx.rt, view.claim, viewer.user)
    return claim_json(view, ctx.rt.clock(), money)


@router.post(
    "/claims/{reference}/transitions",
    summary="Een transitie uitvoeren",
    responses={**answers(403, 404, 409, 422, 500, *WRITES), 200: {"links": READ_ON}},
)
def fire(
    reference: Reference, body: TransitionCreate, ctx: Web, db: Db, viewer: ApiViewer, response: Response
) -> ClaimPublic:
    """202 Accepted when the transition goes above the actor's authority: it waits as a proposal (in
    `proposals`) for a manager, and the claim has not moved."""
    outcome = advance(db, ctx.rt, reference, body.trigger, body.data, viewer.user, body.version)
    if outcome.proposal_id is not None:
        response.status_code = 202
    return _claim_json(db, ctx, reference, viewer)


@router.post(
    "/claims/{reference}/reopen",
    summary="Een gesloten claim heropenen",
    responses={**answers(403, 404, 409, 422, *WRITES), 200: {"links": READ_ON}},
)
def reopen(reference: Reference, body: ReopenCreate, ctx: Web, db: Db, viewer: ApiViewer) -> ClaimPublic:
    """Back into the state the claim's spec names for a reopened claim, its terms started afresh."""
    reopen_claim(db, ctx.rt, reference, body.reason, viewer.user, body.version)
    return _claim_json(db, ctx, reference, viewer)


@router.post(
    "/claims/{reference}/preview",
    summary="Voorbeeld van de brieven die een transitie zou versturen (er wordt niets opgeslagen)",
    responses=answers(403, 404, 409, 422, 500, *WRITES),
)
def preview(
    reference: Reference, body: TransitionCreate, ctx: Web, db: Db, viewer: ApiViewer
) -> PreviewPublic:
    letters = preview_letters(db, ctx.rt, reference, body.trigger, body.data, viewer.user, body.version)
    return PreviewPublic(
        letters=[
            LetterPreview(template=x.template, template_version=x.version, title=x.title, html=x.html)
            for x in letters
        ]
    )


@router.get(
    "/claims/{reference}/letters",
    summary="De brieven van een claim, in volgorde",
    responses={
        **answers(403, 404),
        200: {
            "links": {
                **link("getLetterPdf", "/api/letters/{letter_id}.pdf", "get", letter_id=FIRST_ID),
                **link("getLetterHtml", "/api/letters/{letter_id}.html", "get", letter_id=FIRST_ID),
            }
        },
    },
)
def get_letters(reference: Reference, db: Db, viewer: ApiViewer) -> list[LetterPublic]:
    return [letter_json(x) for x in claim_letters(db, reference, viewer.user)]


@router.get(
    "/letters/{letter_id}.pdf",
    summary="Een brief als PDF (bijlage)",
    response_class=Response,
    responses=answers(404, 422, files=PDF),
)
def get_letter_pdf(letter_id: DbId, db: Db, viewer: ApiViewer) -> Response:
    found = letter(db, letter_id, viewer.user)
    return pdf_response(to_pdf(found["html"]), pdf_name(found["reference"], found["template"], letter_id))


@router.get(
    "/letters/{letter_id}.html",
    summary="Een brief als HTML, zoals hij is opgeslagen",
    response_class=Response,  # (not HTMLResponse: FastAPI would then document the errors as HTML too)
    responses=answers(404, 422, files=HTML),
)
def get_letter_html(letter_id: DbId, db: Db, viewer: ApiViewer) -> Response:
    return letter_page(letter(db, letter_id, viewer.user)["html"])


@router.get(
    "/outbox",
    summary="Uitgaande e-mail (manager: alles; anderen: aan henzelf), nieuwste eerst",
    responses={
        **answers(422),
        200: {
            "links": link(
                "retryMessage",
                "/api/outbox/{message_id}/retry",
                "post",
                message_id="$response.body#/messages/0/id",
            )
        },
    },
)
def get_outbox(db: Db, viewer: ApiViewer, status: OutboxStatus | None = None) -> OutboxPublic:
    messages, counts = outbox_messages(db, viewer.user, status.value if status else None)
    return OutboxPublic(counts=counts, messages=[OutboxMessagePublic.model_validate(m) for m in messages])


@router.post(
    "/outbox/{message_id}/retry",
    summary="Een incident opnieuw versturen (managers)",
    responses=answers(403, 404, 409, 422, *WRITES),  # 409: the message is no incident
)
def post_outbox_retry(message_id: DbId, ctx: Web, db: Db, viewer: ApiViewer) -> RetryPublic:
    retry_incident(db, ctx.rt, message_id, viewer.user)
    return RetryPublic(id=message_id, status=OutboxStatus.pending)


@router.post(
    "/claims/{reference}/notes",
    status_code=201,
    summary="Een notitie toevoegen",
    responses=answers(403, 404, 422, *WRITES),
)
def note(reference: Reference, body: NoteCreate, ctx: Web, db: Db, viewer: ApiViewer) -> NoteCreated:
    return NoteCreated(event_id=add_note(db, ctx.rt, reference, body.note, viewer.user))


@router.get(
    "/claims/{reference}/parties",
    summary="De partijen van een claim (IBAN alleen voor behandelaars en managers)",
    responses=answers(403, 404),
)
def get_parties(reference: Reference, db: Db, viewer: ApiViewer) -> list[PartyPublic]:
    return [PartyPublic.model_validate(p) for p in claim_parties(db, reference, viewer.user)]


@router.post(
    "/claims/{reference}/parties",
    status_code=201,
    summary="Een partij toevoegen (behandelaar of manager)",
    responses=answers(403, 404, 422, *WRITES),
)
def post_party(
    reference: Reference,
    body: PartyCreate,  # type: ignore[valid-type]
    ctx: Web,
    db: Db,
    viewer: ApiViewer,
) -> PartyPublic:
    party_id = add_party(db, ctx.rt, reference, melding_values(body), viewer.user)
    return PartyPublic.model_validate(party_of_claim(db, reference, party_id, viewer.user))


@router.patch(
    "/claims/{reference}/parties/{party_id}",
    summary="Velden van een partij wijzigen (behandelaar of manager); de rol ligt vast",
    responses=answers(403, 404, 422, *WRITES),
)
def patch_party(
    reference: Reference,
    party_id: DbId,
    body: PartyChange,  # type: ignore[valid-type]
    ctx: Web,
    db: Db,
    viewer: ApiViewer,
) -> PartyPublic:
    change_party(db, ctx.rt, reference, party_id, melding_values(body), viewer.user)
    return PartyPublic.model_validate(party_of_claim(db, reference, party_id, viewer.user))


@router.get(
    "/claims/{reference}/timeline",
    summary="De tijdlijn van een claim, in volgorde; met format= als bestand (managers)",
    response_model=Timeline,
    responses=answers(403, 404, 422, files={**PDF, **CSV, **XLSX}),
)
def get_timeline(
    request: Request,
    reference: Reference,
    ctx: Web,
    db: Db,
    viewer: ApiViewer,
    format: Annotated[
        str | None,
        Query(
            description="pdf, csv, xlsx of json: de export met termijnen, brieven, geld en tijd per fase",
            json_schema_extra=enum_of(CLAIM_FORMAT_NAMES),
        ),
    ] = None,
) -> Timeline | Response:
    if format is not None:
        # the same timeline as a file (managers); it records an export, so HEAD is refused
        refuse_head(request)
        check_is_manager(viewer.user)
        found = export_claim(db, ctx.rt, reference, parse_format(format, CLAIM_FORMATS), viewer.user, "api")
        return attachment(found)
    return Timeline([event_json(e) for e in timeline(db, reference, viewer.user)])


@router.get(
    "/claims/{reference}/deadlines", summary="Alle termijnen van een claim", responses=answers(403, 404)
)
def get_deadlines(reference: Reference, ctx: Web, db: Db, viewer: ApiViewer) -> list[DeadlinePublic]:
    now = ctx.rt.clock()
    return [deadline_json(d, now) for d in claim_deadlines(db, reference, viewer.user)]


@router.get(
    "/deadlines",
    summary="Open termijnen op de claims die u ziet (overdue=true: verstreken)",
    responses=answers(422),
)
def deadlines(
    ctx: Web,
    db: Db,
    viewer: ApiViewer,
    overdue: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> list[DeadlineWithClaimPublic]:
    now = ctx.rt.clock()
    found = open_deadlines(db, viewer.user, now, overdue=overdue, limit=limit)
    return [listed_deadline_json(d, now) for d in found]


@router.get(
    "/notifications",
    summary="Uw berichten (unread=true: alleen ongelezen), nieuwste eerst",
    responses=answers(422),
)
def get_notifications(db: Db, viewer: ApiViewer, unread: bool = False) -> list[NotificationPublic]:
    return [
        NotificationPublic(
            id=n.id,
            kind=n.kind,
            message=n.message,
            reference=n.reference,
            created_at=n.created_at,
            read_at=n.read_at,
        )
        for n in notifications(db, viewer.user, unread_only=unread)
    ]


def answer_every_method(router: APIRouter) -> None:
    """OPTIONS, and a 405 naming every method, on a path served by more than one route: Starlette's
    405 names only the methods of the first route that matches the path (Allow: POST on /api/claims)."""
    methods: dict[str, set[str]] = {}
    for route in router.routes:
        if isinstance(route, APIRoute):
            methods.setdefault(route.path, set()).update(route.methods or ())
    for path, served in methods.items():
        if len(served) < 2:
            continue
        allow = ", ".join(sorted(served | {"OPTIONS"}))

        def answer(request: Request, allow: str = allow) -> Response:
            if request.method == "OPTIONS":
                return Response(status_code=204, headers={"Allow": allow})
            return JSONResponse({"detail": "Method Not Allowed"}, status_code=405, headers={"Allow": allow})

        others = {"DELETE", "OPTIONS", "PATCH", "POST", "PUT", "GET"} - served
        router.add_api_route(
            path.removeprefix(router.prefix), answer, methods=sorted(others), include_in_schema=False
        )


answer_every_method(router)
