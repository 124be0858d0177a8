"""What a review of the web layer found: leaks through error answers, throttling that locked out or let
through too much, races on SQLite, and inputs that used to end in a 500."""

from __future__ import annotations

import base64
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session

from claims.people.logins import FREE_ATTEMPTS
from claims.people.users import add_user, user_by_email
from claims.reads.dashboard import dashboard
from claims.runtime import AMSTERDAM, Runtime
from claims.service import open_claim
from tests.conftest import snapshot
from tests.factories import Clock, World, make_user, melding
from tests.web.conftest import PASSWORD, client_for, form_csrf, login
from tests.web.test_api import bearer, open_via_api
from workflow.errors import Forbidden


def _opened(engine: Engine, rt: Runtime, world: World) -> str:
    with Session(engine, expire_on_commit=False) as s:
        return open_claim(s, rt, melding("unpaid_fee"), world.handler).reference


# --- nothing leaks through an error answer -------------------------------------------------------


@pytest.mark.parametrize("who", ["expert", "admin", "outsider"])
def test_someone_off_the_claim_learns_nothing_from_a_stale_or_unknown_trigger(
    who: str, app: Any, engine: Engine, rt: Runtime, world: World, clock: Clock
) -> None:
    ref = _opened(engine, rt, world)
    with Session(engine, expire_on_commit=False) as s:
        make_user(s, "x@zorg.nl", now=clock(), name="X", team="Zorg")
        s.commit()
        users = {"expert": world.expert, "admin": world.admin, "outsider": user_by_email(s, "x@zorg.nl")}
    headers = bearer(engine, users[who])
    api = TestClient(app)
    for body in ({"trigger": "x", "version": 999}, {"trigger": "nonsense", "version": 1}):
        r = api.post(f"/api/claims/{ref}/transitions", json=body, headers=headers)
        assert r.status_code == 403
        assert "current_state" not in r.json() and "melding" not in r.json()["detail"].lower()


# --- log-in throttling -----------------------------------------------------------------------------


def test_failures_for_many_addresses_from_one_place_do_not_lock_out_a_colleague(
    anon: TestClient, world: World
) -> None:
    for n in range(25):  # password spraying from the office's shared address
        assert login(anon, f"gok{n}@test.nl", "fout").status_code == 401
    assert login(anon, world.manager.email).status_code == 303


def test_attempts_during_the_wait_do_not_make_it_longer(anon: TestClient, clock: Clock, world: World) -> None:
    for _ in range(FREE_ATTEMPTS):
        login(anon, world.handler.email, "fout")
    for _ in range(10):
        clock.advance(seconds=2)
        assert login(anon, world.handler.email, "fout").status_code == 429
    clock.advance(seconds=11)  # 31 s after the last counted failure
    assert login(anon, world.handler.email).status_code == 303


def test_simultaneous_guesses_count_each_other(app: Any, world: World) -> None:
    def guess(_: int) -> int:
        with TestClient(app, follow_redirects=False) as client:
            return int(login(client, world.handler.email, "fout").status_code)

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(guess, range(16)))
    assert codes.count(401) == FREE_ATTEMPTS
    assert codes.count(429) == 16 - FREE_ATTEMPTS


def test_simultaneous_log_ins_on_sqlite_all_succeed(app: Any, world: World) -> None:
    users = [
        world.handler,
        world.other_handler,
        world.manager,
        world.other_manager,
        world.expert,
        world.admin,
    ]

    def log_in(n: int) -> int:
        with TestClient(app, follow_redirects=False) as client:
            return int(login(client, users[n % len(users)].email).status_code)

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(log_in, range(24))) == {303}


def test_many_requests_of_one_session_after_an_idle_minute_all_succeed(
    handler: TestClient, clock: Clock
) -> None:
    clock.advance(minutes=2)  # the next requests each want to touch last_seen
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda _: handler.get("/api/workflows").status_code, range(24)))
    assert set(codes) == {200}


def test_the_log_in_page_keeps_every_filter_of_the_page_asked_for(anon: TestClient, world: World) -> None:
    r = anon.get("/claims?kind=unpaid_fee&state=melding")
    assert r.headers["location"] == "/login?next=%2Fclaims%3Fkind%3Dunpaid_fee%26state%3Dmelding"
    anon.get(r.headers["location"])
    r = login(anon, world.handler.email, next="/claims?kind=unpaid_fee&state=melding")
    assert r.headers["location"] == "/claims?kind=unpaid_fee&state=melding"


# --- bad input answered with 4xx, never 500 ------------------------------------------------------------


def _cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("sort", "cursor"),
    [
        ("nieuwste", _cursor(["nieuwste", None, True])),
        ("nieuwste", _cursor(["nieuwste", None, 10**30])),
        ("nieuwste", _cursor(["nieuwste", None, -(10**20)])),
        ("bedrag_hoog", _cursor(["bedrag_hoog", "NaN", 1])),
        ("bedrag_hoog", _cursor(["bedrag_hoog", "1e999999", 1])),
        ("bedrag_hoog", _cursor(["bedrag_hoog", "0.0001", 1])),
        ("bedrag_hoog", _cursor(["bedrag_hoog", 5, 1])),
        ("nieuwste", base64.urlsafe_b64encode(b"[" * 3000).decode()),
    ],
)
def test_crafted_cursors_are_refused(handler: TestClient, sort: str, cursor: str) -> None:
    r = handler.get("/api/claims", params={"sort": sort, "cursor": cursor})
    assert r.status_code == 422
    assert handler.get("/claims", params={"sort": sort, "cursor": cursor}).status_code == 422


def test_a_user_id_beyond_any_column_is_refused(admin: TestClient) -> None:
    csrf = form_csrf(admin.get("/admin/users").text, "/admin/users")
    for user_id in ("99999999999999999999999", "2147483648", "0"):
        r = admin.post(f"/admin/users/{user_id}/active", data={"csrf": csrf, "active": "0"})
        assert r.status_code == 422


def test_dates_far_outside_any_claim_are_refused(handler: TestClient, engine: Engine) -> None:
    before = snapshot(engine)
    body = melding("data_loss") | {"awareness_at": "0001-01-01T00:00", "date_error": "9999-12-31"}
    r = handler.post("/api/claims", json=body)
    assert r.status_code == 422
    assert set(r.json()["errors"]) >= {"awareness_at", "date_error"}
    assert snapshot(engine) == before


def test_nul_characters_are_refused_at_every_door(
    handler: TestClient, anon: TestClient, engine: Engine, rt: Runtime, world: World
) -> None:
    ref = open_via_api(handler, {})
    before = snapshot(engine)
    assert handler.post(f"/api/claims/{ref}/notes", json={"note": "a\x00b"}).status_code == 422
    assert handler.post("/api/claims", json=melding("unpaid_fee", claimant="a\x00b")).status_code == 422
    assert handler.get("/api/claims", params={"q": "\x00"}).status_code == 400
    assert handler.get("/api/claims/CF%00").status_code == 400
    assert handler.get("/claims/new", params={"policy_q": "\x00"}).status_code == 400
    page = handler.get(f"/claims/{ref}").text
    note = form_csrf(page, f"/claims/{ref}/notes")
    assert (
        handler.post(f"/claims/{ref}/notes", data={"csrf": note, "version": "1", "note": "a\x00"}).status_code
        == 422
    )
    assert login(anon, "a\x00@test.nl", "x").status_code == 422  # refused before any password is checked
    assert snapshot(engine) == before


def test_the_dashboard_survives_a_state_no_current_spec_knows(
    app: Any, engine: Engine, rt: Runtime, world: World
) -> None:
    ref = _opened(engine, rt, world)
    with engine.begin() as conn:
        conn.execute(text("UPDATE claims SET state = 'oude_fase' WHERE reference = :r"), {"r": ref})
    assert client_for(app, world.manager.email).get("/dashboard").status_code == 200


# --- the rules live in the service, not only in the pages ---------------------------------------------


def test_the_dashboard_figures_are_for_managers_only(engine: Engine, world: World) -> None:
    with engine.connect() as conn:
        with pytest.raises(Forbidden):
            dashboard(conn, world.handler, datetime.now(UTC), AMSTERDAM, approval_states={"goedkeuring"})
        assert dashboard(conn, world.manager, datetime.now(UTC), AMSTERDAM, approval_states={"goedkeuring"})


def test_only_an_admin_adds_users(engine: Engine, world: World, clock: Clock) -> None:
    with Session(engine) as s, pytest.raises(Forbidden):
        add_user(
            s,
            email="n@test.nl",
            name="N",
            role="handler",
            password=PASSWORD,
            now=clock(),
            actor=world.manager,
        )


def test_a_handler_reports_a_melding_only_for_their_own_team(
    handler: TestClient, engine: Engine, world: World, clock: Clock
) -> None:
    with Session(engine) as s:
        make_user(s, "z@zorg.nl", now=clock(), name="Z", team="Zorg")
        s.commit()
    before = snapshot(engine)
    r = handler.post("/api/claims", json=melding("unpaid_fee", handler="z@zorg.nl"))
    assert r.status_code == 422 and "team" in r.json()["errors"]["handler"]
    assert snapshot(engine) == before
    r = handler.post("/api/claims", json=melding("unpaid_fee", handler=world.other_handler.email))
    assert r.status_code == 201
