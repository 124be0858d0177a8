"""The post desk: the letters that go by post and are not printed yet, one PDF to print them all (a
copy per addressee by post), marking them printed, and a letter that came back undelivered."""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape
from typing import Any

from sqlalchemy.engine import Connection

from claims.errors import ClaimNotFound
from claims.parties.fields import address_lines
from claims.people.permissions import check_may_act, visible_claims
from claims.runtime import Runtime
from claims.service.timeline import append_aside
from claims.storage.db import Db, in_write
from claims.storage.models import Role, User
from claims.storage.repositories import audit, claims, letters, parties
from claims.storage.scopes import visible
from claims.text import unstorable
from notifications.letters import to_pdf_many
from workflow.errors import Forbidden, InvalidInput

MAX_NOTE = 500


def _check_desk(actor: User) -> None:
    if actor.role not in (Role.handler, Role.manager) or not actor.active:
        raise Forbidden("Alleen behandelaars en managers versturen brieven per post.")


def to_print(conn: Connection, actor: User) -> list[Any]:
    """The letters waiting to be printed on the claims `actor` may see, oldest first."""
    _check_desk(actor)
    return letters.to_print(conn, visible(visible_claims(actor)))


def print_run(db: Db, rt: Runtime, actor: User, channel: str) -> tuple[bytes, list[int]]:
    """One PDF of the letters waiting to be printed, each as many times as it has addressees by post
    (the addressee's envelope and each copy's), and their ids; taking letters out in bulk is in the audit
    trail, as an export is. ValueError when nothing waits."""

    def work(conn: Connection) -> tuple[list[str], list[int]]:
        rows = to_print(conn, actor)
        if rows:
            audit.add(
                conn,
                {
                    "at": rt.clock(),
                    "actor_id": actor.id,
                    "actor": actor.email,
                    "channel": channel,
                    "action": "print_letters",
                    "subject": f"{len(rows)} brieven per post",
                    "format": "pdf",
                    "detail": {"letters": [r.id for r in rows]},
                },
            )
        return [html for r in rows for html in _envelopes(conn, r)], [r.id for r in rows]

    htmls, ids = in_write(db, work)
    if not ids:
        raise ValueError("er wachten geen brieven op de post")
    return to_pdf_many(htmls), ids


def _envelopes(conn: Connection, letter: Any) -> list[str]:
    """What goes in the envelopes of one letter: the letter itself when its addressee takes post, and
    for each copy by post the letter with that copy's address in the window, marked as a copy (the stored
    letter stays the record; only where the copy goes differs)."""
    out = [letter.html] if letter.channel == "post" else []
    for c in letter.copies:
        if c["channel"] != "post":
            continue
        party = parties.by_id(conn, c["party_id"]) if c.get("party_id") is not None else None
        lines = address_lines(party) if party is not None else [c["name"]]
        out.append(_as_copy(letter.html, lines, letter.recipient_name))
    return out


_ADDRESS = re.compile(r'<div class="adres">.*?</div>', re.S)


def _as_copy(html: str, lines: list[str], addressee: str) -> str:
    block = "<br>".join(escape(line) for line in lines)
    marked = (
        f'<div class="adres">{block}</div>'
        f'<p class="kopie-van"><strong>KOPIE</strong> van onze brief aan {escape(addressee)}</p>'
    )
    return _ADDRESS.sub(lambda _m: marked, html, count=1)


def mark_printed(db: Db, rt: Runtime, letter_ids: Sequence[int], actor: User) -> list[int]:
    """Mark the letters printed (those still waiting and visible to `actor`); each on its claim's
    timeline and in the audit trail. The ids marked."""
    _check_desk(actor)

    def work(conn: Connection) -> list[int]:
        now = rt.clock()
        waiting = {r.id: r for r in to_print(conn, actor) if r.id in set(letter_ids)}
        marked = letters.mark_printed(conn, sorted(waiting), now)
        for letter_id in marked:
            _event(
                conn,
                waiting[letter_id].reference,
                actor,
                now,
                "letter_printed",
                letter_id,
                waiting[letter_id].title,
            )
        return marked

    return in_write(db, work)


def mark_returned(db: Db, rt: Runtime, letter_id: int, note: str, actor: User) -> None:
    """A letter by post came back undelivered: on the letter and its claim's timeline."""
    _check_desk(actor)
    note = note.strip()
    problem = unstorable(note)
    if problem or len(note) > MAX_NOTE:
        raise InvalidInput({"note": f"toelichting {problem}" if problem else f"hoogstens {MAX_NOTE} tekens"})

    def work(conn: Connection) -> None:
        claim_id = letters.claim_of(conn, letter_id)
        found = letters.with_text(conn, letter_id)
        if claim_id is None or found is None:
            raise ClaimNotFound(f"Brief {letter_id} bestaat niet.")
        if found.returned_at is not None:
            raise InvalidInput({"letter": "deze brief is al als retour gemeld"})
        now = rt.clock()
        letters.mark_returned(conn, letter_id, now, note)
        _event(conn, found.reference, actor, now, "letter_returned", letter_id, found.title, note)

    in_write(db, work)


def _event(
    conn: Connection,
    reference: str,
    actor: User,
    at: Any,
    kind: str,
    letter_id: int,
    title: str,
    note: str = "",
) -> None:
    claim = claims.by_reference(conn, reference)
    if claim is None:
        raise ClaimNotFound(f"Claim {reference} bestaat niet.")
    check_may_act(actor, claim)
    append_aside(
        conn,
        claim,
        actor.id,
        at,
        kind,
        {"letter_id": letter_id, "title": title, **({"note": note} if note else {})},
    )
