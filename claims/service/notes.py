"""A note on a claim's timeline: it changes neither the claim nor its version."""

from __future__ import annotations

import re

from sqlalchemy.engine import Connection

from claims.errors import ClaimNotFound
from claims.people.permissions import check_may_act
from claims.runtime import Runtime
from claims.service.timeline import append_aside
from claims.storage.db import Db, in_write
from claims.storage.models import User
from claims.storage.repositories import claims, events
from workflow.errors import InvalidInput

MAX_NOTE = 5000
FORM_TOKEN = re.compile(r"[A-Za-z0-9_-]{8,64}")  # what the pages hand out (secrets.token_urlsafe)


def add_note(db: Db, rt: Runtime, reference: str, text: str, actor: User, form_token: str = "") -> int:
    """Add a note to the claim's timeline (it does not change the claim or its version); the event id.
    `form_token`: the token of the form it was typed in; the same form sent again (a double click, a
    reload) stores nothing more and answers with the note it stored the first time."""
    text = text.strip()
    if not text:
        raise InvalidInput({"note": "een lege notitie wordt niet opgeslagen"})
    if "\x00" in text:
        raise InvalidInput({"note": "bevat een ongeldig teken"})
    if len(text) > MAX_NOTE:
        raise InvalidInput({"note": f"hoogstens {MAX_NOTE} tekens ({len(text)} ingevuld)"})
    if form_token and not FORM_TOKEN.fullmatch(form_token):
        raise InvalidInput({"form_token": "ongeldig formulierkenmerk: laad de pagina opnieuw"})

    def work(conn: Connection) -> int:
        claim = claims.by_reference(conn, reference)
        if claim is None:
            raise ClaimNotFound(f"Claim {reference} bestaat niet.")
        check_may_act(actor, claim)
        if form_token:
            claims.lock(conn, claim.id)  # two sends of one form at once: the second finds the first
            earlier = events.note_of_form(conn, claim.id, form_token)
            if earlier is not None:
                return earlier
        data = {"form_token": form_token} if form_token else {}
        return append_aside(conn, claim, actor.id, rt.clock(), "note", data, note=text)

    return in_write(db, work)
