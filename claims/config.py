"""Settings from CLAIMFLOW_* environment variables, with safe defaults for a laptop."""

from __future__ import annotations

from datetime import timedelta
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from claims.rules import DomainRules

DEFAULT_SECRET = "dev-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CLAIMFLOW_", env_file=None, extra="ignore")

    database_url: str = f"sqlite:///{Path('claimflow.db').resolve()}"
    environment: str = "development"  # 'production' refuses the default secret
    secret_key: str = DEFAULT_SECRET
    timezone: str = "Europe/Amsterdam"
    sqlite_busy_timeout_ms: int = 10_000
    session_idle_minutes: int = 30  # a web session ends after this long without a request
    session_absolute_hours: int = 12  # and this long after log-in, whatever happens
    # 'embedded': `claimflow serve` runs the deadline sweep itself (one node); 'off': it does not, and
    # one `claimflow scheduler` process runs it for all web workers
    scheduler: str = "embedded"
    sweep_interval_seconds: int = 60
    reminder_lead_hours: int = 48  # warn the responsible person this long before a deadline
    escalation_grace_hours: int = 48  # escalate to the managers this long after it passed
    late_notice_days: int = 30  # 7:941 BW: flag a melding made later than this after the insured knew

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.scheduler not in ("embedded", "off"):
            raise ValueError("CLAIMFLOW_SCHEDULER must be 'embedded' or 'off'")
        if self.sweep_interval_seconds < 1:
            raise ValueError("CLAIMFLOW_SWEEP_INTERVAL_SECONDS must be at least 1")
        return self

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEFAULT_SECRET:
            raise ValueError("CLAIMFLOW_SECRET_KEY must be set in production (the default is public)")
        return self

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def rules(self) -> DomainRules:
        return DomainRules(
            reminder_lead=timedelta(hours=self.reminder_lead_hours),
            escalation_grace=timedelta(hours=self.escalation_grace_hours),
            late_notice=timedelta(days=self.late_notice_days),
        )
