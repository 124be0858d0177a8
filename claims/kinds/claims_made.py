"""Claims-made cover: is a claim within the policy's cover in time? (rules.md, "Claims-made cover").

A BAV policy covers a claim only if it was reported within the policy period (or its extended reporting
period, uitloop) and the error was made on or after the retroactive date (inloopdatum). The engine checks
both at the melding and shows the result; the handler (a manager, outside it) decides, never the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from notifications.formatting import long_date


@dataclass(frozen=True)
class ClaimsMade:
    reported: date
    date_error: date
    start: date
    end: date | None  # None: the policy runs
    reporting_until: date | None
    retroactive: date

    @property
    def reported_in_period(self) -> bool:
        if self.reported < self.start:
            return False
        last = max((d for d in (self.end, self.reporting_until) if d is not None), default=None)
        return last is None or self.reported <= last

    @property
    def error_after_retroactive(self) -> bool:
        return self.date_error >= self.retroactive

    @property
    def covered(self) -> bool:
        return self.reported_in_period and self.error_after_retroactive

    def findings(self) -> list[str]:
        """What the check found, in Dutch, with its dates."""
        period = f"vanaf {long_date(self.start)}" + (f" tot en met {long_date(self.end)}" if self.end else "")
        uitloop = f", uitloop tot en met {long_date(self.reporting_until)}" if self.reporting_until else ""
        out = [
            f"Gemeld op {long_date(self.reported)}: "
            + ("binnen" if self.reported_in_period else "buiten")
            + f" de looptijd van de polis ({period}{uitloop}).",
            f"Fout van {long_date(self.date_error)}: "
            + ("op of na" if self.error_after_retroactive else "vóór")
            + f" de datum van terugwerkende kracht ({long_date(self.retroactive)}).",
        ]
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "covered": self.covered,
            "reported_in_period": self.reported_in_period,
            "error_after_retroactive": self.error_after_retroactive,
            "reported": self.reported.isoformat(),
            "date_error": self.date_error.isoformat(),
            "policy_start": self.start.isoformat(),
            "policy_end": self.end.isoformat() if self.end else None,
            "reporting_until": self.reporting_until.isoformat() if self.reporting_until else None,
            "retroactive": self.retroactive.isoformat(),
            "findings": self.findings(),
        }


def check_claims_made(policy: Any, date_error: date, date_reported: date) -> ClaimsMade:
    """The claims-made check of a claim against its policy (a PolicyRecord or a row with its columns)."""
    return ClaimsMade(
        reported=date_reported,
        date_error=date_error,
        start=policy.start_date,
        end=policy.end_date,
        reporting_until=policy.reporting_until,
        retroactive=policy.retroactive_date,
    )
