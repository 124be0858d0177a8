"""Firing a trigger on a claim: `advance`, the one way a claim changes state; `preview` (what it would do).

Worked out first, from a snapshot and outside the write lock: permission, inputs, guards, effects, the
deadlines met, cancelled and opened, the letters rendered, the notices. Then one write transaction: the
checks that the claim and what was read beside it are unchanged, the compare-and-set of the state, the
timeline event, money lines, deadlines, letters, notices; committed once. A refused or stale attempt
changes nothing and says why."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from claims.errors import ClaimNotFound, StaleClaim
from claims.kinds.authority import Weighed, approver_refusal, weigh
from claims.kinds.context import (
    NeedsWriteLock,
    TransitionContext,
    check_chosen_parties,
    check_chosen_users,
)
from claims.kinds.effects import effects
from claims.letters.facts import transition_facts
from claims.notify.letters_out import letter_emails, queue_letter_emails
from claims.notify.notices import Notice, notify_proposal, transition_notices, write_notices
from claims.people.permissions import check_may_act, check_may_fire
from claims.runtime import Runtime
from claims.service.deadline_changes import DeadlineWrites, open_before, update_deadlines
from claims.service.outcome import Outcome
from claims.service.timeline import append_aside, jsonable
from claims.storage import chain
from claims.storage.db import Db, in_read, in_write
from claims.storage.models import MoneyKind, PaymentStatus, User
from claims.storage.records import Bound, ClaimRecord, ProposalRecord
from claims.storage.repositories import claims, deadlines, events, letters, money, parties, payments
from notifications.letters import Letter
from workflow.errors import TransitionNotAllowed
from workflow.inputs import validate_inputs
from workflow.spec import LetterSpec, TransitionSpec, WorkflowSpec


def advance(
    db: Db,
    rt: Runtime,
    reference: str,
    trigger: str,
    inputs: Mapping[str, Any],
    actor: User,
    expected_version: int,
) -> Outcome:
    """Fire `trigger` on the claim `reference` as `actor`, if it is still at `expected_version`.

    The write lock is for writing: the transition is worked out from a snapshot of the claim first
    (permission, inputs, guards, effects, deadlines, letters, notices), outside the write transaction;
    inside it are only the checks that the claim and what was read beside it are as they were, the
    compare-and-set and the inserts. If the claim moved on, StaleClaim; if something beside its course
    changed (a party, a document, a flag, another claim of the policy), it is worked out afresh inside."""
    attempt = _Attempt(rt, reference, trigger, inputs, actor, expected_version)
    try:
        prepared = in_read(db, lambda conn: _prepare(conn, attempt, staging=True))
    except NeedsWriteLock:
        return in_write(db, lambda conn: _write(conn, _prepare(conn, attempt)))

    def write(conn: Connection) -> Outcome:
        if _still_as_prepared(conn, prepared):
            return _write(conn, prepared, checked=True)
        return _write(conn, _prepare(conn, attempt))

    return in_write(db, write)


@dataclass(frozen=True)
class _Attempt:
    """What the caller asked: fire `trigger` on `reference` as `actor` at `expected_version`."""

    rt: Runtime
    reference: str
    trigger: str
    inputs: Mapping[str, Any]
    actor: User
    expected_version: int
    preview: bool = False
    approving: ProposalRecord | None = None


@dataclass(frozen=True)
class Preview:
    """What firing a transition now would do, worked out and rolled back: its letters, the money it
    books (payments with their payee, reserves), and why it would wait for a manager."""

    letters: list[Letter]
    money: list[dict[str, Any]]
    needs_manager: list[str]
    interest: dict[str, Any] | None

    @property
    def payments(self) -> list[dict[str, Any]]:
        return [m for m in self.money if m["kind"] == MoneyKind.payment and m["amount"] > 0]

    @property
    def reserves(self) -> list[dict[str, Any]]:
        return [m for m in self.money if m["kind"] == MoneyKind.reserve and m["note"] == "reserve"]


def preview(
    db: Db,
    rt: Runtime,
    reference: str,
    trigger: str,
    inputs: Mapping[str, Any],
    actor: User,
    expected_version: int,
) -> Preview:
    """What `advance` would do, nothing stored. The whole transition is worked out (permission, inputs,
    guards, effects, letters) from a snapshot, so the preview is exactly what firing it now would send
    and pay, and a transition that would be refused is refused here too. One whose effects write as
    they go is tried inside a write transaction and rolled back."""
    attempt = _Attempt(rt, reference, trigger, inputs, actor, expected_version, preview=True)
    try:
        return _preview_of(in_read(db, lambda conn: _prepare(conn, attempt, staging=True)))
    except NeedsWriteLock:
        pass

    def tried(conn: Connection) -> Preview:
        raise _Previewed(_preview_of(_prepare(conn, attempt)))

    try:
        in_write(db, tried)
    except _Previewed as done:
        return done.preview
    raise AssertionError("a preview returned")  # pragma: no cover


class _Previewed(Exception):
    def __init__(self, preview: Preview) -> None:
        super().__init__("preview")
        self.preview = preview


def _preview_of(p: _Prepared) -> Preview:
    reasons = [*p.weighed.over_authority, *p.weighed.over_cover]
    return Preview(
        [letter for _, _, letter in p.rendered], list(p.ctx.money), reasons, p.ctx.event_data.get("interest")
    )


def preview_letters(
    db: Db,
    rt: Runtime,
    reference: str,
    trigger: str,
    inputs: Mapping[str, Any],
    actor: User,
    expected_version: int,
) -> list[Letter]:
    """The letters `advance` would write, marked as a preview; nothing is stored (see `preview`)."""
    return preview(db, rt, reference, trigger, inputs, actor, expected_version).letters


_Rendered = list[tuple[LetterSpec, dict[str, Any], Letter]]  # each letter with its spec and facts


def _render_letters(
    rt: Runtime, ctx: TransitionContext, claim: Mapping[str, Any], *, preview: bool
) -> _Rendered:
    """Render the transition's letters from the claim as it will stand, before its event is appended:
    the event lists their hashes. A letter that cannot be rendered (a missing fact) refuses the whole
    transition, before anything is written."""
    out = []
    for spec in ctx.transition.letters:
        facts = transition_facts(ctx, claim, spec, preview=preview)
        if facts is None:  # nothing to say this time (no payment to its addressee)
            continue
        letter = rt.letters.render(spec.template, facts)
        out.append((spec, facts, letter))
    return out


def _letter_rows(
    rt: Runtime, ctx: TransitionContext, claim: Mapping[str, Any], rendered: _Rendered
) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Each rendered letter's row and the outbox rows of its e-mails, without the ids they get when
    they are written (the event's, the letter's)."""
    out = []
    for spec, facts, letter in rendered:
        recipient, copies = facts["recipient"], facts["copies"]
        row = {
            "claim_id": claim["id"],
            "template": letter.template,
            "template_version": letter.version,
            "title": letter.title,
            "recipient": spec.to,
            "recipient_name": recipient["name"],
            "recipient_party_id": recipient["party_id"],
            "channel": recipient["channel"],
            "copies": [
                {k: c[k] for k in ("party_id", "name", "role", "role_label", "channel", "email")}
                for c in copies
            ],
            "post_count": sum(1 for w in (recipient, *copies) if w["channel"] == "post"),
            "sha256": letter.sha256,
            "html": letter.html,
            "created_at": ctx.now,
        }
        mails = letter_emails(
            rt,
            letter_id=0,
            claim_id=claim["id"],
            reference=claim["reference"],
            title=letter.title,
            recipient=recipient,
            copies=copies,
            sender=facts["handler"]["name"],
            now=ctx.now,
        )
        out.append((row, mails))
    return out


def _write_letters(
    conn: Connection,
    rows: list[tuple[dict[str, Any], list[dict[str, Any]]]],
    bound: list[Bound],
    event_id: int,
) -> None:
    """Store each letter (as bound ahead) with its event, and queue its e-mails."""
    for (_, mails), ahead in zip(rows, bound, strict=True):
        letter_id = letters.add_bound(conn, ahead, event_id)
        queue_letter_emails(conn, [{**m, "letter_id": letter_id} for m in mails])


@dataclass(frozen=True)
class _BoundWrites:
    """A transition's biggest writes put in the driver's form while it is worked out, so that inside
    the write lock they are only run (binding them there took about a third of the write turn)."""

    claim: Bound  # the compare-and-set
    event: Bound | None  # None: it will be linked afresh inside the write (events.append_sealed)
    money: Bound  # without the event's id
    letters: list[Bound]  # likewise

    @staticmethod
    def of(conn: Connection, p: _Prepared, *, staging: bool) -> _BoundWrites:
        claim = p.claim
        p.deadlines.bind(conn)
        return _BoundWrites(
            claims.bind_update_if_version(conn, claim.id, claim.version, p.changes),
            # only an event worked out from a snapshot can go in as sealed (its head checked inside)
            events.bind_sealed(conn, p.event) if staging else None,
            money.bind_lines(conn, _money_rows(p.ctx, claim)),
            [letters.bind_add(conn, row) for row, _ in p.letter_rows],
        )


def _money_rows(ctx: TransitionContext, claim: ClaimRecord) -> list[dict[str, Any]]:
    """The transition's money lines, but for the id of its event (known once it is written)."""
    return [{"claim_id": claim.id, "at": ctx.now, **_stored(line, _MONEY_COLUMNS)} for line in ctx.money]


@dataclass
class _Prepared:
    """A transition worked out, ready to be written."""

    attempt: _Attempt
    claim: ClaimRecord
    spec: WorkflowSpec
    ctx: TransitionContext
    weighed: Weighed
    head: str  # the claim's timeline head it was worked out from
    changes: dict[str, Any] = field(default_factory=dict)
    new_claim: dict[str, Any] = field(default_factory=dict)
    deadlines: DeadlineWrites = field(default_factory=DeadlineWrites)
    clocks: dict[str, Any] = field(default_factory=dict)
    rendered: _Rendered = field(default_factory=list)
    letter_rows: list[tuple[dict[str, Any], list[dict[str, Any]]]] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    event: dict[str, Any] = field(default_factory=dict)  # its timeline event, sealed after `head`
    bound: _BoundWrites | None = None  # its writes in the driver's form (_BoundWrites.of)
    proposal: bool = False  # above the actor's authority: held for a manager, the claim does not move


def advance_on(
    conn: Connection,
    rt: Runtime,
    reference: str,
    trigger: str,
    inputs: Mapping[str, Any],
    actor: User,
    expected_version: int,
    approving: ProposalRecord | None = None,
) -> Outcome:
    """`advance` inside the caller's write transaction, worked out and written in it. `approving`: a
    manager approves this proposal, fired now as it was typed; their own authority must cover it, the
    proposer's is what the proposal was for."""
    attempt = _Attempt(rt, reference, trigger, inputs, actor, expected_version, approving=approving)
    return _write(conn, _prepare(conn, attempt))


def _prepare(conn: Connection, attempt: _Attempt, *, staging: bool = False) -> _Prepared:
    """Work the transition out: everything but writing it. `staging`: from a snapshot, before the write
    transaction (nothing is locked; what was read beside the claim is kept to be checked again)."""
    rt, actor, expected_version = attempt.rt, attempt.actor, attempt.expected_version
    claim = claims.by_reference(conn, attempt.reference)
    if claim is None:
        raise ClaimNotFound(f"Claim {attempt.reference} bestaat niet.")
    # first, so that someone not on the claim learns nothing of it (its state, version or triggers)
    check_may_act(actor, claim)
    spec = rt.catalog.spec(claim.kind, claim.spec_version)
    if claim.version != expected_version:
        raise stale_claim(spec, claim, expected_version)
    # read after the claim: whatever changes it or beside it from here on moves the head
    head = events.last_sha256(conn, claim.id)
    now = rt.clock()

    def prepare(transition: TransitionSpec) -> TransitionContext:
        """The machine found the transition: who may fire it, what was typed, what its guards see."""
        check_may_fire(actor, claim, transition)
        ctx = TransitionContext(
            conn=conn,
            claim=claim,
            actor=actor,
            inputs=validate_inputs(transition.fields, attempt.inputs, rt.tz),
            spec=spec,
            transition=transition,
            now=now,
            rules=rt.rules,
            tz=rt.tz,
            case_data=_copy_json(claim.case_data),
            calendar=rt.calendar,
            staging=staging,
        )
        check_chosen_users(ctx)
        check_chosen_parties(ctx)
        return ctx

    fired = rt.catalog.engine.attempt(spec, claim.state, attempt.trigger, prepare)
    transition, ctx = fired.transition, fired.context
    for name in transition.effects:
        effects[name](ctx)
    weighed = weigh(ctx, actor)
    done = _Prepared(attempt, claim, spec, ctx, weighed, head)
    if attempt.approving is not None:
        refusal = approver_refusal(weighed, actor)
        if refusal:
            raise TransitionNotAllowed(refusal, guard="authority")
    elif weighed.needs_manager and not attempt.preview:
        done.proposal = True
        return done

    changes: dict[str, Any] = {**ctx.updates, "version": claim.version + 1}
    if ctx.case_data != claim.case_data:
        changes["case_data"] = ctx.case_data
    if not transition.internal:
        changes.update(state=transition.dest, state_entered_at=now)
    if transition.outcome:
        changes.update(outcome=transition.outcome, closed_at=now)
    new_claim = {**claim, **changes}
    done.changes, done.new_claim = changes, new_claim
    # deadlines, then letters (they quote the due moments), then the event that lists the letters' hashes
    known = deadlines.every(conn, claim.id)
    done.clocks = update_deadlines(
        conn, rt, spec, claim, transition, new_claim, now, ctx.inputs, done.deadlines, known
    )
    after = done.deadlines.after(open_before(known))
    ctx.memo["due"] = {d.name: d.due_at for d in after if d.on_course}
    done.rendered = _render_letters(rt, ctx, new_claim, preview=attempt.preview)
    if attempt.preview:
        return done
    done.letter_rows = _letter_rows(rt, ctx, new_claim, done.rendered)
    for payee in _by_payee(ctx):
        ctx.memo[f"payee:{payee}"] = parties.by_id(conn, payee)
    listed = chain.letter_entries((letter.template, letter.sha256) for _, _, letter in done.rendered)
    done.event = events.seal(
        {
            "claim_id": claim.id,
            "claim_version": claim.version + 1,
            "at": now,
            "actor_id": actor.id,
            "kind": "transition",
            "trigger": transition.trigger,
            "from_state": claim.state,
            "to_state": transition.dest,
            "data": {
                "inputs": jsonable(ctx.inputs),
                **ctx.event_data,
                **({"letters": listed} if listed else {}),
                **({"clocks": done.clocks} if done.clocks else {}),
            },
        },
        head,
    )
    titles = [letter.title for _, _, letter in done.rendered]
    done.notices = transition_notices(conn, rt, spec, transition, new_claim, actor, titles, after, now)
    done.bound = _BoundWrites.of(conn, done, staging=staging)
    return done


def _still_as_prepared(conn: Connection, p: _Prepared) -> bool:
    """Inside the write transaction: the claim is at the version it was worked out from (else
    StaleClaim), nothing was added to its timeline since, and what was read beside it (the policy,
    locked on PostgreSQL; the other claims of the policy or series) reads the same."""
    claims.lock(conn, p.claim.id)
    found = claims.version_and_head(conn, p.claim.id)
    if found is None or found[0] != p.claim.version:
        current = claims.by_reference(conn, p.claim.reference)
        raise stale_claim(p.spec, current or p.claim, p.attempt.expected_version)
    if found[1] != p.head:
        return False
    return all(read(conn) == value for read, value in p.ctx.cross_reads)


def _write(conn: Connection, p: _Prepared, *, checked: bool = False) -> Outcome:
    """Write a transition worked out by `_prepare`: in `conn`'s write transaction. `checked`: it was
    worked out from a snapshot that `_still_as_prepared` found current (the head is known)."""
    rt, claim, ctx, spec = p.attempt.rt, p.claim, p.ctx, p.spec
    ctx.conn = conn  # whatever reads after this reads in the write transaction
    transition, now = ctx.transition, ctx.now
    if p.proposal:
        return _propose(conn, rt, spec, claim, ctx, p.weighed, now)
    bound = p.bound
    assert bound is not None  # _prepare binds every transition it does not hold as a proposal
    if not claims.update_bound(conn, bound.claim):
        # someone committed in between (PostgreSQL, read committed): tell what the claim is now
        current = claims.by_reference(conn, claim.reference)
        raise stale_claim(spec, current or claim, p.attempt.expected_version)
    p.deadlines.apply(conn)
    event_id = events.append_sealed(conn, p.event, bound.event, head_checked=checked)
    money.add_lines_bound(conn, bound.money, event_id)
    _write_payments(conn, ctx, claim, event_id, p.attempt.approving)
    _write_letters(conn, p.letter_rows, bound.letters, event_id)
    write_notices(conn, p.notices, claim.id, event_id, now)
    return Outcome(
        claim.reference,
        claim.id,
        transition.dest,
        claim.version + 1,
        event_id,
        transition.trigger,
        claim.state,
    )


def _propose(
    conn: Connection,
    rt: Runtime,
    spec: WorkflowSpec,
    claim: ClaimRecord,
    ctx: TransitionContext,
    weighed: Weighed,
    now: Any,
) -> Outcome:
    """Hold a transition above its actor's authority as a proposal for a manager: it and its payments,
    as proposed, are stored with a timeline event beside the claim's course; the claim does not move."""
    transition, actor = ctx.transition, ctx.actor
    assert actor.id is not None
    reasons = " ".join([*weighed.over_authority, *weighed.over_cover])
    proposal_id = payments.add_proposal(
        conn,
        {
            "claim_id": claim.id,
            "trigger": transition.trigger,
            "inputs": jsonable(ctx.inputs),
            "weighed": {
                **weighed.as_dict(),
                "money": [_jsonable_line(m) for m in ctx.money],
                "event_data": jsonable_deep(ctx.event_data),
                "label": transition.label,
            },
            "amount": weighed.amount,
            "reasons": reasons,
            "status": "open",
            "proposed_by": actor.id,
            "proposed_at": now,
            "comment": "",
        },
    )
    event_id = append_aside(
        conn,
        claim,
        actor.id,
        now,
        "proposal",
        {
            "proposal": proposal_id,
            "trigger": transition.trigger,
            "amount": str(weighed.amount),
            "reasons": reasons,
        },
    )
    _payment_rows(conn, ctx, claim, None, proposal_id, PaymentStatus.proposed, approver=None)
    notify_proposal(conn, rt, spec, claim, transition, actor, event_id, reasons, now)
    return Outcome(
        claim.reference,
        claim.id,
        claim.state,
        claim.version,
        event_id,
        transition.trigger,
        claim.state,
        proposal_id,
    )


def _jsonable_line(line: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (str(v) if k == "amount" else v) for k, v in line.items()}


def jsonable_deep(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: jsonable_deep(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable_deep(v) for v in value]
    return value if value is None or isinstance(value, bool | int | str) else str(value)


def _write_payments(
    conn: Connection,
    ctx: TransitionContext,
    claim: ClaimRecord,
    event_id: int,
    approving: ProposalRecord | None,
) -> None:
    """The transfers this transition pays: one per payee, approved by its actor (their authority) or by
    the manager approving the proposal. An approved proposal's rows become the payments, with the
    amounts worked out now (interest runs on while a proposal waits); a payee it no longer pays is
    cancelled."""
    if approving is None:
        _payment_rows(conn, ctx, claim, event_id, None, PaymentStatus.approved, approver=ctx.actor)
        return
    held = {p.payee_party_id: p for p in payments.of_proposal(conn, approving.id) if p.status == "proposed"}
    for payee, entry in _by_payee(ctx).items():
        old = held.pop(payee, None)
        if old is None:
            _payment_rows(
                conn,
                ctx,
                claim,
                event_id,
                approving.id,
                PaymentStatus.approved,
                approver=ctx.actor,
                only=payee,
            )
            continue
        payments.change(
            conn,
            old.id,
            {
                "event_id": event_id,
                "amount": sum(entry["parts"].values()),
                "parts": {k: str(v) for k, v in entry["parts"].items()},
                "status": PaymentStatus.approved,
                "approved_by": ctx.actor.id,
                "approved_at": ctx.now,
            },
        )
    for old in held.values():
        payments.change(
            conn,
            old.id,
            {
                "status": PaymentStatus.cancelled,
                "cancelled_at": ctx.now,
                "cancel_reason": "niet meer nodig bij de goedkeuring",
            },
        )


def _by_payee(ctx: TransitionContext) -> dict[int, dict[str, Any]]:
    """The staged payment lines per payee: their parts per cost type and their notes."""
    by_payee: dict[int, dict[str, Any]] = {}
    for line in ctx.money:
        if line["kind"] != MoneyKind.payment or line["amount"] <= 0:
            continue
        payee = line.get("payee")
        if payee is None:  # a claim without parties (from before they existed): a money line only
            continue
        entry = by_payee.setdefault(payee, {"parts": {}, "notes": []})
        parts = entry["parts"]
        parts[line["cost_type"]] = parts.get(line["cost_type"], 0) + line["amount"]
        if line["note"] and line["note"] not in entry["notes"]:
            entry["notes"].append(line["note"])
    return by_payee


def _payment_rows(
    conn: Connection,
    ctx: TransitionContext,
    claim: ClaimRecord,
    event_id: int | None,
    proposal_id: int | None,
    status: PaymentStatus,
    *,
    approver: User | None,
    only: int | None = None,
) -> dict[int, int]:
    """One payment row per payee of the staged payment lines (or just `only`); {payee: payment id}."""
    written: dict[int, int] = {}
    proposer = _proposer_of(conn, proposal_id, ctx) if approver is not None and proposal_id else ctx.actor.id
    assert proposer is not None
    for payee_id, entry in _by_payee(ctx).items():
        if only is not None and payee_id != only:
            continue
        # read with the transition from its snapshot (a party's change moves the claim's head)
        party = ctx.memo.get(f"payee:{payee_id}") or parties.by_id(conn, payee_id)
        assert party is not None
        number = payments.count_of_claim(conn, claim.id) + 1
        written[payee_id] = payments.add(
            conn,
            {
                "claim_id": claim.id,
                "event_id": event_id,
                "proposal_id": proposal_id,
                "reference": f"{claim.reference}-B{number:02d}",
                "payee_party_id": payee_id,
                "payee_name": party.account_holder or party.name,
                "iban": party.iban,
                "account_holder": party.account_holder or party.name,
                "amount": sum(entry["parts"].values()),
                "parts": {k: str(v) for k, v in entry["parts"].items()},
                "description": f"{claim.reference} " + "; ".join(entry["notes"]),
                "status": status,
                "proposed_by": proposer,
                "approved_by": approver.id if approver is not None else None,
                "approved_at": ctx.now if approver is not None else None,
                "paid_on": None,
                "paid_marked_by": None,
                "cancelled_at": None,
                "cancel_reason": "",
                "created_at": ctx.now,
            },
        )
    return written


def _proposer_of(conn: Connection, proposal_id: int | None, ctx: TransitionContext) -> int:
    found = payments.proposal(conn, proposal_id) if proposal_id is not None else None
    proposer = found.proposed_by if found is not None else ctx.actor.id
    assert proposer is not None
    return proposer


def _copy_json(value: Any) -> Any:
    """A deep copy of decoded JSON (dicts, lists, scalars): what copy.deepcopy does, a few times faster."""
    if isinstance(value, dict):
        return {k: _copy_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy_json(v) for v in value]
    return value


def stale_claim(spec: WorkflowSpec, claim: ClaimRecord, expected_version: int) -> StaleClaim:
    """The claim is not at the version the caller gave: changed since it was read, or a version it never
    had (ahead of it, or below 1); either way what it is now."""
    state = spec.states[claim.state].label
    if expected_version > claim.version or expected_version < 1:
        told = "bestaat nog niet" if expected_version > claim.version else "bestaat niet"
        message = (
            f"Claim {claim.reference}: versie {expected_version} {told}; de claim is op versie "
            f"{claim.version} (fase '{state}'). Er is niets doorgevoerd."
        )
    else:
        message = (
            f"Claim {claim.reference} is intussen gewijzigd door iemand anders: de fase is nu "
            f"'{state}' (versie {claim.version}). Er is niets doorgevoerd."
        )
    return StaleClaim(message, current_state=claim.state, current_version=claim.version)


# what a staged money line stores (it also says whether letters quote its note)
_MONEY_COLUMNS = ("kind", "cost_type", "amount", "note")


def _stored(line: Mapping[str, Any], columns: tuple[str, ...]) -> dict[str, Any]:
    return {name: line[name] for name in columns}
