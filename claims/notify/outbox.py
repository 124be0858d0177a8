"""Writing to the outbox: an e-mail becomes a row in the transaction that caused it, so it is sent if
and only if that transaction committed. claims.notify.delivery sends the rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from claims.storage.models import OutboxStatus
from claims.storage.repositories import outbox


def claim_link(base_url: str, reference: str) -> str:
    return f"{base_url}/claims/{reference}"


def email_body(name: str, message: str, link: str, extra: Sequence[str] = ()) -> str:
    """The one shape of every e-mail: greeting, the news, extra lines (letters), the claim's link."""
    lines = [
        f"Beste {name},",
        "",
        message,
        *(["", *extra] if extra else []),
        "",
        f"Open de claim: {link}",
    ]
    return "\n".join(
        [*lines, "", "Dit bericht is verstuurd door claimflow; u kunt er niet op antwoorden.", ""]
    )


def email_row(
    *,
    to: Any,
    subject: str,
    body: str,
    now: datetime,
    claim_id: int | None = None,
    notification_id: int | None = None,
) -> dict[str, Any]:
    """An outbox row for an e-mail to the user `to` (a row with id, name and email attributes)."""
    return {
        "claim_id": claim_id,
        "user_id": to.id,
        "notification_id": notification_id,
        "to_address": to.email,
        "to_name": to.name,
        "subject": subject,
        "body": body,
        "created_at": now,
        "status": OutboxStatus.pending.value,
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": "",
    }


def queue_emails(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    outbox.queue(conn, rows)


def tell(
    conn: Connection,
    *,
    user: Any,
    claim_id: int | None,
    event_id: int | None,
    kind: str,
    message: str,
    subject: str,
    body: str,
    now: datetime,
) -> dict[str, Any]:
    """A notification in the user's inbox now, and the outbox row for the same news by e-mail (for the
    caller to queue, in the same transaction)."""
    notification_id = outbox.add_notification(
        conn,
        {
            "user_id": user.id,
            "claim_id": claim_id,
            "event_id": event_id,
            "kind": kind,
            "message": message,
            "created_at": now,
        },
    )
    return email_row(
        to=user, subject=subject, body=body, now=now, claim_id=claim_id, notification_id=notification_id
    )
