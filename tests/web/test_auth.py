"""Logging in and out: signed HttpOnly cookies, a new session at every log-in, idle and absolute
timeouts, slowed-down guessing, log-in CSRF, no open redirects."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from claims.people.logins import FREE_ATTEMPTS
from claims.storage.tables import LOGIN_FAILURES
from tests.factories import Clock, World
from tests.web.conftest import PASSWORD, client_for, forms, login


def test_pages_redirect_to_the_login_page_and_back(anon: TestClient, world: World) -> None:
    r = anon.get("/claims?kind=unpaid_fee")
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=%2Fclaims%3Fkind%3Dunpaid_fee"
    assert anon.get(r.headers["location"]).status_code == 200
    r = login(anon, world.handler.email, next="/claims?kind=unpaid_fee")
    assert r.status_code == 303 and r.headers["location"] == "/claims?kind=unpaid_fee"


def test_the_session_cookie_is_signed_httponly_and_samesite(anon: TestClient, world: World) -> None:
    r = login(anon, world.handler.email)
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("claimflow_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    token = anon.cookies["claimflow_session"]
    anon.cookies.set("claimflow_session", token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    assert anon.get("/claims").status_code == 303  # a tampered cookie is no session


def test_a_wrong_password_is_refused_with_the_address_kept(anon: TestClient, world: World) -> None:
    r = login(anon, world.handler.email, "fout-wachtwoord")
    assert r.status_code == 401
    assert "onjuist wachtwoord" in r.text
    assert f'value="{world.handler.email}"' in r.text
    assert "claimflow_session" not in anon.cookies


def test_an_unknown_address_gets_the_same_answer(anon: TestClient) -> None:
    r = login(anon, "niemand@test.nl", "wat-dan-ook")
    assert r.status_code == 401 and "Onbekend e-mailadres of onjuist wachtwoord" in r.text


def test_repeated_failures_are_slowed_down_even_with_the_right_password(
    anon: TestClient, engine: Engine, clock: Clock, world: World
) -> None:
    for _ in range(FREE_ATTEMPTS):
        assert login(anon, world.handler.email, "fout").status_code == 401
    r = login(anon, world.handler.email, PASSWORD)
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) > 0
    assert "Te veel mislukte pogingen" in r.text
    clock.advance(seconds=31)
    assert login(anon, world.handler.email, "fout").status_code == 401
    assert login(anon, world.handler.email, PASSWORD).status_code == 429  # the wait doubled
    clock.advance(seconds=61)
    assert login(anon, world.handler.email, PASSWORD).status_code == 303
    with Session(engine) as s:  # a success clears the count
        count = s.connection().execute(select(func.count()).select_from(LOGIN_FAILURES)).scalar_one()
    assert count == 0


def test_log_in_without_the_forms_nonce_is_refused(anon: TestClient, world: World) -> None:
    r = anon.post("/login", data={"email": world.handler.email, "password": PASSWORD, "nonce": "x"})
    assert r.status_code == 400
    assert "claimflow_session" not in anon.cookies


def test_every_log_in_starts_a_new_session(app: Any, world: World) -> None:
    client = client_for(app, world.handler.email)
    first = client.cookies["claimflow_session"]
    second = client_for(app, world.handler.email).cookies["claimflow_session"]
    assert first != second


def test_log_out_ends_the_session_for_every_copy_of_the_cookie(handler: TestClient, app: Any) -> None:
    cookie = handler.cookies["claimflow_session"]
    page = handler.get("/claims")
    logout = next(f for f in forms(page.text) if f["action"] == "/logout")
    r = handler.post("/logout", data=logout["fields"])
    assert r.status_code == 303 and r.headers["location"] == "/login"
    thief = TestClient(app, follow_redirects=False)
    thief.cookies.set("claimflow_session", cookie)
    assert thief.get("/claims").status_code == 303


def test_an_error_page_leads_to_a_log_out_page_that_logs_out_only_when_asked(
    handler: TestClient, anon: TestClient
) -> None:
    error = handler.get("/claims/CF-1999-999999")
    assert error.status_code == 404 and '<a href="/logout">Uitloggen</a>' in error.text
    page = handler.get("/logout")
    assert page.status_code == 200
    assert handler.get("/claims").status_code == 200  # looking at it logged nobody out
    logout = next(f for f in forms(page.text) if f["action"] == "/logout")
    assert handler.post("/logout", data=logout["fields"]).headers["location"] == "/login"
    assert handler.get("/claims").status_code == 303
    assert anon.get("/logout").headers["location"] == "/login"


def test_log_out_needs_the_csrf_token(handler: TestClient) -> None:
    r = handler.post("/logout", data={"csrf": "vervalst"})
    assert r.status_code == 403
    assert handler.get("/claims").status_code == 200


def test_an_idle_session_expires(handler: TestClient, clock: Clock) -> None:
    clock.advance(minutes=29)
    assert handler.get("/claims").status_code == 200
    clock.advance(minutes=29)  # 29 minutes after the last request: still alive
    assert handler.get("/claims").status_code == 200
    clock.advance(minutes=31)
    assert handler.get("/claims").status_code == 303


def test_a_session_ends_after_the_absolute_timeout_however_busy(handler: TestClient, clock: Clock) -> None:
    for _ in range(12 * 3 - 1):  # a request every 20 minutes for 11 h 40 min
        clock.advance(minutes=20)
        assert handler.get("/claims").status_code == 200
    clock.advance(minutes=21)
    assert handler.get("/claims").status_code == 303


def test_next_never_leads_off_site(anon: TestClient, world: World) -> None:
    r = login(anon, world.handler.email, next="//evil.example/x")
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_pages_are_not_cached_or_framed(handler: TestClient) -> None:
    r = handler.get("/claims")
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
