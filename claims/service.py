"""The only way a claim comes into being or changes state.

`open_claim` registers a melding; `advance` fires one trigger. Each runs in one database transaction:
permission, inputs, guards, compare-and-set of the state, the timeline event, deadlines met, cancelled
and opened, money lines; committed once. A refused or stale attempt changes nothing and says why.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlmodel import Session

from claims.context import TransitionContext
from claims.db import begin_write
from claims.effects import effects
from claims.intake import INTAKE_FIELDS
from claims.models import (
    Claim,
    Deadline,
    MoneyLine,
    Policy,
    ReferenceCounter,
    Role,
    TimelineEvent,
    User,
)
from claims.permissions import check_may_fire, check_may_open
from claims.runtime import Runtime
from workflow.deadlines import base_from_date, compute_due
from workflow.errors import InvalidInput, TransitionNotAllowed, WorkflowError
from workflow.inputs import validate_inputs
from workflow.spec import ENTERED, StateSpec, WorkflowSpec

CLAIMS = Claim.__table__  # type: ignore[attr-defined]
EVENTS = TimelineEvent.__table__  # type: ignore[attr-defined]
DEADLINES = Deadline.__table__  # type: ignore[attr-defined]
MONEY = MoneyLine.__table__  # type: ignore[attr-defined]
USERS = User.__table__  # type: ignore[attr-defined]
POLICIES = Policy.__table__  # type: ignore[attr-defined]
COUNTERS = ReferenceCounter.__table__  # type: ignore[attr-defined]


class ClaimNotFound(WorkflowError):
    """No claim has this schadenummer."""


class StaleClaim(WorkflowError):
    """Someone else changed the claim since the caller read it; nothing was applied."""

    def __init__(self, message: str, *, current_state: str, current_version: int) -> None:
        super().__init__(message)
        self.current_state = current_state
        self.current_version = current_version


@dataclass(frozen=True)
class Outcome:
    """What a successful open or advance did."""

    reference: str
    claim_id: int
    state: str
    version: int
    event_id: int
    trigger: str | None
    from_state: str | None


def _write_connection(session: Session) -> Connection:
    # A caller that already opened the transaction (a test, a batch) keeps its own.
    return session.connection() if session.in_transaction() else begin_write(session)


def advance(
    session: Session,
    rt: Runtime,
    reference: str,
    trigger: str,
    inputs: Mapping[str, Any],
    actor: User,
    expected_version: int,
) -> Outcome:
    """Fire `trigger` on the claim `reference` as `actor`, if it is still at `expected_version`."""
    try:
        result = _advance(session, rt, reference, trigger, inputs, actor, expected_version)
        session.commit()
        return result
    except BaseException:
        session.rollback()
        raise


def _advance(
    session: Session,
    rt: Runtime,
    reference: str,
    trigger: str,
    inputs: Mapping[str, Any],
    actor: User,
    expected_version: int,
) -> Outcome:
    conn = _write_connection(session)
    claim = conn.execute(select(CLAIMS).where(CLAIMS.c.reference == reference)).first()
    if claim is None:
        raise ClaimNotFound(f"Claim {reference} bestaat niet.")
    spec = rt.catalog.spec(claim.kind, claim.spec_version)
    if claim.version != expected_version:
        raise _stale(spec, claim)
    transition = spec.transition(claim.state, trigger)
    if transition is None:
        raise TransitionNotAllowed(
            f"'{trigger}' is niet mogelijk in de fase '{spec.states[claim.state].label}'."
        )
    check_may_fire(actor, claim, transition)
    values = validate_inputs(transition.fields, inputs, rt.tz)
    now = rt.clock()
    ctx = TransitionContext(
        conn=conn,
        claim=claim,
        actor=actor,
        inputs=values,
        spec=spec,
        transition=transition,
        now=now,
        rules=rt.rules,
        case_data=copy.deepcopy(claim.case_data),
    )
    rt.catalog.engine.fire(spec, claim.state, trigger, ctx)
    for name in transition.effects:
        effects[name](ctx)

    changes: dict[str, Any] = {
        "state": transition.dest,
        "version": claim.version + 1,
        "case_data": ctx.case_data,
        **ctx.updates,
    }
    if not transition.internal:
        changes["state_entered_at"] = now
    if transition.outcome:
        changes["outcome"] = transition.outcome
        changes["closed_at"] = now
    done = conn.execute(
        update(CLAIMS)
        .where(CLAIMS.c.id == claim.id, CLAIMS.c.version == claim.version)
        .values(**changes)
    )
    if done.rowcount != 1:
        raise _stale(spec, claim)

    event_id = _append_event(
        conn,
        claim_id=claim.id,
        claim_version=claim.version + 1,
        at=now,
        actor_id=actor.id,
        kind="transition",
        trigger=trigger,
        from_state=claim.state,
        to_state=transition.dest,
        data={"inputs": _jsonable(values), **ctx.event_data},
    )
    if ctx.money:
        conn.execute(
            insert(MONEY),
            [{"claim_id": claim.id, "event_id": event_id, "at": now, **line} for line in ctx.money],
        )
    _meet_deadlines(conn, claim.id, trigger, now)
    if not transition.internal:
        _close_deadlines(conn, claim.id, claim.state, now, everything=spec.is_terminal(transition.dest))
        _open_deadlines(conn, rt, spec.states[transition.dest], {**claim._mapping, **ctx.updates}, now)
    return Outcome(reference, claim.id, transition.dest, claim.version + 1, event_id, trigger, claim.state)


def _stale(spec: WorkflowSpec, claim: Row[Any]) -> StaleClaim:
    return StaleClaim(
        f"Claim {claim.reference} is intussen gewijzigd door iemand anders: de fase is nu "
        f"'{spec.states[claim.state].label}' (versie {claim.version}). Er is niets doorgevoerd.",
        current_state=claim.state,
        current_version=claim.version,
    )


def _append_event(conn: Connection, **values: Any) -> int:
    result = conn.execute(insert(EVENTS).values(note=values.pop("note", ""), **values))
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in values.items():
        out[k] = v.isoformat() if isinstance(v, date | datetime) else v if isinstance(v, bool | int | str) else str(v)
    return out


def _meet_deadlines(conn: Connection, claim_id: int, trigger: str, now: datetime) -> None:
    rows = conn.execute(
        select(DEADLINES.c.id, DEADLINES.c.met_by).where(
            DEADLINES.c.claim_id == claim_id,
            DEADLINES.c.met_at.is_(None),
            DEADLINES.c.cancelled_at.is_(None),
        )
    ).all()
    met = [r.id for r in rows if trigger in r.met_by.split(",")]
    if met:
        conn.execute(
            update(DEADLINES).where(DEADLINES.c.id.in_(met)).values(met_at=now, met_trigger=trigger)
        )


def _close_deadlines(conn: Connection, claim_id: int, left: str, now: datetime, *, everything: bool) -> None:
    """Leaving a state cancels what it started and nobody met; closing the claim cancels all."""
    open_ = (
        (DEADLINES.c.claim_id == claim_id)
        & DEADLINES.c.met_at.is_(None)
        & DEADLINES.c.cancelled_at.is_(None)
    )
    if not everything:
        open_ = open_ & (DEADLINES.c.state == left) & (DEADLINES.c.scope == "state")
    conn.execute(update(DEADLINES).where(open_).values(cancelled_at=now))


def _open_deadlines(
    conn: Connection, rt: Runtime, state: StateSpec, claim: Mapping[str, Any], now: datetime
) -> None:
    if not state.deadlines:
        return
    running: set[str] = set()
    if any(d.scope == "claim" for d in state.deadlines):
        running = set(
            conn.execute(
                select(DEADLINES.c.name).where(
                    DEADLINES.c.claim_id == claim["id"],
                    DEADLINES.c.met_at.is_(None),
                    DEADLINES.c.cancelled_at.is_(None),
                )
            ).scalars()
        )
    rows = []
    for d in state.deadlines:
        if (d.when and not claim.get(d.when)) or d.name in running:
            continue
        base_value = now if d.base == ENTERED else claim.get(d.base)
        if base_value is None:
            continue
        base = base_value if isinstance(base_value, datetime) else base_from_date(base_value, rt.tz)
        rows.append(
            {
                "claim_id": claim["id"],
                "name": d.name,
                "label": d.label,
                "state": state.name,
                "scope": d.scope,
                "responsible": d.responsible,
                "met_by": ",".join(d.met_by),
                "started_at": now,
                "due_at": compute_due(d, base, rt.calendar, rt.tz),
            }
        )
    if rows:
        conn.execute(insert(DEADLINES), rows)


def open_claim(session: Session, rt: Runtime, data: Mapping[str, Any], actor: User) -> Outcome:
    """Register a melding: validate, number it, store it in its kind's initial state with deadlines."""
    try:
        result = _open_claim(session, rt, data, actor)
        session.commit()
        return result
    except BaseException:
        session.rollback()
        raise


def _open_claim(session: Session, rt: Runtime, data: Mapping[str, Any], actor: User) -> Outcome:
    check_may_open(actor)
    values = validate_inputs(INTAKE_FIELDS, data, rt.tz)
    now = rt.clock()
    today = now.astimezone(rt.tz).date()
    values.setdefault("date_reported", today)
    conn = _write_connection(session)
    errors: dict[str, str] = {}
    if values["kind"] not in rt.catalog.kinds():
        errors["kind"] = f"onbekende soort claim '{values['kind']}'"
    policy = conn.execute(select(POLICIES).where(POLICIES.c.number == values["policy_number"])).first()
    if policy is None:
        errors["policy_number"] = f"polis {values['policy_number']} bestaat niet"
    if values["date_error"] > values["date_known"]:
        errors["date_known"] = "ligt voor de datum van de fout"
    if values["date_known"] > values["date_reported"]:
        errors["date_reported"] = "ligt voor de datum waarop de verzekerde het wist"
    if values["date_reported"] > today:
        errors["date_reported"] = "ligt in de toekomst"
    if values.get("personal_data") and values.get("awareness_at") is None:
        errors["awareness_at"] = "verplicht als persoonsgegevens betrokken zijn (72-uurstermijn AVG)"
    if values.get("awareness_at") and values["awareness_at"] > now:
        errors["awareness_at"] = "ligt in de toekomst"
    if values.get("insured_reference") and conn.execute(
        select(CLAIMS.c.reference).where(CLAIMS.c.insured_reference == values["insured_reference"])
    ).first():
        errors["insured_reference"] = "er bestaat al een claim met dit kenmerk"
    handler_id = _handler_for(conn, values.get("handler"), actor, errors)
    if errors:
        raise InvalidInput(errors)
    assert policy is not None and handler_id is not None

    spec = rt.catalog.spec(values["kind"])
    reference = _next_reference(conn, now.astimezone(rt.tz).year)
    row = {
        "reference": reference,
        "kind": spec.kind,
        "spec_version": spec.version,
        "state": spec.initial,
        "version": 1,
        "policy_id": policy.id,
        "handler_id": handler_id,
        "insured_reference": values.get("insured_reference"),
        "claimant": values["claimant"],
        "claimant_counsel": values.get("claimant_counsel", ""),
        "description": values["description"],
        "is_circumstance": values.get("is_circumstance", False),
        "date_error": values["date_error"],
        "date_known": values["date_known"],
        "date_reported": values["date_reported"],
        "awareness_at": values.get("awareness_at"),
        "personal_data": values.get("personal_data", False),
        "data_role": values.get("data_role"),
        "amount_claimed": values["amount_claimed"],
        "case_data": {},
        "created_at": now,
        "state_entered_at": now,
    }
    key = conn.execute(insert(CLAIMS).values(**row)).inserted_primary_key
    assert key is not None
    claim_id = int(key[0])
    event_id = _append_event(
        conn,
        claim_id=claim_id,
        claim_version=1,
        at=now,
        actor_id=actor.id,
        kind="opened",
        trigger=None,
        from_state=None,
        to_state=spec.initial,
        data={"inputs": _jsonable(values)},
    )
    _open_deadlines(conn, rt, spec.states[spec.initial], {**row, "id": claim_id}, now)
    return Outcome(reference, claim_id, spec.initial, 1, event_id, None, None)


def _handler_for(conn: Connection, email: str | None, actor: User, errors: dict[str, str]) -> int | None:
    if not email:
        if actor.role == Role.handler:
            return actor.id
        errors["handler"] = "kies de behandelaar"
        return None
    row = conn.execute(select(USERS).where(USERS.c.email == email.lower())).first()
    if row is None or row.role != Role.handler or not row.active:
        errors["handler"] = f"geen actieve behandelaar met e-mailadres {email}"
        return None
    return int(row.id)


def _next_reference(conn: Connection, year: int) -> str:
    """CF-YYYY-NNNNNN from a per-year counter, safe under concurrent writers on either database."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(COUNTERS).values(year=year, last=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[COUNTERS.c.year], set_={"last": COUNTERS.c.last + 1}
    ).returning(COUNTERS.c.last)
    number = conn.execute(stmt).scalar_one()
    return f"CF-{year}-{number:06d}"
