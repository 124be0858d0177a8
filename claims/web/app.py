"""The FastAPI application: pages, the JSON API under /api (OpenAPI at /docs) and the stylesheet."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException
from swagger_ui_bundle import swagger_ui_path

from claims.config import Settings
from claims.deadlines.scheduler import make_scheduler
from claims.errors import LetterFailed
from claims.people.logins import SessionPolicy
from claims.runtime import Runtime, build_runtime
from claims.web import api, capacity, correspondence, exports, pages
from claims.web.deps import LoginRequired, WebContext
from claims.web.errors import domain_error_json, http_error_json, validation_error_json
from claims.web.input_guard import InputGuard
from claims.web.security import CookieSigner
from claims.web.templating import STATIC_DIR, make_environment, render
from notifications.letters import LetterError
from workflow.errors import InvalidInput, WorkflowError

log = logging.getLogger("claimflow.web")


def create_app(
    settings: Settings | None = None,
    engine: Engine | None = None,
    rt: Runtime | None = None,
    *,
    scheduler: bool = False,
) -> FastAPI:
    """The app over one database engine and runtime (tests pass their own, with a controlled clock)."""
    settings = settings or Settings()
    engine = engine or settings.engine()
    rt = rt or build_runtime(settings.timezone, rules=settings.rules(), base_url=settings.base_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        capacity.use_request_threads(settings.db_pool_size)
        # the deadline sweep in this process (`make run`: one node); several workers run it elsewhere
        ticker = make_scheduler(engine, rt, settings, blocking=False) if scheduler else None
        if ticker is not None:
            ticker.start()
        try:
            yield
        finally:
            if ticker is not None:
                ticker.shutdown(wait=True)

    app = FastAPI(
        lifespan=lifespan,
        title="claimflow",
        description="Schadebehandeling BAV: claims melden, zoeken en door hun workflow bewegen.",
        version="1",
        docs_url=None,  # served below from local files: nothing outside loopback is reachable
        redoc_url=None,
    )
    app.state.web = WebContext(
        engine=engine,
        rt=rt,
        settings=settings,
        signer=CookieSigner(settings.secret_key),
        policy=SessionPolicy(
            idle=timedelta(minutes=settings.session_idle_minutes),
            absolute=timedelta(hours=settings.session_absolute_hours),
        ),
    )
    app.state.jinja = make_environment(rt.tz)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.mount("/docs-assets", StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> Response:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="claimflow API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon-32x32.png",
        )

    app.include_router(api.router)
    app.include_router(exports.api_router)
    app.include_router(exports.router)
    app.include_router(pages.router)
    app.include_router(correspondence.router)
    _handle_errors(app)
    app.add_middleware(InputGuard)  # every body checked once, before a route reads it
    capacity.install(app, settings.concurrency_limit)
    return app


def served_app() -> FastAPI:
    """The app as `claimflow serve` runs it in each worker process, from CLAIMFLOW_* settings."""
    settings = Settings()
    return create_app(settings, scheduler=settings.scheduler == "embedded")


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api")


def _handle_errors(app: FastAPI) -> None:
    # On the event loop, not a worker thread: none of them touches the database (error pages are
    # drawn without the viewer), and under load a 409 must not queue for a thread to be written.
    @app.exception_handler(LoginRequired)
    async def _login(request: Request, _exc: Exception) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        where = f"/login?{urlencode({'next': target})}" if request.method == "GET" else "/login"
        return RedirectResponse(where, status_code=303)

    @app.exception_handler(WorkflowError)
    async def _domain(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, WorkflowError)
        if _is_api(request):
            return domain_error_json(request, exc)
        return pages.error_page(request, request.app.state.web, None, exc)

    @app.exception_handler(LetterError)
    async def _letter(request: Request, exc: Exception) -> Response:
        log.error("letter failed on %s %s: %s", request.method, request.url.path, exc)
        return await _domain(
            request,
            LetterFailed(
                f"De brief kan niet worden gemaakt ({exc}). Er is niets doorgevoerd; "
                "meld dit aan de beheerder."
            ),
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: Exception) -> Response:
        if _is_api(request):
            return validation_error_json(request, exc)
        assert isinstance(exc, RequestValidationError)
        fields = {".".join(str(p) for p in e["loc"][1:]) or "invoer": str(e["msg"]) for e in exc.errors()}
        return pages.error_page(request, request.app.state.web, None, InvalidInput(fields))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if _is_api(request):
            return http_error_json(request, exc)
        message = "Deze pagina bestaat niet." if exc.status_code == 404 else str(exc.detail)
        page = render(request, request.app.state.web, "error.html", {"message": message}, exc.status_code)
        page.headers.update(exc.headers or {})  # Allow, Retry-After, WWW-Authenticate
        return page
