"""What the claim page and the API say of the clocks: a limitation term the melding holds back, where a
term counts from and which rule made its due moment, a paused term, the AVG role and its clock."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from claims.runtime import Runtime
from claims.service import advance, open_claim
from tests.factories import World, melding


def _opened(engine: Engine, rt: Runtime, world: World, kind: str, **over: Any) -> str:
    with Session(engine, expire_on_commit=False) as s:
        return open_claim(s, rt, melding(kind, **over), world.handler).reference


def _fire(
    engine: Engine, rt: Runtime, world: World, ref: str, trigger: str, version: int, **data: Any
) -> None:
    with Session(engine, expire_on_commit=False) as s:
        advance(s, rt, ref, trigger, data, world.handler, version)


def test_the_page_says_limitation_waits_and_where_each_term_counts_from(
    handler: TestClient, engine: Engine, rt: Runtime, world: World
) -> None:
    ref = _opened(
        engine,
        rt,
        world,
        "contract_breach",
        date_error="2026-09-20",
        date_known="2026-10-01",
        date_reported="2026-10-09",
    )
    page = handler.get(f"/claims/{ref}").text
    assert (
        "Gestuit door de melding van 9 oktober 2026; er loopt geen termijn tot erkenning of afwijzing."
        in page
    )
    assert "vanaf 9 oktober 2026" in page and "servicetermijn" in page
    api = handler.get(f"/api/claims/{ref}").json()
    receipt = next(d for d in api["open_deadlines"] if d["name"] == "ontvangstbevestiging")
    assert "servicetermijn" in receipt["due_rule"] and receipt["counted_from"].startswith("2026-10-08T22:00")
    assert receipt["paused_at"] is None


def test_a_paused_term_says_since_when_and_is_not_marked_overdue(
    handler: TestClient, engine: Engine, rt: Runtime, world: World
) -> None:
    ref = _opened(engine, rt, world, "late_delivery")
    _fire(engine, rt, world, ref, "start_coverage_check", 1)
    _fire(engine, rt, world, ref, "request_information", 2, questions="De planning graag.", answer_days=10)
    page = handler.get(f"/claims/{ref}").text
    assert "opgeschort sinds" in page
    api = handler.get(f"/api/claims/{ref}").json()
    cover = next(d for d in api["open_deadlines"] if d["name"] == "standpunt_dekking")
    assert cover["paused_at"] is not None and cover["mark"] is None and cover["overdue"] is False


def test_the_page_names_the_insureds_avg_role_and_its_clock(
    handler: TestClient, engine: Engine, rt: Runtime, world: World
) -> None:
    processor = _opened(engine, rt, world, "data_loss", data_role="processor")
    page = handler.get(f"/claims/{processor}").text
    assert "Rol verzekerde: <strong>verwerker</strong>" in page
    assert "Verwerkingsverantwoordelijke informeren" in page and "24 uur" in page
    controller = _opened(engine, rt, world, "data_loss", data_role="controller")
    page = handler.get(f"/claims/{controller}").text
    assert "Rol verzekerde: <strong>verwerkingsverantwoordelijke</strong>" in page and "72 uur" in page


def test_the_timeline_says_which_terms_a_step_started_ended_paused_and_resumed(
    handler: TestClient, engine: Engine, rt: Runtime, world: World
) -> None:
    ref = _opened(engine, rt, world, "late_delivery")
    _fire(engine, rt, world, ref, "start_coverage_check", 1)
    _fire(engine, rt, world, ref, "request_information", 2, questions="De planning graag.", answer_days=10)
    _fire(
        engine, rt, world, ref, "register_answer", 3, received_on="2026-11-17", summary="planning ontvangen"
    )
    _fire(engine, rt, world, ref, "withdraw", 4, reason="ziet af")
    page = handler.get(f"/claims/{ref}")
    assert page.status_code == 200
    text = page.text
    assert "Termijn gestart: Standpunt over dekking en aansprakelijkheid (uiterlijk" in text
    assert "Termijn opgeschort: Standpunt over dekking en aansprakelijkheid." in text
    assert "Termijn loopt weer: Standpunt over dekking en aansprakelijkheid (uiterlijk" in text
    assert "Termijn vervallen: Standpunt over dekking en aansprakelijkheid." in text
    # a closed claim waits for no position: nothing is said of limitation any more
    assert "Gestuit door de melding" not in text


def test_the_header_names_the_next_deadline_and_the_flags(
    handler: TestClient, engine: Engine, rt: Runtime, world: World
) -> None:
    # reported two months after the insured knew (late notice), personal data, the insured the controller
    ref = _opened(
        engine,
        rt,
        world,
        "data_loss",
        date_error="2026-08-01",
        date_known="2026-09-01",
        date_reported="2026-11-16",
        data_role="controller",
    )
    page = handler.get(f"/claims/{ref}").text
    flags = page[page.index('id="claim-flags"') : page.index("</ul>", page.index('id="claim-flags"'))]
    assert "Late melding (art. 7:941 BW)" in flags
    assert "Persoonsgegevens: verzekerde is verwerkingsverantwoordelijke" in flags
    assert "termijn verlopen: Melding datalek aan Autoriteit Persoonsgegevens" in flags  # 72 h from 1 Nov
    assert "Verjaring gestuit" in flags
    assert 'id="next-due"' in page and "Eerstvolgende termijn: <strong>Melding datalek" in page


def test_the_timeline_reads_newest_first_by_day_in_dutch_with_a_toggle(
    handler: TestClient, engine: Engine, rt: Runtime, world: World
) -> None:
    ref = _opened(engine, rt, world, "unpaid_fee")
    _fire(
        engine,
        rt,
        world,
        ref,
        "register_invoice",
        1,
        number="F-2026-17",
        amount="62500",
        due_date="2026-10-01",
    )
    page = handler.get(f"/claims/{ref}").text
    timeline = page[page.index('id="h-timeline"') :]
    assert "<code>register_invoice</code>" not in timeline and "62500.00" not in timeline
    assert "€ 62.500,00" in timeline and "1 oktober 2026" in timeline
    assert '<h3 class="timeline-day">16 november 2026</h3>' in timeline
    # newest first: the invoice before the melding; the toggle turns it round
    assert timeline.index("Factuur") < timeline.index("Melding geregistreerd")
    oldest = handler.get(f"/claims/{ref}?tijdlijn=oud").text
    oldest = oldest[oldest.index('id="h-timeline"') :]
    assert oldest.index("Melding geregistreerd") < oldest.index("Factuur")


def test_a_step_within_the_state_returns_to_its_form_open(
    handler: TestClient, engine: Engine, rt: Runtime, world: World
) -> None:
    ref = _opened(engine, rt, world, "unpaid_fee")
    from tests.web.conftest import transition_form

    form = transition_form(handler.get(f"/claims/{ref}").text, "register_invoice")
    r = handler.post(
        f"/claims/{ref}/transitions",
        data=form | {"number": "F-1", "amount": "1000", "due_date": "2026-10-01"},
    )
    assert r.status_code == 303 and r.headers["location"].endswith(
        "?ok=register_invoice#actie-register_invoice"
    )
    page = handler.get(r.headers["location"]).text
    assert '<details class="action" open id="actie-register_invoice">' in page
