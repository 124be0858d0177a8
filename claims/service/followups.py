"""Follow-ups (the handler's diary): "bel advocaat terug op 12 december" on a claim. Each is a term of
its own beside the claim's course (scope FOLLOWUP_SCOPE): the sweep reminds its handler on the morning of
its day and flags it when the day has passed; the handler marks it done. Both on the timeline."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy.engine import Connection

from claims.errors import ClaimNotFound
from claims.people.permissions import check_may_act
from claims.runtime import Runtime
from claims.service.timeline import append_aside
from claims.storage.db import Db, in_write
from claims.storage.models import FOLLOWUP_SCOPE, Role, User
from claims.storage.repositories import claims, deadlines
from workflow.deadlines import end_of_day
from workflow.errors import Forbidden, InvalidInput, TransitionNotAllowed

MAX_TEXT = 500
MORNING = time(8, 0)  # when the reminder of a follow-up's day goes out


def add_followup(db: Db, rt: Runtime, reference: str, on: Any, text: str, actor: User) -> int:
    """A follow-up on the claim `reference` for day `on` (a date or YYYY-MM-DD); its id."""
    if actor.role not in (Role.handler, Role.manager):
        raise Forbidden("Alleen een behandelaar of manager zet een opvolging in de agenda.")
    errors: dict[str, str] = {}
    day = _day(on, errors)
    text = (text or "").strip()
    if not text:
        errors["text"] = "zeg wat er moet gebeuren"
    elif len(text) > MAX_TEXT or "\x00" in text:
        errors["text"] = f"hoogstens {MAX_TEXT} tekens, zonder ongeldige tekens"
    now = rt.clock()
    if day is not None and day < now.astimezone(rt.tz).date():
        errors["on"] = "ligt in het verleden"
    if errors:
        raise InvalidInput(errors)
    assert day is not None

    def work(conn: Connection) -> int:
        claim = _claim(conn, reference, actor)
        due = end_of_day(day, rt.tz)
        morning = datetime.combine(day, MORNING, tzinfo=rt.tz)
        deadlines.add(
            conn,
            [
                {
                    "claim_id": claim.id,
                    "name": f"opvolging_{now.timestamp():.0f}_{actor.id}",
                    "label": f"Opvolging: {text}",
                    "state": FOLLOWUP_SCOPE,
                    "scope": FOLLOWUP_SCOPE,
                    "responsible": "handler",
                    "met_by": "",
                    "restarted_by": "",
                    "started_at": now,
                    "due_at": due,
                    "remind_at": max(morning, now),
                    "counted_from": now,
                    "due_rule": "opvolging in de agenda van de behandelaar",
                }
            ],
        )
        found = deadlines.followups_of_claim(conn, claim.id)
        new_id = max(r.id for r in found)
        append_aside(
            conn, claim, actor.id, now, "followup_added", {"on": day.isoformat(), "text": text}, note=text
        )
        return int(new_id)

    return in_write(db, work)


def complete_followup(db: Db, rt: Runtime, reference: str, followup_id: int, actor: User) -> None:
    """Mark the follow-up done (the sweep leaves it alone from now on)."""
    if actor.role not in (Role.handler, Role.manager):
        raise Forbidden("Alleen een behandelaar of manager werkt de agenda bij.")

    def work(conn: Connection) -> None:
        claim = _claim(conn, reference, actor)
        row = next((r for r in deadlines.followups_of_claim(conn, claim.id) if r.id == followup_id), None)
        if row is None:
            raise ClaimNotFound(f"Opvolging {followup_id} hoort niet bij claim {reference}.")
        if row.met_at is not None or row.cancelled_at is not None:
            raise TransitionNotAllowed("Deze opvolging is al afgehandeld.", guard="followup_done")
        now = rt.clock()
        deadlines.close(conn, [{"_id": row.id, "met_at": now, "met_trigger": "followup_done"}])
        append_aside(
            conn,
            claim,
            actor.id,
            now,
            "followup_done",
            {"followup": row.id, "text": row.label},
            note=row.label,
        )

    in_write(db, work)


def _claim(conn: Connection, reference: str, actor: User) -> Any:
    claim = claims.by_reference(conn, reference)
    if claim is None:
        raise ClaimNotFound(f"Claim {reference} bestaat niet.")
    check_may_act(actor, claim)
    return claim


def _day(value: Any, errors: dict[str, str]) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        errors["on"] = "geen datum (jjjj-mm-dd)"
        return None
