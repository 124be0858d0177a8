"""The timeline's hash chain: an event's canonical content and its sha256, the one form the writer
(claims.storage.repositories.events) and the verifier (claims.reads.chain_check) both use.

An event's canonical content is the JSON object of CONTENT plus `prev_sha256` (the sha256 of the claim's
previous event, GENESIS for its first), written with sorted keys, no whitespace and ASCII only (every
other character as a \\u escape): `at` as UTC ISO 8601 with microseconds and a Z
(2026-11-16T09:00:00.000000Z), a Decimal as its string, a date as YYYY-MM-DD. The event's sha256 is the
hex sha256 of those bytes. The letters written with an event are in its `data` as
`letters: [{template, sha256}]` (the sha256 of each letter's HTML), a document the same way, so they are
in the chain by their hashes.

Every stored hash depends on this form (the revision that built the chain uses it too): changing it
breaks every chain, so it never changes; a new form would be a new, versioned one beside it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, MutableMapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

GENESIS = "0" * 64  # the `prev_sha256` of a claim's first event
# the columns an event's hash covers, besides prev_sha256; its id is where it is, not what it says
CONTENT = (
    "claim_id",
    "claim_version",
    "at",
    "actor_id",
    "kind",
    "trigger",
    "from_state",
    "to_state",
    "data",
    "note",
)


def utc_text(moment: datetime) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime in a timeline event: {moment!r}")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} has no canonical form in a timeline event")


def canonical(event: Mapping[Any, Any], prev_sha256: str) -> bytes:
    """The bytes an event's sha256 is taken of (see the module's docstring)."""
    content = {name: event[name] for name in CONTENT}
    content["at"] = utc_text(content["at"])
    content["prev_sha256"] = prev_sha256
    return json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False, default=_plain
    ).encode("ascii")


def digest(event: Mapping[Any, Any], prev_sha256: str) -> str:
    """The sha256 of the event's canonical content after `prev_sha256`."""
    return hashlib.sha256(canonical(event, prev_sha256)).hexdigest()


def seal(event: MutableMapping[str, Any], prev_sha256: str) -> str:
    """Link `event` after `prev_sha256`: sets its prev_sha256 and sha256; its sha256 (the new head)."""
    event["prev_sha256"] = prev_sha256
    event["sha256"] = sha = digest(event, prev_sha256)
    return sha


def link(events: Iterable[MutableMapping[str, Any]], heads: dict[int, str]) -> None:
    """Seal `events` in order, each after its claim's head in `heads` (GENESIS for a claim not in it),
    moving the heads along: several events of one claim in one batch chain one after the other."""
    for event in events:
        claim_id = event["claim_id"]
        heads[claim_id] = seal(event, heads.get(claim_id, GENESIS))


def letter_entries(letters: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    """What an event's data lists of the letters written with it, from (template, sha256 of the HTML)
    in the order they are stored."""
    return [{"template": template, "sha256": sha256} for template, sha256 in letters]
