"""The claims department's tables.

Dutch words kept where they are the real names: melding (the insured's report of a claim),
schadenummer (claim reference), eigen risico (deductible), schadebeperking/beredding (loss mitigation).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from claims.storage.coltypes import Money, UTCDateTime


class Role(StrEnum):
    handler = "handler"  # schadebehandelaar
    expert = "expert"
    manager = "manager"
    admin = "admin"


class Outcome(StrEnum):
    settled = "settled"
    rejected = "rejected"
    withdrawn = "withdrawn"
    duplicate = "duplicate"


class CostType(StrEnum):
    damages = "damages"  # schadevergoeding
    defence = "defence"  # kosten van verweer
    expert = "expert"  # expertisekosten
    mitigation = "mitigation"  # beredding / schadebeperking
    sgoa = "sgoa"  # Stichting Geschillenoplossing Automatisering
    interest = "interest"  # wettelijke (handels)rente
    collection = "collection"  # buitengerechtelijke incassokosten (unpaid-fee claims)
    # the insured's deductible, paid to the claimant with the damages and collected from the insured: no
    # part of the cover, and no cost of the insurer's once collected
    advanced_deductible = "advanced_deductible"


COST_TYPE_LABELS = {
    "damages": "Schadevergoeding",
    "defence": "Kosten van verweer",
    "expert": "Expertisekosten",
    "mitigation": "Beredding / schadebeperking",
    "sgoa": "SGOA-kosten",
    "interest": "Wettelijke rente",
    "collection": "Incassokosten",
    "advanced_deductible": "Eigen risico (voorgeschoten, te verhalen op verzekerde)",
}

# Paid even above the insured sum, each under the policy's own cap where it has one (7:957, 7:959 lid 1
# BW; interest on the covered part by the BAV conditions): claims.money.cover holds the rules.
OUTSIDE_LIMIT = frozenset(
    {CostType.mitigation, CostType.expert, CostType.defence, CostType.sgoa, CostType.interest}
)
# What counts against the insured sum per claim and per year: the damages and what is claimed with them.
WITHIN_LIMIT = frozenset({CostType.damages, CostType.collection})


class MoneyKind(StrEnum):
    reserve = "reserve"  # a change of the reserve (positive or negative)
    payment = "payment"
    deductible = "deductible"  # eigen risico borne by the insured, applied once per claim
    recovery = "recovery"  # received from a liable third party (regres, 7:962 BW): a positive amount
    # what a settlement above the cover leaves to the insured (not paid by the insurer)
    insured_share = "insured_share"
    # the deductible the insurer paid the claimant with the damages and collects from the insured: a
    # positive line when it is claimed, a negative one when it is received
    deductible_due = "deductible_due"


def _money(nullable: bool = False) -> Any:
    return Field(sa_column=Column(Money, nullable=nullable))


def _moment(nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_column=Column(UTCDateTime, nullable=nullable, index=index))


class User(SQLModel, table=True):
    __tablename__ = "users"
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, index=True)
    name: str
    role: str
    team: str = "BAV"
    authority_limit: Decimal | None = _money(nullable=True)
    password_hash: str = ""
    api_token_hash: str | None = Field(default=None, index=True)
    active: bool = True
    created_at: datetime = _moment()


class Policy(SQLModel, table=True):
    __tablename__ = "policies"
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True, index=True)  # polisnummer
    insured: str  # verzekeringnemer
    activities: str = ""
    start_date: date
    retroactive_date: date  # claims-made: errors before this date are not covered
    cover_per_claim: Decimal = _money()  # verzekerd bedrag per aanspraak
    cover_per_year: Decimal = _money()  # per verzekeringsjaar
    deductible: Decimal = _money()  # eigen risico per aanspraak
    territory: str = "wereld, excl. VS/Canada"
    # claims-made: the policy period ends here (None: running) and claims may still be reported until
    # the end of the extended reporting period (uitloop), if any
    end_date: date | None = None
    reporting_until: date | None = None
    # optional caps on the costs paid outside the insured sum (7:963 lets a business policy deviate from
    # 7:959); None: no cap, the default
    cap_mitigation: Decimal | None = _money(nullable=True)
    cap_expert: Decimal | None = _money(nullable=True)
    cap_defence: Decimal | None = _money(nullable=True)
    cap_sgoa: Decimal | None = _money(nullable=True)
    cap_interest: Decimal | None = _money(nullable=True)
    # the insured's yearly turnover band, for Kifid (claims.complaints.terms.TURNOVER_BANDS: tot_5m,
    # boven_5m); None: not known
    turnover_band: str | None = None


class PartyRole(StrEnum):
    insured = "insured"  # verzekerde: the policy holder
    claimant = "claimant"  # benadeelde
    counsel = "counsel"  # the claimant's lawyer or representative
    broker = "broker"  # tussenpersoon, on the policy
    expert_firm = "expert_firm"  # the expert's bureau
    other = "other"  # co-insurer, court, ...


class Channel(StrEnum):
    post = "post"
    email = "email"


class Party(SQLModel, table=True):
    """Someone a claim's letters are addressed to, or who is paid: a party of one claim (`claim_id`), or
    of a policy (`policy_id`: its holder and broker, copied into each claim reported on it)."""

    __tablename__ = "parties"
    __table_args__ = (
        Index("ix_parties_claim", "claim_id", "role"),
        Index("ix_parties_policy", "policy_id"),
        Index("ix_parties_reference", "reference"),  # the claim list's search by their kenmerk
    )
    id: int | None = Field(default=None, primary_key=True)
    claim_id: int | None = Field(default=None, foreign_key="claims.id")
    policy_id: int | None = Field(default=None, foreign_key="policies.id")
    role: str
    name: str  # legal name of a firm, or a person's name
    kvk: str = ""  # KvK-nummer, 8 digits
    attention: str = ""  # contact person (t.a.v.)
    street: str = ""  # street and number, or Postbus
    postcode: str = ""  # 1234 AB when in the Netherlands
    city: str = ""
    country: str = ""  # empty: Nederland
    email: str = ""
    phone: str = ""
    reference: str = ""  # their kenmerk: "Uw kenmerk" in letters to them
    channel: str = Channel.post
    iban: str = ""  # where the party is paid, stored compact (NL91ABNA0417164300)
    account_holder: str = ""
    copy_insured: bool = False  # copied (cc) on the insured's letters: a broker by default
    invented: bool = False  # demo data: the address and numbers are made up
    note: str = ""
    created_at: datetime = _moment()
    updated_at: datetime = _moment()


class Claim(SQLModel, table=True):
    __tablename__ = "claims"
    # One index holds the state: every state change rewrites its entry (a page write per commit);
    # kind and handler change rarely, so their indexes cost nothing on the hot path.
    __table_args__ = (
        Index("ix_claims_state", "state"),
        Index("ix_claims_kind", "kind"),
        Index("ix_claims_handler", "handler_id"),
        # the list's sort by amount claimed, paged by keyset; the amount never changes after the melding
        Index("ix_claims_amount", "amount_claimed", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(unique=True, index=True)  # schadenummer, CF-2026-000123
    kind: str
    spec_version: int
    # the spec version's fingerprint when the claim started (claims.kinds.lock); '' before they existed
    spec_fingerprint: str = Field(default="", sa_column_kwargs={"server_default": ""})
    state: str
    version: int = 1  # optimistic lock: every state change bumps it
    outcome: str | None = None
    policy_id: int = Field(foreign_key="policies.id", index=True)
    handler_id: int = Field(foreign_key="users.id")
    expert_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    insured_reference: str | None = Field(default=None, unique=True)  # kenmerk verzekerde / makelaar
    claimant: str  # benadeelde
    claimant_counsel: str = ""
    description: str = ""
    is_circumstance: bool = False  # omstandigheid rather than aanspraak
    date_error: date
    date_known: date
    date_reported: date  # meldingsdatum
    awareness_at: datetime | None = _moment(nullable=True)  # AVG art. 33 clock start
    personal_data: bool = False
    data_role: str | None = None  # controller | processor
    amount_claimed: Decimal = _money()
    # the first claim of a series of related errors: one claim for the limit and the deductible
    series_id: int | None = Field(default=None, index=True)  # a claims.id (kept by the service)
    # Facts gathered along the way (expert report, settlement proposal awaiting approval, reasons).
    case_data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = _moment()
    state_entered_at: datetime = _moment()
    closed_at: datetime | None = _moment(nullable=True)


class TimelineEvent(SQLModel, table=True):
    """Append-only: rows are inserted, never updated or deleted (the database refuses both). Each holds
    the sha256 of its canonical content and that of the claim's previous event (claims.storage.chain)."""

    __tablename__ = "timeline_events"
    __table_args__ = (
        # the claim's events in order, and its head (the last) in one seek
        Index("ix_timeline_events_claim_id_id", "claim_id", "id"),
        # one successor per event: two writers linking after the same head cannot both commit
        Index("uq_timeline_events_claim_prev", "claim_id", "prev_sha256", unique=True),
    )
    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="claims.id")
    claim_version: int  # the claim's version after this event; a note or flag leaves it unchanged
    at: datetime = _moment()
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    kind: str  # opened | transition | note | deadline_* ...
    trigger: str | None = None
    from_state: str | None = None
    to_state: str | None = None
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    note: str = ""
    prev_sha256: str = Field(default="", sa_column_kwargs={"server_default": ""})
    sha256: str = Field(default="", sa_column_kwargs={"server_default": ""})


_OPEN = "met_at IS NULL AND cancelled_at IS NULL"
# The scope of a complaint's clocks (claims.complaints): they run beside the claim's course, so no
# transition, closing or spec migration meets or cancels them; only the complaint's own steps do.
COMPLAINT_SCOPE = "complaint"
# A handler's own follow-up (a diary entry: "bel advocaat terug op 12 december"): beside the course too,
# reminded by the sweep on its day, done by its handler.
FOLLOWUP_SCOPE = "followup"
BESIDE_COURSE = (COMPLAINT_SCOPE, FOLLOWUP_SCOPE)


class Deadline(SQLModel, table=True):
    __tablename__ = "deadlines"
    # Only open deadlines are indexed by due moment: what the sweep looks for, and a met or cancelled
    # deadline leaves the index instead of moving within it.
    __table_args__ = (
        Index(
            "ix_deadlines_open_due",
            "due_at",
            sqlite_where=text("met_at IS NULL AND cancelled_at IS NULL"),
            postgresql_where=text("met_at IS NULL AND cancelled_at IS NULL"),
        ),
        # The claims list's "overdue only": the claims of the running terms due before now, from the
        # index alone (at a million claims the term rows behind ix_deadlines_open_due cost a read each)
        Index(
            "ix_deadlines_running_due_claim",
            "due_at",
            "claim_id",
            # never anything but NULL here: SQLite reads an index as covering only when it holds every
            # column the query names, its own WHERE's too
            "met_at",
            "cancelled_at",
            "paused_at",
            sqlite_where=text(f"{_OPEN} AND paused_at IS NULL"),
            postgresql_where=text(f"{_OPEN} AND paused_at IS NULL"),
        ),
        # What each step of the sweep looks for, and nothing else: a deadline leaves the index the
        # moment its step is done (or it is met), so a sweep reads only work still to do.
        *(
            Index(name, column, sqlite_where=text(where), postgresql_where=text(where))
            for name, column, where in (
                (
                    "ix_deadlines_to_remind",
                    "remind_at",
                    f"{_OPEN} AND reminded_at IS NULL AND flagged_at IS NULL",
                ),
                ("ix_deadlines_to_flag", "due_at", f"{_OPEN} AND flagged_at IS NULL"),
                (
                    "ix_deadlines_to_escalate",
                    "due_at",
                    f"{_OPEN} AND flagged_at IS NOT NULL AND escalated_at IS NULL",
                ),
            )
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="claims.id", index=True)
    name: str
    label: str
    state: str  # the state whose entry started it
    scope: str = "state"
    responsible: str = "handler"
    met_by: str = ""  # comma-separated triggers that meet it
    restarted_by: str = Field(
        default="", sa_column_kwargs={"server_default": ""}
    )  # comma-separated triggers that start it afresh (the old row is cancelled)
    started_at: datetime = _moment()
    due_at: datetime = _moment()
    met_at: datetime | None = _moment(nullable=True)
    met_trigger: str | None = None
    cancelled_at: datetime | None = _moment(nullable=True)
    remind_at: datetime | None = _moment(nullable=True)  # when the responsible person is warned
    reminded_at: datetime | None = _moment(nullable=True)
    flagged_at: datetime | None = _moment(nullable=True)
    escalated_at: datetime | None = _moment(nullable=True)
    # the moment the term counts from (the melding's receipt date, the awareness of a breach, ...) and
    # which rule made its due moment (the Atw or not, a pause): what the claim page says of it
    counted_from: datetime | None = _moment(nullable=True)
    due_rule: str = Field(default="", sa_column_kwargs={"server_default": ""})
    # opschorting: while an information request it waits on is open, the term does not run (the sweep
    # leaves it alone); `pauses` counts the open requests, the term runs on when the last is answered
    paused_at: datetime | None = _moment(nullable=True)
    pauses: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class Complaint(SQLModel, table=True):
    """A complaint (klacht) about the handling of a claim, open or closed: who complains (a party of the
    claim), about what, received when, and its course (acknowledged, extended once, answered). Kept,
    never deleted (complaint records are kept at least a year); its clocks are deadlines rows of scope
    COMPLAINT_SCOPE."""

    __tablename__ = "complaints"
    __table_args__ = (Index("ix_complaints_status", "status", "claim_id"),)
    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="claims.id", index=True)
    number: int  # the claim's first, second, ... complaint: what its clocks' labels say
    complainant_party_id: int = Field(foreign_key="parties.id")
    complainant_name: str  # as the party was named when the complaint came in
    subject: str
    description: str = ""
    received_on: date
    registered_by: int = Field(foreign_key="users.id")
    registered_at: datetime = _moment()
    status: str = "received"  # received | acknowledged | extended | answered
    acknowledged_at: datetime | None = _moment(nullable=True)
    extended_at: datetime | None = _moment(nullable=True)
    extension_reason: str = ""
    answered_at: datetime | None = _moment(nullable=True)
    answer: str = ""
    outcome: str | None = None  # gegrond | deels_gegrond | ongegrond


class MoneyLine(SQLModel, table=True):
    __tablename__ = "money_lines"
    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="claims.id", index=True)
    event_id: int = Field(foreign_key="timeline_events.id")
    at: datetime = _moment()
    kind: str
    cost_type: str
    amount: Decimal = _money()
    note: str = ""


class Invoice(SQLModel, table=True):
    """An invoice of the insured that its client left unpaid (unpaid-fee claims)."""

    __tablename__ = "invoices"
    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="claims.id", index=True)
    number: str = Field(index=True)  # the claim list's search by invoice number
    amount: Decimal = _money()
    due_date: date
    paid: bool = False
    paid_on: date | None = None
    note: str = Field(default="", sa_column_kwargs={"server_default": ""})  # why it last changed


class PaymentStatus(StrEnum):
    proposed = "proposed"  # above the proposer's authority: waits for a manager
    approved = "approved"  # to be paid: in the payments list and the bank file
    paid = "paid"
    cancelled = "cancelled"


class Payment(SQLModel, table=True):
    """A transfer to one payee: what a transition paid one party of the claim (its money lines per cost
    type sum to the amount), with the IBAN it goes to as it was when the payment was made."""

    __tablename__ = "payments"
    __table_args__ = (Index("ix_payments_status", "status", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="claims.id", index=True)
    event_id: int | None = Field(default=None, foreign_key="timeline_events.id")
    proposal_id: int | None = Field(default=None, foreign_key="proposals.id")
    reference: str = Field(unique=True)  # betalingskenmerk: CF-2026-000001-B01
    payee_party_id: int = Field(foreign_key="parties.id")
    payee_name: str
    iban: str
    account_holder: str
    amount: Decimal = _money()
    # per cost type, e.g. {"damages": "37500.00", "interest": "812.40"}
    parts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    description: str = ""
    status: str = PaymentStatus.approved
    proposed_by: int = Field(foreign_key="users.id")
    approved_by: int | None = Field(default=None, foreign_key="users.id")
    approved_at: datetime | None = _moment(nullable=True)
    paid_on: date | None = None
    paid_marked_by: int | None = Field(default=None, foreign_key="users.id")
    cancelled_at: datetime | None = _moment(nullable=True)
    cancel_reason: str = ""
    created_at: datetime = _moment()


class Proposal(SQLModel, table=True):
    """A transition that went above its actor's authority: held, with what was typed, until a manager
    approves it (then it is fired as typed) or rejects it. Four eyes: never by the proposer."""

    __tablename__ = "proposals"
    __table_args__ = (Index("ix_proposals_open", "status", "claim_id"),)
    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="claims.id", index=True)
    trigger: str
    inputs: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # what was weighed: amounts to pay and reserves, the proposer's limit, why it needs a manager
    weighed: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    amount: Decimal = _money()  # what the approver's own authority must cover
    reasons: str = ""
    status: str = "open"  # open | approved | rejected | withdrawn
    proposed_by: int = Field(foreign_key="users.id")
    proposed_at: datetime = _moment()
    decided_by: int | None = Field(default=None, foreign_key="users.id")
    decided_at: datetime | None = _moment(nullable=True)
    comment: str = ""


class InterestRate(SQLModel, table=True):
    """Statutory interest rates (% a year) as data: a manager can correct a figure marked (check)."""

    __tablename__ = "interest_rates"
    __table_args__ = (UniqueConstraint("kind", "valid_from"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str  # 'wettelijk' (6:119) | 'handels' (6:119a)
    valid_from: date
    rate: str  # decimal text, e.g. '10.15'
    source: str = ""
    checked: bool = True


class ReferenceCounter(SQLModel, table=True):
    __tablename__ = "reference_counters"
    year: int = Field(primary_key=True)
    last: int = 0


class WebSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds a random token; only its sha256 is stored, so a copy of
    the database signs no one in. Ending a session (log-out, timeout) is a row update, not a forgetting."""

    __tablename__ = "web_sessions"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    created_at: datetime = _moment()
    last_seen_at: datetime = _moment()
    ended_at: datetime | None = _moment(nullable=True)


class LoginFailure(SQLModel, table=True):
    """A refused log-in: counted per e-mail address and per client address to slow guessing down."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_email_at", "email", "at"),
        Index("ix_login_failures_ip_at", "ip", "at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    email: str
    ip: str
    at: datetime = _moment()


class Notification(SQLModel, table=True):
    """A message in a user's in-app inbox (what they must do, or what happened on their claim)."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id")
    claim_id: int | None = Field(default=None, foreign_key="claims.id", index=True)
    event_id: int | None = Field(default=None, foreign_key="timeline_events.id")
    kind: str  # deadline_reminder | deadline_overdue | deadline_escalated | late_notice ...
    message: str
    created_at: datetime = _moment()
    read_at: datetime | None = _moment(nullable=True)


class Letter(SQLModel, table=True):
    """A letter as it was generated, its text never changed: the HTML is the record, the PDF is drawn
    from it. What happens to it afterwards (printed, returned) is kept beside it."""

    __tablename__ = "letters"
    __table_args__ = (
        # the print list: letters for post not yet printed; holds no row once they are
        Index(
            "ix_letters_to_print",
            "id",
            sqlite_where=text("post_count > 0 AND printed_at IS NULL"),
            postgresql_where=text("post_count > 0 AND printed_at IS NULL"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="claims.id", index=True)
    event_id: int = Field(foreign_key="timeline_events.id")  # the timeline reads letters by claim
    template: str
    template_version: int
    title: str
    recipient: str  # the spec's `to`: insured | claimant | counsel | broker | expert | manager | handler
    recipient_name: str
    recipient_party_id: int | None = Field(default=None, foreign_key="parties.id")
    # how it leaves: email (through the outbox, the PDF attached) | post (printed) | internal (a user of
    # claimflow reads it here) | none (a party with neither an e-mail address nor a full postal address)
    channel: str = Field(default="internal", sa_column_kwargs={"server_default": "internal"})
    # who gets a copy: [{"party_id", "name", "role", "channel"}]
    copies: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    sha256: str
    html: str
    created_at: datetime = _moment()
    # how many of the addressees and copies get it by post: a letter with any waits on the print list
    post_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    printed_at: datetime | None = _moment(nullable=True)  # post: taken from the print list
    returned_at: datetime | None = _moment(nullable=True)  # came back undelivered
    returned_note: str = Field(default="", sa_column_kwargs={"server_default": ""})


class OutboxStatus(StrEnum):
    pending = "pending"  # waiting for its (next) attempt at next_attempt_at
    sending = "sending"  # taken by a worker until next_attempt_at (a lease; a crashed worker's expires)
    sent = "sent"
    incident = "incident"  # given up on: a permanent refusal, or too many failures; a manager looks


class OutboxMessage(SQLModel, table=True):
    """An e-mail to send, written in the transaction that caused it and delivered by a worker."""

    __tablename__ = "outbox"
    __table_args__ = (
        # only rows still to do: the delivery worker's one query stays small whatever was sent before
        Index(
            "ix_outbox_due",
            "next_attempt_at",
            sqlite_where=text("status IN ('pending', 'sending')"),
            postgresql_where=text("status IN ('pending', 'sending')"),
        ),
        # what a manager must look at; holds no row until something fails for good
        Index(
            "ix_outbox_incidents",
            "id",
            sqlite_where=text("status = 'incident'"),
            postgresql_where=text("status = 'incident'"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    claim_id: int | None = Field(default=None, foreign_key="claims.id")
    user_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    notification_id: int | None = Field(default=None, foreign_key="notifications.id")
    letter_id: int | None = Field(default=None, foreign_key="letters.id", index=True)  # sent with its PDF
    to_address: str
    to_name: str = ""
    subject: str
    body: str
    body_html: str = ""  # the HTML part, when the message has one (notifications.messages)
    created_at: datetime = _moment()
    status: str = OutboxStatus.pending
    attempts: int = 0
    next_attempt_at: datetime = _moment()
    last_error: str = ""
    sent_at: datetime | None = _moment(nullable=True)
    incident_at: datetime | None = _moment(nullable=True)


class AuditEntry(SQLModel, table=True):
    """Who took what out of the system, and when (exports of timelines): appended, never changed.
    A claim's own history is its timeline; this is the trail of what was read out of it in bulk."""

    __tablename__ = "audit_log"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _moment(index=True)
    actor_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    actor: str  # the user's e-mail address, or 'cli:<account>' for an operator at the command line
    channel: str  # web | api | cli
    action: str  # export_timeline | export_portfolio
    subject: str  # the schadenummer, or the portfolio's filters in words
    format: str  # csv | xlsx | pdf | json
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Document(SQLModel, table=True):
    """A document on a claim: its content lives in the document store under its sha256 (claims.documents);
    this row says what it is, who may see it and where it came from. Appended, never changed, except
    that a received letter may be marked once as the answer to an information request."""

    __tablename__ = "documents"
    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="claims.id", index=True)
    event_id: int = Field(foreign_key="timeline_events.id")
    sha256: str = Field(index=True)
    size: int
    media_type: str  # as sniffed from the content, never as the uploader said
    filename: str  # as uploaded, made safe for a Content-Disposition header
    title: str
    doc_type: str  # melding | contract | invoice | expert_report | correspondence_in | ... (claims.documents)
    received_on: date | None = None  # when it reached the insurer (a term can start from it)
    visibility: str = "internal"  # internal | shared (an expert sees only shared ones)
    uploaded_by: int | None = Field(default=None, foreign_key="users.id")
    uploaded_at: datetime = _moment()
    # the index in case_data["information_requests"] of the request this document answers
    answers_request: int | None = None


class DashboardSnapshot(SQLModel, table=True):
    """The dashboard's figures over all claims as computed at one moment (claims.reads.dashboard_cache),
    as JSON: at a million claims the page reads one row instead of aggregating every claim on each view.
    Written by the scheduler's refresh and a manager's "nu bijwerken"; the newest row is the one shown."""

    __tablename__ = "dashboard_snapshots"
    id: int | None = Field(default=None, primary_key=True)
    computed_at: datetime = _moment(index=True)
    took_ms: int = 0  # how long the computation took: what a live dashboard would have cost
    figures: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ExportText(SQLModel, table=True):
    """A claim's rows in the portfolio CSV (one line per event, deadline step, letter and money line) as
    they were last built, zlib-compressed, under the digest of everything they were built from
    (claims.exports.row_texts): an export whose fresh digest matches writes this text instead of building
    the rows again. Never marked stale: a changed claim, user, code or catalog gives another digest."""

    __tablename__ = "export_texts"
    claim_id: int = Field(primary_key=True, foreign_key="claims.id")
    digest: str  # over the context, the claim's facts and rows and the users they name (row_texts.Digests)
    context: str  # the release's part of it: code, libraries, catalog, zone (a new one: rebuild all)
    head_event_id: int = 0  # the claim's last event when built: how the refresh finds what to rebuild
    users: str = ""  # the users its rows name, by id and by e-mail address (row_texts.UsersNamed)
    rows: int = 0
    text: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    built_at: datetime = _moment()
