"""CSRF on the pages: every form post passes the one check in claims.web.deps, and a claim's forms
carry a token bound to the version they were drawn for."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from claims.runtime import Runtime
from claims.service import open_claim
from tests.conftest import snapshot
from tests.factories import World, melding
from tests.web.conftest import client_for, transition_form

ROUTES = Path(__file__).resolve().parents[2] / "claims" / "web" / "routes"


def _routes(routes: list[Any]) -> list[APIRoute]:
    # an included router is kept whole in the app's routes (FastAPI matches it as one)
    found: list[APIRoute] = []
    for route in routes:
        included = getattr(route, "original_router", None)
        found += _routes(included.routes) if included is not None else [route]
    return [r for r in found if isinstance(r, APIRoute)]


def _form_posts(app: Any) -> list[str]:
    # the log-in form has no session to bind a token to: its nonce cookie is checked by the route
    return sorted(
        route.path
        for route in _routes(app.routes)
        if "POST" in route.methods and not route.path.startswith("/api") and route.path != "/login"
    )


def test_every_form_post_without_its_token_is_403_and_changes_nothing(
    app: Any, engine: Engine, rt: Runtime, world: World
) -> None:
    with Session(engine, expire_on_commit=False) as s:
        ref = open_claim(s, rt, melding("unpaid_fee"), world.handler).reference
    posts = _form_posts(app)
    assert len(posts) >= 9, posts  # the walk sees the forms
    who = {"/admin": world.admin, "/outbox": world.manager}
    clients: dict[str, TestClient] = {}
    for path in posts:
        user = next((u for prefix, u in who.items() if path.startswith(prefix)), world.handler)
        client = clients.setdefault(user.email, client_for(app, user.email))
        url = re.sub(r"\{reference\}", ref, re.sub(r"\{\w+_id\}", "1", path))
        before = snapshot(engine)
        r = client.post(url, data={"csrf": "0" * 64, "version": "1", "trigger": "start_coverage_check"})
        assert r.status_code == 403 and "(CSRF)" in r.text, f"{path}: {r.status_code}"
        assert snapshot(engine) == before, path


def test_no_route_checks_a_csrf_token_itself() -> None:
    checking = [p.name for p in ROUTES.glob("*.py") if "csrf_ok" in p.read_text(encoding="utf-8")]
    assert not checking, f"check CSRF with claims.web.deps.csrf or claim_csrf, not by hand: {checking}"


def test_a_claim_form_posted_with_another_version_than_its_token_is_403(
    handler: TestClient, engine: Engine, rt: Runtime, world: World
) -> None:
    with Session(engine, expire_on_commit=False) as s:
        ref = open_claim(s, rt, melding("unpaid_fee"), world.handler).reference
    form = transition_form(handler.get(f"/claims/{ref}").text, "start_coverage_check")
    before = snapshot(engine)
    r = handler.post(f"/claims/{ref}/transitions", data=form | {"version": "2"})
    assert r.status_code == 403 and "(CSRF)" in r.text
    assert snapshot(engine) == before
    assert handler.post(f"/claims/{ref}/transitions", data=form).status_code == 303


def test_a_non_administrator_posting_the_users_form_is_told_why_not_that_it_expired(
    handler: TestClient, engine: Engine
) -> None:
    before = snapshot(engine)
    r = handler.post("/admin/users", data={"csrf": "vervalst", "email": "x@test.nl"})
    assert r.status_code == 403 and "Alleen een beheerder" in r.text
    assert snapshot(engine) == before
