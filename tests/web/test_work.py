"""Mijn werk: the handler's open claims by the term due first (overdue first, named), the proposals a
manager must decide, what is new; an expert's assignments; who lands where after logging in."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from claims.documents.store import FileStore
from claims.documents.upload import receive
from claims.errors import LetterNotFound
from claims.reads.queries import claim_letters, letter
from claims.runtime import Runtime
from claims.service import add_document, advance, open_claim
from tests.factories import Clock, World, melding
from tests.web.conftest import client_for, forms


def _opened(engine: Engine, rt: Runtime, world: World, **over: Any) -> str:
    with Session(engine, expire_on_commit=False) as s:
        return open_claim(s, rt, melding("late_delivery", **over), world.handler).reference


def _with_expert(engine: Engine, rt: Runtime, world: World) -> str:
    """A claim with cover confirmed and the world's expert appointed (a 1,000 damages reserve)."""
    ref = _opened(engine, rt, world)
    with Session(engine, expire_on_commit=False) as s:
        advance(s, rt, ref, "start_coverage_check", {}, world.handler, 1)
        inputs = {"expert": world.expert.email, "reserve_damages": "1000"}
        advance(s, rt, ref, "confirm_cover", inputs, world.handler, 2)
    return ref


def test_a_handlers_work_lists_their_claims_overdue_first_with_the_term_named(
    handler: TestClient, engine: Engine, rt: Runtime, world: World, clock: Clock
) -> None:
    late = _opened(engine, rt, world, date_reported="2026-11-02")  # receipt due 4 November: overdue
    fresh = _opened(engine, rt, world)  # received today: due Wednesday 18 November
    with Session(engine, expire_on_commit=False) as s:
        closed = open_claim(s, rt, melding("late_delivery"), world.handler).reference
        advance(s, rt, closed, "withdraw", {"reason": "Verzekerde ziet af."}, world.handler, 1)
    page = handler.get("/werk")
    assert page.status_code == 200
    text = page.text[page.text.index('id="mijn-claims"') :]
    assert text.index(late) < text.index(fresh) and closed not in text
    assert "Ontvangst bevestigen" in text and "verlopen" in text.split(fresh)[0]


def test_an_expert_sees_their_assignments_and_the_report_term(
    app: Any, engine: Engine, rt: Runtime, world: World
) -> None:
    ref = _with_expert(engine, rt, world)
    expert = client_for(app, world.expert.email)
    page = expert.get("/werk").text
    assert "Mijn opdrachten" in page and ref in page and "Expertiserapport indienen" in page


def test_managers_land_on_the_dashboard_and_handlers_on_their_work(app: Any, world: World) -> None:
    assert (
        client_for(app, world.manager.email).get("/", follow_redirects=False).headers["location"]
        == "/dashboard"
    )
    assert (
        client_for(app, world.handler.email).get("/", follow_redirects=False).headers["location"] == "/werk"
    )


def test_a_follow_up_goes_in_the_diary_is_reminded_on_its_day_and_is_done(
    handler: TestClient, app: Any, engine: Engine, rt: Runtime, world: World, clock: Clock
) -> None:
    from claims.deadlines.sweep import sweep
    from tests.web.conftest import form_csrf

    ref = _opened(engine, rt, world)
    page = handler.get("/werk").text
    csrf = form_csrf(page, "/werk/opvolgingen")
    bad = handler.post(
        "/werk/opvolgingen", data={"csrf": csrf, "reference": ref, "on": "2026-11-01", "text": ""}
    )
    assert (
        bad.status_code == 422
        and 'id="followup-on-error"' in bad.text
        and 'id="followup-text-error"' in bad.text
    )
    unknown = handler.post(
        "/werk/opvolgingen",
        data={"csrf": csrf, "reference": "CF-1999-000001", "on": "2026-12-12", "text": "x"},
    )
    assert unknown.status_code == 422 and "bestaat niet" in unknown.text
    done = handler.post(
        "/werk/opvolgingen",
        data={"csrf": csrf, "reference": ref, "on": "2026-12-12", "text": "Bel advocaat terug"},
    )
    assert done.status_code == 303
    listed = handler.get("/werk").text
    assert "Bel advocaat terug" in listed and "12 december 2026" in listed
    # the transitions leave it alone; the sweep reminds the handler on the morning of its day
    clock.now = datetime(2026, 12, 12, 7, 30, tzinfo=UTC)  # 08:30 in Amsterdam
    report = sweep(engine, rt)
    assert report.reminded >= 1
    handler = client_for(app, world.handler.email)  # the earlier session timed out meanwhile
    page = handler.get("/werk").text
    action = next(f["action"] for f in forms(page) if f["action"].endswith("/klaar"))
    finished = handler.post(action, data={"csrf": form_csrf(page, action)})
    assert (
        finished.status_code == 303
        and "Bel advocaat terug" not in handler.get("/werk").text.split("Opvolging toevoegen")[0]
    )
    timeline = handler.get(f"/claims/{ref}").text
    assert "Opvolging in de agenda" in timeline and "Opvolging afgehandeld" in timeline


def test_new_documents_by_others_on_my_claims_are_listed_and_an_expert_sees_only_shared_ones(
    app: Any, handler: TestClient, engine: Engine, rt: Runtime, world: World, clock: Clock, tmp_path: Any
) -> None:
    pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <</Type /Catalog>> endobj\n%%EOF\n"
    store = FileStore(tmp_path / "store")
    ref = _with_expert(engine, rt, world)

    def add(actor: Any, title: str, visibility: str, content: bytes) -> None:
        with Session(engine) as s, receive(io.BytesIO(content), 1_000_000) as upload:
            fields = {"title": title, "doc_type": "correspondence_in", "visibility": visibility}
            add_document(s, rt, store, ref, upload, "stuk.pdf", fields, actor)

    clock.now = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    add(world.manager, "Oude brief van de advocaat", "shared", pdf + b"1")  # 15 days before: not new
    clock.now = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
    add(world.manager, "Brief van de advocaat", "internal", pdf + b"2")
    add(world.manager, "Offerte herstel", "shared", pdf + b"3")
    add(world.handler, "Mijn eigen notitie", "internal", pdf + b"4")

    page = handler.get("/werk").text
    mine = page[page.index('id="nieuwe-documenten"') :].split("</section>")[0]
    assert "Brief van de advocaat" in mine and "Offerte herstel" in mine
    assert "Oude brief" not in mine and "Mijn eigen notitie" not in mine
    assert mine.index("Offerte herstel") < mine.index("Brief van de advocaat")  # newest first
    expert = client_for(app, world.expert.email).get("/werk").text
    theirs = expert[expert.index('id="nieuwe-documenten"') :].split("</section>")[0]
    assert "Offerte herstel" in theirs and "Brief van de advocaat" not in theirs


def test_an_expert_reads_only_the_letters_addressed_to_them(
    app: Any, engine: Engine, rt: Runtime, world: World
) -> None:
    ref = _with_expert(engine, rt, world)
    with Session(engine) as s:
        every = claim_letters(s, ref, world.handler)
        theirs = claim_letters(s, ref, world.expert)
        others = [x for x in every if x["recipient"] != "expert"]
        assert theirs and others
        assert {x["recipient"] for x in theirs} == {"expert"}
        letter(s, theirs[0]["id"], world.expert)
        with pytest.raises(LetterNotFound):
            letter(s, others[0]["id"], world.expert)
    page = client_for(app, world.expert.email).get(f"/claims/{ref}").text
    assert f"/letters/{others[0]['id']}" not in page and f"/letters/{theirs[0]['id']}" in page
    assert client_for(app, world.expert.email).get(f"/letters/{others[0]['id']}").status_code == 404
    # nor the reserve typed with the confirmation of cover, on the timeline
    timeline = page[page.index('id="h-timeline"') :]
    assert "Reserve schadevergoeding" not in timeline and "€ 1.000,00" not in timeline
    handlers = client_for(app, world.handler.email).get(f"/claims/{ref}").text
    assert "€ 1.000,00" in handlers[handlers.index('id="h-timeline"') :]
