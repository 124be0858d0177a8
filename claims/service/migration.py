"""Moving open claims of a kind to a newer spec version, through the state map the new version declares.

A claim runs under the version it started under until it is migrated. A migration moves one claim per
transaction: its version, fingerprint and state (a state renamed in `migrates_from`, else the same name),
its running deadlines recomputed under the new version, a timeline event and an audit entry. A claim whose
state has no counterpart in the new version is refused and left as it is."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy.engine import Connection

from claims.errors import StaleClaim
from claims.runtime import Runtime
from claims.service.deadline_changes import remind_at
from claims.service.timeline import append_event
from claims.storage.db import Db, in_write
from claims.storage.models import BESIDE_COURSE
from claims.storage.records import ClaimRecord
from claims.storage.repositories import audit, claims, deadlines, events
from workflow.deadlines import base_from_date, compute_due, explain_due
from workflow.spec import ENTERED, DeadlineSpec, WorkflowSpec

EVENT_KIND = "migrated"
AUDIT_ACTION = "migrate_claim"


@dataclass(frozen=True)
class OpenedDeadline:
    """A deadline the migration starts (or starts again under the new version's definition)."""

    name: str
    label: str
    due_at: datetime


@dataclass(frozen=True)
class MigrationStep:
    """What migrating one claim changes, or why it is refused (`refused` is then the reason)."""

    reference: str
    from_version: int
    from_state: str
    to_version: int
    to_state: str | None
    cancelled: tuple[str, ...] = ()  # names of the running deadlines cancelled
    opened: tuple[OpenedDeadline, ...] = ()
    refused: str | None = None
    # the rows behind `cancelled` and `opened`, for the write
    _closing: tuple[int, ...] = field(default=(), repr=False, compare=False)
    _rows: tuple[Mapping[str, Any], ...] = field(default=(), repr=False, compare=False)


def plan_migration(db: Db, rt: Runtime, kind: str, to_version: int) -> list[MigrationStep]:
    """What `migrate` would do to each open claim of `kind` under an older version; nothing is stored.
    KeyError for a kind or version the catalog does not hold."""
    target = rt.catalog.spec(kind, to_version)
    now = rt.clock()

    def work(conn: Connection) -> list[MigrationStep]:
        return [
            _plan(conn, rt, claim, target, now)
            for claim in claims.open_of_kind_before_version(conn, kind, to_version)
        ]

    return in_write(db, work)


def migrate(
    db: Db, rt: Runtime, kind: str, to_version: int, actor_label: str, channel: str = "cli"
) -> list[MigrationStep]:
    """Migrate every open claim of `kind` under an older version to `to_version`, each in a transaction
    of its own; the steps taken, the refused ones (left unchanged) among them with their reason."""
    target = rt.catalog.spec(kind, to_version)
    references = in_write(
        db,
        lambda conn: [c.reference for c in claims.open_of_kind_before_version(conn, kind, to_version)],
    )
    steps: list[MigrationStep] = []
    for reference in references:
        work = partial(
            _migrate_one, rt=rt, reference=reference, target=target, by=actor_label, channel=channel
        )
        try:
            step = in_write(db, work)
        except StaleClaim as exc:
            reason = f"{exc} Probeer het opnieuw."
            steps.append(MigrationStep(reference, 0, exc.current_state, to_version, None, refused=reason))
            continue
        if step is not None:
            steps.append(step)
    return steps


def _migrate_one(
    conn: Connection, *, rt: Runtime, reference: str, target: WorkflowSpec, by: str, channel: str
) -> MigrationStep | None:
    claim = claims.by_reference(conn, reference)
    if claim is None or claim.closed_at is not None or claim.spec_version >= target.version:
        return None  # closed or migrated since the list was read: nothing left to do
    now = rt.clock()
    step = _plan(conn, rt, claim, target, now)
    if step.refused is not None or step.to_state is None:
        return step
    changes = {
        "spec_version": target.version,
        "spec_fingerprint": target.fingerprint,
        "state": step.to_state,
        "version": claim.version + 1,
    }
    if not claims.update_if_version(conn, claim.id, claim.version, changes):
        raise StaleClaim(
            f"Claim {reference} is intussen gewijzigd; er is niets gemigreerd.",
            current_state=claim.state,
            current_version=claim.version,
        )
    deadlines.close(conn, [{"_id": i, "cancelled_at": now} for i in step._closing])
    deadlines.add(conn, list(step._rows))
    detail = _detail(step, target)
    append_event(
        conn,
        claim_id=claim.id,
        claim_version=claim.version + 1,
        at=now,
        actor_id=None,
        kind=EVENT_KIND,
        from_state=claim.state,
        to_state=step.to_state,
        data={**detail, "by": by},
        note=f"Van workflowversie {step.from_version} (fase {_label(rt, claim, step.from_state)}) naar "
        f"versie {target.version} (fase {target.states[step.to_state].label}).",
    )
    audit.add(
        conn,
        {
            "at": now,
            "actor_id": None,
            "actor": by,
            "channel": channel,
            "action": AUDIT_ACTION,
            "subject": reference,
            "format": "",
            "detail": detail,
        },
    )
    return step


def _label(rt: Runtime, claim: ClaimRecord, state: str) -> str:
    return rt.catalog.state_label(claim.kind, state, claim.spec_version)


def _detail(step: MigrationStep, target: WorkflowSpec) -> dict[str, Any]:
    return {
        "from_version": step.from_version,
        "to_version": step.to_version,
        "from_state": step.from_state,
        "to_state": step.to_state,
        "fingerprint": target.fingerprint,
        "cancelled": list(step.cancelled),
        "opened": [{"name": d.name, "due_at": d.due_at.isoformat()} for d in step.opened],
    }


def _plan(
    conn: Connection, rt: Runtime, claim: ClaimRecord, target: WorkflowSpec, now: datetime
) -> MigrationStep:
    """The step for one claim: its new state, and its running deadlines as the new version defines them."""
    v = claim.spec_version

    def refuse(reason: str) -> MigrationStep:
        return MigrationStep(claim.reference, v, claim.state, target.version, None, refused=reason)

    if v not in target.migrates_from:
        return refuse(f"versie {target.version} zegt niet hoe claims van versie {v} overgaan")
    old = rt.catalog.specs.get((claim.kind, v))
    if old is None:
        return refuse(f"versie {v} van {claim.kind} is niet geladen")
    to_state = target.migrated_state(v, claim.state)
    if to_state is None:
        return refuse(
            f"fase '{claim.state}' bestaat niet in versie {target.version}, en migrates_from {v} "
            "zegt niet in welke fase zij overgaat",
        )
    roles = {
        v for s in target.states.values() for d in s.deadlines for n, v in d.conditions if n == "data_role"
    }
    if roles and claim.get("personal_data") and claim.get("data_role") not in roles:
        # which AVG clock runs depends on the insured's role, which the claim does not record yet
        return refuse("persoonsgegevens zonder rol van verzekerde (AVG): leg eerst data_role vast")
    closing: list[int] = []
    cancelled: list[str] = []
    rows: list[dict[str, Any]] = []
    kept: set[str] = set()
    for row in deadlines.open_of_claim(conn, claim.id):
        if row.scope in BESIDE_COURSE:  # a complaint's clock, a follow-up: whatever the version
            continue
        new_state = target.migrated_state(v, row.state)
        if new_state is None:
            # a term an earlier state started (the 7:942 limitation period) must not vanish unnoticed
            return refuse(
                f"termijn '{row.name}' liep vanaf fase '{row.state}', die niet bestaat in versie "
                f"{target.version}, en migrates_from {v} zegt niet in welke fase zij overgaat"
            )
        before = _declared(old, row.state, row.name)
        after = _declared(target, new_state, row.name)
        if after is not None and not after.applies_to(claim):
            after = None
        if after is not None and new_state == row.state and after == before:
            kept.add(row.name)  # the same term under the same state: it runs on untouched
            continue
        closing.append(row.id)
        cancelled.append(row.name)
        if after is None:
            continue
        same_timing = before is not None and _timing(before) == _timing(after)
        if after.started_by:
            # a term the new version starts on a trigger runs only if one fired since the last stop,
            # from then (7:942 BW: from the acknowledgement or rejection, not the melding)
            start = _started_at(conn, claim, after)
            same_timing = False
        else:
            start = row.started_at if same_timing or after.base == ENTERED else _start(after, claim, rt)
        if start is None:
            continue
        due = row.due_at if same_timing else compute_due(after, start, rt.calendar, rt.tz)
        # the same due moment: what the sweep has already done about it (reminded, flagged) stays done
        done = (
            {k: row._mapping[k] for k in ("reminded_at", "flagged_at", "escalated_at")} if same_timing else {}
        )
        # what the term counts from: the claim's date it is based on, whichever moment it started
        counted = _start(after, claim, rt) if after.base != ENTERED and not after.started_by else start
        rows.append(_row(claim, new_state, after, row.started_at, due, rt, counted or start) | done)
        kept.add(row.name)
    entered = claim.state_entered_at
    # a claim-wide term of the first state that the new version's conditions now open (the processor's
    # duty to tell the controller, where the old version opened the AP clock): as if it ran from the melding
    had = deadlines.names_had(conn, claim.id)
    for d in target.states[target.initial].deadlines:
        if d.scope == "claim" and not d.started_by and d.name not in kept | had and d.applies_to(claim):
            start = _start(d, claim, rt) if d.base != ENTERED else claim.created_at
            if start is not None:
                rows.append(
                    _row(claim, target.initial, d, now, compute_due(d, start, rt.calendar, rt.tz), rt, start)
                )
                kept.add(d.name)
    for d in target.states[to_state].deadlines:
        if d.name in kept or not d.applies_to(claim) or d.started_by:
            continue
        # counted from when the claim entered the state, as if it had run under the new version then
        start = entered if d.base == ENTERED else _start(d, claim, rt)
        if start is not None:
            rows.append(_row(claim, to_state, d, now, compute_due(d, start, rt.calendar, rt.tz), rt, start))
    return MigrationStep(
        claim.reference,
        v,
        claim.state,
        target.version,
        to_state,
        cancelled=tuple(cancelled),
        opened=tuple(OpenedDeadline(r["name"], r["label"], r["due_at"]) for r in rows),
        _closing=tuple(closing),
        _rows=tuple(rows),
    )


def _declared(spec: WorkflowSpec, state: str, name: str) -> DeadlineSpec | None:
    found = spec.states.get(state)
    return next((d for d in found.deadlines if d.name == name), None) if found else None


def _started_at(conn: Connection, claim: ClaimRecord, d: DeadlineSpec) -> datetime | None:
    """When a term the new version starts on a trigger would run from: nothing unless a start (an
    acknowledgement, a rejection) came after the last stop; then from the latest start or restart."""
    last = events.last_of_triggers(conn, claim.id, (*d.started_by, *d.stopped_by))
    if last is None or last.trigger in d.stopped_by:
        return None
    latest = events.last_of_triggers(conn, claim.id, (*d.started_by, *d.restarted_by))
    moment: datetime = (latest or last).at
    return moment


def _timing(d: DeadlineSpec) -> Sequence[object]:
    return (d.amount, d.unit, d.base, d.statutory)


def _start(d: DeadlineSpec, claim: ClaimRecord, rt: Runtime) -> datetime | None:
    value = claim.get(d.base)
    if value is None:
        return None
    return value if isinstance(value, datetime) else base_from_date(value, rt.tz)


def _row(
    claim: ClaimRecord,
    state: str,
    d: DeadlineSpec,
    started: datetime,
    due: datetime,
    rt: Runtime,
    counted_from: datetime,
) -> dict[str, Any]:
    return {
        "claim_id": claim.id,
        "name": d.name,
        "label": d.label,
        "state": state,
        "scope": d.scope,
        "responsible": d.responsible,
        "met_by": ",".join(d.met_by),
        "restarted_by": ",".join(d.restarted_by),
        "started_at": started,
        "due_at": due,
        "remind_at": remind_at(d, started, due, rt),
        "counted_from": counted_from,
        "due_rule": explain_due(d, counted_from, rt.calendar, rt.tz).rule,
        "paused_at": None,
        "pauses": 0,
        "reminded_at": None,
        "flagged_at": None,
        "escalated_at": None,
    }
