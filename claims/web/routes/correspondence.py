"""Letters and messages in the web app: a letter shown and downloaded, the letters of a transition
previewed before firing it, the outbox (what e-mail went out, what waits, what failed), and each
user's inbox of notifications."""

from __future__ import annotations

import re
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from claims.notify.delivery import retry_incident
from claims.notify.inbox import mark_all_read, notifications
from claims.notify.outbox_view import outbox_messages
from claims.reads.queries import letter
from claims.service import preview_letters
from claims.service.post import mark_printed, mark_returned, print_run, to_print
from claims.storage.models import OutboxStatus, Role
from claims.web.deps import (
    FORGED,
    Db,
    DbId,
    PageViewer,
    PostedForm,
    ReleasingRoute,
    Viewer,
    Web,
    WebContext,
    claim_csrf,
    csrf,
)
from claims.web.files import letter_page, pdf_name, pdf_response
from claims.web.pages import fire_or_show_problem, see_other
from claims.web.templating import render
from notifications.letters import Letter, to_pdf
from workflow.errors import InvalidInput

router = APIRouter(include_in_schema=False, route_class=ReleasingRoute)


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


@router.post("/claims/{reference}/preview", response_class=HTMLResponse, dependencies=[claim_csrf])
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
    ctx: WebContext,
    db: Session,
    viewer: Viewer,
    reference: str,
    trigger: str,
    inputs: dict[str, str],
    version: int,
) -> Response:
    letters = preview_letters(db, ctx.rt, reference, trigger, inputs, viewer.user, version)
    if not letters:
        raise InvalidInput({"trigger": "deze stap verstuurt geen brief"})
    return letter_page(together(letters))


# -------------------------------------------------------------------------------------- post desk


@router.get("/post", response_class=HTMLResponse)
def post_page(request: Request, ctx: Web, db: Db, viewer: PageViewer, ok: str = "") -> Response:
    """The letters that go by post and wait to be printed."""
    rows = to_print(db.connection(), viewer.user)
    db.rollback()
    context = {
        "letters": rows,
        "ids": ",".join(str(r.id) for r in rows),
        "copies": sum(r.post_count for r in rows),
        "csrf": ctx.signer.csrf(viewer.session_key, "post"),
        "message": f"{ok} brief(en) gemarkeerd als geprint." if ok.isdigit() else "",
    }
    return render(request, ctx, "post.html", context, 200, viewer)


@router.get("/post/brieven.pdf")
def post_pdf(ctx: Web, db: Db, viewer: PageViewer) -> Response:
    """Every letter waiting for the post in one PDF, a copy per addressee by post."""
    try:
        pdf, ids = print_run(db, ctx.rt, viewer.user, "web")
    except ValueError:
        raise InvalidInput({"letters": "er wachten geen brieven op de post"}) from None
    return pdf_response(
        pdf, f"post-{ctx.rt.clock().astimezone(ctx.rt.tz):%Y%m%d-%H%M}-{len(ids)}-brieven.pdf"
    )


@router.post("/post/printed", response_class=HTMLResponse, dependencies=[csrf("post", FORGED)])
def post_printed(ctx: Web, db: Db, viewer: PageViewer, values: PostedForm) -> Response:
    """The letters of the print run shown are printed and in the envelope."""
    try:
        ids = [int(x) for x in values.get("letters", "").split(",") if x.strip()]
    except ValueError:
        raise InvalidInput({"letters": "een lijst briefnummers verwacht"}) from None
    marked = mark_printed(db, ctx.rt, ids, viewer.user)
    return Response(status_code=303, headers={"Location": f"/post?ok={len(marked)}"})


@router.post(
    "/letters/{letter_id}/returned", response_class=HTMLResponse, dependencies=[csrf("letters", FORGED)]
)
def letter_returned(ctx: Web, db: Db, viewer: PageViewer, letter_id: DbId, values: PostedForm) -> Response:
    """A letter came back undelivered (retour afzender)."""
    mark_returned(db, ctx.rt, letter_id, values.get("note", ""), viewer.user)
    reference = letter(db, letter_id, viewer.user)["reference"]
    return see_other(f"/claims/{reference}#brieven")


# ------------------------------------------------------------------------------------------ outbox


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


@router.post("/outbox/{message_id}/retry", response_class=HTMLResponse, dependencies=[csrf("outbox", FORGED)])
def outbox_retry(ctx: Web, db: Db, viewer: PageViewer, message_id: DbId) -> Response:
    retry_incident(db, ctx.rt, message_id, viewer.user)
    return Response(status_code=303, headers={"Location": f"/outbox?status=pending&ok={quote('retry')}"})


# ------------------------------------------------------------------------------------------- inbox


@router.get("/berichten", response_class=HTMLResponse)
def inbox(request: Request, ctx: Web, db: Db, viewer: PageViewer, ok: str = "") -> Response:
    context = {
        "items": notifications(db, viewer.user),
        "csrf": ctx.signer.csrf(viewer.session_key, "inbox"),
        "message": "Alle berichten zijn als gelezen gemarkeerd." if ok else "",
    }
    return render(request, ctx, "inbox.html", context, 200, viewer)


@router.post("/berichten/gelezen", response_class=HTMLResponse, dependencies=[csrf("inbox")])
def inbox_read(ctx: Web, db: Db, viewer: PageViewer) -> Response:
    mark_all_read(db, viewer.user, ctx.rt.clock())
    return see_other("/berichten?ok=1")
