"""A note on a claim's timeline: it changes neither the claim nor its version."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from claims.errors import ClaimNotFound
from claims.people.permissions import check_may_act
from claims.runtime import Runtime
from claims.service.timeline import append_aside
from claims.storage.db import Db, in_write
from claims.storage.models import User
from claims.storage.repositories import claims
from workflow.errors import InvalidInput

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
        return append_aside(conn, claim, actor.id, rt.clock(), "note", {}, note=text)

    return in_write(db, work)
