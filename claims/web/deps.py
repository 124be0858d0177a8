"""What a request needs: its database session, the runtime, who is asking (by session cookie for
pages, by Bearer token or cookie for the API), its posted form, and the CSRF check every form post
passes (`csrf(scope)`, and `claim_csrf` for a claim's forms)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from fastapi import Depends, HTTPException, Path, Request
from fastapi.params import Depends as Dependency
from fastapi.routing import APIRoute
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from claims.config import Settings
from claims.documents.store import DocumentStore
from claims.errors import DocumentTooLarge
from claims.people.logins import SessionPolicy, resume_session
from claims.people.users import token_hash, user_by_token
from claims.runtime import Runtime
from claims.storage.models import User
from claims.web.security import COOKIE, CookieSigner, claim_scope
from claims.web.uploads import UploadForm, read_upload_form
from workflow.diagram_render import DiagramRenderer
from workflow.errors import Forbidden, InvalidInput

T = TypeVar("T")


@dataclass(frozen=True)
class WebContext:
    """Built once per app: what every request shares."""

    engine: Engine
    rt: Runtime
    settings: Settings
    documents: DocumentStore  # where documents' content lives (claims.documents.store)
    signer: CookieSigner
    policy: SessionPolicy
    # Graphviz's layouts, cached for the life of the app, so a claim page does not run `dot` each time.
    diagrams: DiagramRenderer = field(default_factory=DiagramRenderer.from_path)


@dataclass(frozen=True)
class Viewer:
    """Who is asking. `session_key` binds CSRF tokens; it is empty for Bearer-token callers, who need
    none (nothing sends their token along by itself, unlike a cookie)."""

    user: User
    session_key: str
    by_cookie: bool


class LoginRequired(Exception):
    """A page was asked for without a valid session: the handler redirects to the log-in page."""


async def web(request: Request) -> WebContext:
    # async: a sync dependency costs a trip to a worker thread, and this only reads app state
    ctx: WebContext = request.app.state.web
    return ctx


Web = Annotated[WebContext, Depends(web)]


async def db_session(request: Request, ctx: Web) -> AsyncIterator[Session]:
    """The request's session. It holds a connection only while a transaction is open: the viewer
    dependencies end theirs (claims.web.capacity explains why that matters)."""
    session = Session(ctx.engine, expire_on_commit=False)
    request.state.db = session  # the page frame reads the unread count through it
    try:
        yield session
    finally:
        # On the event loop, not in a worker thread: closing only hands the connection back to the
        # pool, and a request that has finished must never queue for a thread to do that while
        # holding a connection the threads are waiting for.
        session.close()


Db = Annotated[Session, Depends(db_session)]


class ReleasingRoute(APIRoute):
    """A route whose sync endpoint runs on a worker thread of its own making and ends its session's
    transaction there, when it returns or raises.

    FastAPI would run a sync endpoint on one worker thread and then validate its answer against
    the response model on another: a request that kept its connection until then would hold it
    while queueing for the second thread, which is how the pool deadlocked under load. As an async
    endpoint to FastAPI, the answer is validated on the event loop, one trip to a thread fewer.
    What an endpoint returns is loaded by then (the session does not expire objects on commit)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = _releasing(endpoint)
        super().__init__(path, endpoint, **kwargs)


def _releasing(endpoint: Callable[..., T]) -> Callable[..., Awaitable[T]]:
    def work(args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
        sessions = [v for v in kwargs.values() if isinstance(v, Session)]
        try:
            result = endpoint(*args, **kwargs)
            for session in sessions:
                session.commit()
        except BaseException:
            for session in sessions:
                session.rollback()
            raise
        return result

    @functools.wraps(endpoint)  # FastAPI reads the parameters through __wrapped__
    async def run(*args: Any, **kwargs: Any) -> T:
        return await run_in_threadpool(work, args, kwargs)

    return run


def _cookie_viewer(request: Request, ctx: WebContext, db: Session) -> Viewer | None:
    raw = request.cookies.get(COOKIE)
    token = ctx.signer.unsign(raw) if raw else None
    if not token:
        return None
    signed_in = resume_session(db, token, ctx.rt.clock(), ctx.policy)
    if signed_in is None:
        return None
    return Viewer(signed_in.user, signed_in.token_hash, by_cookie=True)


def _looked_up(db: Session, look_up: Callable[[], T]) -> T:
    """Run the viewer's look-up, then end its transaction so that its connection goes back to the
    pool: the endpoint runs in another thread later and takes one again when it needs one. The user
    stays loaded (the session does not expire objects on commit)."""
    try:
        found = look_up()
    except BaseException:
        db.rollback()
        raise
    db.commit()
    return found


def optional_viewer(request: Request, ctx: Web, db: Db) -> Viewer | None:
    return _looked_up(db, lambda: _cookie_viewer(request, ctx, db))


def page_viewer(request: Request, ctx: Web, db: Db) -> Viewer:
    viewer = _looked_up(db, lambda: _cookie_viewer(request, ctx, db))
    if viewer is None:
        raise LoginRequired()
    return viewer


def api_viewer(request: Request, ctx: Web, db: Db) -> Viewer:
    return _looked_up(db, lambda: _api_viewer(request, ctx, db))


def _api_viewer(request: Request, ctx: WebContext, db: Session) -> Viewer:
    auth = request.headers.get("authorization", "")
    if auth:
        scheme, _, token = auth.partition(" ")
        user = user_by_token(db, token.strip()) if scheme.lower() == "bearer" and token.strip() else None
        if user is None or not user.active:
            raise HTTPException(401, "Ongeldig of ingetrokken API-token.", {"WWW-Authenticate": "Bearer"})
        return Viewer(user, token_hash(token.strip()), by_cookie=False)
    viewer = _cookie_viewer(request, ctx, db)
    if viewer is None:
        raise HTTPException(
            401,
            "Niet ingelogd: stuur 'Authorization: Bearer TOKEN' of log in.",
            {"WWW-Authenticate": "Bearer"},
        )
    if request.method not in ("GET", "HEAD", "OPTIONS") and not request.headers.get(
        "content-type", ""
    ).startswith("application/json"):
        # A cross-site page can post a form with the cookie attached, but never application/json
        # without a CORS preflight this app does not answer.
        raise HTTPException(415, "Stuur JSON (Content-Type: application/json).")
    return viewer


PageViewer = Annotated[Viewer, Depends(page_viewer)]
ApiViewer = Annotated[Viewer, Depends(api_viewer)]
MaybeViewer = Annotated[Viewer | None, Depends(optional_viewer)]

# a row id in a URL: beyond a 32-bit integer no row exists, and SQLite would overflow (a 500)
DbId = Annotated[int, Path(ge=1, le=2**31 - 1)]


# ------------------------------------------------------------------------------------ posted forms

FormData = dict[str, str]


def _form_values(raw: Any) -> FormData:
    """The posted fields as text; an empty field counts as not filled in."""
    bad = sorted(k for k, v in raw.items() if isinstance(v, str) and "\x00" in v)
    if bad:
        raise InvalidInput({k: "bevat een ongeldig teken" for k in bad})
    return {
        k: v.strip() if k not in ("note", "description") else v for k, v in raw.items() if isinstance(v, str)
    }


async def posted_form(request: Request) -> FormData:
    """The posted form, read on the event loop (reading a body is waiting, not work); the endpoint
    that takes it stays sync, so its database work runs on a worker thread (ReleasingRoute)."""
    return _form_values(await request.form())


PostedForm = Annotated[FormData, Depends(posted_form)]

# ------------------------------------------------------------------------------------------- CSRF

EXPIRED = "Ongeldig of verlopen formulier (CSRF)."
FORGED = "Ongeldig of vervalst formulier (CSRF). Er is niets doorgevoerd."


def csrf(scope: str, refusal: str = EXPIRED) -> Dependency:
    """The dependency a form post of `scope` passes: its `csrf` field must be the token the page drew
    for this session and scope, else Forbidden (`refusal` says what to do about it)."""

    # async: an HMAC is no work for a thread, and the viewer and the form are read by then
    async def check_csrf(ctx: Web, viewer: PageViewer, form: PostedForm) -> None:
        if not ctx.signer.csrf_ok(viewer.session_key, scope, form.get("csrf", "")):
            raise Forbidden(refusal)

    dependency: Dependency = Depends(check_csrf)
    return dependency


async def _check_claim_csrf(reference: str, ctx: Web, viewer: PageViewer, form: PostedForm) -> None:
    # The token is bound to the claim's version the page drew the form for, so the posted version
    # cannot be altered: a form drawn before someone else moved the claim on reaches the service with
    # its old version and is caught there as stale (409), never applied to the newer claim.
    if not ctx.signer.csrf_ok(
        viewer.session_key, claim_scope(reference, form.get("version", "")), form.get("csrf", "")
    ):
        raise Forbidden(FORGED)


claim_csrf: Dependency = Depends(_check_claim_csrf)
"""The CSRF check of a form on the claim page (/claims/{reference}/...), bound to the claim's version."""


@dataclass
class PostedUpload:
    """A document's form from the claim page, its CSRF token checked; or, when the upload itself was
    refused (too large, a field that cannot be stored), the refusal, for the page to show with the
    form again. Nothing of a refused upload is kept."""

    form: UploadForm
    refusal: DocumentTooLarge | InvalidInput | None = None


async def _posted_upload(
    request: Request, reference: str, ctx: Web, viewer: PageViewer
) -> AsyncIterator[PostedUpload]:
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        # a plain form holds no file: its token is checked all the same, so a forgery learns nothing
        form = _form_values(await request.form())
        _check_claim_token(ctx, viewer, reference, form)
        raise HTTPException(415, "Stuur het document als multipart/form-data (een veld 'file').")
    try:
        upload = await read_upload_form(request, ctx.settings.document_max_bytes)
    except (DocumentTooLarge, InvalidInput) as exc:
        yield PostedUpload(UploadForm(), exc)
        return
    try:
        _check_claim_token(ctx, viewer, reference, upload.fields)
        yield PostedUpload(upload)
    finally:
        upload.close()


def _check_claim_token(ctx: WebContext, viewer: Viewer, reference: str, form: FormData) -> None:
    if not ctx.signer.csrf_ok(
        viewer.session_key, claim_scope(reference, form.get("version", "")), form.get("csrf", "")
    ):
        raise Forbidden(FORGED)


PostedUploadForm = Annotated[PostedUpload, Depends(_posted_upload)]
"""The claim page's document upload, streamed under the size limit, its CSRF token checked as
claim_csrf checks the claim's other forms."""
