"""The complaint track through the service: its clocks counted from the day it was received as service
terms (no Algemene termijnenwet shift), one extension and one answer, its letters (Kifid's route, date and
whether the insured qualifies by turnover band), closed claims accepting complaints, experts refused,
the claim's own transitions leaving its clocks alone, and the sweep flagging an overdue one."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, select, update
from sqlmodel import Session

from claims.complaints.terms import load_terms
from claims.deadlines.sweep import sweep
from claims.errors import ComplaintNotFound
from claims.reads.queries import claim_deadlines, timeline
from claims.runtime import Runtime
from claims.service import advance, open_claim
from claims.service.complaints import (
    acknowledge_complaint,
    answer_complaint,
    extend_complaint,
    register_complaint,
)
from claims.storage.repositories import claims, parties
from claims.storage.tables import COMPLAINTS, DEADLINES, EVENTS, LETTERS, OUTBOX, POLICIES
from tests.conftest import snapshot
from tests.factories import Clock, World, melding
from workflow.errors import Forbidden, InvalidInput, TransitionNotAllowed

AMSTERDAM_END = "23:59:59+01:00"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.fixture
def ref(engine: Engine, rt: Runtime, world: World, clock: Clock) -> str:
    clock.now = at("2026-11-30T10:00+01:00")  # a Monday; the claim was reported on 2 November
    with Session(engine) as s:
        return open_claim(
            s,
            rt,
            melding(date_error="2026-10-01", date_known="2026-10-05", date_reported="2026-11-02"),
            world.handler,
        ).reference


def party_id(engine: Engine, ref: str, role: str) -> int:
    with Session(engine) as s:
        claim = claims.by_reference(s.connection(), ref)
        assert claim is not None
        return next(p.id for p in parties.of_claim(s.connection(), claim.id) if p.role == role)


def register(engine: Engine, rt: Runtime, ref: str, actor: Any, **values: Any) -> int:
    fields = {"complainant": "", "subject": "Trage behandeling", "received_on": "2026-11-27"} | values
    if fields["complainant"] == "":
        fields["complainant"] = party_id(engine, ref, "insured")
    with Session(engine) as s:
        return register_complaint(s, rt, ref, fields, actor).complaint_id


def clocks(engine: Engine, complaint_id: int) -> dict[str, Any]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(DEADLINES)
            .where(DEADLINES.c.name.like(f"complaint_{complaint_id}_%"))
            .order_by(DEADLINES.c.id)
        ).all()
    return {r.name.removeprefix(f"complaint_{complaint_id}_"): r for r in rows}


def letter_html(engine: Engine, template: str) -> str:
    with engine.connect() as conn:
        html = conn.execute(
            select(LETTERS.c.html).where(LETTERS.c.template == template).order_by(LETTERS.c.id.desc())
        ).scalar_one()
    return " ".join(str(html).split())


def set_band(engine: Engine, band: str | None) -> None:
    with engine.begin() as conn:
        conn.execute(update(POLICIES).values(turnover_band=band))


def test_the_terms_are_data_with_their_source() -> None:
    terms = load_terms()
    assert (terms.acknowledge.amount, terms.acknowledge.unit) == (2, "weeks")
    assert (terms.answer.amount, terms.answer.unit) == (6, "weeks")
    assert (terms.extended_answer.amount, terms.extended_answer.unit) == (3, "months")
    assert terms.source and terms.turnover_limit_words() == "€ 5 miljoen"


def test_a_complaint_received_on_a_friday_runs_its_clocks_as_service_terms(
    engine: Engine, rt: Runtime, world: World, ref: str, clock: Clock
) -> None:
    complaint = register(engine, rt, ref, world.handler)
    running = clocks(engine, complaint)
    # Friday 27 Nov 2026 + 2 weeks = Friday 11 Dec; + 6 weeks = Friday 8 Jan 2027: end of the local day
    assert running["acknowledge"].due_at == at(f"2026-12-11T{AMSTERDAM_END}")
    assert running["answer"].due_at == at(f"2027-01-08T{AMSTERDAM_END}")
    assert running["acknowledge"].label == "Klacht 1: ontvangst bevestigen"
    assert {r.responsible for r in running.values()} == {"handler"}

    clock.advance(days=1)
    with Session(engine) as s:
        acknowledge_complaint(s, rt, ref, complaint, world.handler)
        extend_complaint(
            s, rt, ref, complaint, {"reason": "Wij wachten op het rapport van de expert."}, world.handler
        )
    after = clocks(engine, complaint)
    assert (
        after["acknowledge"].met_at == clock()
        and after["acknowledge"].met_trigger == "complaint_acknowledged"
    )
    assert after["answer"].cancelled_at == clock() and after["answer"].met_at is None  # kept, cancelled
    # 27 Feb 2027 is a Saturday: a service term, not shifted to the Monday
    assert after["answer_extended"].due_at == at(f"2027-02-27T{AMSTERDAM_END}")
    assert after["answer_extended"].met_at is None and after["answer_extended"].cancelled_at is None
    html = letter_html(engine, "klacht_verlenging")
    assert "Wij wachten op het rapport van de expert." in html and "27 februari 2027" in html
    assert "8 januari 2027" in html  # the date it replaces


def test_two_complaints_on_one_claim_keep_their_own_clocks(
    engine: Engine, rt: Runtime, world: World, ref: str
) -> None:
    first = register(engine, rt, ref, world.handler)
    second = register(engine, rt, ref, world.manager, complainant=party_id(engine, ref, "claimant"))
    with Session(engine) as s:
        acknowledge_complaint(s, rt, ref, second, world.manager)
    assert clocks(engine, first)["acknowledge"].met_at is None
    assert clocks(engine, second)["acknowledge"].met_at is not None
    assert clocks(engine, second)["answer"].label == "Klacht 2: beantwoorden"


def test_the_acknowledgement_names_the_answer_date_and_kifid_after_eight_weeks(
    engine: Engine, rt: Runtime, world: World, ref: str
) -> None:
    complaint = register(engine, rt, ref, world.handler)
    with Session(engine) as s:
        step = acknowledge_complaint(s, rt, ref, complaint, world.handler)
    html = letter_html(engine, "klacht_ontvangstbevestiging")
    assert "Ontvangstbevestiging van uw klacht" in html and "27 november 2026" in html
    assert "uiterlijk op <strong>8 januari 2027</strong>" in html
    # 8 weeks after 27 November 2026 without an answer: Kifid
    assert "8 weken na het indienen van uw klacht, vanaf 22 januari 2027" in html
    assert "Klachteninstituut Financiële Dienstverlening" in html and "Test ICT B.V." in html
    with engine.connect() as conn:
        letter = conn.execute(select(LETTERS).where(LETTERS.c.id == step.letter_id)).one()
        event = conn.execute(select(EVENTS).where(EVENTS.c.id == step.event_id)).one()
    assert (
        letter.event_id == event.id and letter.recipient == "insured" and letter.channel == "none"
    )  # no address known
    assert event.data["letters"] == [{"template": "klacht_ontvangstbevestiging", "sha256": letter.sha256}]
    assert event.claim_version == 1 and event.kind == "complaint_acknowledged"  # beside the claim's course


@pytest.mark.parametrize(
    ("band", "said"),
    [
        (
            "tot_5m",
            "volgens onze gegevens een jaaromzet tot € 5 miljoen en komt daarmee bij Kifid in aanmerking",
        ),
        ("boven_5m", "jaaromzet boven € 5 miljoen; Kifid neemt de klacht dan niet in behandeling"),
        (None, "hangt af van de jaaromzet van onze verzekerde, Test ICT B.V.: die moet tot € 5 miljoen zijn"),
    ],
)
def test_the_answer_is_the_final_position_with_the_kifid_route_date_and_qualification(
    engine: Engine, rt: Runtime, world: World, ref: str, clock: Clock, band: str | None, said: str
) -> None:
    set_band(engine, band)
    complaint = register(engine, rt, ref, world.handler)
    clock.now = at("2026-12-15T11:00+01:00")
    with Session(engine) as s:
        answer_complaint(
            s,
            rt,
            ref,
            complaint,
            {
                "answer": "Wij hadden u eerder moeten laten weten hoe het ervoor stond.",
                "outcome": "deels_gegrond",
            },
            world.handler,
        )
    html = letter_html(engine, "klacht_antwoord")
    assert "Ons antwoord op uw klacht" in html and "<strong>deels gegrond</strong>" in html
    assert "Dit is ons definitieve standpunt over uw klacht." in html
    assert "Postbus 93257, 2509 AG Den Haag, www.kifid.nl" in html
    assert "uiterlijk op <strong>15 maart 2027</strong>" in html  # 3 months after 15 December 2026
    assert said in html
    met = clocks(engine, complaint)
    # answering before acknowledging meets both clocks
    assert met["answer"].met_trigger == "complaint_answered" and met["acknowledge"].met_at == clock()


def test_a_second_extension_and_a_second_answer_are_refused_changing_nothing(
    engine: Engine, rt: Runtime, world: World, ref: str
) -> None:
    complaint = register(engine, rt, ref, world.handler)
    reason = {"reason": "Wij wachten op het rapport van de expert."}
    with Session(engine) as s:
        extend_complaint(s, rt, ref, complaint, reason, world.handler)
    before = snapshot(engine)
    with Session(engine) as s, pytest.raises(TransitionNotAllowed, match="al eens verlengd"):
        extend_complaint(s, rt, ref, complaint, reason, world.handler)
    assert snapshot(engine) == before
    with Session(engine) as s:
        answer_complaint(
            s, rt, ref, complaint, {"answer": "Uw klacht is terecht.", "outcome": "gegrond"}, world.handler
        )
        with pytest.raises(TransitionNotAllowed, match="één keer beantwoord"):
            answer_complaint(
                s, rt, ref, complaint, {"answer": "Nog een keer.....", "outcome": "gegrond"}, world.handler
            )
        with pytest.raises(TransitionNotAllowed, match="beantwoord"):
            acknowledge_complaint(s, rt, ref, complaint, world.handler)
    assert clocks(engine, complaint)["answer_extended"].met_trigger == "complaint_answered"


def test_bad_input_names_each_field_and_stores_nothing(
    engine: Engine, rt: Runtime, world: World, ref: str
) -> None:
    before = snapshot(engine)
    with Session(engine) as s:
        with pytest.raises(InvalidInput) as refused:
            register_complaint(
                s, rt, ref, {"complainant": 9999, "subject": "", "received_on": "2026-12-01"}, world.handler
            )
        assert set(refused.value.errors) == {"complainant", "subject", "received_on"}
        assert refused.value.errors["received_on"] == "ligt in de toekomst"
        with pytest.raises(InvalidInput) as early:
            register(engine, rt, ref, world.handler, received_on="2026-11-01")
        assert "meldingsdatum" in early.value.errors["received_on"]
        complaint = register(engine, rt, ref, world.handler)
        before = snapshot(engine)
        with pytest.raises(InvalidInput) as short:
            extend_complaint(s, rt, ref, complaint, {"reason": "druk"}, world.handler)
        assert "reason" in short.value.errors
        with pytest.raises(InvalidInput) as wrong:
            answer_complaint(s, rt, ref, complaint, {"answer": "", "outcome": "half"}, world.handler)
        assert set(wrong.value.errors) == {"answer", "outcome"}
        with pytest.raises(ComplaintNotFound):
            acknowledge_complaint(s, rt, ref, complaint + 1, world.handler)
    assert snapshot(engine) == before


def test_an_expert_is_refused_and_never_sees_a_complaint(
    engine: Engine, rt: Runtime, world: World, ref: str
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
    with pytest.raises(Forbidden):
        register(engine, rt, ref, world.expert)
    complaint = register(engine, rt, ref, world.handler)
    with Session(engine) as s:
        with pytest.raises(Forbidden):
            acknowledge_complaint(s, rt, ref, complaint, world.expert)
        with pytest.raises(Forbidden):
            register(engine, rt, ref, world.other_handler)  # reads the team's claims, is not on this one
        assert not [e for e in timeline(s, ref, world.expert) if e["kind"].startswith("complaint")]
        assert not [d for d in claim_deadlines(s, ref, world.expert) if d.scope == "complaint"]
        assert [d for d in claim_deadlines(s, ref, world.handler) if d.scope == "complaint"]


def test_a_closed_claim_takes_a_complaint_and_the_claims_course_leaves_its_clocks_alone(
    engine: Engine, rt: Runtime, world: World, ref: str
) -> None:
    open_before = register(engine, rt, ref, world.handler)
    with Session(engine) as s:
        advance(
            s, rt, ref, "withdraw", {"reason": "De benadeelde ziet af van de aanspraak."}, world.handler, 1
        )
    assert all(r.cancelled_at is None and r.met_at is None for r in clocks(engine, open_before).values())
    after_closing = register(engine, rt, ref, world.manager)
    assert set(clocks(engine, after_closing)) == {"acknowledge", "answer"}
    with engine.connect() as conn:
        numbers = conn.execute(select(COMPLAINTS.c.number).order_by(COMPLAINTS.c.id)).scalars().all()
    assert numbers == [1, 2]


def test_the_sweep_flags_an_overdue_complaint_clock_with_its_label(
    engine: Engine, rt: Runtime, world: World, ref: str
) -> None:
    complaint = register(engine, rt, ref, world.handler, received_on="2026-11-10")  # acknowledge by 24 Nov
    with Session(engine) as s:  # the claim's own receipt term (from 2 November) is met: only the complaint's
        advance(s, rt, ref, "start_coverage_check", {}, world.handler, 1)
    report = sweep(engine, rt)
    assert report.flagged == 1
    assert clocks(engine, complaint)["acknowledge"].flagged_at == rt.clock()
    with engine.connect() as conn:
        event = conn.execute(select(EVENTS).where(EVENTS.c.kind == "deadline_overdue")).one()
        mails = conn.execute(select(OUTBOX.c.body)).scalars().all()
    assert event.data["deadline"] == f"complaint_{complaint}_acknowledge"
    assert "termijn 'Klacht 1: ontvangst bevestigen' is verlopen" in event.note
    assert any("Klacht 1: ontvangst bevestigen" in m for m in mails)
    assert sweep(engine, rt).flagged == 0


def test_the_registration_is_on_the_timeline_with_the_clocks_it_started(
    engine: Engine, rt: Runtime, world: World, ref: str
) -> None:
    register(engine, rt, ref, world.handler)
    with Session(engine) as s:
        (event,) = [e for e in timeline(s, ref, world.handler) if e["kind"] == "complaint_registered"]
    assert event["data"]["received_on"] == date(2026, 11, 27).isoformat()
    assert "Klacht 1 van Test ICT B.V. (verzekerde), ontvangen op 27 november 2026" in event["note"]
    assert "11-12-2026 23:59" in event["note"] and "08-01-2027 23:59" in event["note"]


def test_a_text_counts_as_sent_white_space_included(
    engine: Engine, rt: Runtime, world: World, ref: str
) -> None:
    """The API's schema allows 5,000 characters as sent: a reason padded with white space beyond that is
    refused too, not trimmed into range (schemathesis sent one)."""
    complaint = register(engine, rt, ref, world.handler)
    padded = {"reason": "\t\n " * 1700 + "Wij wachten op het rapport."}
    with Session(engine) as s, pytest.raises(InvalidInput) as refused:
        extend_complaint(s, rt, ref, complaint, padded, world.handler)
    assert "hoogstens 5000 tekens" in refused.value.errors["reason"]
