"""The users page (administrators): add a user, block and unblock one."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from claims.people.admin import set_active
from claims.people.permissions import check_may_manage_users
from claims.people.users import add_user, all_users
from claims.storage.db import in_write
from claims.web.deps import (
    Db,
    DbId,
    FormData,
    PageViewer,
    PostedForm,
    ReleasingRoute,
    Viewer,
    Web,
    WebContext,
    csrf,
)
from claims.web.errors import page_message
from claims.web.pages import see_other
from claims.web.templating import render
from workflow.errors import InvalidInput
from workflow.inputs import parse_money

router = APIRouter(include_in_schema=False, route_class=ReleasingRoute)


async def _admin_only(viewer: PageViewer) -> None:
    # a dependency, listed before the CSRF check: a non-administrator is told why, not that the form expired
    check_may_manage_users(viewer.user)


def _users_page(
    request: Request,
    ctx: WebContext,
    db: Session,
    viewer: Viewer,
    *,
    values: FormData | None = None,
    errors: dict[str, str] | None = None,
    message: str = "",
    status: int = 200,
) -> Response:
    context = {
        "users": all_users(db),
        "values": values or {},
        "errors": errors or {},
        "message": message,
        "csrf": ctx.signer.csrf(viewer.session_key, "users"),
    }
    return render(request, ctx, "users.html", context, status, viewer)


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, ctx: Web, db: Db, viewer: PageViewer, ok: str = "") -> Response:
    check_may_manage_users(viewer.user)
    messages = {
        "added": "De gebruiker is toegevoegd.",
        "blocked": "Geblokkeerd.",
        "unblocked": "Gedeblokkeerd.",
    }
    return _users_page(request, ctx, db, viewer, message=messages.get(ok, ""))


@router.post("/admin/users", response_class=HTMLResponse, dependencies=[Depends(_admin_only), csrf("users")])
def users_add(request: Request, ctx: Web, db: Db, viewer: PageViewer, values: PostedForm) -> Response:
    errors: dict[str, str] = {}
    limit: Decimal | None = None
    if values.get("authority_limit"):
        try:
            limit = parse_money(values["authority_limit"], "bevoegdheid")
        except ValueError as exc:
            errors["authority_limit"] = str(exc)
    try:
        if errors:
            raise InvalidInput(errors)
        # a write transaction from the start: SQLite cannot turn a reading one into a writing one
        in_write(
            db,
            lambda _conn: add_user(
                db,
                email=values.get("email", ""),
                name=values.get("name", ""),
                role=values.get("role", ""),
                password=values.get("password", ""),
                now=ctx.rt.clock(),
                authority_limit=limit,
                team=values.get("team") or "BAV",
                actor=viewer.user,
            ),
        )
    except InvalidInput as exc:
        values.pop("password", None)
        return _users_page(request, ctx, db, viewer, values=values, errors=dict(exc.errors), status=422)
    return see_other("/admin/users?ok=added")


# whether the user may be blocked is the service's to say (set_active): an administrator, not oneself
@router.post("/admin/users/{user_id}/active", response_class=HTMLResponse, dependencies=[csrf("users")])
def users_active(
    request: Request,
    ctx: Web,
    db: Db,
    viewer: PageViewer,
    user_id: DbId,
    active: Annotated[str, Form()] = "",
) -> Response:
    try:
        in_write(db, lambda _conn: set_active(db, viewer.user, user_id, active == "1", ctx.rt.clock()))
    except InvalidInput as exc:
        return _users_page(request, ctx, db, viewer, message=page_message(exc), status=422)
    return see_other(f"/admin/users?ok={'unblocked' if active == '1' else 'blocked'}")
