"""The claims side of e-mail delivery: claimflow's outbox table and clock handed to the generic worker
(notifications.outbox: lease, send, backoff, incidents), and who may send an incident again."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from claims.errors import NotAnIncident, OutboxNotFound
from claims.people.permissions import check_is_manager
from claims.runtime import Runtime
from claims.storage.db import WRITE, Db, in_write
from claims.storage.models import OutboxStatus, User
from claims.storage.tables import OUTBOX
from notifications.email import SmtpConfig
from notifications.outbox import DeliveryPolicy, DeliveryReport, Outbox, SenderFactory, reopen_incident
from notifications.outbox import deliver as deliver_outbox

__all__ = ["DeliveryPolicy", "DeliveryReport", "deliver", "outbox", "retry_incident"]


def outbox(rt: Runtime) -> Outbox:
    """claimflow's outbox as the worker sees it."""
    return Outbox(table=OUTBOX, clock=rt.clock)


def deliver(
    engine: Engine,
    rt: Runtime,
    smtp: SmtpConfig | SenderFactory,
    policy: DeliveryPolicy = DeliveryPolicy(),
) -> DeliveryReport:
    """Send every message that is due now, batch by batch, until none is left or the server is down."""
    return deliver_outbox(engine, outbox(rt), smtp, policy, write_options=WRITE)


def retry_incident(db: Db, rt: Runtime, message_id: int, actor: User) -> None:
    """A manager sends an incident again (after fixing an address or the mail server): from attempt 1."""
    check_is_manager(actor)

    def work(conn: Connection) -> None:
        status = reopen_incident(conn, outbox(rt), message_id)
        if status is None:
            raise OutboxNotFound(f"Bericht {message_id} bestaat niet.")
        if status != OutboxStatus.incident.value:
            raise NotAnIncident(f"Bericht {message_id} is geen incident (status: {status}).")

    in_write(db, work)
