"""Where each of a claim's letters is: sent by e-mail (or waiting, or failed), to be posted, printed,
returned undelivered, read inside claimflow, or stuck for want of an address. One line per addressee."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from claims.storage.models import OutboxStatus

# how a letter to a user of claimflow, or to a party nobody can reach, is shown
INTERNAL = "internal"
NOWHERE = "none"
NO_ADDRESS = "geen e-mailadres en geen volledig adres: vul de partij aan"


def dispatch_lines(letter: Mapping[str, Any], emails: Iterable[Any]) -> list[dict[str, Any]]:
    """The letter's addressee and each copy with how it went: {name, copy, how, state, at, problem}.
    `emails` are the outbox rows that carry this letter, one per addressee reached by e-mail."""
    by_name = {e.to_name: e for e in emails}  # in id order: a row queued again for a name wins
    whom = [(letter["recipient_name"], letter["channel"], False)]
    whom += [(c["name"], c["channel"], True) for c in letter["copies"]]
    out = []
    for name, channel, is_copy in whom:
        line: dict[str, Any] = {"name": name, "copy": is_copy, "how": channel, "at": None, "problem": ""}
        if channel == "email":
            line.update(_email_state(by_name.get(name)))
        elif channel == "post":
            line.update(_post_state(letter))
        elif channel == INTERNAL:
            line.update(state="in claimflow", at=letter["created_at"])
        else:
            line.update(state="niet verstuurd", problem=NO_ADDRESS)
        out.append(line)
    return out


def _email_state(row: Any) -> dict[str, Any]:
    if row is None:
        return {"state": "niet in de outbox", "problem": "geen e-mail gevonden"}
    if row.status == OutboxStatus.sent:
        return {"state": f"per e-mail verstuurd aan {row.to_address}", "at": row.sent_at}
    if row.status == OutboxStatus.incident:
        return {"state": f"e-mail aan {row.to_address} mislukt", "problem": row.last_error or "incident"}
    return {"state": f"e-mail aan {row.to_address} wacht op verzending"}


def _post_state(letter: Mapping[str, Any]) -> dict[str, Any]:
    returned: datetime | None = letter["returned_at"]
    if returned is not None:
        note = letter["returned_note"]
        return {"state": "retour ontvangen", "at": returned, "problem": note or "onbestelbaar"}
    printed: datetime | None = letter["printed_at"]
    if printed is not None:
        return {"state": "geprint voor de post", "at": printed}
    return {"state": "te versturen per post"}
