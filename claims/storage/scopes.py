"""Which claims a reader may see, as plain data (decided in claims.people), and the WHERE clause it is."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, true

from claims.storage.repositories import users
from claims.storage.tables import CLAIMS


@dataclass(frozen=True)
class ClaimScope:
    """All claims, an expert's appointments, or the claims of a team's handlers; none when all are unset."""

    everything: bool = False
    expert_id: int | None = None
    handler_team: str | None = None


NOTHING = ClaimScope()
EVERYTHING = ClaimScope(everything=True)


def visible(scope: ClaimScope) -> ColumnElement[bool]:
    """A WHERE clause on CLAIMS for the claims in `scope`."""
    if scope.everything:
        return true()
    if scope.expert_id is not None:
        return CLAIMS.c.expert_id == scope.expert_id
    if scope.handler_team is not None:
        return CLAIMS.c.handler_id.in_(users.team_handler_ids(scope.handler_team))
    return false()
