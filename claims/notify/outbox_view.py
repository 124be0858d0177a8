"""What the outbox page and API show: the e-mail that went out, waits or failed. A manager sees every
message (and the incidents to act on); anyone else sees only the messages addressed to them."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from claims.storage.models import OutboxStatus, Role, User
from claims.storage.repositories import outbox

LIMIT = 200


def outbox_messages(
    session: Session, actor: User, status: str | None = None, limit: int = LIMIT
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The newest messages `actor` may see (of one status, if given) and the count per status."""
    counts = {s.value: 0 for s in OutboxStatus}
    if actor.role == Role.manager:
        to_user = None
    elif actor.id is None:  # not stored, so nothing is addressed to them
        return [], counts
    else:
        to_user = actor.id
    messages, found = outbox.messages(session.connection(), to_user=to_user, status=status, limit=limit)
    counts.update(found)
    return messages, counts


def incident_count(session: Session) -> int:
    """Messages given up on, for the managers' dashboard."""
    return outbox.count_with_status(session.connection(), OutboxStatus.incident.value)
