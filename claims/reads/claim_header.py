"""What the claim page's header says at a glance: the next deadline, and the flags a handler must not
miss (late notice, personal data with its AVG clock, overdue terms, the limitation date, an open
complaint)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from notifications.formatting import long_date, long_moment

LIMITATION = "verjaring"


@dataclass(frozen=True)
class Flag:
    text: str
    mark: str  # the css mark: overdue | near | info
    href: str = ""  # where on the page it is told in full


@dataclass(frozen=True)
class ClaimHeader:
    next_label: str | None
    next_due: datetime | None
    flags: tuple[Flag, ...]


def claim_header(
    open_deadlines: Sequence[Any],
    late_notice: bool,
    avg: Any,
    waiting: Sequence[str],
    complaints: Sequence[dict[str, Any]] | None,
    now: datetime,
    tz: ZoneInfo,
) -> ClaimHeader:
    running = [d for d in open_deadlines if d.paused_at is None]
    upcoming = min(running, key=lambda d: d.due_at, default=None)
    flags: list[Flag] = []
    overdue = [d for d in running if d.due_at < now]
    if overdue:
        names = ", ".join(d.label for d in overdue[:3]) + (" …" if len(overdue) > 3 else "")
        flags.append(
            Flag(
                f"{len(overdue)} termijn{'en' if len(overdue) > 1 else ''} verlopen: {names}",
                "overdue",
                "#h-deadlines",
            )
        )
    if late_notice:
        # the melding is the timeline's first event: oldest first, so a paged timeline shows it
        flags.append(Flag("Late melding (art. 7:941 BW)", "near", "?tijdlijn=oud#h-timeline"))
    if avg is not None:
        clock = next((d for d in open_deadlines if d.name.startswith("melding_")), None)
        told = (
            f"; {clock.label.split(' (')[0].lower()} uiterlijk {long_moment(clock.due_at, tz)}"
            if clock
            else ""
        )
        flags.append(
            Flag(
                f"Persoonsgegevens: verzekerde is {avg.role}{told}",
                "overdue" if clock and clock.due_at < now else "info",
                "#avg-clock",
            )
        )
    limitation = next((d for d in open_deadlines if d.name == LIMITATION), None)
    if limitation is not None:
        flags.append(Flag(f"Verjaring {long_date(limitation.due_at, tz)}", "info", f"#termijn-{LIMITATION}"))
    elif waiting:
        flags.append(
            Flag("Verjaring gestuit (geen termijn tot erkenning of afwijzing)", "info", "#verjaring-gestuit")
        )
    open_complaints = [c for c in complaints or () if c.get("open")]
    if open_complaints:
        flags.append(Flag(f"Klacht open ({len(open_complaints)})", "near", "#klachten"))
    return ClaimHeader(
        upcoming.label if upcoming else None, upcoming.due_at if upcoming else None, tuple(flags)
    )
