"""How much one serving process takes on at once, and what it answers beyond that.

A request passes three queues: the process admits at most `concurrency_limit` requests (the next one
is answered 503 with Retry-After at once, never left to hang); an admitted request waits for one of
`db_pool_size` threads (AnyIO's limiter, first come first served); a thread then finds a database
connection free, because the pool holds as many as there are threads and a request gives its
connection back between its steps (claims.web.deps). A request therefore never holds a connection
while it waits for a thread, which is the wait that used to deadlock the pool under load.
What still cannot be had in time (the PostgreSQL pool exhausted by background work, SQLite locked by
another process beyond its busy timeout) is a 503 with Retry-After too, not a 500.
"""

from __future__ import annotations

import logging
import time

import anyio.to_thread
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from claims.storage.db import DatabaseBusy, is_lock_timeout
from claims.web.errors import is_api

log = logging.getLogger("claimflow.web")

RETRY_AFTER_SECONDS = 1
BUSY = "De server is even te druk. Probeer het over een paar seconden opnieuw."


def use_request_threads(count: int) -> None:
    """Serve sync endpoints on `count` threads: as many as the database pool holds connections.
    Call from the event loop (the app's lifespan)."""
    anyio.to_thread.current_default_thread_limiter().total_tokens = count


class LoadShedder:
    """ASGI middleware: at most `limit` requests in this process at once; the next one is refused
    at once with 503 and Retry-After, so a burst beyond what the server can queue costs its
    clients a second, not a 30-second hang."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.in_flight = 0
        self._shed_since_log = 0
        self._last_log = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            self._note_shed()
            await busy_response(scope["path"])(scope, receive, send)
            return
        # One event loop per process: the counter needs no lock.
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1

    def _note_shed(self) -> None:
        self._shed_since_log += 1
        now = time.monotonic()
        if now - self._last_log >= 1.0:  # one line a second under overload, not one per request
            log.warning(
                "over the concurrency limit (%d): %d request(s) answered 503",
                self.limit,
                self._shed_since_log,
            )
            self._shed_since_log = 0
            self._last_log = now


HEAD = "claimflow.head"  # in the scope of a HEAD request answered as GET


def refuse_head(request: Request) -> None:
    """For a GET that does something (an export is recorded in the audit trail): HEAD is 405."""
    if request.scope.get(HEAD):
        raise HTTPException(
            405,
            "Een export wordt alleen met GET gemaakt: elke export komt in het auditlog.",
            {"Allow": "GET"},
        )


class HeadAsGet:
    """ASGI middleware: HEAD is answered as GET without its body (RFC 9110), for every page and
    API read, instead of 405 (a GET that is not only a read refuses it: `refuse_head`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] != "http.response.body":
                await send(message)
            elif not message.get("more_body", False):
                await send({"type": "http.response.body", "body": b"", "more_body": False})

        await self.app({**scope, "method": "GET", HEAD: True}, receive, headers_only)


def busy_response(path: str) -> Response:
    """503 with Retry-After: JSON under /api, a short page elsewhere."""
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
    if is_api(path):
        return JSONResponse({"detail": BUSY}, status_code=503, headers=headers)
    page = (
        '<!doctype html><html lang="nl"><meta charset="utf-8"><title>Even te druk — claimflow</title>'
        f"<p>{BUSY}</p></html>"
    )
    return HTMLResponse(page, status_code=503, headers=headers)


def install(app: FastAPI, concurrency_limit: int) -> None:
    """Load shedding, HEAD and the 503 answers for a database that cannot be had in time (answered
    on the event loop: a busy server has no thread to spare for saying so)."""

    async def _unavailable(request: Request, exc: Exception) -> Response:
        log.warning("database not to be had for %s %s: %s", request.method, request.url.path, exc)
        return busy_response(request.url.path)

    async def _operational(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, OperationalError)
        if exc.orig is None or not is_lock_timeout(exc.orig):
            raise exc  # a real database fault stays a 500 with its traceback in the log
        return await _unavailable(request, exc)

    app.add_exception_handler(PoolTimeout, _unavailable)
    app.add_exception_handler(DatabaseBusy, _unavailable)
    app.add_exception_handler(OperationalError, _operational)
    # Added last, so outermost: a shed request costs nothing but this answer.
    app.add_middleware(HeadAsGet)
    app.add_middleware(LoadShedder, limit=concurrency_limit)
