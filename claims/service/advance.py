"""The only way a claim comes into being or changes state.

`open_claim` registers a melding; `advance` fires one trigger. Each runs in one database transaction:
permission, inputs, guards, compare-and-set of the state, the timeline event, deadlines met, cancelled
and opened, money lines; committed once. A refused or stale attempt changes nothing and says why.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy.engine import Connection

from claims.errors import ClaimNotFound, StaleClaim
from claims.kinds.context import TransitionContext
from claims.kinds.effects import effects
from claims.kinds.intake import INTAKE_FIELDS
from claims.letters.facts import transition_facts
from claims.notify.notices import notify_transition, recipients
from claims.notify.outbox import claim_link, email_body, queue_emails, tell
from claims.people.permissions import check_may_act, check_may_fire, check_may_open
from claims.runtime import Runtime
from claims.storage.db import Db, in_write
from claims.storage.models import (
    Role,
    User,
)
from claims.storage.records import ClaimRecord
from claims.storage.repositories import claims, deadlines, events, letters, money, policies, users
from notifications.letters import Letter
from workflow.deadlines import base_from_date, compute_due
from workflow.errors import InvalidInput, TransitionNotAllowed
from workflow.inputs import validate_inputs
from workflow.spec import ENTERED, DeadlineSpec, StateSpec, TransitionSpec, WorkflowSpec


class Outcome(NamedTuple):
    """What a successful open or advance did."""

    reference: str
    claim_id: int
    state: str
    version: int
    event_id: int
    trigger: str | None
    from_state: str | None


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


def _write_letters(
    conn: Connection,
    rt: Runtime,
    ctx: TransitionContext,
    claim: Mapping[str, Any],
    event_id: int,
    *,
    preview: bool,
) -> list[Letter]:
    """Render the transition's letters from the claim as it now stands and store each with its event.
    A letter that cannot be rendered (a missing fact) refuses the whole transition."""
    out = []
    for spec in ctx.transition.letters:
        facts = transition_facts(ctx, claim, spec, preview=preview)
        letter = rt.letters.render(spec.template, facts)
        out.append(letter)
        if preview:
            continue
        letters.add(
            conn,
            {
                "claim_id": claim["id"],
                "event_id": event_id,
                "template": letter.template,
                "template_version": letter.version,
                "title": letter.title,
                "recipient": spec.to,
                "recipient_name": facts["recipient"]["name"],
                "sha256": letter.sha256,
                "html": letter.html,
                "created_at": ctx.now,
            },
        )
    return out


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
        tz=rt.tz,
        case_data=_copy_json(claim.case_data),
        calendar=rt.calendar,
    )
    rt.catalog.engine.fire(spec, claim.state, trigger, ctx)
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
    money.add_lines(
        conn, [{"claim_id": claim.id, "event_id": event_id, "at": now, **line} for line in ctx.money]
    )
    new_claim = {**claim, **changes}
    _update_deadlines(conn, rt, spec, claim, transition, new_claim, now)
    letters = _write_letters(conn, rt, ctx, new_claim, event_id, preview=preview)
    if preview:
        raise _Previewed(letters)
    notify_transition(conn, rt, spec, transition, new_claim, actor, event_id, [x.title for x in letters], now)
    return Outcome(reference, claim.id, transition.dest, claim.version + 1, event_id, trigger, claim.state)


MAX_NOTE = 5000


def add_note(db: Db, rt: Runtime, reference: str, text: str, actor: User) -> int:
    """Add a note to the claim's timeline (it does not change the claim or its version); the event id."""
    text = text.strip()
    if not text:
        raise InvalidInput({"note": "een lege notitie wordt niet opgeslagen"})
    if "\x00" in text:
        raise InvalidInput({"note": "bevat een ongeldig teken"})
    if len(text) > MAX_NOTE:
        raise InvalidInput({"note": f"hoogstens {MAX_NOTE} tekens ({len(text)} ingevuld)"})

    def work(conn: Connection) -> int:
        claim = claims.by_reference(conn, reference)
        if claim is None:
            raise ClaimNotFound(f"Claim {reference} bestaat niet.")
        check_may_act(actor, claim)
        return _append_event(
            conn,
            claim_id=claim.id,
            claim_version=claim.version,
            at=rt.clock(),
            actor_id=actor.id,
            kind="note",
            trigger=None,
            from_state=claim.state,
            to_state=claim.state,
            data={},
            note=text,
        )

    return in_write(db, work)


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


def _append_event(conn: Connection, **values: Any) -> int:
    return events.append(conn, **values)


def _jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in values.items():
        out[k] = (
            v.isoformat()
            if isinstance(v, date | datetime)
            else v
            if isinstance(v, bool | int | str)
            else str(v)
        )
    return out


def _update_deadlines(
    conn: Connection,
    rt: Runtime,
    spec: WorkflowSpec,
    claim: ClaimRecord,
    transition: TransitionSpec,
    new_claim: Mapping[str, Any],
    now: datetime,
) -> None:
    """Meet what the trigger meets; leaving a state cancels what it started and nobody met (closing
    the claim cancels everything); entering a state opens its deadlines."""
    running = deadlines.running(conn, claim.id)
    trigger = transition.trigger
    closing = not transition.internal and spec.is_terminal(transition.dest)
    closed: list[dict[str, Any]] = []
    still_running: set[str] = set()
    restarted: list[tuple[str, str]] = []  # (state, deadline name) to start afresh from now
    for d in running:
        if trigger in d.met_by.split(","):
            closed.append({"_id": d.id, "met_at": now, "met_trigger": trigger})
        elif not transition.internal and (closing or (d.state == claim.state and d.scope == "state")):
            closed.append({"_id": d.id, "cancelled_at": now})
        elif d.restarted_by and trigger in d.restarted_by.split(","):
            closed.append({"_id": d.id, "cancelled_at": now})
            restarted.append((d.state, d.name))
            still_running.add(d.name)
        else:
            still_running.add(d.name)
    deadlines.close(conn, closed)
    for state, name in restarted:
        deadline = next(x for x in spec.states[state].deadlines if x.name == name)
        _open_deadlines(conn, rt, spec.states[state], new_claim, now, only=deadline, base=now)
    if not transition.internal:
        _open_deadlines(conn, rt, spec.states[transition.dest], new_claim, now, still_running)


def _open_deadlines(
    conn: Connection,
    rt: Runtime,
    state: StateSpec,
    claim: Mapping[str, Any],
    now: datetime,
    running: set[str] | None = None,
    *,
    only: DeadlineSpec | None = None,
    base: datetime | None = None,
) -> None:
    """Start the deadlines `state` declares; a claim-wide one already running is not started twice.
    `only` with `base`: start that one afresh from `base` (a restart)."""
    rows = []
    for d in (only,) if only else state.deadlines:
        if (d.when and not claim.get(d.when)) or (running and d.name in running and not only):
            continue
        base_value = base or (now if d.base == ENTERED else claim.get(d.base))
        if base_value is None:
            continue
        start = base_value if isinstance(base_value, datetime) else base_from_date(base_value, rt.tz)
        due = compute_due(d, start, rt.calendar, rt.tz)
        rows.append(
            {
                "claim_id": claim["id"],
                "name": d.name,
                "label": d.label,
                "state": state.name,
                "scope": d.scope,
                "responsible": d.responsible,
                "met_by": ",".join(d.met_by),
                "restarted_by": ",".join(d.restarted_by),
                "started_at": now,
                "due_at": due,
                "remind_at": _remind_at(d, now, due, rt),
            }
        )
    deadlines.add(conn, rows)


def _remind_at(d: DeadlineSpec, now: datetime, due: datetime, rt: Runtime) -> datetime:
    """When the responsible person is warned: the deadline's own lead, else the general one, but for a
    short term no earlier than halfway (a warning at the start says nothing the deadline did not)."""
    if d.remind_before_days:
        return due - timedelta(days=d.remind_before_days)
    return due - min(rt.rules.reminder_lead, (due - now) / 2)


def open_claim(db: Db, rt: Runtime, data: Mapping[str, Any], actor: User) -> Outcome:
    """Register a melding: validate, number it, store it in its kind's initial state with deadlines."""
    check_may_open(actor)
    try:
        values = validate_inputs(INTAKE_FIELDS, data, rt.tz)
    except InvalidInput as exc:
        # name every problem at once: an unknown policy too, not only after the typing errors are fixed
        number = data.get("policy_number")
        conn = db if isinstance(db, Connection) else db.connection()
        if (
            isinstance(number, str)
            and "policy_number" not in exc.errors
            and not policies.by_number(conn, number)
        ):
            raise InvalidInput({**exc.errors, "policy_number": f"polis {number} bestaat niet"}) from None
        raise
    return in_write(db, lambda conn: _open_claim(conn, rt, values, actor))


def _open_claim(conn: Connection, rt: Runtime, values: dict[str, Any], actor: User) -> Outcome:
    now = rt.clock()
    today = now.astimezone(rt.tz).date()
    values.setdefault("date_reported", today)
    errors: dict[str, str] = {}
    if values["kind"] not in rt.catalog.kinds():
        errors["kind"] = f"onbekende soort claim '{values['kind']}'"
    policy = policies.by_number(conn, values["policy_number"])
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
    if values.get("insured_reference") and claims.reference_with_insured_reference(
        conn, values["insured_reference"]
    ):
        errors["insured_reference"] = "er bestaat al een claim met dit kenmerk"
    handler_id = _handler_for(conn, values.get("handler"), actor, errors)
    if errors:
        raise InvalidInput(errors)
    assert policy is not None and handler_id is not None

    spec = rt.catalog.spec(values["kind"])
    reference = claims.next_reference(conn, now.astimezone(rt.tz).year)
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
    claim_id = claims.insert(conn, row)
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
    _flag_late_notice(conn, rt, reference, claim_id, handler_id, values, now)
    return Outcome(reference, claim_id, spec.initial, 1, event_id, None, None)


def _flag_late_notice(
    conn: Connection,
    rt: Runtime,
    reference: str,
    claim_id: int,
    handler_id: int,
    values: Mapping[str, Any],
    now: datetime,
) -> None:
    """7:941 BW: a late melding is flagged for the handler, on the timeline and in their inbox. It never
    rejects anything by itself: cover is reduced only by the harm the insurer shows the delay did."""
    late = values["date_reported"] - values["date_known"]
    if late <= rt.rules.late_notice:
        return
    note = (
        f"Late melding (art. 7:941 BW): {late.days} dagen na het bekend worden gemeld. Alleen de schade die "
        "de verzekeraar door de vertraging lijdt mag in mindering komen; dat moet de verzekeraar aantonen."
    )
    event_id = _append_event(
        conn,
        claim_id=claim_id,
        claim_version=1,
        at=now,
        actor_id=None,
        kind="late_notice",
        trigger=None,
        from_state=None,
        to_state=None,
        data={"rule": "7:941 BW", "days": late.days},
        note=note,
    )
    for _, handler in recipients(conn, ["handler"], {"handler_id": handler_id}):
        message = f"{reference}: {note}"
        email = tell(
            conn,
            user=handler,
            claim_id=claim_id,
            event_id=event_id,
            kind="late_notice",
            message=message,
            subject=f"[{reference}] Late melding (art. 7:941 BW)",
            body=email_body(handler.name, message, claim_link(rt.base_url, reference)),
            now=now,
        )
        queue_emails(conn, [email])


def _handler_for(conn: Connection, email: str | None, actor: User, errors: dict[str, str]) -> int | None:
    """The handler the melding goes to: the reporting handler, or a colleague of their team; a manager
    chooses anyone."""
    if not email:
        if actor.role == Role.handler:
            return actor.id
        errors["handler"] = "kies de behandelaar"
        return None
    row = users.by_email(conn, email)
    if row is None or row.role != Role.handler or not row.active:
        errors["handler"] = f"geen actieve behandelaar met e-mailadres {email}"
        return None
    if actor.role == Role.handler and row.team != actor.team:
        errors["handler"] = f"{email} hoort niet bij uw team"
        return None
    return int(row.id)
