"""The deadline sweep: warn before a deadline, flag it when it passes, escalate to the managers after a
grace period. Each step happens once per deadline, whatever runs twice, at once, or crashes.

Once is guaranteed by the database, not by the scheduler: a batch claims its deadlines with a
conditional UPDATE (`... WHERE flagged_at IS NULL`), so of two sweeps only one sets the moment, and only
the deadlines it set get a timeline event and notifications, in the same transaction. A sweep that dies
mid-batch leaves nothing of that batch behind; the next sweep does it. On PostgreSQL the batches are
picked with FOR UPDATE SKIP LOCKED, so several nodes share the work instead of queueing behind each
other; on SQLite writes are serialised anyway (BEGIN IMMEDIATE). A clock that jumps back finds nothing
new: every step asks for moments at or before `now`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from claims.letters.facts import claim_facts, managers_of
from claims.notify.outbox import claim_email, claim_link, email_row
from claims.runtime import Runtime
from claims.storage import chain
from claims.storage.db import WRITE
from claims.storage.models import Role
from claims.storage.repositories import deadlines, events, letters, outbox, users
from notifications.formatting import local_moment
from notifications.messages import Message, Stamp

BATCH = 500


@dataclass(frozen=True)
class Step:
    """One kind of work: which deadlines are due for it, which column records it, who is told."""

    name: str  # reminded | flagged | escalated
    column: str  # the deadline's moment it sets (storage knows which deadlines are ready for it)
    event: str
    to_managers: bool
    message: Callable[[Any, str], str]
    email: str  # its template in templates/email
    letter: bool = False  # the escalation letter to the managers


STEPS: tuple[Step, ...] = (
    Step(
        "reminded",
        "reminded_at",
        "deadline_reminder",
        False,
        lambda d, due: f"{d.reference}: termijn '{d.label}' verloopt op {due}.",
        "termijn_herinnering",
    ),
    Step(
        "flagged",
        "flagged_at",
        "deadline_overdue",
        False,
        lambda d, due: f"{d.reference}: termijn '{d.label}' is verlopen (uiterlijk {due}).",
        "termijn_verlopen",
    ),
    Step(
        "escalated",
        "escalated_at",
        "deadline_escalated",
        True,
        lambda d, due: (
            f"{d.reference}: termijn '{d.label}' is sinds {due} verlopen en nog niet gehaald "
            f"(behandelaar {d.handler_name})."
        ),
        "termijn_escalatie",
        letter=True,
    ),
)


@dataclass
class SweepReport:
    reminded: int = 0
    flagged: int = 0
    escalated: int = 0
    batches: int = 0
    notifications: int = 0

    def add(self, step: str, done: int, told: int) -> None:
        setattr(self, step, getattr(self, step) + done)
        self.notifications += told
        self.batches += 1


def sweep(
    engine: Engine,
    rt: Runtime,
    now: datetime | None = None,
    *,
    batch: int = BATCH,
    pause: float = 0.0,
) -> SweepReport:
    """Remind, flag and escalate everything due at `now` (default: the runtime's clock), in batches of
    `batch` deadlines, each batch one transaction. `pause` sleeps between batches (tests that need a
    sweep to be caught mid-way)."""
    now = now or rt.clock()
    report = SweepReport()
    with engine.connect() as conn:
        people = users.everyone(conn)  # once a sweep: who is told, and their addresses
        managers = _managers_by_team(people)
        mail = _Mail(rt)
        conn.commit()  # a plain read; from here on each batch begins as a write (BEGIN IMMEDIATE)
        conn.execution_options(**WRITE)
        for step in STEPS:
            while True:
                done, told = _batch(conn, rt, step, now, batch, people, managers, mail)
                if done is None:
                    break
                report.add(step.name, done, told)
                if pause:
                    time.sleep(pause)
    return report


def _batch(
    conn: Connection,
    rt: Runtime,
    step: Step,
    now: datetime,
    size: int,
    people: dict[int, Any],
    managers: dict[str | None, list[int]],
    mail: _Mail,
) -> tuple[int | None, int]:
    """One transaction: claim up to `size` deadlines for `step`, record them, tell people. (None, 0)
    when nothing was left to claim."""
    # BEGIN IMMEDIATE on SQLite (claims.storage.db): the write lock first, no upgrade later
    with conn.begin():
        taken = deadlines.take_ready_with_claims(
            conn, step.column, now, rt.rules.escalation_grace, size, _LETTER_CLAIM_COLUMNS
        )
        if taken is None:
            return None, 0
        told = _record(conn, rt, step, now, taken, people, managers, mail) if taken else 0
        return len(taken), told


def _record(
    conn: Connection,
    rt: Runtime,
    step: Step,
    now: datetime,
    rows: list[Any],
    people: dict[int, Any],
    managers: dict[str | None, list[int]],
    mail: _Mail,
) -> int:
    """A timeline event per deadline (`rows`, as deadlines.with_claims reads them), a notification
    and an e-mail (in the outbox) per person to tell, and for an escalation the letter to the managers;
    the notifications sent."""
    tz = rt.tz
    # an escalation's letter is rendered first: its event lists the letter's hash (claims.storage.chain)
    escalation_letters = [_escalation_letter(conn, rt, d, now) for d in rows] if step.letter else []
    new_events = [
        {
            "claim_id": d.claim_id,
            "claim_version": d.version,
            "at": now,
            "actor_id": None,
            "kind": step.event,
            "trigger": None,
            "from_state": d.state,
            "to_state": d.state,
            "data": {"deadline": d.name, "label": d.label, "due_at": d.due_at.isoformat()},
            "note": step.message(d, local_moment(d.due_at, tz)),
        }
        for d in rows
    ]
    for event, letter in zip(new_events, escalation_letters, strict=False):
        event["data"]["letters"] = chain.letter_entries([(letter["template"], letter["sha256"])])
    event_ids = events.append_many(conn, new_events)
    for letter, event_id in zip(escalation_letters, event_ids, strict=False):
        letter["event_id"] = event_id
    notes = []
    references = []  # the claim of each notification, for its e-mail
    for d, event_id, event in zip(rows, event_ids, new_events, strict=True):
        for user_id in _recipients(step, d, managers):
            references.append(d.reference)
            notes.append(
                {
                    "user_id": user_id,
                    "claim_id": d.claim_id,
                    "event_id": event_id,
                    "kind": step.event,
                    "message": event["note"],
                    "created_at": now,
                }
            )
    letters.add_many(conn, escalation_letters)
    if not notes:
        return 0
    note_ids = outbox.add_notifications(conn, notes)
    emails = []
    for note, note_id, reference in zip(notes, note_ids, references, strict=True):
        person = people.get(note["user_id"])
        if person is None or not person.active:  # the inbox keeps it; no e-mail to a blocked account
            continue
        emails.append(
            email_row(
                to=person,
                email=mail.write(step.email, person, reference, note["message"]),
                now=now,
                claim_id=note["claim_id"],
                notification_id=note_id,
            )
        )
    outbox.queue(conn, emails)
    return len(notes)


class _Mail:
    """The sweep's e-mails, each template stamped once a sweep (notifications.messages.Stamp) and
    filled per recipient: tens of thousands of them differ only in name, claim and message."""

    _FACTS = ("name", "reference", "message", "link")

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.stamps: dict[str, Stamp | None] = {}

    def write(self, template: str, person: Any, reference: str, message: str) -> Message:
        """What claims.notify.outbox.claim_email writes for these, to the letter."""
        if template not in self.stamps:
            self.stamps[template] = self.rt.messages.stamp(template, self._FACTS)
        stamp = self.stamps[template]
        if stamp is None:
            return claim_email(self.rt, template, person, reference, message)
        return stamp.fill(person.name, reference, message, claim_link(self.rt.base_url, reference))


# the claim's columns a letter's facts are drawn from (claims.letters.facts.claim_facts)
_LETTER_CLAIM_COLUMNS = (
    "reference",
    "kind",
    "spec_version",
    "state",
    "policy_id",
    "handler_id",
    "expert_id",
    "insured_reference",
    "claimant",
    "date_reported",
    "amount_claimed",
    "description",
)


def _escalation_letter(conn: Connection, rt: Runtime, d: Any, now: datetime) -> dict[str, Any]:
    """The letter to the team's managers about a deadline that passed its grace period unmet (its
    event_id set once the event is appended)."""
    claim = {name: getattr(d, name) for name in _LETTER_CLAIM_COLUMNS}
    facts = claim_facts(conn, rt.catalog.spec(d.kind, d.spec_version), claim, now)
    facts["recipient"] = managers_of(conn, d.team)
    facts["copies"] = []
    facts["deadline"] = {"label": d.label, "due_at": d.due_at}
    letter = rt.letters.render("escalatie", facts)
    return {
        "claim_id": d.claim_id,
        "template": letter.template,
        "template_version": letter.version,
        "title": letter.title,
        "recipient": "manager",
        "recipient_name": facts["recipient"]["name"],
        "channel": "internal",
        "sha256": letter.sha256,
        "html": letter.html,
        "created_at": now,
    }


def _managers_by_team(people: dict[int, Any]) -> dict[str | None, list[int]]:
    """Active managers per team; under None, all of them (for a team without its own)."""
    out: dict[str | None, list[int]] = {None: []}
    for person in people.values():
        if person.role == Role.manager and person.active:
            out.setdefault(person.team, []).append(person.id)
            out[None].append(person.id)
    return out


def _recipients(step: Step, d: Any, managers: dict[str | None, list[int]]) -> list[int]:
    team_managers = managers.get(d.team) or managers[None]
    if step.to_managers:
        return list(team_managers)
    if d.responsible == Role.expert and d.expert_id:
        return [d.expert_id]
    if d.responsible == Role.manager:
        return list(team_managers)
    return [d.handler_id]


__all__ = ["STEPS", "SweepReport", "sweep"]
