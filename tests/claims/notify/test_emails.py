"""The claims side of the e-mails: each caller (a transition, a late melding, each sweep step) renders
its message from templates/email, so that the outbox row has the subject and text it always had and an
HTML part besides; the outbox statuses claims stores are the worker's."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import Engine, select

from claims.deadlines.sweep import STEPS, sweep
from claims.runtime import Runtime, utc_now
from claims.storage.models import OutboxStatus
from claims.storage.tables import OUTBOX
from notifications.outbox import STATUSES
from tests.claims.driver import Driver
from tests.conftest import World

FOOTER = "\n\nDit bericht is verstuurd door claimflow; u kunt er niet op antwoorden.\n"


@pytest.fixture
def live(rt: Runtime) -> Runtime:
    return replace(rt, clock=utc_now)


def rows(engine: Engine, claim_id: int) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(OUTBOX).where(OUTBOX.c.claim_id == claim_id).order_by(OUTBOX.c.id)))


def test_the_outbox_statuses_claims_stores_are_the_workers() -> None:
    assert tuple(s.value for s in OutboxStatus) == STATUSES


def test_every_sweep_step_names_an_e_mail_template(rt: Runtime) -> None:
    assert {step.email for step in STEPS} <= set(rt.messages.names())


def test_a_late_melding_e_mails_its_handler_in_text_and_html(
    engine: Engine, live: Runtime, world: World
) -> None:
    with time_machine.travel(datetime(2026, 11, 16, 9, 0, tzinfo=UTC), tick=False):
        late = Driver(engine, live, world).open(
            "contract_breach", date_error="2026-01-05", date_known="2026-02-01", date_reported="2026-11-16"
        )
    [row] = [r for r in rows(engine, late.claim_id) if "Late melding" in r.subject]
    assert row.to_address == world.handler.email
    assert row.subject == f"[{late.reference}] Late melding (art. 7:941 BW)"
    greeting = f"Beste {world.handler.name},\n\n{late.reference}: Late melding (art. 7:941 BW): "
    assert row.body.startswith(greeting)
    assert row.body.endswith(f"Open de claim: {live.base_url}/claims/{late.reference}{FOOTER}")
    assert f'<a href="{live.base_url}/claims/{late.reference}">' in row.body_html
    assert "Late melding (art. 7:941 BW)" in row.body_html


def test_the_sweep_e_mails_from_its_templates(engine: Engine, live: Runtime, world: World) -> None:
    start = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        opened = Driver(engine, live, world).open("contract_breach")
    before = {r.id for r in rows(engine, opened.claim_id)}
    with time_machine.travel(start + timedelta(days=400), tick=False):
        sweep(engine, live)
        sweep(engine, live)  # the second run escalates what the first flagged, after the grace period
    with time_machine.travel(start + timedelta(days=800), tick=False):
        sweep(engine, live)
    swept = [r for r in rows(engine, opened.claim_id) if r.id not in before]
    subjects = {r.subject.removeprefix(f"[{opened.reference}] ") for r in swept}
    assert "Termijn verlopen" in subjects and "Escalatie: termijn verlopen en niet gehaald" in subjects
    for row in swept:
        assert row.body.startswith("Beste ") and row.body.endswith(FOOTER)
        assert f"{opened.reference}: termijn '" in row.body
        assert row.body_html.startswith("<!DOCTYPE html>") and "termijn &#39;" in row.body_html
