"""The transactional outbox and its delivery worker, against a real SMTP server (aiosmtpd on loopback):
written with the transition or not at all; sent once; retried with backoff while the server is down;
an incident after too many failures or a permanent refusal; two workers at once; a crashed worker."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, and_, select, update
from sqlmodel import Session

from claims.notify.delivery import DeliveryPolicy, deliver, retry_incident
from claims.notify.delivery import outbox as claims_outbox
from claims.notify.outbox import email_row, queue_emails
from claims.notify.outbox_view import outbox_messages
from claims.runtime import Runtime
from claims.storage.db import in_write
from claims.storage.models import OutboxStatus
from claims.storage.tables import NOTIFICATIONS, OUTBOX
from notifications.email import SmtpConfig
from notifications.messages import Message
from notifications.outbox import backoff, still_mine, take
from tests.claims.driver import Driver
from tests.conftest import snapshot
from tests.factories import Clock, World
from tests.smtp_server import SmtpServer
from workflow.errors import Forbidden, InvalidInput

CLAIMFLOW = Path(sys.executable).parent / "claimflow"
POLICY = DeliveryPolicy(sender="claimflow <schade@claimflow.test>", backoff_seconds=30, max_attempts=8)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


def outbox(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(OUTBOX).order_by(OUTBOX.c.id)))


def text_only(subject: str, body: str) -> Message:
    return Message(template="test", subject=subject, text=body, html="")


def queue(engine: Engine, rt: Runtime, world: World, n: int, to: Any = None) -> None:
    """n messages in the outbox, as a transaction would leave them."""
    rows = [
        email_row(to=to or world.handler, email=text_only(f"Bericht {i}", f"Inhoud {i}"), now=rt.clock())
        for i in range(n)
    ]
    with Session(engine) as s:
        in_write(s, lambda conn: queue_emails(conn, rows))


def config(server: SmtpServer) -> SmtpConfig:
    return SmtpConfig.from_url(server.url + "?timeout=5")


def test_a_transition_tells_its_people_in_the_inbox_and_by_e_mail_in_its_own_transaction(
    engine: Engine, rt: Runtime, world: World, smtp: SmtpServer
) -> None:
    driver = Driver(engine, rt, world)
    ref = driver.bring_to("contract_breach", "dekkingsonderzoek")
    before = snapshot(engine)
    with pytest.raises(InvalidInput):
        driver.fire(ref, "confirm_cover", {"expert": "niemand@test.nl", "reserve_damages": "1000"})
    assert snapshot(engine) == before  # refused: no notification, no e-mail, no letter
    driver.fire(ref, "confirm_cover", {"expert": world.expert.email, "reserve_damages": "1000"})
    [row] = [r for r in outbox(engine) if r.to_address == world.expert.email]
    with engine.connect() as conn:
        note = conn.execute(select(NOTIFICATIONS).where(NOTIFICATIONS.c.id == row.notification_id)).one()
    assert note.user_id == world.expert.id and note.kind == "transition"
    assert row.subject == f"[{ref}] Dekking bevestigen en expert aanstellen"
    assert "Te doen: Expertiserapport indienen, uiterlijk" in row.body
    assert f"http://127.0.0.1:8000/claims/{ref}" in row.body
    assert "Brief: Opdracht tot expertise" in row.body
    assert row.status == OutboxStatus.pending

    report = deliver(engine, rt, config(smtp), POLICY)
    assert report.sent == len(outbox(engine))
    mail = next(m for m in smtp.recorder.messages if m["To"].addresses[0].addr_spec == world.expert.email)
    assert mail["Subject"] == row.subject
    assert mail["From"] == "claimflow <schade@claimflow.test>"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail.get_content_type() == "multipart/alternative"
    assert "Te doen: Expertiserapport indienen" in mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "Te doen: Expertiserapport indienen" in html
    assert f'href="http://127.0.0.1:8000/claims/{ref}"' in html
    assert row.body_html == html.replace("\r\n", "\n")
    assert all(r.status == OutboxStatus.sent and r.sent_at == rt.clock() for r in outbox(engine))
    # the one who fired it is not told of their own act
    assert not [r for r in outbox(engine) if r.to_address == world.handler.email and "Dekking" in r.subject]


def test_each_message_reaches_the_server_once_and_a_second_run_sends_nothing(
    engine: Engine, rt: Runtime, world: World, smtp: SmtpServer
) -> None:
    queue(engine, rt, world, 45)  # more than two batches
    assert deliver(engine, rt, config(smtp), POLICY).sent == 45
    assert deliver(engine, rt, config(smtp), POLICY).tried == 0
    ids = smtp.recorder.ids()
    assert len(ids) == 45 and len(set(ids)) == 45
    assert {m["Subject"] for m in smtp.recorder.messages} == {f"Bericht {i}" for i in range(45)}
    assert outbox_counts_now(engine, world.manager) == {"pending": 0, "sending": 0, "sent": 45, "incident": 0}


def outbox_counts_now(engine: Engine, who: Any) -> dict[str, int]:
    with Session(engine) as s:
        return outbox_messages(s, who)[1]


def test_the_server_down_for_a_while_then_back_every_message_arrives_once(
    engine: Engine, rt: Runtime, clock: Clock, world: World
) -> None:
    server = SmtpServer()  # its port is known, nothing listens on it yet
    queue(engine, rt, world, 12)
    first = deliver(engine, rt, config(server), POLICY)
    assert (first.sent, first.retrying) == (0, 12)
    rows = outbox(engine)
    assert {(r.status, r.attempts) for r in rows} == {(OutboxStatus.pending, 1)}
    assert {r.next_attempt_at for r in rows} == {rt.clock() + timedelta(seconds=30)}
    assert "ConnectionRefusedError" in rows[0].last_error

    assert deliver(engine, rt, config(server), POLICY).tried == 0  # backing off: not yet
    clock.advance(seconds=31)
    assert deliver(engine, rt, config(server), POLICY).retrying == 12
    assert {r.next_attempt_at for r in outbox(engine)} == {rt.clock() + timedelta(seconds=60)}  # doubled

    server.start()
    try:
        clock.advance(seconds=61)
        assert deliver(engine, rt, config(server), POLICY).sent == 12
        clock.advance(hours=2)
        assert deliver(engine, rt, config(server), POLICY).tried == 0
        ids = server.recorder.ids()
        assert len(ids) == 12 and Counter(ids).most_common(1)[0][1] == 1
        assert {r.attempts for r in outbox(engine)} == {3}
    finally:
        server.stop()


def test_a_temporary_refusal_is_retried_and_a_permanent_one_is_an_incident(
    engine: Engine, rt: Runtime, clock: Clock, world: World, smtp: SmtpServer
) -> None:
    queue(engine, rt, world, 5)
    queue(engine, rt, world, 1, to=world.other_handler)
    smtp.recorder.refuse_next = 2  # 451 twice
    smtp.recorder.refuse_rcpt = {world.other_handler.email}  # 550 for good
    report = deliver(engine, rt, config(smtp), POLICY)
    assert (report.sent, report.retrying, report.incidents) == (3, 2, 1)
    incident = next(r for r in outbox(engine) if r.status == OutboxStatus.incident)
    assert incident.to_address == world.other_handler.email and "550" in incident.last_error
    assert incident.attempts == 1  # a permanent refusal is not tried again
    clock.advance(seconds=31)
    assert deliver(engine, rt, config(smtp), POLICY).sent == 2
    assert len(smtp.recorder.ids()) == len(set(smtp.recorder.ids())) == 5


def test_too_many_failures_make_an_incident_that_a_manager_can_send_again(
    engine: Engine, rt: Runtime, clock: Clock, world: World
) -> None:
    server = SmtpServer()
    policy = DeliveryPolicy(max_attempts=3, backoff_seconds=10, backoff_max_seconds=15)
    queue(engine, rt, world, 2)
    for _ in range(3):
        deliver(engine, rt, config(server), policy)
        clock.advance(seconds=16)
    rows = outbox(engine)
    assert {(r.status, r.attempts) for r in rows} == {(OutboxStatus.incident, 3)}
    assert all(r.incident_at is not None for r in rows)
    assert outbox_counts_now(engine, world.manager)["incident"] == 2
    assert outbox_counts_now(engine, world.other_handler)["incident"] == 0  # not addressed to them
    assert deliver(engine, rt, config(server), policy).tried == 0  # given up: no more attempts

    with Session(engine) as s, pytest.raises(Forbidden):
        retry_incident(s, rt, rows[0].id, world.handler)
    with Session(engine) as s:
        retry_incident(s, rt, rows[0].id, world.manager)
    server.start()
    try:
        assert deliver(engine, rt, config(server), policy).sent == 1
        assert [r.status for r in outbox(engine)] == [OutboxStatus.sent, OutboxStatus.incident]
    finally:
        server.stop()


def test_two_workers_at_once_send_each_message_once(
    engine: Engine, rt: Runtime, world: World, smtp: SmtpServer
) -> None:
    queue(engine, rt, world, 60)
    policy = DeliveryPolicy(batch=4)
    reports = []

    def work() -> None:
        reports.append(deliver(engine, rt, config(smtp), policy))

    workers = [threading.Thread(target=work) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    assert sum(r.sent for r in reports) == 60
    ids = smtp.recorder.ids()
    assert len(ids) == 60 and len(set(ids)) == 60
    assert {r.status for r in outbox(engine)} == {OutboxStatus.sent}


def test_rows_a_crashed_worker_had_taken_are_sent_after_its_lease(
    engine: Engine, rt: Runtime, clock: Clock, world: World, smtp: SmtpServer
) -> None:
    queue(engine, rt, world, 3)
    policy = DeliveryPolicy(lease_seconds=120)
    with engine.connect() as conn:
        taken = take(conn, claims_outbox(rt), rt.clock(), policy)  # ... and then the worker died
    assert len(taken) == 3
    assert deliver(engine, rt, config(smtp), policy).tried == 0  # someone holds them
    clock.advance(seconds=121)
    assert deliver(engine, rt, config(smtp), policy).sent == 3
    assert len(smtp.recorder.ids()) == 3


def test_backoff_doubles_up_to_its_cap() -> None:
    assert [backoff(n, 30, 3600) for n in range(1, 10)] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


@pytest.mark.slow
def test_the_scheduler_process_delivers_once_the_server_comes_back(
    engine: Engine, rt: Runtime, world: World
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("one process test is enough; the SQL paths are covered on PostgreSQL above")
    queue(engine, rt, world, 10)
    server = SmtpServer()
    env = {
        **os.environ,
        "CLAIMFLOW_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "CLAIMFLOW_SMTP_URL": server.url + "?timeout=2",
        "CLAIMFLOW_OUTBOX_INTERVAL_SECONDS": "1",
        "CLAIMFLOW_OUTBOX_BACKOFF_SECONDS": "1",
        "CLAIMFLOW_OUTBOX_BACKOFF_MAX_SECONDS": "2",
        "CLAIMFLOW_SWEEP_INTERVAL_SECONDS": "3600",
    }
    proc = subprocess.Popen(
        [str(CLAIMFLOW), "scheduler"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any(r.attempts >= 2 for r in outbox(engine)):
            time.sleep(0.1)
        # down: retried, not lost (a row may be in flight, taken for the next attempt, as we look)
        assert all(r.status in (OutboxStatus.pending, OutboxStatus.sending) for r in outbox(engine))
        assert any(r.attempts >= 2 for r in outbox(engine))
        server.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(server.recorder.ids()) < 10:
            time.sleep(0.1)
        time.sleep(2.5)  # a few more runs of the job: nothing may go out twice
        ids = server.recorder.ids()
        assert len(ids) == 10 and len(set(ids)) == 10
        assert {r.status for r in outbox(engine)} == {OutboxStatus.sent}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        server.stop()


def test_claimflow_deliver_sends_one_round_and_refuses_without_smtp(
    engine: Engine, rt: Runtime, world: World, smtp: SmtpServer
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the command's SQL is the worker's, covered on PostgreSQL above")
    queue(engine, rt, world, 2)
    env = {**os.environ, "CLAIMFLOW_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    env.pop("CLAIMFLOW_SMTP_URL", None)
    off = subprocess.run([str(CLAIMFLOW), "deliver"], env=env, capture_output=True, text=True)
    assert off.returncode == 2 and "CLAIMFLOW_SMTP_URL" in off.stderr
    bad = subprocess.run(
        [str(CLAIMFLOW), "deliver"],
        env={**env, "CLAIMFLOW_SMTP_URL": "http://x"},
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "fout: CLAIMFLOW_SMTP_URL must start with smtp://" in bad.stderr
    done = subprocess.run(
        [str(CLAIMFLOW), "deliver"],
        env={**env, "CLAIMFLOW_SMTP_URL": smtp.url},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "2 verstuurd" in done.stdout and len(smtp.recorder.ids()) == 2


def test_a_message_the_mail_format_cannot_carry_is_an_incident_and_the_rest_still_go(
    engine: Engine, rt: Runtime, world: World, smtp: SmtpServer
) -> None:
    queue(engine, rt, world, 3)
    with engine.begin() as conn:  # an address from before the stricter check, with a header break
        first = conn.execute(select(OUTBOX.c.id).order_by(OUTBOX.c.id)).scalars().first()
        conn.execute(update(OUTBOX).where(OUTBOX.c.id == first).values(to_name="Jan\r\nBcc: x@evil.test"))
    report = deliver(engine, rt, config(smtp), POLICY)
    assert (report.sent, report.incidents) == (2, 1)
    bad = outbox(engine)[0]
    assert bad.status == OutboxStatus.incident and "niet op te bouwen" in bad.last_error
    assert len(smtp.recorder.ids()) == 2


def test_a_server_that_refuses_our_sender_makes_no_incidents(
    engine: Engine, rt: Runtime, clock: Clock, world: World, smtp: SmtpServer
) -> None:
    queue(engine, rt, world, 4)
    smtp.recorder.refuse_sender = True  # a setting to fix (CLAIMFLOW_MAIL_FROM), not four bad messages
    report = deliver(engine, rt, config(smtp), POLICY)
    assert (report.sent, report.retrying, report.incidents) == (0, 4, 0)
    smtp.recorder.refuse_sender = False
    clock.advance(seconds=31)
    assert deliver(engine, rt, config(smtp), POLICY).sent == 4


def test_a_worker_whose_lease_ran_out_does_not_send_what_another_took(
    engine: Engine, rt: Runtime, clock: Clock, world: World, smtp: SmtpServer
) -> None:
    queue(engine, rt, world, 2)
    policy = DeliveryPolicy(lease_seconds=60)
    with engine.connect() as conn:
        # worker A takes them, then stalls past its lease
        slow = take(conn, claims_outbox(rt), rt.clock(), policy)
        clock.advance(seconds=61)
        assert deliver(engine, rt, config(smtp), policy).sent == 2  # worker B sends them
        # A sends nothing
        assert not any(still_mine(conn, claims_outbox(rt), rt.clock(), row, policy) for row in slow)
    assert len(smtp.recorder.ids()) == 2


def test_rows_a_worker_died_on_too_often_become_incidents(
    engine: Engine, rt: Runtime, clock: Clock, world: World, smtp: SmtpServer
) -> None:
    queue(engine, rt, world, 1)
    policy = DeliveryPolicy(lease_seconds=10, max_attempts=2)
    with engine.connect() as conn:
        for _ in range(2):  # taken twice, and each time the worker died before an answer
            assert len(take(conn, claims_outbox(rt), rt.clock(), policy)) == 1
            clock.advance(seconds=11)
    report = deliver(engine, rt, config(smtp), policy)
    assert report.incidents == 1 and smtp.recorder.ids() == []


def test_the_delivery_query_uses_its_partial_index_on_sqlite(engine: Engine, rt: Runtime) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's planner; PostgreSQL picks by statistics")
    due = and_(claims_outbox(rt).waiting, OUTBOX.c.next_attempt_at <= rt.clock())
    query = select(OUTBOX.c.id).where(due).order_by(OUTBOX.c.next_attempt_at, OUTBOX.c.id).limit(20)
    compiled = query.compile(engine, compile_kwargs={"literal_binds": True})
    with engine.connect() as conn:
        plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"))
    assert "ix_outbox_due" in plan and "SCAN outbox" not in plan, plan
