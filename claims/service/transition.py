"""Firing a trigger on a claim: `advance`, the one way a claim changes state, and `preview_letters`.

One database transaction: permission, inputs, guards, effects, compare-and-set of the state, the
timeline event, money lines, deadlines met, cancelled and opened, letters, notices; committed once. A
refused or stale attempt changes nothing and says why."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Connection

from claims.errors import ClaimNotFound, StaleClaim
from claims.kinds.context import TransitionContext, check_chosen_users
from claims.kinds.effects import effects
from claims.letters.facts import transition_facts
from claims.notify.letters_out import letter_emails, queue_letter_emails
from claims.notify.notices import notify_transition
from claims.people.permissions import check_may_act, check_may_fire
from claims.runtime import Runtime
from claims.service.deadline_changes import update_deadlines
from claims.service.outcome import Outcome
from claims.service.timeline import append_event, jsonable
from claims.storage import chain
from claims.storage.db import Db, in_write
from claims.storage.models import User
from claims.storage.records import ClaimRecord
from claims.storage.repositories import claims, letters, money
from notifications.letters import Letter
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
    """Fire `trigger` on the claim `reference` as `actor`, if it is still at `expected_version`."""
    return in_write(db, lambda conn: _advance(conn, rt, reference, trigger, inputs, actor, expected_version))


class _Previewed(Exception):
    def __init__(self, letters: list[Letter]) -> None:
        super().__init__("preview")
        self.letters = letters


def preview_letters(
    db: Db,
    rt: Runtime,
    reference: str,
    trigger: str,
    inputs: Mapping[str, Any],
    actor: User,
    expected_version: int,
) -> list[Letter]:
    """The letters `advance` would write, marked as a preview; nothing is stored. The whole transition
    is tried (permission, inputs, guards, effects) and rolled back, so the preview is exactly the letter
    that firing it now would send, and a transition that would be refused is refused here too."""
    try:
        in_write(
            db, lambda conn: _advance(conn, rt, reference, trigger, inputs, actor, expected_version, True)
        )
    except _Previewed as done:
        return done.letters
    raise AssertionError("_advance returned in preview mode")  # pragma: no cover


_Rendered = list[tuple[LetterSpec, dict[str, Any], Letter]]  # each letter with its spec and facts


def _render_letters(
    rt: Runtime, ctx: TransitionContext, claim: Mapping[str, Any], *, preview: bool
) -> _Rendered:
    """Render the transition's letters from the claim as it now stands, before its event is appended:
    the event lists their hashes. A letter that cannot be rendered (a missing fact) refuses the whole
    transition."""
    out = []
    for spec in ctx.transition.letters:
        facts = transition_facts(ctx, claim, spec, preview=preview)
        letter = rt.letters.render(spec.template, facts)
        out.append((spec, facts, letter))
    return out


def _write_letters(
    conn: Connection,
    rt: Runtime,
    ctx: TransitionContext,
    claim: Mapping[str, Any],
    event_id: int,
    rendered: _Rendered,
) -> None:
    """Store each rendered letter with its event, and queue its e-mails."""
    for spec, facts, letter in rendered:
        recipient, copies = facts["recipient"], facts["copies"]
        letter_id = letters.add(
            conn,
            {
                "claim_id": claim["id"],
                "event_id": event_id,
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
            },
        )
        queue_letter_emails(
            conn,
            letter_emails(
                rt,
                letter_id=letter_id,
                claim_id=claim["id"],
                reference=claim["reference"],
                title=letter.title,
                recipient=recipient,
                copies=copies,
                sender=facts["handler"]["name"],
                now=ctx.now,
            ),
        )


def _advance(
    conn: Connection,
    rt: Runtime,
    reference: str,
    trigger: str,
    inputs: Mapping[str, Any],
    actor: User,
    expected_version: int,
    preview: bool = False,
) -> Outcome:
    claim = claims.by_reference(conn, reference)
    if claim is None:
        raise ClaimNotFound(f"Claim {reference} bestaat niet.")
    # first, so that someone not on the claim learns nothing of it (its state, version or triggers)
    check_may_act(actor, claim)
    spec = rt.catalog.spec(claim.kind, claim.spec_version)
    if claim.version != expected_version:
        raise _stale(spec, claim, expected_version)
    now = rt.clock()

    def prepare(transition: TransitionSpec) -> TransitionContext:
        """The machine found the transition: who may fire it, what was typed, what its guards see."""
        check_may_fire(actor, claim, transition)
        ctx = TransitionContext(
            conn=conn,
            claim=claim,
            actor=actor,
            inputs=validate_inputs(transition.fields, inputs, rt.tz),
            spec=spec,
            transition=transition,
            now=now,
            rules=rt.rules,
            tz=rt.tz,
            case_data=_copy_json(claim.case_data),
            calendar=rt.calendar,
        )
        check_chosen_users(ctx)
        return ctx

    fired = rt.catalog.engine.attempt(spec, claim.state, trigger, prepare)
    transition, ctx = fired.transition, fired.context
    values = ctx.inputs
    for name in transition.effects:
        effects[name](ctx)

    changes: dict[str, Any] = {**ctx.updates, "version": claim.version + 1}
    if ctx.case_data != claim.case_data:
        changes["case_data"] = ctx.case_data
    if not transition.internal:
        changes.update(state=transition.dest, state_entered_at=now)
    if transition.outcome:
        changes.update(outcome=transition.outcome, closed_at=now)
    if not claims.update_if_version(conn, claim.id, claim.version, changes):
        # someone committed in between (PostgreSQL, read committed): tell what the claim is now
        current = claims.by_reference(conn, reference)
        raise _stale(spec, current or claim, expected_version)

    new_claim = {**claim, **changes}
    # deadlines, then letters (they quote the due moments), then the event that lists the letters' hashes
    update_deadlines(conn, rt, spec, claim, transition, new_claim, now)
    rendered = _render_letters(rt, ctx, new_claim, preview=preview)
    listed = chain.letter_entries((letter.template, letter.sha256) for _, _, letter in rendered)
    event_id = append_event(
        conn,
        claim_id=claim.id,
        claim_version=claim.version + 1,
        at=now,
        actor_id=actor.id,
        kind="transition",
        trigger=trigger,
        from_state=claim.state,
        to_state=transition.dest,
        data={"inputs": jsonable(values), **ctx.event_data, **({"letters": listed} if listed else {})},
    )
    money.add_lines(
        conn,
        [
            {"claim_id": claim.id, "event_id": event_id, "at": now, **_stored(line, _MONEY_COLUMNS)}
            for line in ctx.money
        ],
    )
    letters = [letter for _, _, letter in rendered]
    if preview:
        raise _Previewed(letters)
    _write_letters(conn, rt, ctx, new_claim, event_id, rendered)
    notify_transition(conn, rt, spec, transition, new_claim, actor, event_id, [x.title for x in letters], now)
    return Outcome(reference, claim.id, transition.dest, claim.version + 1, event_id, trigger, claim.state)


def _copy_json(value: Any) -> Any:
    """A deep copy of decoded JSON (dicts, lists, scalars): what copy.deepcopy does, a few times faster."""
    if isinstance(value, dict):
        return {k: _copy_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy_json(v) for v in value]
    return value


def _stale(spec: WorkflowSpec, claim: ClaimRecord, expected_version: int) -> StaleClaim:
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
