"""The statutory and service clocks of spec version 4, with hand-computed moments: terms counted from the
melding's receipt date, opschorting while an information request is open, the AVG clock of the insured's
role met at the moment entered. (7:942 BW and the sweep: test_sweep.py; the Atw itself and the calendar:
tests/workflow.)"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from sqlalchemy import Engine, select

from claims.deadlines.sweep import sweep
from claims.runtime import Runtime, utc_now
from claims.storage.tables import CLAIMS, DEADLINES
from tests.claims.driver import Driver
from tests.factories import World
from workflow.errors import InvalidInput


@pytest.fixture
def live(rt: Runtime) -> Runtime:
    return replace(rt, clock=utc_now)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def term(engine: Engine, claim_id: int, name: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(
            select(DEADLINES)
            .where(DEADLINES.c.claim_id == claim_id, DEADLINES.c.name == name)
            .order_by(DEADLINES.c.id.desc())
        ).first()


def test_the_receipt_counts_from_the_melding_not_from_its_registration(
    engine: Engine, live: Runtime, world: World
) -> None:
    driver = Driver(engine, live, world)
    # received on Friday 9 October, registered in claimflow on Tuesday 1 December
    with time_machine.travel(at("2026-12-01T10:00+01:00"), tick=False):
        opened = driver.open(
            "contract_breach", date_error="2026-09-01", date_known="2026-10-01", date_reported="2026-10-09"
        )
    ack = term(engine, opened.claim_id, "ontvangstbevestiging")
    assert ack.due_at == at("2026-10-13T23:59:59+02:00")  # 2 working days: Monday 12, Tuesday 13 October
    assert ack.counted_from == at("2026-10-09T00:00+02:00")
    assert "servicetermijn" in ack.due_rule


def test_the_position_on_cover_counts_from_the_melding(engine: Engine, live: Runtime, world: World) -> None:
    driver = Driver(engine, live, world)
    with time_machine.travel(at("2026-10-12T10:00+02:00"), tick=False):
        opened = driver.open(
            "late_delivery", date_error="2026-09-01", date_known="2026-10-01", date_reported="2026-10-10"
        )
    with time_machine.travel(at("2026-10-14T10:00+02:00"), tick=False):
        driver.fire(opened.reference, "start_coverage_check")
    cover = term(engine, opened.claim_id, "standpunt_dekking")
    # 3 months from Saturday 10 October: Sunday 10 January 2027, where it stays (a service term, no Atw)
    assert cover.due_at == at("2027-01-10T23:59:59+01:00")
    assert cover.counted_from == at("2026-10-10T00:00+02:00")


def _ask(driver: Driver, ref: str, days: int, moment: str) -> None:
    with time_machine.travel(at(moment), tick=False):
        driver.fire(ref, "request_information", {"questions": "De offerte graag.", "answer_days": days})


def _answer(driver: Driver, ref: str, moment: str) -> None:
    with time_machine.travel(at(moment), tick=False):
        driver.fire(ref, "register_answer", {"received_on": moment[:10], "summary": "offerte ontvangen"})


def test_an_information_request_pauses_the_position_on_cover_and_the_answer_resumes_it(
    engine: Engine, live: Runtime, world: World
) -> None:
    driver = Driver(engine, live, world)
    with time_machine.travel(at("2026-11-02T10:00+01:00"), tick=False):
        opened = driver.open(
            "contract_breach", date_error="2026-10-01", date_known="2026-10-20", date_reported="2026-11-02"
        )
        driver.fire(opened.reference, "start_coverage_check")
    ref = opened.reference
    assert term(engine, opened.claim_id, "standpunt_dekking").due_at == at("2027-02-02T23:59:59+01:00")
    _ask(driver, ref, 10, "2026-11-16T10:00+01:00")
    paused = term(engine, opened.claim_id, "standpunt_dekking")
    assert paused.paused_at == at("2026-11-16T10:00+01:00") and paused.pauses == 1
    answer = term(engine, opened.claim_id, "antwoord_informatie")
    assert answer.due_at == at("2026-11-30T23:59:59+01:00")  # 10 working days after Monday 16 November
    # the answer term passes: the handler is told (to send a reminder); the paused term is never flagged
    with time_machine.travel(at("2026-12-01T09:00+01:00"), tick=False):
        assert sweep(engine, live).flagged == 1
    with time_machine.travel(at("2027-02-03T09:00+01:00"), tick=False):
        sweep(engine, live)
    assert term(engine, opened.claim_id, "standpunt_dekking").flagged_at is None
    # a second request while paused: two to answer before the clock runs again
    _ask(driver, ref, 5, "2026-11-18T10:00+01:00")
    assert term(engine, opened.claim_id, "standpunt_dekking").pauses == 2
    _answer(driver, ref, "2026-12-01T11:00+01:00")
    still = term(engine, opened.claim_id, "standpunt_dekking")
    assert still.paused_at is not None and still.pauses == 1
    _answer(driver, ref, "2026-12-07T11:00+01:00")
    resumed = term(engine, opened.claim_id, "standpunt_dekking")
    # 78 calendar days were left after Monday 16 November (to 2 February); from Monday 7 December that
    # is Tuesday 23 February 2027
    assert resumed.paused_at is None and resumed.pauses == 0
    assert resumed.due_at == at("2027-02-23T23:59:59+01:00")
    assert "opgeschort van 16-11-2026 tot 07-12-2026" in resumed.due_rule and "78" in resumed.due_rule
    assert term(engine, opened.claim_id, "antwoord_informatie").met_trigger == "register_answer"
    # no answer without a request
    with pytest.raises(Exception, match="geen informatieverzoek open"):
        _answer(driver, ref, "2026-12-08T11:00+01:00")


def test_a_working_day_term_resumes_with_the_working_days_it_had_left(
    engine: Engine, live: Runtime, world: World
) -> None:
    driver = Driver(engine, live, world)
    with time_machine.travel(at("2026-12-07T10:00+01:00"), tick=False):
        ref = driver.bring_to("late_delivery", "regeling", date_reported="2026-12-01")
    with engine.connect() as conn:
        claim_id = conn.execute(select(CLAIMS.c.id).where(CLAIMS.c.reference == ref)).scalar_one()
    offer = term(engine, claim_id, "schikkingsvoorstel")
    # 20 working days after Monday 7 December, past Christmas and New Year: Wednesday 6 January 2027
    assert offer.due_at == at("2027-01-06T23:59:59+01:00")
    _ask(driver, ref, 10, "2026-12-16T10:00+01:00")
    _answer(driver, ref, "2027-01-11T10:00+01:00")
    # 13 working days were left after Wednesday 16 December; from Monday 11 January: Thursday 28 January
    assert term(engine, claim_id, "schikkingsvoorstel").due_at == at("2027-01-28T23:59:59+01:00")


def _data_loss(driver: Driver, role: str, awareness: str) -> Any:
    return driver.open(
        "data_loss",
        date_error="2026-10-20",
        date_known="2026-10-24",
        date_reported="2026-10-26",
        awareness_at=awareness,
        data_role=role,
    )


def test_a_controller_has_the_72_hour_clock_met_at_the_moment_entered(
    engine: Engine, live: Runtime, world: World
) -> None:
    driver = Driver(engine, live, world)
    with time_machine.travel(at("2026-10-26T09:00+01:00"), tick=False):
        opened = _data_loss(driver, "controller", "2026-10-24T10:00")  # Saturday, before the DST change
    ap = term(engine, opened.claim_id, "melding_ap")
    # 72 hours of elapsed time: 10:00 CEST is 08:00 UTC, three days on 08:00 UTC is 09:00 CET
    assert ap.due_at == at("2026-10-27T09:00+01:00")
    assert term(engine, opened.claim_id, "melding_verwerkingsverantwoordelijke") is None
    # told 32 hours after awareness, recorded a week later: met on time, at the moment entered
    with time_machine.travel(at("2026-11-02T14:00+01:00"), tick=False):
        sweep(engine, live)  # the clock has passed unrecorded: flagged meanwhile
        driver.fire(
            opened.reference,
            "record_dpa_notification",
            {"notified_at": "2026-10-25T17:00", "ap_reference": "AP-1"},
        )
    met = term(engine, opened.claim_id, "melding_ap")
    assert met.met_at == at("2026-10-25T17:00+01:00") and met.met_at < met.due_at


@pytest.mark.parametrize(
    ("notified", "problem"),
    [("2026-10-24T09:59", "ontdekt"), ("2026-11-03T10:00", "toekomst")],
    ids=["before-awareness", "in-the-future"],
)
def test_a_notification_moment_before_awareness_or_in_the_future_is_refused(
    engine: Engine, live: Runtime, world: World, notified: str, problem: str
) -> None:
    driver = Driver(engine, live, world)
    with time_machine.travel(at("2026-10-26T09:00+01:00"), tick=False):
        opened = _data_loss(driver, "controller", "2026-10-24T10:00")
    with (
        time_machine.travel(at("2026-11-02T14:00+01:00"), tick=False),
        pytest.raises(InvalidInput) as refused,
    ):
        driver.fire(opened.reference, "record_dpa_notification", {"notified_at": notified})
    assert problem in refused.value.errors["notified_at"]
    assert term(engine, opened.claim_id, "melding_ap").met_at is None  # nothing stored


def test_a_processor_tells_the_controller_and_has_no_ap_clock(
    engine: Engine, live: Runtime, world: World
) -> None:
    driver = Driver(engine, live, world)
    with time_machine.travel(at("2026-11-09T12:00+01:00"), tick=False):
        opened = _data_loss(driver, "processor", "2026-11-09T08:30")
    assert term(engine, opened.claim_id, "melding_ap") is None
    duty = term(engine, opened.claim_id, "melding_verwerkingsverantwoordelijke")
    assert duty.due_at == at("2026-11-10T08:30+01:00")  # 24 hours, the spec's default
    with time_machine.travel(at("2026-11-09T15:00+01:00"), tick=False):
        driver.fire(
            opened.reference,
            "record_controller_notification",
            {"notified_at": "2026-11-09T14:10", "controller": "Zorggroep Noord"},
        )
    assert term(engine, opened.claim_id, "melding_verwerkingsverantwoordelijke").met_at == at(
        "2026-11-09T14:10+01:00"
    )


def test_personal_data_need_the_insureds_role(engine: Engine, live: Runtime, world: World) -> None:
    driver = Driver(engine, live, world)
    with pytest.raises(InvalidInput) as refused:
        driver.open("data_loss", data_role=None)
    assert "data_role" in refused.value.errors


def test_asking_for_information_does_not_hide_an_overdue_term(
    engine: Engine, live: Runtime, world: World
) -> None:
    driver = Driver(engine, live, world)
    with time_machine.travel(at("2026-06-01T10:00+02:00"), tick=False):
        opened = driver.open(
            "late_delivery", date_error="2026-05-01", date_known="2026-05-20", date_reported="2026-06-01"
        )
        driver.fire(opened.reference, "start_coverage_check")
    with time_machine.travel(at("2026-09-02T10:00+02:00"), tick=False):  # due 1 September: overdue
        assert sweep(engine, live).flagged >= 1
    flagged_at = term(engine, opened.claim_id, "standpunt_dekking").flagged_at
    _ask(driver, opened.reference, 10, "2026-09-03T10:00+02:00")
    late = term(engine, opened.claim_id, "standpunt_dekking")
    assert late.paused_at is None and late.flagged_at == flagged_at  # still overdue, still flagged
    _answer(driver, opened.reference, "2026-09-10T10:00+02:00")
    assert term(engine, opened.claim_id, "standpunt_dekking").flagged_at == flagged_at  # not flagged twice


def test_a_term_opened_while_information_is_awaited_starts_paused(
    engine: Engine, live: Runtime, world: World
) -> None:
    driver = Driver(engine, live, world)
    with time_machine.travel(at("2026-11-02T10:00+01:00"), tick=False):
        opened = driver.open(
            "late_delivery", date_error="2026-10-01", date_known="2026-10-20", date_reported="2026-11-02"
        )
    _ask(driver, opened.reference, 10, "2026-11-02T11:00+01:00")  # still in melding: nothing to pause yet
    with time_machine.travel(at("2026-11-03T10:00+01:00"), tick=False):
        driver.fire(opened.reference, "start_coverage_check")
    cover = term(engine, opened.claim_id, "standpunt_dekking")
    assert cover.paused_at == at("2026-11-03T10:00+01:00") and cover.pauses == 1
    _answer(driver, opened.reference, "2026-11-10T10:00+01:00")
    # due 2 February 2027; 91 days were left after 3 November: from 10 November that is 9 February
    assert term(engine, opened.claim_id, "standpunt_dekking").due_at == at("2027-02-09T23:59:59+01:00")


def test_the_answer_term_is_the_earliest_answer_still_awaited(
    engine: Engine, live: Runtime, world: World
) -> None:
    driver = Driver(engine, live, world)
    with time_machine.travel(at("2026-11-02T10:00+01:00"), tick=False):
        opened = driver.open(
            "late_delivery", date_error="2026-10-01", date_known="2026-10-20", date_reported="2026-11-02"
        )
    _ask(driver, opened.reference, 10, "2026-11-02T11:00+01:00")  # answer by Monday 16 November
    _ask(driver, opened.reference, 20, "2026-11-04T11:00+01:00")  # answer by Wednesday 2 December
    first = term(engine, opened.claim_id, "antwoord_informatie")
    assert first.due_at == at("2026-11-16T23:59:59+01:00")  # the second request does not push it back
    _answer(driver, opened.reference, "2026-11-12T10:00+01:00")  # the oldest is answered
    second = term(engine, opened.claim_id, "antwoord_informatie")
    assert second.id == first.id and second.met_at is None
    assert second.due_at == at("2026-12-02T23:59:59+01:00")
    _answer(driver, opened.reference, "2026-11-20T10:00+01:00")
    assert term(engine, opened.claim_id, "antwoord_informatie").met_trigger == "register_answer"


def test_a_position_asked_again_after_an_objection_counts_from_then(
    engine: Engine, live: Runtime, world: World
) -> None:
    driver = Driver(engine, live, world)
    with time_machine.travel(at("2026-02-02T10:00+01:00"), tick=False):
        opened = driver.open(
            "late_delivery", date_error="2026-01-05", date_known="2026-01-20", date_reported="2026-02-02"
        )
        driver.fire(opened.reference, "start_coverage_check")
    with time_machine.travel(at("2026-05-20T10:00+02:00"), tick=False):
        driver.fire(opened.reference, "reject")
    with time_machine.travel(at("2026-09-01T10:00+02:00"), tick=False):
        driver.fire(opened.reference, "object")  # back to the coverage check
    again = term(engine, opened.claim_id, "standpunt_dekking")
    assert again.met_at is None and again.due_at == at("2026-12-01T23:59:59+01:00")  # 3 months from 1 Sep


def test_a_negotiation_restarts_limitation_from_its_own_day(
    engine: Engine, live: Runtime, world: World
) -> None:
    driver = Driver(engine, live, world)
    with time_machine.travel(at("2026-03-02T10:00+01:00"), tick=False):
        opened = driver.open(
            "late_delivery", date_error="2026-01-05", date_known="2026-02-20", date_reported="2026-03-02"
        )
        driver.fire(opened.reference, "start_coverage_check")
    with time_machine.travel(at("2026-03-04T10:00+01:00"), tick=False):
        driver.fire(opened.reference, "confirm_cover")
    before = term(engine, opened.claim_id, "verjaring")
    with time_machine.travel(at("2026-03-20T10:00+01:00"), tick=False):  # recorded on the 20th
        driver.fire(
            opened.reference, "record_negotiation", {"negotiated_on": "2026-03-03", "summary": "eerder"}
        )
    assert term(engine, opened.claim_id, "verjaring").id == before.id  # before the term began: nothing
    with time_machine.travel(at("2026-03-20T11:00+01:00"), tick=False):
        driver.fire(
            opened.reference, "record_negotiation", {"negotiated_on": "2026-03-16", "summary": "overleg"}
        )
    after = term(engine, opened.claim_id, "verjaring")
    assert after.id != before.id and after.due_at == at("2029-03-16T23:59:59+01:00")


def test_the_fast_track_acknowledges_and_starts_limitation(
    engine: Engine, live: Runtime, world: World
) -> None:
    driver = Driver(engine, live, world)
    with time_machine.travel(at("2026-11-02T10:00+01:00"), tick=False):
        opened = driver.open(
            "contract_breach",
            date_error="2026-10-01",
            date_known="2026-10-20",
            date_reported="2026-11-02",
            amount_claimed="4000",
        )
        driver.fire(opened.reference, "start_coverage_check")
        driver.prepare_by_trigger(opened.reference, "fast_track") if hasattr(
            driver, "prepare_by_trigger"
        ) else None
        driver.fire(opened.reference, "fast_track")
    assert term(engine, opened.claim_id, "verjaring").due_at == at("2029-11-02T23:59:59+01:00")
