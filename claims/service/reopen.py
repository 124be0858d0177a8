"""Reopening a closed claim (heropenen): when a claimant comes back, a manager, or the claim's handler
with a reason, brings it back into the state its spec names (`reopens_to` on the terminal state). The
reason is on the timeline; the state's terms start afresh from the reopening."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from claims.errors import ClaimNotFound
from claims.people.permissions import check_may_act
from claims.runtime import Runtime
from claims.service.deadline_changes import open_deadlines
from claims.service.outcome import Outcome
from claims.service.timeline import append_event
from claims.service.transition import stale_claim
from claims.storage.db import Db, in_write
from claims.storage.models import Role, User
from claims.storage.repositories import claims
from workflow.errors import Forbidden, InvalidInput, TransitionNotAllowed

REOPEN = "reopen"  # the event's trigger: what the timeline and the exports name it by


def reopen_claim(
    db: Db, rt: Runtime, reference: str, reason: str, actor: User, expected_version: int
) -> Outcome:
    """Reopen the closed claim `reference` at `expected_version` into its spec's `reopens_to` state."""
    return in_write(db, lambda conn: _reopen(conn, rt, reference, reason, actor, expected_version))


def _reopen(
    conn: Connection, rt: Runtime, reference: str, reason: str, actor: User, expected_version: int
) -> Outcome:
    claim = claims.by_reference(conn, reference)
    if claim is None:
        raise ClaimNotFound(f"Claim {reference} bestaat niet.")
    check_may_act(actor, claim)
    if actor.role not in (Role.manager, Role.handler):
        raise Forbidden("Alleen een manager of de behandelaar heropent een claim.")
    spec = rt.catalog.spec(claim.kind, claim.spec_version)
    if claim.version != expected_version:
        raise stale_claim(spec, claim, expected_version)
    closed = spec.states[claim.state]
    if not closed.terminal:
        raise TransitionNotAllowed(
            f"Claim {reference} is niet gesloten: er is niets te heropenen.", guard="reopen"
        )
    if closed.reopens_to is None:
        raise TransitionNotAllowed(
            f"Versie {spec.version} van de behandeling van {spec.label.lower()} kent geen heropenen; "
            "migreer de claim eerst naar de nieuwste versie.",
            guard="reopen",
        )
    reason = (reason or "").strip()
    if len(reason) < rt.rules.min_reason_length:
        raise InvalidInput(
            {"reason": f"geef in minstens {rt.rules.min_reason_length} tekens de reden van het heropenen"}
        )
    now = rt.clock()
    target = closed.reopens_to
    changes = {
        "state": target,
        "state_entered_at": now,
        "outcome": None,
        "closed_at": None,
        "version": claim.version + 1,
    }
    if not claims.update_if_version(conn, claim.id, claim.version, changes):
        current = claims.by_reference(conn, reference)
        raise stale_claim(spec, current or claim, expected_version)
    new_claim = {**claim, **changes}
    # a claim that comes back is a new question: its state's terms count from now, not from the melding
    afresh = {d.name for d in spec.states[target].deadlines}
    opened = open_deadlines(conn, rt, spec.states[target], new_claim, now, had=afresh)
    event_id = append_event(
        conn,
        claim_id=claim.id,
        claim_version=claim.version + 1,
        at=now,
        actor_id=actor.id,
        kind="reopened",
        trigger=REOPEN,
        from_state=claim.state,
        to_state=target,
        data={
            "reason": reason,
            "outcome_was": claim.outcome,
            **({"clocks": {"opened": opened}} if opened else {}),
        },
        note=reason,
    )
    return Outcome(reference, claim.id, target, claim.version + 1, event_id, REOPEN, claim.state)
