"""Service terms the insurer sets (not the law): adjustable without touching the workflow specs."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class DomainRules:
    fast_track_limit: Decimal = Decimal("25000.00")  # contract breach: snelle afhandeling up to this
    min_reason_length: int = 30  # a rejection's reasons must say something (Gedragscode)
