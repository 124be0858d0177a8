"""Checking the timelines' hash chains: every event's hash recomputed, every link to the previous one,
every letter's HTML against its sha256 and against the list of its event; the first broken link per claim."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row
from sqlalchemy.engine import Connection

from claims.errors import ClaimNotFound
from claims.storage import chain
from claims.storage.repositories import claims, events


@dataclass(frozen=True)
class Break:
    """The first link of a claim's chain that does not hold."""

    reference: str
    event_id: int
    problem: str


@dataclass
class Checked:
    """How many claims, events and letters a walk has checked so far."""

    claims: int = 0
    events: int = 0
    letters: int = 0


def verify(
    conn: Connection, reference: str | None = None, *, checked: Checked | None = None, page: int = 1000
) -> Iterator[Break]:
    """Walk every claim's chain (or that of `reference`) in order, `page` events at a time; yield each
    claim's first broken link as it is found, counting what was checked in `checked`."""
    out = checked if checked is not None else Checked()
    claim_id = None
    if reference is not None:
        claim = claims.by_reference(conn, reference)
        if claim is None:
            raise ClaimNotFound(f"Claim {reference} bestaat niet.")
        claim_id = claim.id
    current: int | None = None
    head = chain.GENESIS
    broken = False  # the current claim's first break is named; the rest of its chain is not
    for stretch in events.chain_pages(conn, claim_id, page):
        for event in stretch.events:
            if event.claim_id != current:
                current, head, broken = event.claim_id, chain.GENESIS, False
                out.claims += 1
            out.events += 1
            letters = stretch.letters.get(event.id, [])
            out.letters += len(letters)
            if broken:
                continue
            problem = _problem(event, head, letters)
            head = event.sha256
            if problem is not None:
                broken = True
                yield Break(event.reference, event.id, problem)


def _problem(event: Row[Any], head: str, letters: Sequence[Row[Any]]) -> str | None:
    """What is wrong with this event, read after `head` (the previous event's stored sha256); None if
    nothing is."""
    if event.prev_sha256 != head:
        expected = "het begin van de keten" if head == chain.GENESIS else f"de vorige ({head[:12]})"
        return f"verwijst naar {event.prev_sha256[:12] or 'niets'}, niet naar {expected}"
    content = event._mapping
    if chain.digest(content, event.prev_sha256) != event.sha256:
        return "de inhoud past niet bij de opgeslagen hash (gewijzigd na het schrijven)"
    for letter in letters:
        if hashlib.sha256(letter.html.encode()).hexdigest() != letter.sha256:
            return f"brief {letter.id} ({letter.template}): de tekst past niet bij de opgeslagen hash"
    data = content["data"]
    listed = data.get("letters", []) if isinstance(data, dict) else []
    stored = chain.letter_entries((x.template, x.sha256) for x in letters)
    if stored != listed:
        return (
            f"de brieven bij de gebeurtenis ({_names(stored)}) zijn niet die in de keten ({_names(listed)})"
        )
    return None


def _names(entries: list[dict[str, str]]) -> str:
    return ", ".join(f"{e.get('template')} {str(e.get('sha256'))[:12]}" for e in entries) or "geen"
