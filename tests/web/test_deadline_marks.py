"""What the sweep leaves behind, as people see it: marks on the claim page and the list, the inbox, the
API; and the sweep running inside the web process when asked to."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from claims.deadlines.sweep import sweep
from claims.runtime import Runtime
from claims.service import open_claim
from claims.storage.tables import DEADLINES
from claims.web.app import create_app
from tests.factories import Clock, World, melding
from tests.web.conftest import client_for, form_csrf, settings


def _overdue_and_escalated(engine: Engine, rt: Runtime, world: World, clock: Clock) -> str:
    with Session(engine, expire_on_commit=False) as s:
        ref = open_claim(s, rt, melding("contract_breach"), world.handler).reference
    clock.advance(days=10)  # acknowledgement due after 2 working days, escalated 2 days later
    report = sweep(engine, rt)
    assert (report.flagged, report.escalated) == (1, 1)
    return ref


def test_the_claim_page_list_and_inbox_show_what_the_sweep_did(
    app: Any, engine: Engine, rt: Runtime, world: World, clock: Clock
) -> None:
    ref = _overdue_and_escalated(engine, rt, world, clock)
    handler = client_for(app, world.handler.email)
    page = handler.get(f"/claims/{ref}").text
    assert "geëscaleerd" in page and "te laat" in page
    assert "termijn &#39;Ontvangst bevestigen&#39; is verlopen" in page  # the timeline event
    assert 'class="overdue"' in handler.get("/claims").text
    assert 'aria-label="1 ongelezen"' in page  # the handler was told once: the overdue flag
    inbox = handler.get("/berichten").text
    assert ref in inbox and "is verlopen" in inbox
    r = handler.post("/berichten/gelezen", data={"csrf": form_csrf(inbox, "/berichten/gelezen")})
    assert r.status_code == 303
    assert "ongelezen" not in handler.get("/berichten").text
    manager = client_for(app, world.manager.email)
    assert "nog niet gehaald" in manager.get("/berichten").text  # the escalation went to the managers
    api = manager.get("/api/notifications", params={"unread": "true"}).json()
    assert [(n["kind"], n["reference"]) for n in api] == [("deadline_escalated", ref)]


def test_marking_read_needs_the_forms_token(handler: TestClient) -> None:
    assert handler.post("/berichten/gelezen", data={"csrf": "x"}).status_code == 403


def test_the_web_process_runs_the_sweep_when_asked(
    engine: Engine, rt: Runtime, world: World, clock: Clock
) -> None:
    with Session(engine, expire_on_commit=False) as s:
        open_claim(s, rt, melding("contract_breach"), world.handler)
    clock.advance(days=10)
    flagged = select(func.count()).where(DEADLINES.c.flagged_at.is_not(None))
    quiet = create_app(settings(), engine, rt)  # the default: tests and several workers run no sweep
    with TestClient(quiet):
        time.sleep(0.5)
    with engine.connect() as conn:
        assert conn.execute(flagged).scalar_one() == 0
    app = create_app(settings(), engine, rt, scheduler=True)
    with TestClient(app):  # the lifespan starts the scheduler; its first sweep runs at once
        for _ in range(100):
            with engine.connect() as conn:
                if conn.execute(flagged).scalar_one():
                    break
            time.sleep(0.05)
    with engine.connect() as conn:
        assert conn.execute(flagged).scalar_one() == 1
