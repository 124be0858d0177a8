"""The work queue's reads: a handler's open claims with the term due first on each, an expert's
assignments with their report term."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, and_, func, select
from sqlalchemy.engine import Connection

from claims.storage.tables import CLAIMS, DEADLINES, POLICIES

_RUNNING = and_(
    DEADLINES.c.met_at.is_(None),
    DEADLINES.c.cancelled_at.is_(None),
    DEADLINES.c.paused_at.is_(None),  # a paused term waits on someone else: not the next thing to do
)


def open_claims_with_next_due(
    conn: Connection, *, handler_id: int | None = None, expert_id: int | None = None
) -> list[Row[Any]]:
    """The open claims of a handler (or an expert's), each with its running term due first (label and
    moment; none when nothing runs): the first due first, claims without a term last."""
    first_due = (
        select(DEADLINES.c.claim_id, func.min(DEADLINES.c.due_at).label("next_due"))
        .where(_RUNNING)
        .group_by(DEADLINES.c.claim_id)
        .subquery()
    )
    label = (
        select(DEADLINES.c.label)
        .where(_RUNNING, DEADLINES.c.claim_id == CLAIMS.c.id, DEADLINES.c.due_at == first_due.c.next_due)
        .order_by(DEADLINES.c.id)
        .limit(1)
        .scalar_subquery()
    )
    query = (
        select(
            CLAIMS.c.reference,
            CLAIMS.c.kind,
            CLAIMS.c.state,
            CLAIMS.c.spec_version,
            CLAIMS.c.claimant,
            POLICIES.c.insured,
            first_due.c.next_due,
            label.label("next_label"),
        )
        .join(POLICIES, POLICIES.c.id == CLAIMS.c.policy_id)
        .outerjoin(first_due, first_due.c.claim_id == CLAIMS.c.id)
        .where(CLAIMS.c.closed_at.is_(None))
        .order_by(first_due.c.next_due.is_(None), first_due.c.next_due, CLAIMS.c.id)
    )
    if handler_id is not None:
        query = query.where(CLAIMS.c.handler_id == handler_id)
    if expert_id is not None:
        query = query.where(CLAIMS.c.expert_id == expert_id)
    return list(conn.execute(query).all())
