"""Complaints on the web: the claim page's section and forms (a refusal marks the field and keeps what
was typed), the list page /klachten and its menu link, the dashboard's figure, the JSON API with its
statuses (201, 403 for an expert, 404, 409 for a second extension or answer, 422 naming the field), and
the exports showing the complaint's steps with readable labels."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from claims.runtime import Runtime
from claims.service import advance, open_claim
from claims.storage.repositories import claims, parties
from tests.factories import World, melding
from tests.web.conftest import forms

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def ref(engine: Engine, rt: Runtime, world: World) -> str:
    """A claim reported on 2 November 2026; the clock stands on Monday 16 November."""
    with Session(engine) as s:
        reported = {"date_error": "2026-10-01", "date_known": "2026-10-05", "date_reported": "2026-11-02"}
        return open_claim(s, rt, melding(**reported), world.handler).reference


def insured_id(engine: Engine, ref: str) -> int:
    with Session(engine) as s:
        claim = claims.by_reference(s.connection(), ref)
        assert claim is not None
        return next(p.id for p in parties.of_claim(s.connection(), claim.id) if p.role == "insured")


def complaint_form(html: str, action: str) -> dict[str, Any]:
    return next(f for f in forms(html) if f["action"] == action)


def register_on_page(client: TestClient, ref: str, **values: str) -> Any:
    page = client.get(f"/claims/{ref}")
    form = complaint_form(page.text, f"/claims/{ref}/complaints")
    return client.post(form["action"], data={**form["fields"], **values})


def test_the_page_registers_a_complaint_and_takes_its_steps(
    handler: TestClient, engine: Engine, ref: str
) -> None:
    done = register_on_page(
        handler,
        ref,
        complainant=str(insured_id(engine, ref)),
        subject="Trage behandeling",
        received_on="2026-11-13",
    )
    assert done.status_code == 303 and "ok=complaint_registered" in done.headers["location"]
    page = handler.get(done.headers["location"])
    assert "De klacht is geregistreerd" in page.text and "Klacht 1" in page.text
    assert "27 november 2026 23:59" in page.text and "25 december 2026 23:59" in page.text
    assert "Klacht geregistreerd" in page.text  # the timeline's label
    (complaint_id,) = {f["action"].split("/")[4] for f in forms(page.text) if "/complaints/" in f["action"]}
    base = f"/claims/{ref}/complaints/{complaint_id}"
    ack = complaint_form(page.text, f"{base}/acknowledge")
    assert handler.post(ack["action"], data=ack["fields"]).status_code == 303
    page = handler.get(f"/claims/{ref}")
    assert "Ontvangstbevestiging van uw klacht" in page.text  # the letter, linked on the timeline
    extend = complaint_form(page.text, f"{base}/extend")
    assert (
        handler.post(
            extend["action"], data={**extend["fields"], "reason": "Wachten op de expert."}
        ).status_code
        == 303
    )
    page = handler.get(f"/claims/{ref}")
    assert "13 februari 2027 23:59" in page.text and f"{base}/extend" not in page.text  # once only
    answer = complaint_form(page.text, f"{base}/answer")
    answered = handler.post(
        answer["action"],
        data={**answer["fields"], "outcome": "ongegrond", "answer": "Wij hebben correct gehandeld."},
    )
    assert answered.status_code == 303
    page = handler.get(f"/claims/{ref}")
    assert "Ons antwoord op uw klacht" in page.text and "ongegrond" in page.text


def test_a_refused_form_marks_the_field_and_loses_nothing(
    handler: TestClient, engine: Engine, ref: str
) -> None:
    refused = register_on_page(
        handler,
        ref,
        complainant=str(insured_id(engine, ref)),
        subject="Te laat gebeld",
        received_on="2026-12-24",
    )
    assert refused.status_code == 422
    form = complaint_form(refused.text, f"/claims/{ref}/complaints")
    assert form["fields"]["subject"] == "Te laat gebeld" and form["fields"]["received_on"] == "2026-12-24"
    assert form["fields"]["complainant"] == str(insured_id(engine, ref))
    assert (
        'id="complaint-new-received_on" name="received_on" type="date" value="2026-12-24" aria-invalid="true"'
        in (refused.text)
    )
    assert "ligt in de toekomst" in refused.text
    assert '<details class="action" open id="klacht-registreren">' in refused.text  # the form stays open


def test_the_list_page_shows_open_complaints_first_and_filters(
    handler: TestClient, manager: TestClient, expert: TestClient, engine: Engine, ref: str
) -> None:
    register_on_page(
        handler,
        ref,
        complainant=str(insured_id(engine, ref)),
        subject="Eerste klacht",
        received_on="2026-11-10",
    )
    register_on_page(
        handler,
        ref,
        complainant=str(insured_id(engine, ref)),
        subject="Tweede klacht",
        received_on="2026-11-13",
    )
    page = manager.get("/klachten")
    assert page.status_code == 200 and '<a href="/klachten">Klachten</a>' in page.text
    assert page.text.index("Eerste klacht") < page.text.index("Tweede klacht")  # the soonest due first
    assert "Geen klachten." in manager.get("/klachten?status=closed").text
    assert "Eerste klacht" in manager.get("/klachten?status=all").text
    assert expert.get("/klachten").status_code == 403
    assert "/klachten" not in expert.get("/claims").text
    dashboard = manager.get("/dashboard")
    assert "2 open klachten" in dashboard.text


def test_an_expert_sees_no_complaint_section(
    handler: TestClient, expert: TestClient, engine: Engine, rt: Runtime, world: World, ref: str
) -> None:
    with Session(engine) as s:
        advance(s, rt, ref, "start_coverage_check", {}, world.handler, 1)
        advance(
            s,
            rt,
            ref,
            "confirm_cover",
            {"expert": world.expert.email, "reserve_damages": "1000"},
            world.handler,
            2,
        )
    register_on_page(
        handler,
        ref,
        complainant=str(insured_id(engine, ref)),
        subject="Geheime klacht",
        received_on="2026-11-13",
    )
    page = expert.get(f"/claims/{ref}")
    assert page.status_code == 200
    assert "Klachten" not in page.text and "Geheime klacht" not in page.text and "Klacht 1" not in page.text
    assert expert.get(f"/api/claims/{ref}/complaints").status_code == 403


def test_the_api_round_trip_with_its_refusals(manager: TestClient, engine: Engine, ref: str) -> None:
    url = f"/api/claims/{ref}/complaints"
    bad = manager.post(
        url, json={"complainant": insured_id(engine, ref), "subject": "Te laat", "received_on": "2027-01-01"}
    )
    assert bad.status_code == 422 and bad.json()["errors"] == {"received_on": "ligt in de toekomst"}
    assert "Ongeldige invoer: received_on" in bad.json()["detail"]
    made = manager.post(
        url, json={"complainant": insured_id(engine, ref), "subject": "Te laat", "received_on": "2026-11-13"}
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["status"] == "received" and body["number"] == 1
    assert [c["clock"] for c in body["clocks"]] == ["acknowledge", "answer"]
    assert body["clocks"][0]["due_at"] == "2026-11-27T22:59:59+00:00"
    one = f"{url}/{body['id']}"
    assert manager.post(f"{one}/extend", json={"reason": "kort"}).status_code == 422
    extended = manager.post(f"{one}/extend", json={"reason": "Wij wachten op het rapport van de expert."})
    assert extended.status_code == 200 and extended.json()["status"] == "extended"
    again = manager.post(f"{one}/extend", json={"reason": "Wij wachten op het rapport van de expert."})
    assert again.status_code == 409 and "tweede verlenging" in again.json()["detail"]
    answer = {"answer": "Uw klacht is terecht, excuses.", "outcome": "gegrond"}
    assert manager.post(f"{one}/answer", json=answer).status_code == 200
    assert manager.post(f"{one}/answer", json=answer).status_code == 409
    assert manager.post(f"{url}/{body['id'] + 1}/acknowledge", json={}).status_code == 404
    assert manager.get("/api/complaints?status=closed").json()[0]["outcome"] == "gegrond"
    assert manager.get("/api/complaints").json() == []
    assert manager.get("/api/complaints?status=half").status_code == 422
    deadlines = manager.get(f"/api/claims/{ref}/deadlines").json()
    assert {d["state"] for d in deadlines if d["name"].startswith("complaint_")} == {"complaint"}


def test_the_exports_show_the_complaint_with_readable_labels(
    manager: TestClient, engine: Engine, ref: str
) -> None:
    url = f"/api/claims/{ref}/complaints"
    made = manager.post(
        url, json={"complainant": insured_id(engine, ref), "subject": "Te laat", "received_on": "2026-11-13"}
    )
    manager.post(f"{url}/{made.json()['id']}/acknowledge", json={})
    exported = manager.get(f"/claims/{ref}/export?format=csv")
    assert exported.status_code == 200
    text = exported.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";" if text.count(";") > text.count(",") else ","))
    cells = {cell for row in rows for cell in row}
    assert "Klacht geregistreerd" in cells and "Ontvangst van de klacht bevestigd" in cells
    assert "Termijn gesteld: Klacht 1: ontvangst bevestigen" in cells
    met = next(row for row in rows if row[5] == "Termijn gehaald: Klacht 1: ontvangst bevestigen")
    # by whoever took the complaint's step: a name under Door, the address under E-mail
    assert met[7] == "m@test.nl" and rows[0][6:8] == ["Door", "E-mail"]
    assert "door: Ontvangst van de klacht bevestigd" in cells
    assert "Brief: Ontvangstbevestiging van uw klacht" in cells
