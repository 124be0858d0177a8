"""Writing to the outbox: an e-mail becomes a row in the transaction that caused it, so it is sent if
and only if that transaction committed. The e-mail is rendered from templates/email
(notifications.messages); claims.notify.delivery sends the rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from claims.runtime import Runtime
from claims.storage.repositories import outbox
from notifications.messages import Message
from notifications.outbox import new_message


def claim_link(base_url: str, reference: str) -> str:
    return f"{base_url}/claims/{reference}"


def claim_email(rt: Runtime, template: str, to: Any, reference: str, message: str, **facts: Any) -> Message:
    """The e-mail `template` to the user `to` about the claim `reference`: the greeting, the news
    (`message`, as the inbox and the timeline say it), the claim's link, and the template's own facts."""
    return rt.messages.render(
        template,
        {
            "name": to.name,
            "reference": reference,
            "message": message,
            "link": claim_link(rt.base_url, reference),
            **facts,
        },
    )


def email_row(
    *,
    to: Any,
    email: Message,
    now: datetime,
    claim_id: int | None = None,
    notification_id: int | None = None,
) -> dict[str, Any]:
    """An outbox row for an e-mail to the user `to` (a row with id, name and email attributes)."""
    return {
        "claim_id": claim_id,
        "user_id": to.id,
        "notification_id": notification_id,
        **new_message(
            to_address=to.email,
            to_name=to.name,
            subject=email.subject,
            body=email.text,
            body_html=email.html,
            now=now,
        ),
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
    email: Message,
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
    return email_row(to=user, email=email, now=now, claim_id=claim_id, notification_id=notification_id)
