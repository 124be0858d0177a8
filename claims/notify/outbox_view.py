"""What the outbox page and API show: the e-mail that went out, waits or failed. A manager sees every
message (and the incidents to act on); anyone else sees only the messages addressed to them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from claims.storage.models import OutboxStatus, Role, User
from claims.storage.tables import CLAIMS, OUTBOX

LIMIT = 200


def outbox_messages(
    session: Session, actor: User, status: str | None = None, limit: int = LIMIT
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The newest messages `actor` may see (of one status, if given) and the count per status."""
    conn = session.connection()
    mine = OUTBOX.c.user_id == actor.id
    query = (
        select(OUTBOX, CLAIMS.c.reference)
        .outerjoin(CLAIMS, CLAIMS.c.id == OUTBOX.c.claim_id)
        .order_by(OUTBOX.c.id.desc())
        .limit(limit)
    )
    counting = select(OUTBOX.c.status, func.count()).group_by(OUTBOX.c.status)
    if actor.role != Role.manager:
        query = query.where(mine)
        counting = counting.where(mine)
    if status:
        query = query.where(OUTBOX.c.status == status)
    counts = {s.value: 0 for s in OutboxStatus}
    counts.update({s: int(n) for s, n in conn.execute(counting)})
    return [dict(r._mapping) for r in conn.execute(query)], counts


def incident_count(session: Session) -> int:
    """Messages given up on, for the managers' dashboard."""
    return int(
        session.connection()
        .execute(select(func.count()).where(OUTBOX.c.status == OutboxStatus.incident.value))
        .scalar_one()
    )
