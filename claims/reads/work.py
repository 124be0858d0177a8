"""Mijn werk: what a handler does today (their open claims by the term due first, overdue first; the
proposals waiting for a manager; what is new on their claims), and an expert's assignments."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from claims.kinds.catalog import Catalog
from claims.notify.inbox import notifications
from claims.reads.payments import open_proposals
from claims.storage.models import Role, User
from claims.storage.repositories import deadlines, work

NEW_DAYS = 14  # how far back "new" documents on Mijn werk reach


@dataclass(frozen=True)
class WorkItem:
    reference: str
    kind: str
    state_label: str
    claimant: str
    insured: str
    next_label: str | None
    next_due: datetime | None
    overdue: bool


@dataclass(frozen=True)
class WorkQueue:
    claims: list[WorkItem]
    proposals: list[dict[str, Any]] = field(default_factory=list)
    unread: list[Any] = field(default_factory=list)
    followups: list[Any] = field(default_factory=list)  # the handler's diary, the first due first
    documents: list[Any] = field(default_factory=list)  # added by others in the last NEW_DAYS days

    @property
    def overdue(self) -> int:
        return sum(item.overdue for item in self.claims)


def my_work(session: Session, catalog: Catalog, actor: User, now: datetime) -> WorkQueue:
    conn = session.connection()
    mine = {"expert_id": actor.id} if actor.role == Role.expert else {"handler_id": actor.id}
    items = [
        WorkItem(
            r.reference,
            r.kind,
            catalog.state_label(r.kind, r.state, r.spec_version),
            r.claimant,
            r.insured,
            r.next_label,
            r.next_due,
            r.next_due is not None and r.next_due < now,
        )
        for r in work.open_claims_with_next_due(conn, **mine)
    ]
    proposals = (
        [p for p in open_proposals(conn) if p["proposer_email"] != actor.email]
        if actor.role == Role.manager
        else []
    )
    unread = list(notifications(session, actor, unread_only=True, limit=10))
    followups = (
        []
        if actor.role == Role.expert or actor.id is None
        else deadlines.open_followups_of_handler(conn, actor.id)
    )
    documents = (
        []
        if actor.id is None
        else work.new_documents(
            conn,
            now - timedelta(days=NEW_DAYS),
            actor.id,
            handler_id=None if actor.role == Role.expert else actor.id,
            expert_id=actor.id if actor.role == Role.expert else None,
            shared_only=actor.role == Role.expert,
        )
    )
    return WorkQueue(items, proposals, unread, followups, documents)
