"""The deadline sweep: reminders, overdue flags and escalations, each once per deadline, through whole
claim lives on a controlled clock (time-machine), with Dutch holidays; two sweeping processes at once;
a sweeping process killed mid-batch; a clock that jumps back."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy import Engine, func, select

from claims.deadlines.sweep import sweep
from claims.notify.outbox import claim_email
from claims.reads.chain_check import verify
from claims.runtime import Runtime, utc_now
from claims.storage.tables import CLAIMS, DEADLINES, EVENTS, NOTIFICATIONS, OUTBOX, USERS
from tests.claims.driver import Driver
from tests.factories import World

CLAIMFLOW = Path(sys.executable).parent / "claimflow"
SWEEP_EVENTS = ("deadline_reminder", "deadline_overdue", "deadline_escalated")


@pytest.fixture
def live(rt: Runtime) -> Runtime:
    """The runtime on the real clock function, which time-machine moves."""
    return replace(rt, clock=utc_now)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def deadline(engine: Engine, claim_id: int, name: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(
            select(DEADLINES)
            .where(DEADLINES.c.claim_id == claim_id, DEADLINES.c.name == name)
            .order_by(DEADLINES.c.id.desc())
        ).first()


def sweep_events(engine: Engine, claim_id: int | None = None) -> list[tuple[str, str]]:
    query = select(EVENTS.c.kind, EVENTS.c.data).where(EVENTS.c.kind.in_(SWEEP_EVENTS)).order_by(EVENTS.c.id)
    if claim_id is not None:
        query = query.where(EVENTS.c.claim_id == claim_id)
    with engine.connect() as conn:
        return [(kind, data["deadline"]) for kind, data in conn.execute(query)]


def notified(engine: Engine, kind: str) -> list[int]:
    with engine.connect() as conn:
        return sorted(
            conn.execute(select(NOTIFICATIONS.c.user_id).where(NOTIFICATIONS.c.kind == kind)).scalars()
        )


def test_a_claims_life_around_koningsdag_and_5_may(engine: Engine, live: Runtime, world: World) -> None:
    driver = Driver(engine, live, world)
    # Thursday 30 April 2026: Friday 1 May is a working day, Tuesday 5 May (Bevrijdingsdag) is not
    with time_machine.travel(at("2026-04-30T11:00+02:00"), tick=False):
        opened = driver.open(
            "contract_breach", date_error="2026-04-20", date_known="2026-04-22", date_reported="2026-04-30"
        )
    ack = deadline(engine, opened.claim_id, "ontvangstbevestiging")
    assert ack.due_at == at("2026-05-04T23:59:59+02:00")  # 2 working days: Friday and Monday
    assert ack.remind_at == at("2026-05-02T23:59:59+02:00")  # 2 days ahead

    def sweep_at(moment: str) -> Any:
        with time_machine.travel(at(moment), tick=False):
            return sweep(engine, live)

    assert sweep_at("2026-05-01T12:00+02:00").batches == 0
    assert sweep_at("2026-05-03T10:00+02:00").reminded == 1
    assert sweep_at("2026-05-04T23:59:58+02:00").batches == 0  # due, but not yet past
    assert sweep_at("2026-05-05T10:00+02:00").flagged == 1  # a holiday changes nothing once due
    again = sweep_at("2026-05-05T10:00+02:00")
    assert (again.reminded, again.flagged, again.escalated) == (0, 0, 0)
    assert sweep_at("2026-05-06T23:00+02:00").escalated == 0  # within the 2-day grace
    assert sweep_at("2026-05-07T10:00+02:00").escalated == 1
    assert sweep_events(engine, opened.claim_id) == [
        ("deadline_reminder", "ontvangstbevestiging"),
        ("deadline_overdue", "ontvangstbevestiging"),
        ("deadline_escalated", "ontvangstbevestiging"),
    ]
    assert notified(engine, "deadline_reminder") == [world.handler.id]
    assert notified(engine, "deadline_overdue") == [world.handler.id]
    assert notified(engine, "deadline_escalated") == sorted([world.manager.id, world.other_manager.id])

    # the handler acknowledges at last: the deadline is met (late), the sweep leaves it alone for good
    with time_machine.travel(at("2026-05-07T11:00+02:00"), tick=False):
        driver.fire(opened.reference, "start_coverage_check")
    assert deadline(engine, opened.claim_id, "ontvangstbevestiging").met_trigger == "start_coverage_check"
    cover = deadline(engine, opened.claim_id, "standpunt_dekking")
    # 3 months from the melding of Thursday 30 April (not from the coverage check of 7 May): a service
    # term, so no Atw either
    assert cover.due_at == at("2026-07-30T23:59:59+02:00")
    with time_machine.travel(at("2026-08-01T09:00+02:00"), tick=False):
        driver.fire(opened.reference, "confirm_cover")  # met well before its reminder
    report = sweep_at("2026-09-01T09:00+02:00")
    names = [name for _, name in sweep_events(engine, opened.claim_id)]
    assert "standpunt_dekking" not in names
    # the expert's report (20 working days from 1 August) is overdue: the expert is told, not the handler
    assert report.flagged == 1 and ("deadline_overdue", "expertiserapport") in sweep_events(
        engine, opened.claim_id
    )
    assert notified(engine, "deadline_overdue") == sorted([world.handler.id, world.expert.id])


def test_the_limitation_term_waits_for_the_insurers_position_and_runs_from_it(
    engine: Engine, live: Runtime, world: World
) -> None:
    """7:942 BW: the melding interrupts limitation and no term runs until the insurer acknowledges or
    rejects; the receipt confirmation is no acknowledgement; a new 3-year term runs from the day after."""
    driver = Driver(engine, live, world)
    with time_machine.travel(at("2026-02-13T10:00+01:00"), tick=False):
        opened = driver.open(
            "contract_breach", date_error="2026-01-05", date_known="2026-02-10", date_reported="2026-02-13"
        )
    assert deadline(engine, opened.claim_id, "verjaring") is None  # the claim waits for a position
    with time_machine.travel(at("2026-02-16T10:00+01:00"), tick=False):
        driver.fire(opened.reference, "start_coverage_check")  # a receipt confirmation: still nothing
    assert deadline(engine, opened.claim_id, "verjaring") is None
    with time_machine.travel(at("2026-03-04T10:00+01:00"), tick=False):
        driver.fire(opened.reference, "confirm_cover")  # an acknowledgement: a new period
    first = deadline(engine, opened.claim_id, "verjaring")
    # from the day after Wednesday 4 March 2026: 4 March 2029, a Sunday, and it stays the end (art. 4 Atw
    # keeps a 3-year term out of the Atw)
    assert first.due_at == at("2029-03-04T23:59:59+01:00")
    assert first.remind_at == first.due_at - timedelta(days=90)
    assert "art. 4 Atw" in first.due_rule
    # negotiations with the claimant interrupt it again (lid 3): a new term from then, the old one kept
    with time_machine.travel(at("2026-06-10T15:00+02:00"), tick=False):
        driver.fire(
            opened.reference, "record_negotiation", {"negotiated_on": "2026-06-10", "summary": "overleg"}
        )
    second = deadline(engine, opened.claim_id, "verjaring")
    assert second.id != first.id and second.due_at == at("2029-06-10T23:59:59+02:00")
    with engine.connect() as conn:
        cancelled = conn.execute(
            select(DEADLINES.c.cancelled_at).where(DEADLINES.c.id == first.id)
        ).scalar_one()
    assert cancelled == at("2026-06-10T15:00+02:00")
    # a reminder comes 90 days before it passes (12 March 2029), and nothing before
    with time_machine.travel(at("2029-03-11T12:00+01:00"), tick=False):
        sweep(engine, live)
    assert ("deadline_reminder", "verjaring") not in sweep_events(engine, opened.claim_id)
    with time_machine.travel(at("2029-03-13T12:00+01:00"), tick=False):
        sweep(engine, live)
    assert ("deadline_reminder", "verjaring") in sweep_events(engine, opened.claim_id)


def test_a_rejection_starts_the_term_and_an_objection_stops_it(
    engine: Engine, live: Runtime, world: World
) -> None:
    driver = Driver(engine, live, world)
    with time_machine.travel(at("2026-10-10T10:00+02:00"), tick=False):
        opened = driver.open(
            "contract_breach", date_error="2026-09-01", date_known="2026-10-01", date_reported="2026-10-09"
        )
        driver.fire(opened.reference, "start_coverage_check")
    with time_machine.travel(at("2026-10-30T16:00+01:00"), tick=False):  # after the DST change
        driver.fire(opened.reference, "reject")
    rejected = deadline(engine, opened.claim_id, "verjaring")
    assert rejected.due_at == at("2029-10-30T23:59:59+01:00")
    with time_machine.travel(at("2026-11-20T10:00+01:00"), tick=False):
        driver.fire(opened.reference, "object")  # a new written claim: waiting again, no term
    with engine.connect() as conn:
        row = conn.execute(select(DEADLINES).where(DEADLINES.c.id == rejected.id)).one()
    assert row.cancelled_at == at("2026-11-20T10:00+01:00") and row.met_at is None
    with engine.connect() as conn:
        running = conn.execute(
            select(DEADLINES.c.id).where(
                DEADLINES.c.claim_id == opened.claim_id,
                DEADLINES.c.name == "verjaring",
                DEADLINES.c.cancelled_at.is_(None),
            )
        ).all()
    assert running == []


def test_a_late_melding_is_flagged_for_the_handler(engine: Engine, live: Runtime, world: World) -> None:
    driver = Driver(engine, live, world)
    with time_machine.travel(at("2026-11-16T10:00+01:00"), tick=False):
        late = driver.open(
            "contract_breach", date_error="2026-01-05", date_known="2026-02-01", date_reported="2026-11-16"
        )
        timely = driver.open(
            "contract_breach", date_error="2026-11-01", date_known="2026-11-02", date_reported="2026-11-16"
        )
    with engine.connect() as conn:
        kinds = Counter(
            conn.execute(select(EVENTS.c.claim_id, EVENTS.c.kind).where(EVENTS.c.kind == "late_notice")).all()
        )
    assert kinds == {(late.claim_id, "late_notice"): 1}
    assert timely.claim_id not in {c for c, _ in kinds}
    assert notified(engine, "late_notice") == [world.handler.id]


def test_a_clock_that_jumps_back_flags_nothing_new(engine: Engine, live: Runtime, world: World) -> None:
    driver = Driver(engine, live, world)
    with time_machine.travel(at("2026-11-16T10:00+01:00"), tick=False):
        first = driver.open(
            "contract_breach", date_error="2026-11-01", date_known="2026-11-02", date_reported="2026-11-16"
        )
    with time_machine.travel(at("2026-11-18T10:00+01:00"), tick=False):
        driver.open(
            "contract_breach", date_error="2026-11-01", date_known="2026-11-02", date_reported="2026-11-18"
        )
    with time_machine.travel(at("2026-11-19T10:00+01:00"), tick=False):
        assert sweep(engine, live).flagged == 1  # the first (due 18 Nov); the second is due 20 Nov
    before = sweep_events(engine)
    with time_machine.travel(at("2026-11-17T10:00+01:00"), tick=False):
        report = sweep(engine, live)
    assert (report.reminded, report.flagged, report.escalated) == (0, 0, 0)
    assert sweep_events(engine) == before
    assert [name for _, name in before].count("ontvangstbevestiging") >= 1
    assert deadline(engine, first.claim_id, "ontvangstbevestiging").flagged_at == at("2026-11-19T10:00+01:00")


def test_a_withdrawn_claims_deadlines_are_never_flagged(engine: Engine, live: Runtime, world: World) -> None:
    driver = Driver(engine, live, world)
    with time_machine.travel(at("2026-11-16T10:00+01:00"), tick=False):
        opened = driver.open(
            "contract_breach", date_error="2026-11-01", date_known="2026-11-02", date_reported="2026-11-16"
        )
        driver.fire(opened.reference, "withdraw", {"reason": "De opdrachtgever ziet af van de vordering."})
    with time_machine.travel(at("2030-01-01T10:00+01:00"), tick=False):
        assert sweep(engine, live).batches == 0


# --- two sweeps at once, and a sweep killed half-way ------------------------------------------------


def _many_due(engine: Engine, rt: Runtime, world: World, n: int) -> str:
    """n claims whose acknowledgement is overdue at the moment returned (ISO, for --now)."""
    driver = Driver(engine, replace(rt, clock=lambda: at("2026-11-16T10:00+01:00")), world)
    for _ in range(n):
        driver.open(
            "contract_breach", date_error="2026-11-01", date_known="2026-11-02", date_reported="2026-11-16"
        )
    return "2026-11-25T10:00+01:00"  # ack due 18 Nov: overdue, and past the grace too


def _env(engine: Engine) -> dict[str, str]:
    return {**os.environ, "CLAIMFLOW_DATABASE_URL": engine.url.render_as_string(hide_password=False)}


def _assert_each_step_once(engine: Engine, n: int) -> None:
    with engine.connect() as conn:
        rows = conn.execute(
            select(EVENTS.c.claim_id, EVENTS.c.kind, func.count())
            .where(EVENTS.c.kind.in_(SWEEP_EVENTS))
            .group_by(EVENTS.c.claim_id, EVENTS.c.kind)
        ).all()
        flagged = conn.execute(
            select(func.count()).where(
                DEADLINES.c.name == "ontvangstbevestiging", DEADLINES.c.flagged_at.is_not(None)
            )
        ).scalar_one()
        notes = dict(
            conn.execute(select(NOTIFICATIONS.c.kind, func.count()).group_by(NOTIFICATIONS.c.kind)).all()
        )
    assert all(count == 1 for _, _, count in rows), "a step happened twice for some deadline"
    kinds = Counter(kind for _, kind, _ in rows)
    assert kinds["deadline_overdue"] == n and kinds["deadline_escalated"] == n and flagged == n
    assert notes["deadline_overdue"] == n  # one to the handler per deadline
    assert notes["deadline_escalated"] == 2 * n  # both managers


@pytest.mark.slow
def test_two_sweeping_processes_flag_each_deadline_once(engine: Engine, rt: Runtime, world: World) -> None:
    n = 150
    now = _many_due(engine, rt, world, n)
    command = [
        str(CLAIMFLOW),
        "sweep",
        "--now",
        now,
        "--batch",
        "7",
        "--pause",
        "0.1",
    ]  # long enough to overlap
    procs = [
        subprocess.Popen(command, env=_env(engine), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    flagged = [int(out.split(", ")[1].split()[0]) for out, _ in outputs]
    assert sum(flagged) == n and all(f > 0 for f in flagged), outputs  # both did part of the work
    _assert_each_step_once(engine, n)


@pytest.mark.slow
def test_a_sweep_killed_mid_batch_loses_and_doubles_nothing(
    engine: Engine, rt: Runtime, world: World
) -> None:
    n = 120
    now = _many_due(engine, rt, world, n)
    proc = subprocess.Popen(
        [str(CLAIMFLOW), "sweep", "--now", now, "--batch", "5", "--pause", "0.2"],
        env=_env(engine),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline_at = time.monotonic() + 60
    while time.monotonic() < deadline_at:
        with engine.connect() as conn:
            done = conn.execute(select(func.count()).where(EVENTS.c.kind == "deadline_overdue")).scalar_one()
        if done >= 20:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with engine.connect() as conn:
        flagged_before = conn.execute(
            select(func.count()).where(
                DEADLINES.c.flagged_at.is_not(None), DEADLINES.c.name == "ontvangstbevestiging"
            )
        ).scalar_one()
        events_before = conn.execute(
            select(func.count()).where(EVENTS.c.kind == "deadline_overdue")
        ).scalar_one()
    assert 20 <= flagged_before < n, "the sweep was not caught half-way"
    assert events_before == flagged_before  # a batch is all or nothing: no flag without its event
    report = sweep(engine, rt, at(now))
    assert report.flagged == n - flagged_before
    _assert_each_step_once(engine, n)


@pytest.mark.slow
def test_the_scheduler_process_sweeps_on_its_interval(engine: Engine, rt: Runtime, world: World) -> None:
    _many_due(engine, rt, world, 3)  # due 18 November 2026: the past, for a scheduler on the real clock
    proc = subprocess.Popen(
        [str(CLAIMFLOW), "scheduler"],
        env={**_env(engine), "CLAIMFLOW_SWEEP_INTERVAL_SECONDS": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        flagged = 0
        for _ in range(200):
            with engine.connect() as conn:
                flagged = conn.execute(
                    select(func.count()).where(DEADLINES.c.flagged_at.is_not(None))
                ).scalar_one()
            if flagged >= 3:
                break
            time.sleep(0.05)
        assert flagged >= 3
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_sweep_over_many_batches_flags_each_once_and_keeps_every_chain_whole(
    engine: Engine, rt: Runtime, world: World
) -> None:
    n = 23
    now = at(_many_due(engine, rt, world, n))
    report = sweep(engine, rt, now, batch=4)  # six batches of flags, six of escalations
    assert report.flagged == n and report.escalated == n and report.batches >= 12
    assert sweep(engine, rt, now).batches == 0
    _assert_each_step_once(engine, n)
    with engine.connect() as conn:
        assert list(verify(conn)) == []
        mails = conn.execute(
            select(
                OUTBOX.c.subject,
                OUTBOX.c.body,
                OUTBOX.c.body_html,
                NOTIFICATIONS.c.message,
                NOTIFICATIONS.c.kind.label("note_kind"),
                CLAIMS.c.reference,
                USERS,
            )
            .join(NOTIFICATIONS, NOTIFICATIONS.c.id == OUTBOX.c.notification_id)
            .join(CLAIMS, CLAIMS.c.id == NOTIFICATIONS.c.claim_id)
            .join(USERS, USERS.c.id == OUTBOX.c.user_id)
            .where(NOTIFICATIONS.c.kind.in_(SWEEP_EVENTS))
        ).all()
    assert len(mails) == 3 * n  # the handler's flag, both managers' escalation
    templates = {"deadline_overdue": "termijn_verlopen", "deadline_escalated": "termijn_escalatie"}
    for mail in mails:
        written = claim_email(rt, templates[mail.note_kind], mail, mail.reference, mail.message)
        assert (mail.subject, mail.body, mail.body_html) == (written.subject, written.text, written.html)
