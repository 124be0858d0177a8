"""The Core tables behind the models, for the statements the repositories build."""

from __future__ import annotations

from sqlalchemy import Table

from claims.storage.models import (
    AuditEntry,
    Claim,
    Complaint,
    DashboardSnapshot,
    Deadline,
    Document,
    ExportText,
    InterestRate,
    Invoice,
    Letter,
    LoginFailure,
    MoneyLine,
    Notification,
    OutboxMessage,
    Party,
    Payment,
    Policy,
    Proposal,
    ReferenceCounter,
    TimelineEvent,
    User,
    WebSession,
)


def _table(model: type) -> Table:
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


CLAIMS = _table(Claim)
EVENTS = _table(TimelineEvent)
DEADLINES = _table(Deadline)
MONEY = _table(MoneyLine)
USERS = _table(User)
POLICIES = _table(Policy)
COUNTERS = _table(ReferenceCounter)
INVOICES = _table(Invoice)
RATES = _table(InterestRate)
WEB_SESSIONS = _table(WebSession)
LOGIN_FAILURES = _table(LoginFailure)
NOTIFICATIONS = _table(Notification)
LETTERS = _table(Letter)
OUTBOX = _table(OutboxMessage)
AUDIT = _table(AuditEntry)
PARTIES = _table(Party)
DOCUMENTS = _table(Document)
PAYMENTS = _table(Payment)
PROPOSALS = _table(Proposal)
COMPLAINTS = _table(Complaint)
DASHBOARD_SNAPSHOTS = _table(DashboardSnapshot)
EXPORT_TEXTS = _table(ExportText)
