"""The outbox worker: send what the transactions queued, retry with exponential backoff, and give up
with an incident after too many failures or a permanent refusal. Knows nothing of claims.

A row is sent by one worker at a time: a short transaction takes a batch (a conditional UPDATE that sets
status 'sending' and a lease, with SKIP LOCKED on PostgreSQL), the messages are sent outside any
transaction, and each result is written as soon as the server answered, so a message the server
accepted is marked sent even when a later one fails. A retry is only ever of a row the server did not
accept. Only a worker that dies between the server's "250 OK" and its own mark leaves a row to be sent
again once the lease expires; that copy has the same Message-ID, so the receiving side can drop it.

The application hands over its outbox table (SQLAlchemy Core) and a clock as an `Outbox`. The table has
at least the columns id, to_address, to_name, subject, body, body_html, created_at, status, attempts,
next_attempt_at, last_error, sent_at and incident_at; status holds one of the four values below, and a
partial index on next_attempt_at WHERE `status IN ('pending', 'sending')` keeps the worker's query small.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Engine, Row, Table, and_, bindparam, select, text, update
from sqlalchemy.engine import Connection

from notifications.email import Attachment, Mail, SendFailed, SmtpConfig, SmtpSender

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
INCIDENT = "incident"
STATUSES = (PENDING, SENDING, SENT, INCIDENT)

log = logging.getLogger("claimflow.delivery")


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


@dataclass(frozen=True)
class Outbox:
    """What the worker needs of the application: the outbox table and the clock it reads `now` from."""

    table: Table
    clock: Callable[[], datetime]
    # the files a row is sent with, drawn when it is sent (a letter's PDF from its stored HTML)
    attachments: Callable[[Connection, Row[Any]], tuple[Attachment, ...]] | None = None

    @property
    def waiting(self) -> ColumnElement[bool]:
        # literal, not bound: SQLite uses the partial index only for the very text of its WHERE
        return text(f"{self.table.name}.status IN ('{PENDING}', '{SENDING}')")  # type: ignore[return-value]


class MailSender(Protocol):
    def send(self, mail: Mail) -> None: ...


SenderFactory = Callable[[], AbstractContextManager[MailSender]]  # SmtpSender(config), or a test's own


def backoff(attempts: int, base_seconds: float, cap_seconds: float) -> float:
    """Seconds to wait after the `attempts`-th failure: base, 2x base, 4x base ... at most `cap`."""
    return float(min(cap_seconds, base_seconds * 2 ** max(0, attempts - 1)))


def new_message(
    *, to_address: str, to_name: str, subject: str, body: str, body_html: str, now: datetime
) -> dict[str, Any]:
    """The outbox row of a message to send now (the application adds its own columns)."""
    return {
        "to_address": to_address,
        "to_name": to_name,
        "subject": subject,
        "body": body,
        "body_html": body_html,
        "created_at": now,
        "status": PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": "",
    }


def deliver(
    engine: Engine,
    outbox: Outbox,
    smtp: SmtpConfig | SenderFactory,
    policy: DeliveryPolicy = DeliveryPolicy(),
    *,
    write_options: Mapping[str, Any] | None = None,
) -> DeliveryReport:
    """Send every message that is due now, batch by batch, until none is left or the server is down.
    `write_options` are the connection's execution options for writing (the application's locking)."""
    connect: SenderFactory = (lambda: SmtpSender(smtp)) if isinstance(smtp, SmtpConfig) else smtp
    report = DeliveryReport()
    with engine.connect() as conn:
        if write_options:
            conn.execution_options(**write_options)
        while True:
            rows = take(conn, outbox, outbox.clock(), policy)
            if not rows:
                break
            if not _send_batch(conn, outbox, connect, rows, policy, report):
                break  # the server cannot be reached: the rest waits for the next run
    return report


def take(conn: Connection, outbox: Outbox, now: datetime, policy: DeliveryPolicy) -> list[Row[Any]]:
    """Take up to a batch of due rows for this worker: status 'sending', a lease, one more attempt."""
    t = outbox.table
    due = and_(outbox.waiting, t.c.next_attempt_at <= now)
    with conn.begin():
        pick = select(t.c.id).where(due).order_by(t.c.next_attempt_at, t.c.id).limit(policy.batch)
        if conn.dialect.name != "sqlite":
            pick = pick.with_for_update(skip_locked=True)
        ids = list(conn.execute(pick).scalars())
        if not ids:
            return []
        rows = conn.execute(
            update(t)
            .where(t.c.id.in_(ids), due)  # only rows nobody took in between
            .values(
                status=SENDING,
                attempts=t.c.attempts + 1,
                next_attempt_at=now + timedelta(seconds=policy.lease_seconds),
            )
            .returning(*t.c)
        ).all()
    return sorted(rows, key=lambda r: r.id)


def _send_batch(
    conn: Connection,
    outbox: Outbox,
    connect: SenderFactory,
    rows: list[Row[Any]],
    policy: DeliveryPolicy,
    report: DeliveryReport,
) -> bool:
    """Send the taken rows over one connection; False when the server could not be reached at all."""
    try:
        with connect() as sender:
            for row in rows:
                if row.attempts > policy.max_attempts:  # a worker died on it each time: stop trying
                    failure = SendFailed("te vaak afgebroken", permanent=True)
                    _failed(conn, outbox, row, failure, policy, report)
                    continue
                if not still_mine(conn, outbox, outbox.clock(), row, policy):
                    continue  # the batch outlived its lease and another worker has this row now
                try:
                    files = _attachments(conn, outbox, row)
                    sender.send(_mail(row, policy, files))
                except SendFailed as failure:
                    _failed(conn, outbox, row, failure, policy, report)
                else:
                    _sent(conn, outbox, row, report)
    except SendFailed as failure:  # connecting failed (only entering raises here): none of them went out
        for row in rows:
            _failed(conn, outbox, row, failure, policy, report)
        return False
    return True


def _attachments(conn: Connection, outbox: Outbox, row: Row[Any]) -> tuple[Attachment, ...]:
    if outbox.attachments is None:
        return ()
    with conn.begin():  # a read of its own: the row's status is written in transactions of their own
        return outbox.attachments(conn, row)


def _mail(row: Row[Any], policy: DeliveryPolicy, attachments: tuple[Attachment, ...] = ()) -> Mail:
    domain = policy.sender.rsplit("@", 1)[-1].strip(" >") or "claimflow.local"
    return Mail(
        message_id=f"<outbox-{row.id}.{int(row.created_at.timestamp())}@{domain}>",
        sender=policy.sender,
        to_address=row.to_address,
        to_name=row.to_name,
        subject=row.subject,
        body=row.body,
        html=row.body_html,
        date=row.created_at,
        attachments=attachments,
    )


# the attempt this worker took: a row re-taken after its lease is not ours
_MINE: Any = bindparam("taken_attempt")


def _update_mine(conn: Connection, outbox: Outbox, row: Row[Any], values: dict[str, Any], *also: Any) -> bool:
    """Write `values` to a row this worker still holds (the attempt it took); False when it does not."""
    t = outbox.table
    with conn.begin():
        updated = conn.execute(
            update(t)
            .where(t.c.id == row.id, t.c.status == SENDING, t.c.attempts == _MINE, *also)
            .values(**values),
            {"taken_attempt": row.attempts},
        ).rowcount
    return bool(updated)


def still_mine(
    conn: Connection, outbox: Outbox, now: datetime, row: Row[Any], policy: DeliveryPolicy
) -> bool:
    """Renew this row's lease just before sending it; False when it has passed to another worker."""
    lease = {"next_attempt_at": now + timedelta(seconds=policy.lease_seconds)}
    return _update_mine(conn, outbox, row, lease, outbox.table.c.next_attempt_at > now)


def _sent(conn: Connection, outbox: Outbox, row: Row[Any], report: DeliveryReport) -> None:
    _update_mine(conn, outbox, row, {"status": SENT, "sent_at": outbox.clock(), "last_error": ""})
    report.sent += 1


def _failed(
    conn: Connection,
    outbox: Outbox,
    row: Row[Any],
    failure: SendFailed,
    policy: DeliveryPolicy,
    report: DeliveryReport,
) -> None:
    now = outbox.clock()
    give_up = failure.permanent or row.attempts >= policy.max_attempts
    values: dict[str, Any] = {"last_error": str(failure)[:1000]}
    if give_up:
        values.update(status=INCIDENT, incident_at=now)
        log.warning("outbox %s: incident after %d attempt(s): %s", row.id, row.attempts, failure)
    else:
        delay = backoff(row.attempts, policy.backoff_seconds, policy.backoff_max_seconds)
        values.update(status=PENDING, next_attempt_at=now + timedelta(seconds=delay))
    _update_mine(conn, outbox, row, values)
    if give_up:
        report.incidents += 1
    else:
        report.retrying += 1


def reopen_incident(conn: Connection, outbox: Outbox, message_id: int) -> str | None:
    """Send an incident again, from attempt 1, in the caller's transaction. The status the row had (only
    an incident is changed), or None when there is no such row."""
    t = outbox.table
    status = conn.execute(select(t.c.status).where(t.c.id == message_id)).scalar_one_or_none()
    if status == INCIDENT:
        conn.execute(
            update(t)
            .where(t.c.id == message_id, t.c.status == INCIDENT)
            .values(status=PENDING, attempts=0, next_attempt_at=outbox.clock(), incident_at=None)
        )
    return None if status is None else str(status)
