"""The outbox delivery worker: send what the transactions queued, retry with exponential backoff, and
give up with an incident a manager sees after too many failures or a permanent refusal.

A row is sent by one worker at a time: a short transaction takes a batch (a conditional UPDATE that sets
status 'sending' and a lease, with SKIP LOCKED on PostgreSQL), the messages are sent outside any
transaction, and each result is written as soon as the server answered, so a message the server
accepted is marked sent even when a later one fails. A retry is only ever of a row the server did not
accept. Only a worker that dies between the server's "250 OK" and its own mark leaves a row to be sent
again once the lease expires; that copy has the same Message-ID, so the receiving side can drop it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, bindparam, select, text, update
from sqlalchemy.engine import Connection

from claims.errors import NotAnIncident, OutboxNotFound
from claims.people.permissions import check_is_manager
from claims.runtime import Runtime
from claims.storage.db import WRITE, Db, in_write
from claims.storage.models import OutboxStatus, User
from claims.storage.tables import OUTBOX
from notifications.email import Mail, SendFailed, SmtpConfig, SmtpSender, backoff

log = logging.getLogger("claimflow.delivery")

# literal, not bound: SQLite uses the partial index ix_outbox_due only for the very text of its WHERE
_WAITING = text("outbox.status IN ('pending', 'sending')")


@dataclass(frozen=True)
class DeliveryPolicy:
    sender: str = "claimflow <schade@claimflow.test>"
    max_attempts: int = 8  # the failure that makes an incident (about 1 h 4 min of trying at the defaults)
    backoff_seconds: float = 30.0  # after the first failure; doubled after each next one
    backoff_max_seconds: float = 3600.0
    lease_seconds: float = 600.0  # a batch must be sent within this; a crashed worker's rows return after it
    batch: int = 20


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    incidents: int = 0

    @property
    def tried(self) -> int:
        return self.sent + self.retrying + self.incidents


SenderFactory = Callable[[], Any]  # a context manager with .send(Mail): SmtpSender(config)


def deliver(
    engine: Engine,
    rt: Runtime,
    smtp: SmtpConfig | SenderFactory,
    policy: DeliveryPolicy = DeliveryPolicy(),
) -> DeliveryReport:
    """Send every message that is due now, batch by batch, until none is left or the server is down."""
    connect: SenderFactory = (lambda: SmtpSender(smtp)) if isinstance(smtp, SmtpConfig) else smtp
    report = DeliveryReport()
    with engine.connect() as conn:
        conn.execution_options(**WRITE)
        while True:
            rows = _take(conn, rt.clock(), policy)
            if not rows:
                break
            if not _send_batch(conn, rt, connect, rows, policy, report):
                break  # the server cannot be reached: the rest waits for the next run
    return report


def _take(conn: Connection, now: datetime, policy: DeliveryPolicy) -> list[Any]:
    """Take up to a batch of due rows for this worker: status 'sending', a lease, one more attempt."""
    due = and_(_WAITING, OUTBOX.c.next_attempt_at <= now)
    with conn.begin():
        pick = (
            select(OUTBOX.c.id).where(due).order_by(OUTBOX.c.next_attempt_at, OUTBOX.c.id).limit(policy.batch)
        )
        if conn.dialect.name != "sqlite":
            pick = pick.with_for_update(skip_locked=True)
        ids = list(conn.execute(pick).scalars())
        if not ids:
            return []
        rows = conn.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id.in_(ids), due)  # only rows nobody took in between
            .values(
                status=OutboxStatus.sending.value,
                attempts=OUTBOX.c.attempts + 1,
                next_attempt_at=now + timedelta(seconds=policy.lease_seconds),
            )
            .returning(*OUTBOX.c)
        ).all()
    return sorted(rows, key=lambda r: r.id)


def _send_batch(
    conn: Connection,
    rt: Runtime,
    connect: SenderFactory,
    rows: list[Any],
    policy: DeliveryPolicy,
    report: DeliveryReport,
) -> bool:
    """Send the taken rows over one connection; False when the server could not be reached at all."""
    try:
        with connect() as sender:
            for row in rows:
                if row.attempts > policy.max_attempts:  # a worker died on it each time: stop trying
                    _failed(conn, rt, row, SendFailed("te vaak afgebroken", permanent=True), policy, report)
                    continue
                if not _still_mine(conn, rt.clock(), row, policy):
                    continue  # the batch outlived its lease and another worker has this row now
                try:
                    sender.send(_mail(row, policy))
                except SendFailed as failure:
                    _failed(conn, rt, row, failure, policy, report)
                else:
                    _sent(conn, rt.clock(), row, report)
    except SendFailed as failure:  # connecting failed (only entering raises here): none of them went out
        for row in rows:
            _failed(conn, rt, row, failure, policy, report)
        return False
    return True


def _mail(row: Any, policy: DeliveryPolicy) -> Mail:
    domain = policy.sender.rsplit("@", 1)[-1].strip(" >") or "claimflow.local"
    return Mail(
        message_id=f"<outbox-{row.id}.{int(row.created_at.timestamp())}@{domain}>",
        sender=policy.sender,
        to_address=row.to_address,
        to_name=row.to_name,
        subject=row.subject,
        body=row.body,
        date=row.created_at,
    )


_MINE: Any = bindparam(
    "taken_attempt"
)  # the attempt this worker took: a row re-taken after its lease is not ours


def _update_mine(conn: Connection, row: Any, values: dict[str, Any], *also: Any) -> bool:
    """Write `values` to a row this worker still holds (the attempt it took); False when it does not."""
    with conn.begin():
        updated = conn.execute(
            update(OUTBOX)
            .where(
                OUTBOX.c.id == row.id,
                OUTBOX.c.status == OutboxStatus.sending.value,
                OUTBOX.c.attempts == _MINE,
                *also,
            )
            .values(**values),
            {"taken_attempt": row.attempts},
        ).rowcount
    return bool(updated)


def _still_mine(conn: Connection, now: datetime, row: Any, policy: DeliveryPolicy) -> bool:
    """Renew this row's lease just before sending it; False when it has passed to another worker."""
    lease = {"next_attempt_at": now + timedelta(seconds=policy.lease_seconds)}
    return _update_mine(conn, row, lease, OUTBOX.c.next_attempt_at > now)


def _sent(conn: Connection, now: datetime, row: Any, report: DeliveryReport) -> None:
    _update_mine(conn, row, {"status": OutboxStatus.sent.value, "sent_at": now, "last_error": ""})
    report.sent += 1


def _failed(
    conn: Connection,
    rt: Runtime,
    row: Any,
    failure: SendFailed,
    policy: DeliveryPolicy,
    report: DeliveryReport,
) -> None:
    now = rt.clock()
    give_up = failure.permanent or row.attempts >= policy.max_attempts
    values: dict[str, Any] = {"last_error": str(failure)[:1000]}
    if give_up:
        values.update(status=OutboxStatus.incident.value, incident_at=now)
        log.warning("outbox %s: incident after %d attempt(s): %s", row.id, row.attempts, failure)
    else:
        delay = backoff(row.attempts, policy.backoff_seconds, policy.backoff_max_seconds)
        values.update(status=OutboxStatus.pending.value, next_attempt_at=now + timedelta(seconds=delay))
    _update_mine(conn, row, values)
    if give_up:
        report.incidents += 1
    else:
        report.retrying += 1


def retry_incident(db: Db, rt: Runtime, message_id: int, actor: User) -> None:
    """A manager sends an incident again (after fixing an address or the mail server): from attempt 1."""
    check_is_manager(actor)

    def work(conn: Connection) -> None:
        status = conn.execute(select(OUTBOX.c.status).where(OUTBOX.c.id == message_id)).scalar_one_or_none()
        if status is None:
            raise OutboxNotFound(f"Bericht {message_id} bestaat niet.")
        if status != OutboxStatus.incident.value:
            raise NotAnIncident(f"Bericht {message_id} is geen incident (status: {status}).")
        conn.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id == message_id, OUTBOX.c.status == OutboxStatus.incident.value)
            .values(
                status=OutboxStatus.pending.value, attempts=0, next_attempt_at=rt.clock(), incident_at=None
            )
        )

    in_write(db, work)
