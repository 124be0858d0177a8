"""Letters and e-mail in the web app: a letter shown and downloaded, the letters of a transition
previewed before firing it, and the outbox (what e-mail went out, what waits, what failed)."""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from claims.notify.delivery import retry_incident
from claims.notify.outbox_view import outbox_messages
from claims.reads.queries import letter
from claims.service import preview_letters
from claims.storage.models import OutboxStatus, Role
from claims.web.deps import Db, DbId, PageViewer, ReleasingRoute, Web
from claims.web.pages import PostedForm, fire_or_show_problem
from claims.web.templating import render
from notifications.letters import Letter, to_pdf
from workflow.errors import Forbidden, InvalidInput

router = APIRouter(include_in_schema=False, route_class=ReleasingRoute)

# A letter is a document of its own (its styles are inline): shown in its own page, scripts never run.
LETTER_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def letter_page(html: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(html, status_code=status, headers=LETTER_HEADERS)


def pdf_response(pdf: bytes, filename: str) -> Response:
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            **LETTER_HEADERS,
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )


def pdf_name(reference: str, template: str, letter_id: int) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", f"{reference}-{template}-{letter_id}.pdf")


@router.get("/letters/{letter_id}.pdf")
def download_letter(db: Db, viewer: PageViewer, letter_id: DbId) -> Response:
    found = letter(db, letter_id, viewer.user)
    return pdf_response(to_pdf(found["html"]), pdf_name(found["reference"], found["template"], letter_id))


# after the .pdf route: '/letters/5.pdf' would match this one too
@router.get("/letters/{letter_id}", response_class=HTMLResponse)
def show_letter(db: Db, viewer: PageViewer, letter_id: DbId) -> Response:
    return letter_page(letter(db, letter_id, viewer.user)["html"])


def together(letters: list[Letter]) -> str:
    """Several letters as one document, each on its own page (they share the letter layout's styles)."""
    first = letters[0].html
    bodies = [re.search(r"<body>(.*)</body>", x.html, re.S) for x in letters[1:]]
    rest = "".join(f'<div style="page-break-before: always">{b.group(1)}</div>' for b in bodies if b)
    return first.replace("</body>", rest + "</body>", 1)


@router.post("/claims/{reference}/preview", response_class=HTMLResponse)
def preview(
    request: Request, ctx: Web, db: Db, viewer: PageViewer, reference: str, values: PostedForm
) -> Response:
    """The letters the transition in the posted form would send, as they would read now; nothing is
    stored. Input errors come back on the claim page, as when firing."""
    return fire_or_show_problem(
        request,
        ctx,
        db,
        viewer,
        reference,
        values,
        lambda trigger, inputs, version: _preview_page(ctx, db, viewer, reference, trigger, inputs, version),
    )


def _preview_page(
    ctx: Web, db: Db, viewer: PageViewer, reference: str, trigger: str, inputs: dict[str, str], version: int
) -> Response:
    letters = preview_letters(db, ctx.rt, reference, trigger, inputs, viewer.user, version)
    if not letters:
        raise InvalidInput({"trigger": "deze stap verstuurt geen brief"})
    return letter_page(together(letters))


@router.get("/outbox", response_class=HTMLResponse)
def outbox_page(
    request: Request, ctx: Web, db: Db, viewer: PageViewer, status: str = "", ok: str = ""
) -> Response:
    if status and status not in {s.value for s in OutboxStatus}:
        raise InvalidInput({"status": f"onbekende status '{status}'"})
    messages, counts = outbox_messages(db, viewer.user, status or None)
    context = {
        "messages": messages,
        "counts": counts,
        "status": status,
        "smtp_on": bool(ctx.settings.smtp_url),
        "is_manager": viewer.user.role == Role.manager,
        "csrf": ctx.signer.csrf(viewer.session_key, "outbox"),
        "message": "Het bericht wordt opnieuw verstuurd." if ok == "retry" else "",
    }
    return render(request, ctx, "outbox.html", context, 200, viewer)


@router.post("/outbox/{message_id}/retry", response_class=HTMLResponse)
def outbox_retry(
    ctx: Web, db: Db, viewer: PageViewer, message_id: DbId, csrf: Annotated[str, Form()] = ""
) -> Response:
    if not ctx.signer.csrf_ok(viewer.session_key, "outbox", csrf):
        raise Forbidden("Ongeldig of vervalst formulier (CSRF). Er is niets doorgevoerd.")
    retry_incident(db, ctx.rt, message_id, viewer.user)
    return Response(status_code=303, headers={"Location": f"/outbox?status=pending&ok={quote('retry')}"})
