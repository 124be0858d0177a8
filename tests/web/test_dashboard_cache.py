"""The dashboard's stored figures (claims.reads.dashboard_cache): the scheduler's refresh writes them,
the page shows them with their moment while they are recent and computes them itself when they are
not, and a manager (only a manager) can refresh them at once."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from claims.people.users import token_hash
from claims.reads import dashboard_cache
from claims.reads.dashboard import dashboard, money_figures
from claims.runtime import Runtime
from claims.service import advance, open_claim
from claims.storage.tables import DASHBOARD_SNAPSHOTS
from claims.web.security import COOKIE
from tests.factories import Clock, World, melding
from tests.web.conftest import client_for, form_csrf, settings

MAX_AGE = dashboard_cache.max_age(settings())


def _open(engine: Engine, rt: Runtime, world: World, kind: str = "unpaid_fee") -> str:
    with Session(engine, expire_on_commit=False) as s:
        return open_claim(s, rt, melding(kind), world.handler).reference


def _run_refresh_job(engine: Engine, rt: Runtime) -> None:
    job_id, job, args, interval = dashboard_cache.scheduled(engine, rt, settings())
    assert (job_id, interval) == ("dashboard-refresh", settings().dashboard_refresh_seconds)
    job(*args)


def _open_claims(page: str) -> int:
    found = re.search(r'<p class="lead">(\d+) open claims</p>', page)
    assert found, "no count of open claims on the dashboard"
    return int(found.group(1))


def _snapshots(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(DASHBOARD_SNAPSHOTS)).all())


def test_without_a_snapshot_the_dashboard_computes_its_figures_and_says_so(
    app: Any, engine: Engine, rt: Runtime, world: World
) -> None:
    _open(engine, rt, world)
    page = client_for(app, world.manager.email).get("/dashboard")
    assert page.status_code == 200
    assert 'id="stand-live"' in page.text and "zojuist berekend" in page.text
    assert 'id="stand-bewaard"' not in page.text
    assert _open_claims(page.text) == 1
    assert _snapshots(engine) == []  # a view stores nothing


def test_the_refresh_job_stores_the_figures_and_the_page_shows_them_with_their_moment(
    app: Any, engine: Engine, rt: Runtime, world: World, clock: Clock
) -> None:
    _open(engine, rt, world)
    _run_refresh_job(engine, rt)
    [row] = _snapshots(engine)
    assert row.computed_at == clock()
    clock.advance(minutes=3)
    _open(engine, rt, world)  # after the snapshot: the stored figures do not count it yet
    manager = client_for(app, world.manager.email)
    page = manager.get("/dashboard")
    assert 'id="stand-bewaard"' in page.text and 'id="stand-live"' not in page.text
    # 16 November 2026 09:00 UTC is 10:00 in Amsterdam
    assert "Stand van 16 november 2026 10:00" in page.text
    assert _open_claims(page.text) == 1
    # the list behind the figures is the claims as they are now
    assert manager.get("/claims?open=1").text.count('href="/claims/CF-') >= 2
    _run_refresh_job(engine, rt)  # the next refresh takes the place of the last
    [row] = _snapshots(engine)
    assert row.computed_at == clock()
    assert _open_claims(manager.get("/dashboard").text) == 2


def test_a_snapshot_older_than_two_refresh_intervals_is_not_shown_as_current(
    app: Any, engine: Engine, rt: Runtime, world: World, clock: Clock
) -> None:
    _open(engine, rt, world)
    _run_refresh_job(engine, rt)
    _open(engine, rt, world)
    manager = client_for(app, world.manager.email)
    clock.advance(seconds=MAX_AGE.total_seconds())
    assert _open_claims(manager.get("/dashboard").text) == 1  # at the limit: still the snapshot
    clock.advance(seconds=1)
    page = manager.get("/dashboard").text
    assert 'id="stand-live"' in page and 'id="stand-bewaard"' not in page
    assert _open_claims(page) == 2
    assert timedelta(seconds=2 * settings().dashboard_refresh_seconds) == MAX_AGE


def test_the_stored_figures_are_the_live_ones(
    engine: Engine, rt: Runtime, world: World, clock: Clock
) -> None:
    ref = _open(engine, rt, world, "data_loss")
    _open(engine, rt, world)
    with Session(engine, expire_on_commit=False) as s:
        advance(s, rt, ref, "start_coverage_check", {}, world.handler, 1)
    clock.advance(days=120)  # overdue deadlines, a stay in a state, weeks with claims opened
    with engine.connect() as conn:
        dashboard_cache.refresh(conn, rt)
        shown = dashboard_cache.shown(conn, world.manager, rt, max_age=MAX_AGE, approval_states=[])
        live_d = dashboard(conn, world.manager, clock(), rt.tz, approval_states=[])
        live_m = money_figures(
            conn, world.manager, clock(), rt.tz, large_loss_above=rt.rules.large_loss_threshold
        )
    assert not shown.live and shown.computed_at == clock()
    assert shown.dashboard == live_d
    assert shown.dashboard.overdue_by_handler  # the figures are not empty ones that trivially agree
    assert shown.money.months == live_m.months and shown.money.since == live_m.since
    assert shown.money.cells == live_m.cells and shown.money.handlers == live_m.handlers


def test_a_manager_refreshes_the_figures_now(
    app: Any, engine: Engine, rt: Runtime, world: World, clock: Clock
) -> None:
    _open(engine, rt, world)
    manager = client_for(app, world.manager.email)
    page = manager.get("/dashboard")
    token = form_csrf(page.text, "/dashboard/bijwerken")
    assert manager.post("/dashboard/bijwerken", data={"csrf": "vervalst"}).status_code == 403
    assert _snapshots(engine) == []
    clock.advance(minutes=1)
    done = manager.post("/dashboard/bijwerken", data={"csrf": token})
    assert done.status_code == 303 and done.headers["location"] == "/dashboard"
    [row] = _snapshots(engine)
    assert row.computed_at == clock()
    assert "Stand van 16 november 2026 10:01" in manager.get("/dashboard").text


def test_only_a_manager_may_refresh_the_figures(
    app: Any, engine: Engine, world: World, handler: TestClient
) -> None:
    # a token valid for the handler's own session: the refusal is the role's, not the form's
    signer = app.state.web.signer
    token = signer.csrf(token_hash(signer.unsign(handler.cookies[COOKIE])), "dashboard")
    assert handler.post("/dashboard/bijwerken", data={"csrf": token}).status_code == 403
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(DASHBOARD_SNAPSHOTS)).scalar_one() == 0
