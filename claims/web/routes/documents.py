"""A claim's documents in the web app and the API: the upload (multipart, streamed under its own size
limit), the list, one document's metadata, its content as a download (verified against its sha256), and
a received letter marked as the answer to an information request."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from claims.errors import DocumentTooLarge
from claims.reads.documents import claim_documents, document, document_content
from claims.service import add_document, mark_answer
from claims.web.deps import (
    ApiViewer,
    Db,
    DbId,
    PageViewer,
    PostedForm,
    PostedUploadForm,
    ReleasingRoute,
    Viewer,
    Web,
    WebContext,
    claim_csrf,
)
from claims.web.errors import API_PREFIX, page_message
from claims.web.files import document_response
from claims.web.pages import Attempt, claim_page, see_other
from claims.web.routes.api import answer_every_method
from claims.web.schemas import (
    API_AUTH,
    DOCUMENT_FILES,
    DOCUMENT_UPLOAD,
    IN_ADDRESS,
    WRITES,
    DocumentAnswer,
    DocumentPublic,
    answers,
)
from claims.web.uploads import UploadForm, read_upload_form
from workflow.errors import InvalidInput

router = APIRouter(include_in_schema=False, route_class=ReleasingRoute)
api_router = APIRouter(prefix=API_PREFIX, tags=["api"], dependencies=API_AUTH, route_class=ReleasingRoute)
Reference = Annotated[str, Path(description="het schadenummer", json_schema_extra=IN_ADDRESS)]
DOCUMENT_FIELDS = ("title", "doc_type", "received_on", "visibility")


def _store(ctx: WebContext, db: Session, viewer: Viewer, reference: str, form: UploadForm) -> Any:
    """The posted document added to the claim (run in a worker thread: it hashes, writes and commits)."""
    try:
        if form.upload is None:
            raise InvalidInput({"file": "kies een bestand"})
        values = {k: form.fields.get(k, "") for k in DOCUMENT_FIELDS}
        return add_document(
            db, ctx.rt, ctx.documents, reference, form.upload, form.filename, values, viewer.user
        )
    finally:
        db.rollback()  # what was only read, ended here, in this thread (the write committed itself)


# ------------------------------------------------------------------------------------------- pages


def _form_again(
    request: Request,
    ctx: WebContext,
    db: Session,
    viewer: Viewer,
    reference: str,
    values: dict[str, str],
    errors: dict[str, str],
    status: int,
) -> Response:
    try:
        return claim_page(
            request,
            ctx,
            db,
            viewer,
            reference,
            problem=page_message(InvalidInput(errors)),
            attempt=Attempt("document", values, errors),
            status=status,
        )
    finally:
        db.rollback()


@router.post("/claims/{reference}/documents", response_class=HTMLResponse)
async def upload_document(
    request: Request, ctx: Web, db: Db, viewer: PageViewer, reference: str, posted: PostedUploadForm
) -> Response:
    """The claim page's upload form: the document added (303 back to the page), or the form again with
    the refused field marked and nothing stored."""
    form = posted.form
    if isinstance(posted.refusal, DocumentTooLarge):
        errors, status = {"file": str(posted.refusal)}, 413
    elif posted.refusal is not None:
        errors, status = dict(posted.refusal.errors), 422
    else:
        try:
            await run_in_threadpool(_store, ctx, db, viewer, reference, form)
        except InvalidInput as exc:
            errors, status = dict(exc.errors), 422
        else:
            return see_other(f"/claims/{quote(reference)}?ok=document#documenten")
    values = {k: form.fields.get(k, "") for k in DOCUMENT_FIELDS}
    return await run_in_threadpool(_form_again, request, ctx, db, viewer, reference, values, errors, status)


@router.get("/claims/{reference}/documents/{document_id}")
def download_document(ctx: Web, db: Db, viewer: PageViewer, reference: str, document_id: DbId) -> Response:
    found, content = document_content(db, ctx.rt, ctx.documents, reference, document_id, viewer.user, "web")
    return document_response(found, content)


@router.post(
    "/claims/{reference}/documents/{document_id}/answer",
    response_class=HTMLResponse,
    dependencies=[claim_csrf],
)
def post_answer(
    request: Request,
    ctx: Web,
    db: Db,
    viewer: PageViewer,
    reference: str,
    document_id: DbId,
    values: PostedForm,
) -> Response:
    try:
        raw = values.get("request", "")
        if not raw.isdigit():
            raise InvalidInput({"request": "kies het verzoek dat dit document beantwoordt"})
        mark_answer(db, ctx.rt, reference, document_id, int(raw), viewer.user)
    except InvalidInput as exc:
        attempt = Attempt(f"answer-{document_id}", values, dict(exc.errors))
        return claim_page(
            request, ctx, db, viewer, reference, problem=page_message(exc), attempt=attempt, status=422
        )
    return see_other(f"/claims/{quote(reference)}?ok=answer#documenten")


# --------------------------------------------------------------------------------------------- API


def document_json(row: dict[str, Any]) -> DocumentPublic:
    return DocumentPublic.model_validate({**row, "uploaded_by": row.get("uploader")})


@api_router.post(
    "/claims/{reference}/documents",
    status_code=201,
    summary="Een document toevoegen (multipart/form-data: file, title, doc_type, received_on, visibility)",
    response_model=DocumentPublic,
    openapi_extra=DOCUMENT_UPLOAD,
    responses={
        **answers(403, 404, 422, *WRITES),
        201: {
            "headers": {
                "Location": {"description": "waar het document te lezen is", "schema": {"type": "string"}}
            }
        },
    },
)
async def api_upload(
    request: Request, reference: Reference, ctx: Web, db: Db, viewer: ApiViewer
) -> JSONResponse:
    with await read_upload_form(request, ctx.settings.document_max_bytes) as form:
        added = await run_in_threadpool(_store, ctx, db, viewer, reference, form)
    row = await run_in_threadpool(_read_document, db, reference, added.id, viewer)
    return JSONResponse(
        document_json(row).model_dump(mode="json"),
        status_code=201,
        headers={"Location": f"/api/claims/{quote(reference)}/documents/{added.id}"},
    )


def _read_document(db: Session, reference: str, document_id: int, viewer: Viewer) -> dict[str, Any]:
    try:
        return document(db, reference, document_id, viewer.user)
    finally:
        db.rollback()


@api_router.get(
    "/claims/{reference}/documents",
    summary="De documenten van een claim (een expert: alleen de gedeelde)",
    responses=answers(403, 404),
)
def api_documents(reference: Reference, db: Db, viewer: ApiViewer) -> list[DocumentPublic]:
    return [document_json(d) for d in claim_documents(db, reference, viewer.user)]


@api_router.get(
    "/claims/{reference}/documents/{document_id}",
    summary="Eén document: wat het is, wie het toevoegde, de sha256",
    responses=answers(403, 404, 422),
)
def api_document(reference: Reference, document_id: DbId, db: Db, viewer: ApiViewer) -> DocumentPublic:
    return document_json(document(db, reference, document_id, viewer.user))


@api_router.get(
    "/claims/{reference}/documents/{document_id}/content",
    summary="De inhoud van een document (bijlage), gecontroleerd aan de sha256",
    response_class=Response,
    responses={**answers(403, 404, 422, files=DOCUMENT_FILES), 500: answers(500)[500]},
)
def api_document_content(
    reference: Reference, document_id: DbId, ctx: Web, db: Db, viewer: ApiViewer
) -> Response:
    found, content = document_content(db, ctx.rt, ctx.documents, reference, document_id, viewer.user, "api")
    return document_response(found, content)


@api_router.post(
    "/claims/{reference}/documents/{document_id}/answer",
    summary="Een ontvangen brief markeren als antwoord op een open informatieverzoek",
    responses=answers(403, 404, 422, *WRITES),
)
def api_answer(
    reference: Reference, document_id: DbId, body: DocumentAnswer, ctx: Web, db: Db, viewer: ApiViewer
) -> DocumentPublic:
    mark_answer(db, ctx.rt, reference, document_id, body.request, viewer.user)
    return document_json(document(db, reference, document_id, viewer.user))


answer_every_method(api_router)  # GET and POST share the list's path: OPTIONS and 405 name both
