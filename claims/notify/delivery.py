"""The claims side of e-mail delivery: claimflow's outbox table and clock handed to the generic worker
(notifications.outbox: lease, send, backoff, incidents), and who may send an incident again."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from claims.errors import NotAnIncident, OutboxNotFound
from claims.people.permissions import check_is_manager
from claims.runtime import Runtime
from claims.storage.db import WRITE, Db, in_write
from claims.storage.models import OutboxStatus, User
from claims.storage.repositories import letters
from claims.storage.tables import OUTBOX
from notifications.email import Attachment, SendFailed, SmtpConfig
from notifications.letters import to_pdf
from notifications.outbox import DeliveryPolicy, DeliveryReport, Outbox, SenderFactory, reopen_incident
from notifications.outbox import deliver as deliver_outbox

__all__ = ["DeliveryPolicy", "DeliveryReport", "deliver", "outbox", "retry_incident"]


def outbox(rt: Runtime) -> Outbox:
    """claimflow's outbox as the worker sees it."""
    return Outbox(table=OUTBOX, clock=rt.clock, attachments=letter_pdf)


def letter_pdf(conn: Connection, row: Any) -> tuple[Attachment, ...]:
    """The PDF of the letter an e-mail carries, drawn from the letter's stored HTML as the letter's own
    PDF link draws it (the same bytes); a letter that is gone or cannot be drawn fails the message for
    good, so a manager sees it among the incidents."""
    if row.letter_id is None:
        return ()
    found = letters.with_text(conn, row.letter_id)
    if found is None:
        raise SendFailed(f"brief {row.letter_id} bestaat niet", permanent=True)
    try:
        pdf = to_pdf(found.html)
    except Exception as exc:  # WeasyPrint's errors have no common base: any is a letter not drawn
        raise SendFailed(f"PDF van brief {row.letter_id} niet te maken: {exc}", permanent=True) from exc
    return (Attachment(letter_filename(found.reference, found.template, found.id), pdf),)


def letter_filename(reference: str, template: str, letter_id: int) -> str:
    """The file name of a letter's PDF, as an attachment and as a download alike."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", f"{reference}-{template}-{letter_id}.pdf")


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
