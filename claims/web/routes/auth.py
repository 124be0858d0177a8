"""Logging in and out, and the front door that sends each user to their first page."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from claims.errors import LoginRefused
from claims.people.logins import authenticate, end_session, start_session
from claims.web.deps import Db, MaybeViewer, ReleasingRoute, Web, WebContext, csrf
from claims.web.pages import home_of, safe_next, see_other
from claims.web.security import COOKIE, LOGIN_COOKIE
from claims.web.templating import render

router = APIRouter(include_in_schema=False, route_class=ReleasingRoute)


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "?"


def _secure(ctx: WebContext) -> bool:
    return ctx.settings.environment == "production"


@router.get("/", response_class=HTMLResponse)
def home(viewer: MaybeViewer) -> Response:
    return see_other(home_of(viewer.user) if viewer else "/login")


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, ctx: Web, viewer: MaybeViewer, next: str = "/") -> Response:
    if viewer is not None:
        return see_other(safe_next(next) if next != "/" else home_of(viewer.user))
    return _login_page(request, ctx, next=next)


def _login_page(
    request: Request, ctx: WebContext, *, next: str, email: str = "", error: str = "", status: int = 200
) -> Response:
    # Log-in CSRF: there is no session yet to bind a token to, so the form carries a nonce that must
    # match a cookie only this site could have set (a double-submit check, not deps.csrf).
    nonce = secrets.token_urlsafe(16)
    response = render(
        request, ctx, "login.html", {"next": next, "email": email, "error": error, "nonce": nonce}, status
    )
    response.set_cookie(
        LOGIN_COOKIE, ctx.signer.sign(nonce), httponly=True, samesite="strict", secure=_secure(ctx)
    )
    return response


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    ctx: Web,
    db: Db,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    nonce: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    cookie = request.cookies.get(LOGIN_COOKIE)
    if not nonce or not cookie or ctx.signer.unsign(cookie) != nonce:
        return _login_page(
            request,
            ctx,
            next=next,
            email=email,
            error="Het formulier was verlopen. Probeer het opnieuw.",
            status=400,
        )
    try:
        user = authenticate(db, email, password, _client_ip(request), ctx.rt.clock())
    except LoginRefused as exc:
        response = _login_page(
            request, ctx, next=next, email=email, error=str(exc), status=429 if exc.retry_after else 401
        )
        if exc.retry_after:
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    token = start_session(db, user, ctx.rt.clock())
    response = see_other(safe_next(next) if next != "/" else home_of(user))
    response.set_cookie(
        COOKIE,
        ctx.signer.sign(token),
        max_age=int(ctx.policy.absolute.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=_secure(ctx),
    )
    response.delete_cookie(LOGIN_COOKIE)
    return response


@router.get("/logout", response_class=HTMLResponse)
def logout_page(request: Request, ctx: Web, viewer: MaybeViewer) -> Response:
    """A page with only the log-out button: where a page that cannot hold the form (an error page,
    drawn without knowing who asks) sends you. A GET never logs out by itself."""
    if viewer is None:
        return see_other("/login")
    return render(request, ctx, "logout.html", {}, 200, viewer)


@router.post("/logout", dependencies=[csrf("logout")])
def logout(request: Request, ctx: Web, db: Db) -> Response:
    token = ctx.signer.unsign(request.cookies.get(COOKIE, "")) or ""
    end_session(db, token, ctx.rt.clock())
    response = see_other("/login")
    response.delete_cookie(COOKIE)
    return response
