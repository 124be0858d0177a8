"""Who is told of a transition, and what: the roles in the spec's `notify`, each in their inbox and by
e-mail (through the outbox), in the transition's transaction. Whoever fired it is not told."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from claims.letters.facts import team_managers
from claims.notify.outbox import claim_email, email_row, queue_emails, tell
from claims.runtime import Runtime
from claims.storage.models import Role, User
from claims.storage.repositories import outbox, users
from notifications.formatting import local_moment
from notifications.messages import Message
from workflow.spec import TransitionSpec, WorkflowSpec


def recipients(conn: Connection, roles: Sequence[str], claim: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """(role, user row) for each active person the roles name on this claim, each person once."""
    out: dict[int, tuple[str, Any]] = {}
    handler = users.contact(conn, claim["handler_id"])
    for role in roles:
        if role == Role.handler:
            people = [handler]
        elif role == Role.expert:
            people = [users.contact(conn, claim["expert_id"])] if claim.get("expert_id") else []
        elif role == Role.manager:
            people = team_managers(conn, handler.team if handler else None)
        else:
            people = []
        for person in people:
            if person is not None and person.active:
                out.setdefault(person.id, (role, person))
    return list(out.values())


@dataclass(frozen=True)
class Notice:
    """One person's news of a transition, worked out before it is written: their inbox line and its
    e-mail."""

    person: Any
    message: str
    email: Message
    mail: dict[str, Any]  # its outbox row, but for the notification's id


def transition_notices(
    conn: Connection,
    rt: Runtime,
    spec: WorkflowSpec,
    transition: TransitionSpec,
    claim: Mapping[str, Any],
    actor: User,
    letter_titles: Sequence[str],
    to_do: Sequence[Any],
    now: datetime,
) -> list[Notice]:
    """What the transition tells whom (the claim as it is after it, with its open deadlines `to_do`, the
    first due first): written by `write_notices`, so that it can be worked out before the write."""
    if not transition.notify or (transition.notify == ("handler",) and claim["handler_id"] == actor.id):
        return []  # nobody, or only the handler, who did it themselves
    told = [(role, p) for role, p in recipients(conn, transition.notify, claim) if p.id != actor.id]
    if not told:
        return []
    state = spec.states[claim["state"]].label
    news = (
        f"{claim['reference']} ({claim['claimant']}): {actor.name} - {transition.label}. "
        f"De claim is nu in de fase '{state}'."
    )
    out = []
    for role, person in told:
        mine = [d for d in to_do if d.responsible == role]
        tasks = " ".join(f"Te doen: {d.label}, uiterlijk {local_moment(d.due_at, rt.tz)}." for d in mine)
        message = f"{news} {tasks}".strip()
        email = claim_email(
            rt,
            "overgang",
            person,
            claim["reference"],
            message,
            transition=transition.label,
            letters=letter_titles,
        )
        mail = email_row(to=person, email=email, now=now, claim_id=claim["id"])
        out.append(Notice(person, message, email, mail))
    return out


def write_notices(
    conn: Connection, notices: Sequence[Notice], claim_id: int, event_id: int, now: datetime
) -> None:
    """Each notice in its person's inbox, with its e-mail queued."""
    if not notices:
        return
    rows = []
    for n in notices:
        notification_id = outbox.add_notification(
            conn,
            {
                "user_id": n.person.id,
                "claim_id": claim_id,
                "event_id": event_id,
                "kind": "transition",
                "message": n.message,
                "created_at": now,
            },
        )
        rows.append({**n.mail, "notification_id": notification_id})
    queue_emails(conn, rows)


def notify_proposal(
    conn: Connection,
    rt: Runtime,
    spec: WorkflowSpec,
    claim: Mapping[str, Any],
    transition: TransitionSpec,
    actor: User,
    event_id: int,
    reasons: str,
    now: datetime,
) -> int:
    """Tell the team's managers that a proposal waits for their approval (the proposer is not told)."""
    told = [p for _, p in recipients(conn, (Role.manager,), claim) if p.id != actor.id]
    rows = []
    for person in told:
        message = (
            f"{claim['reference']} ({claim['claimant']}): {actor.name} legt ter goedkeuring voor: "
            f"{transition.label}. {reasons}"
        )
        email = claim_email(
            rt, "overgang", person, claim["reference"], message, transition=transition.label, letters=[]
        )
        rows.append(
            tell(
                conn,
                user=person,
                claim_id=claim["id"],
                event_id=event_id,
                kind="proposal",
                message=message,
                email=email,
                now=now,
            )
        )
    queue_emails(conn, rows)
    return len(rows)
