"""The FastAPI application: pages, the JSON API under /api (OpenAPI at /docs) and the stylesheet."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from swagger_ui_bundle import swagger_ui_path

from claims.config import Settings
from claims.deadlines.scheduler import make_scheduler
from claims.exports import row_texts
from claims.people.logins import SessionPolicy
from claims.reads import dashboard_cache
from claims.runtime import Runtime, build_runtime
from claims.web import capacity, errors
from claims.web.deps import WebContext
from claims.web.input_guard import InputGuard
from claims.web.routes import (
    admin,
    api,
    auth,
    claims,
    complaints,
    correspondence,
    dashboard,
    documents,
    exports,
    parties,
    payments,
    work,
)
from claims.web.security import CookieSigner
from claims.web.templating import STATIC_DIR, make_environment


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
        ticker = (
            make_scheduler(
                engine,
                rt,
                settings,
                blocking=False,
                also=[
                    dashboard_cache.scheduled(engine, rt, settings),
                    row_texts.scheduled(engine, rt, settings),
                ],
            )
            if scheduler
            else None
        )
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
        documents=settings.document_store(),
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

    # The order is the routes' order of matching: a path that two routes match goes to the first.
    for router in (
        api.router,
        documents.api_router,
        complaints.api_router,
        exports.api_router,
        exports.router,
        auth.router,
        claims.router,
        parties.router,
        correspondence.router,
        documents.router,
        complaints.router,
        dashboard.router,
        admin.router,
        payments.router,
        payments.api_router,
        work.router,
    ):
        app.include_router(router)
    errors.install(app)
    # every body checked once, before a route reads it; a document upload is counted as it streams
    app.add_middleware(InputGuard, max_upload=settings.document_max_bytes)
    capacity.install(app, settings.concurrency_limit)
    return app


def served_app() -> FastAPI:
    """The app as `claimflow serve` runs it in each worker process, from CLAIMFLOW_* settings."""
    settings = Settings()
    return create_app(settings, scheduler=settings.scheduler == "embedded")
