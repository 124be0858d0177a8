"""Service terms the insurer sets (not the law): adjustable without touching the workflow specs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal


@dataclass(frozen=True)
class DomainRules:
    fast_track_limit: Decimal = Decimal("25000.00")  # contract breach: snelle afhandeling up to this
    min_reason_length: int = 30  # a rejection's reasons must say something (Gedragscode)
    # the responsible person is warned this long before a deadline (halfway, for a shorter term)
    reminder_lead: timedelta = timedelta(days=2)
    # an overdue deadline goes to the manager this long after it passed
    escalation_grace: timedelta = timedelta(days=2)
    # 7:941 BW: a melding later than this after the insured knew is flagged as late notice for the
    # handler (never a rejection by itself: the insurer must show the harm the delay did)
    late_notice: timedelta = timedelta(days=30)
    # the dashboard's large losses (grote schades): open claims whose damages reserve and payments
    # together are above this
    large_loss_threshold: Decimal = Decimal("100000.00")
