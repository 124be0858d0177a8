"""The rows repositories hand out, by the columns they carry and their types. A record is a dict (what
letters and effects copy and merge) whose columns read as attributes too."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

# Bound: a write a repository put in the driver's form ahead of its transaction; the service keeps it
# and hands it back to that repository to run
from claims.storage.statements import Bound as Bound
from claims.storage.statements import Record


class ClaimRecord(Record):
    __slots__ = ()
    id: int
    reference: str
    kind: str
    spec_version: int
    spec_fingerprint: str
    state: str
    version: int
    outcome: str | None
    policy_id: int
    handler_id: int
    expert_id: int | None
    insured_reference: str | None
    claimant: str
    claimant_counsel: str
    description: str
    is_circumstance: bool
    date_error: date
    date_known: date
    date_reported: date
    awareness_at: datetime | None
    personal_data: bool
    data_role: str | None
    amount_claimed: Decimal
    series_id: int | None
    case_data: dict[str, Any]
    created_at: datetime
    state_entered_at: datetime
    closed_at: datetime | None


class PolicyRecord(Record):
    __slots__ = ()
    id: int
    number: str
    insured: str
    activities: str
    start_date: date
    retroactive_date: date
    cover_per_claim: Decimal
    cover_per_year: Decimal
    deductible: Decimal
    territory: str
    end_date: date | None
    reporting_until: date | None
    cap_mitigation: Decimal | None
    cap_expert: Decimal | None
    cap_defence: Decimal | None
    cap_sgoa: Decimal | None
    cap_interest: Decimal | None
    turnover_band: str | None


class PartyRecord(Record):
    __slots__ = ()
    id: int
    claim_id: int | None
    policy_id: int | None
    role: str
    name: str
    kvk: str
    attention: str
    street: str
    postcode: str
    city: str
    country: str
    email: str
    phone: str
    reference: str
    channel: str
    iban: str
    account_holder: str
    copy_insured: bool
    invented: bool
    note: str
    created_at: datetime
    updated_at: datetime


class UserRecord(Record):
    __slots__ = ()
    id: int
    email: str
    name: str
    role: str
    team: str
    authority_limit: Decimal | None
    password_hash: str
    api_token_hash: str | None
    active: bool
    created_at: datetime


class PersonRecord(Record):
    """Someone to address: a user's name and e-mail (and, for managers, their team)."""

    __slots__ = ()
    id: int
    name: str
    email: str


class ManagerRecord(PersonRecord):
    """A person with their team and whether their account is active (whom notices reach)."""

    __slots__ = ()
    team: str
    active: bool


class RunningDeadline(Record):
    """A deadline neither met nor cancelled, as a transition weighs it."""

    __slots__ = ()
    id: int
    name: str
    label: str
    met_by: str
    restarted_by: str
    state: str
    scope: str
    due_at: datetime
    counted_from: datetime | None
    paused_at: datetime | None


class ToDo(Record):
    """A running deadline as a notice names it: what, by when, whose."""

    __slots__ = ()
    label: str
    due_at: datetime
    responsible: str


class DueMoment(Record):
    __slots__ = ()
    name: str
    due_at: datetime


class InvoiceRecord(Record):
    __slots__ = ()
    id: int
    claim_id: int
    number: str
    amount: Decimal
    due_date: date
    paid: bool
    paid_on: date | None
    note: str


class PaymentRecord(Record):
    __slots__ = ()
    id: int
    claim_id: int
    event_id: int | None
    proposal_id: int | None
    reference: str
    payee_party_id: int
    payee_name: str
    iban: str
    account_holder: str
    amount: Decimal
    parts: dict[str, Any]
    description: str
    status: str
    proposed_by: int
    approved_by: int | None
    approved_at: datetime | None
    paid_on: date | None
    paid_marked_by: int | None
    cancelled_at: datetime | None
    cancel_reason: str
    created_at: datetime


class PaymentListed(PaymentRecord):
    __slots__ = ()
    claim_reference: str
    proposer_name: str
    approver_name: str | None


class ProposalRecord(Record):
    __slots__ = ()
    id: int
    claim_id: int
    trigger: str
    inputs: dict[str, Any]
    weighed: dict[str, Any]
    amount: Decimal
    reasons: str
    status: str
    proposed_by: int
    proposed_at: datetime
    decided_by: int | None
    decided_at: datetime | None
    comment: str


class ProposalListed(ProposalRecord):
    __slots__ = ()
    claim_reference: str
    claimant: str
    kind: str
    proposer_name: str


class RateRecord(Record):
    __slots__ = ()
    valid_from: date
    rate: str


class MoneyTotal(Record):
    __slots__ = ()
    kind: str
    cost_type: str
    total: Decimal


class ComplaintRecord(Record):
    __slots__ = ()
    id: int
    claim_id: int
    number: int
    complainant_party_id: int
    complainant_name: str
    subject: str
    description: str
    received_on: date
    registered_by: int
    registered_at: datetime
    status: str
    acknowledged_at: datetime | None
    extended_at: datetime | None
    extension_reason: str
    answered_at: datetime | None
    answer: str
    outcome: str | None
