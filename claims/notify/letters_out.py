"""Letters that leave the building: a letter to a party with an e-mail channel becomes an outbox e-mail
with the letter's PDF attached (claims.notify.delivery draws it from the stored HTML when it sends), in
the transaction that wrote the letter; a letter for post waits on the print list. Copies go the same way."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from claims.letters.facts import INSURER
from claims.runtime import Runtime
from claims.storage.models import Channel
from claims.storage.repositories import outbox
from notifications.outbox import new_message


def letter_emails(
    rt: Runtime,
    *,
    letter_id: int,
    claim_id: int,
    reference: str,
    title: str,
    recipient: Mapping[str, Any],
    copies: Sequence[Mapping[str, Any]],
    sender: str,
    now: datetime,
) -> list[dict[str, Any]]:
    """The outbox rows that send letter `letter_id` to its addressee and copies with an e-mail channel."""
    rows = []
    for whom, is_copy in [(recipient, False), *((c, True) for c in copies)]:
        if whom["channel"] != Channel.email:
            continue
        mail = rt.messages.render(
            "brief",
            {
                "title": title,
                "reference": reference,
                "their_reference": whom.get("reference", ""),
                "addressee": recipient["name"],
                "copy": is_copy,
                "sender": sender,
                "insurer": INSURER,
            },
        )
        rows.append(
            {
                "claim_id": claim_id,
                "user_id": None,
                "notification_id": None,
                "letter_id": letter_id,
                **new_message(
                    to_address=whom["email"],
                    to_name=whom["name"],
                    subject=mail.subject,
                    body=mail.text,
                    body_html=mail.html,
                    now=now,
                ),
            }
        )
    return rows


def queue_letter_emails(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    outbox.queue(conn, rows)
