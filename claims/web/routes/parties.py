"""The claim page's party register: adding a party and changing one, each a form that redirects back
to the claim (POST-redirect-GET) or shows the page again with the problems next to the fields."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from claims.errors import PartyNotFound
from claims.parties.fields import FIELD_NAMES
from claims.service.parties import add_party, change_party
from claims.web.deps import Db, DbId, FormData, PageViewer, PostedForm, ReleasingRoute, Web, claim_csrf
from claims.web.pages import Attempt, claim_page, see_other
from workflow.errors import InvalidInput

router = APIRouter(include_in_schema=False, route_class=ReleasingRoute)

PROBLEM = "Controleer de gemarkeerde velden van de partij; er is niets opgeslagen."


def _party_fields(values: FormData) -> FormData:
    """The party's own fields of a posted form (not its csrf and version)."""
    return {k: v for k, v in values.items() if k in FIELD_NAMES}


@router.post("/claims/{reference}/parties", response_class=HTMLResponse, dependencies=[claim_csrf])
def post_party(
    request: Request, ctx: Web, db: Db, viewer: PageViewer, reference: str, values: PostedForm
) -> Response:
    try:
        add_party(db, ctx.rt, reference, _party_fields(values), viewer.user)
    except InvalidInput as exc:
        attempt = Attempt("party-new", values, dict(exc.errors))
        return claim_page(request, ctx, db, viewer, reference, problem=PROBLEM, attempt=attempt, status=422)
    return see_other(f"/claims/{quote(reference)}?ok=party_added#partijen")


@router.post("/claims/{reference}/parties/{party_id}", response_class=HTMLResponse, dependencies=[claim_csrf])
def post_party_change(
    request: Request,
    ctx: Web,
    db: Db,
    viewer: PageViewer,
    reference: str,
    party_id: DbId,
    values: PostedForm,
) -> Response:
    try:
        changed = change_party(db, ctx.rt, reference, party_id, _party_fields(values), viewer.user)
    except InvalidInput as exc:
        if isinstance(exc, PartyNotFound):  # not one of this claim's parties: no form to show again
            raise
        attempt = Attempt(f"party-{party_id}", values, dict(exc.errors))
        return claim_page(request, ctx, db, viewer, reference, problem=PROBLEM, attempt=attempt, status=422)
    done = "party_changed" if changed else "party_unchanged"
    return see_other(f"/claims/{quote(reference)}?ok={done}#partij-{party_id}")
