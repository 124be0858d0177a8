"""What a successful service call did to a claim."""

from __future__ import annotations

from typing import NamedTuple


class Outcome(NamedTuple):
    """What a successful open or advance did."""

    reference: str
    claim_id: int
    state: str
    version: int
    event_id: int
    trigger: str | None
    from_state: str | None
    # set when the transition went above its actor's authority: it waits for a manager, nothing moved
    proposal_id: int | None = None
