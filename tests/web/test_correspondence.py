"""Letters and e-mail in the web app and the API: the letters section and timeline links, the letter page
and PDF download (attachment, no-store, only for who may read the claim), the preview before firing, the
outbox view with the SMTP-off notice, incidents on the dashboard and the manager's retry."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from claims.runtime import Runtime
from claims.storage.models import OutboxStatus
from claims.storage.tables import LETTERS, OUTBOX
from claims.web.app import create_app
from tests.claims.driver import Driver
from tests.conftest import snapshot
from tests.factories import World
from tests.web.conftest import client_for, form_csrf, settings, transition_form
from tests.web.test_api import bearer


def covered(engine: Engine, rt: Runtime, world: World) -> str:
    """A claim whose cover is confirmed: an ontvangstbevestiging, a dekkingsbevestiging and the expert's
    assignment letter, and e-mail to the expert in the outbox."""
    driver = Driver(engine, rt, world)
    ref = driver.bring_to("contract_breach", "dekkingsonderzoek")
    driver.fire(ref, "confirm_cover", {"expert": world.expert.email, "reserve_damages": "15000"})
    return ref


def letter_ids(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(select(LETTERS.c.id).order_by(LETTERS.c.id)).scalars())


def test_the_claim_page_lists_its_letters_and_the_timeline_links_them(
    handler: TestClient, engine: Engine, rt: Runtime, world: World
) -> None:
    ref = covered(engine, rt, world)
    page = handler.get(f"/claims/{ref}").text
    section = page[page.index('id="brieven"') :]
    for title in ("Ontvangstbevestiging van uw melding", "Bevestiging van dekking", "Opdracht tot expertise"):
        assert title in section
    for letter_id in letter_ids(engine):
        assert f'href="/letters/{letter_id}.pdf"' in page
        assert page.count(f'href="/letters/{letter_id}"') == 2  # the letters section and the timeline
    # where each went: the expert reads theirs in claimflow; the test policy's holder has no address yet
    assert "in claimflow" in section
    # only a copy is marked as one: here the insured's copy of the claimant's acknowledgement
    assert section[: section.index("</table>")].count("<small>kopie:</small>") == 1
    assert "geen e-mailadres en geen volledig adres: vul de partij aan" in section


def test_a_letter_is_shown_and_downloaded_as_pdf_by_who_may_read_the_claim(
    app: Any, handler: TestClient, engine: Engine, rt: Runtime, world: World
) -> None:
    ref = covered(engine, rt, world)
    first = letter_ids(engine)[0]
    shown = handler.get(f"/letters/{first}")
    assert shown.status_code == 200 and "Ontvangstbevestiging van uw melding" in shown.text
    assert "default-src 'none'" in shown.headers["content-security-policy"]
    assert shown.headers["cache-control"] == "no-store"
    pdf = handler.get(f"/letters/{first}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    assert (
        pdf.headers["content-disposition"] == f'attachment; filename="{ref}-ontvangstbevestiging-{first}.pdf"'
    )
    assert pdf.headers["cache-control"] == "no-store"

    assert handler.get("/letters/999999").status_code == 404
    assert handler.get("/letters/999999.pdf").status_code == 404
    assert handler.get("/letters/abc.pdf").status_code == 422
    admin = client_for(app, world.admin.email)  # an admin sees no claims, so no letters
    assert admin.get(f"/letters/{first}").status_code == 403
    assert admin.get(f"/letters/{first}.pdf").status_code == 403
    anonymous = TestClient(app, follow_redirects=False)
    assert anonymous.get(f"/letters/{first}.pdf").status_code in (303, 401)


def test_the_preview_button_shows_the_letter_with_the_paragraph_and_stores_nothing(
    handler: TestClient, engine: Engine, rt: Runtime, world: World
) -> None:
    ref = Driver(engine, rt, world).bring_to("contract_breach", "dekkingsonderzoek")
    page = handler.get(f"/claims/{ref}").text
    assert f'formaction="/claims/{ref}/preview"' in page and "Voorbeeld van de brief" in page
    form = transition_form(page, "reject")
    data = {
        **form,
        "ground": "uitsluiting",
        "reasons": "Opzet en bewuste roekeloosheid zijn in de polis uitgesloten.",
        "paragraph": "Wij bellen u hier nog over <vandaag>.",
        "preview": "1",
    }
    before = snapshot(engine)
    shown = handler.post(f"/claims/{ref}/preview", data=data)
    assert shown.status_code == 200, shown.text
    assert "VOORBEELD" in shown.text and "Afwijzing van uw aanspraak op uitkering" in shown.text
    assert "Wij bellen u hier nog over &lt;vandaag&gt;." in shown.text
    assert "default-src 'none'" in shown.headers["content-security-policy"]
    assert snapshot(engine) == before

    missing = handler.post(f"/claims/{ref}/preview", data={**data, "reasons": ""})
    assert missing.status_code == 422 and "has-error" in missing.text  # the claim page, the field marked
    assert snapshot(engine) == before
    forged = handler.post(f"/claims/{ref}/preview", data={**data, "csrf": "x"})
    assert forged.status_code == 403

    fired = handler.post(f"/claims/{ref}/transitions", data={k: v for k, v in data.items() if k != "preview"})
    assert fired.status_code == 303
    with engine.connect() as conn:
        html = conn.execute(select(LETTERS.c.html).where(LETTERS.c.template == "afwijzing")).scalar_one()
    assert "Wij bellen u hier nog over &lt;vandaag&gt;." in html and "VOORBEELD" not in html


def test_the_api_lists_letters_serves_pdf_and_previews(
    app: Any, engine: Engine, rt: Runtime, world: World
) -> None:
    ref = covered(engine, rt, world)
    client = TestClient(app)
    auth = bearer(engine, world.handler)
    letters = client.get(f"/api/claims/{ref}/letters", headers=auth).json()
    assert [x["template"] for x in letters] == [
        "ontvangstbevestiging",
        "ontvangstbevestiging_benadeelde",  # version 2 acknowledges the claim to the claimant too
        "dekkingsbevestiging",
        "aanstelling_expert",
    ]
    assert letters[3]["recipient"] == "expert" and letters[3]["recipient_name"] == world.expert.name
    assert all(len(x["sha256"]) == 64 and x["template_version"] >= 1 for x in letters)
    pdf = client.get(letters[0]["pdf_url"], headers=auth)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-disposition"].startswith("attachment;")
    html = client.get(letters[0]["html_url"], headers=auth)
    assert html.status_code == 200 and "Ontvangstbevestiging" in html.text
    timeline = client.get(f"/api/claims/{ref}/timeline", headers=auth).json()
    linked = [x["id"] for e in timeline for x in e["letters"]]
    assert linked == [x["id"] for x in letters]

    other = bearer(engine, world.admin)
    assert client.get(f"/api/claims/{ref}/letters", headers=other).status_code == 403
    assert client.get(letters[0]["pdf_url"], headers=other).status_code == 403
    assert (
        client.get("/api/letters/424242.pdf", headers=auth).json()["detail"] == "Brief 424242 bestaat niet."
    )

    expert = bearer(engine, world.expert)
    before = snapshot(engine)
    body = {"trigger": "submit_report", "version": 3, "data": {}}
    previewed = client.post(f"/api/claims/{ref}/preview", json=body, headers=expert)
    assert previewed.status_code == 422  # the report's fields are missing: refused as firing would be
    good = {"findings": "Oorzaak vastgesteld.", "assessed_damage": "12000"}
    previewed = client.post(f"/api/claims/{ref}/preview", json={**body, "data": good}, headers=expert)
    assert previewed.status_code == 200 and previewed.json() == {"letters": []}  # the report sends none
    stale = client.post(
        f"/api/claims/{ref}/preview", json={**body, "version": 2, "data": good}, headers=expert
    )
    assert stale.status_code == 409
    assert snapshot(engine) == before


def test_the_outbox_view_shows_waiting_mail_when_smtp_is_off_and_who_sees_what(
    app: Any, handler: TestClient, manager: TestClient, engine: Engine, rt: Runtime, world: World
) -> None:
    ref = covered(engine, rt, world)
    expert = client_for(app, world.expert.email)
    page = expert.get("/outbox").text
    assert 'id="smtp-off"' in page
    assert f"[{ref}] Dekking bevestigen en expert aanstellen" in page and "Te doen: Expertiserapport" in page
    assert 'id="count-pending">wacht (1)' in page
    assert f"[{ref}]" not in handler.get("/outbox").text  # nothing was addressed to the handler
    assert "e@test.nl" in manager.get("/outbox").text  # a manager sees every message
    assert handler.get("/outbox?status=nonsense").status_code == 422


def test_an_incident_shows_on_the_dashboard_and_a_manager_sends_it_again(
    manager: TestClient, handler: TestClient, engine: Engine, rt: Runtime, world: World
) -> None:
    covered(engine, rt, world)
    with engine.begin() as conn:
        conn.execute(
            update(OUTBOX).values(
                status=OutboxStatus.incident.value, attempts=8, last_error="550 unknown user"
            )
        )
        message_id = conn.execute(select(OUTBOX.c.id)).scalar_one()
    dashboard = manager.get("/dashboard").text
    assert 'id="mail-incidents"' in dashboard and "1 e-mail niet afgeleverd" in dashboard
    page = manager.get("/outbox?status=incident").text
    assert "550 unknown user" in page and "Opnieuw versturen" in page
    csrf = form_csrf(page, f"/outbox/{message_id}/retry")
    assert manager.post(f"/outbox/{message_id}/retry", data={"csrf": "forged"}).status_code == 403
    assert handler.post(f"/outbox/{message_id}/retry", data={"csrf": csrf}).status_code == 403
    done = manager.post(f"/outbox/{message_id}/retry", data={"csrf": csrf})
    assert done.status_code == 303
    with engine.connect() as conn:
        row = conn.execute(select(OUTBOX).where(OUTBOX.c.id == message_id)).one()
    assert (row.status, row.attempts) == (OutboxStatus.pending, 0)
    assert 'id="mail-incidents"' not in manager.get("/dashboard").text
    assert manager.post("/outbox/999999/retry", data={"csrf": csrf}).status_code == 404


def test_the_api_outbox_and_retry(app: Any, engine: Engine, rt: Runtime, world: World) -> None:
    covered(engine, rt, world)
    client = TestClient(app)
    mine = client.get("/api/outbox", headers=bearer(engine, world.expert)).json()
    assert mine["counts"]["pending"] == 1 and mine["messages"][0]["to_address"] == world.expert.email
    assert client.get("/api/outbox?status=bogus", headers=bearer(engine, world.expert)).status_code == 422
    with engine.begin() as conn:
        conn.execute(update(OUTBOX).values(status=OutboxStatus.incident.value))
        message_id = conn.execute(select(OUTBOX.c.id)).scalar_one()
    assert (
        client.post(f"/api/outbox/{message_id}/retry", headers=bearer(engine, world.handler)).status_code
        == 403
    )
    ok = client.post(f"/api/outbox/{message_id}/retry", headers=bearer(engine, world.manager))
    assert ok.status_code == 200 and ok.json()["status"] == "pending"
    again = client.post(f"/api/outbox/{message_id}/retry", headers=bearer(engine, world.manager))
    assert again.status_code == 409 and "geen incident" in again.json()["detail"]


def test_odd_ids_and_a_letter_that_cannot_be_written_get_clear_answers(
    app: Any, handler: TestClient, engine: Engine, rt: Runtime, world: World, tmp_path: Any
) -> None:
    assert handler.get("/letters/99999999999999999999").status_code == 422
    assert handler.get("/letters/0.pdf").status_code == 422
    api = TestClient(app)
    assert (
        api.get("/api/letters/99999999999999999999.pdf", headers=bearer(engine, world.handler)).status_code
        == 422
    )

    import shutil

    from claims.kinds.catalog import LETTER_DIR
    from notifications.letters import LetterRenderer

    broken = tmp_path / "letters"
    shutil.copytree(LETTER_DIR, broken)
    page = broken / "ontvangstbevestiging.html.j2"
    page.write_text(page.read_text().replace("{{ claim.claimant }}", "{{ claim.opposing_counsel }}", 1))
    strict_app = create_app(settings(), engine, replace(rt, letters=LetterRenderer(broken)))
    client = client_for(strict_app, world.handler.email)
    ref = Driver(engine, rt, world).open("contract_breach").reference
    form = transition_form(client.get(f"/claims/{ref}").text, "start_coverage_check")
    before = snapshot(engine)
    failed = client.post(f"/claims/{ref}/transitions", data=form)
    assert failed.status_code == 500
    assert "De brief kan niet worden gemaakt" in failed.text and "opposing_counsel" in failed.text
    assert snapshot(engine) == before
