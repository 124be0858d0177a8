"""The work queue's reads: a handler's open claims with the term due first on each, an expert's
assignments with their report term, and the documents others added to them lately."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, func, select
from sqlalchemy.engine import Connection

from claims.storage.tables import CLAIMS, DEADLINES, DOCUMENTS, POLICIES, USERS

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


def new_documents(
    conn: Connection,
    since: datetime,
    reader_id: int,
    *,
    handler_id: int | None = None,
    expert_id: int | None = None,
    shared_only: bool = False,
    limit: int = 20,
) -> list[Row[Any]]:
    """Documents added since `since` to the open claims of a handler (or an expert's) by someone else
    than `reader_id` (a document from outside has no uploader), newest first; `shared_only`: the ones
    shared with the expert."""
    query = (
        select(
            CLAIMS.c.reference,
            DOCUMENTS.c.id,
            DOCUMENTS.c.title,
            DOCUMENTS.c.doc_type,
            DOCUMENTS.c.uploaded_at,
            USERS.c.name.label("uploader"),
        )
        .join(CLAIMS, CLAIMS.c.id == DOCUMENTS.c.claim_id)
        .outerjoin(USERS, USERS.c.id == DOCUMENTS.c.uploaded_by)
        .where(
            CLAIMS.c.closed_at.is_(None),
            DOCUMENTS.c.uploaded_at >= since,
            (DOCUMENTS.c.uploaded_by.is_(None)) | (DOCUMENTS.c.uploaded_by != reader_id),
        )
        .order_by(DOCUMENTS.c.uploaded_at.desc(), DOCUMENTS.c.id.desc())
        .limit(limit)
    )
    if handler_id is not None:
        query = query.where(CLAIMS.c.handler_id == handler_id)
    if expert_id is not None:
        query = query.where(CLAIMS.c.expert_id == expert_id)
    if shared_only:
        query = query.where(DOCUMENTS.c.visibility == "shared")
    return list(conn.execute(query).all())
