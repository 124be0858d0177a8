"""Reopening on the claim page: the form of a closed claim, its refusal marked, the reason on the timeline."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from claims.runtime import Runtime
from claims.service import advance, open_claim
from tests.factories import World, melding
from tests.web.conftest import form_csrf

REASON = "De benadeelde komt terug met een nieuwe factuur van de herstelwerkzaamheden."


def test_the_page_offers_reopening_and_shows_the_reason(
    handler: TestClient, engine: Engine, rt: Runtime, world: World
) -> None:
    with Session(engine, expire_on_commit=False) as s:
        ref = open_claim(s, rt, melding("late_delivery"), world.handler).reference
        advance(s, rt, ref, "withdraw", {"reason": "Verzekerde ziet af van de aanspraak."}, world.handler, 1)
    page = handler.get(f"/claims/{ref}").text
    assert "Claim heropenen" in page
    csrf = form_csrf(page, f"/claims/{ref}/reopen")
    refused = handler.post(f"/claims/{ref}/reopen", data={"csrf": csrf, "version": "2", "reason": "kort"})
    assert refused.status_code == 422 and 'id="reopen-reason-error"' in refused.text
    assert '<details class="action" open id="actie-reopen">' in refused.text
    done = handler.post(f"/claims/{ref}/reopen", data={"csrf": csrf, "version": "2", "reason": REASON})
    assert done.status_code == 303 and done.headers["location"].endswith("?ok=reopened#acties")
    shown = handler.get(done.headers["location"]).text
    assert "De claim is heropend" in shown and "Claim heropend" in shown and REASON in shown
    api = handler.get(f"/api/claims/{ref}").json()
    assert (api["state"], api["version"]) == ("dekkingsonderzoek", 3)
