"""Everything a service call needs besides the database session, built once and passed in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from claims.complaints.terms import ComplaintTerms, load_terms
from claims.kinds.catalog import LETTER_DIR, Catalog, load_catalog
from claims.rules import DomainRules
from notifications.letters import LetterRenderer
from notifications.messages import MessageRenderer
from workflow.calendar import WorkingDayCalendar, dutch_calendar

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
EMAIL_DIR = Path(__file__).resolve().parents[1] / "templates" / "email"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Runtime:
    catalog: Catalog
    calendar: WorkingDayCalendar
    tz: ZoneInfo = AMSTERDAM
    rules: DomainRules = field(default_factory=DomainRules)
    clock: Callable[[], datetime] = utc_now
    letters: LetterRenderer = field(default_factory=lambda: LetterRenderer(LETTER_DIR))
    messages: MessageRenderer = field(default_factory=lambda: MessageRenderer(EMAIL_DIR))
    base_url: str = "http://127.0.0.1:8000"  # links in e-mails point here
    # the complaint track's service terms (claims/complaints/terms.yaml)
    complaint_terms: ComplaintTerms = field(default_factory=load_terms)


def build_runtime(
    tz: str = "Europe/Amsterdam",
    clock: Callable[[], datetime] = utc_now,
    rules: DomainRules | None = None,
    base_url: str = "http://127.0.0.1:8000",
) -> Runtime:
    return Runtime(
        catalog=load_catalog(),
        calendar=dutch_calendar(),
        tz=ZoneInfo(tz),
        clock=clock,
        rules=rules or DomainRules(),
        letters=LetterRenderer(LETTER_DIR, ZoneInfo(tz)),
        messages=MessageRenderer(EMAIL_DIR, ZoneInfo(tz)),
        base_url=base_url.rstrip("/"),
    )
