"""Settings from CLAIMFLOW_* environment variables, with safe defaults for a laptop."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEFAULT_SECRET:
            raise ValueError("CLAIMFLOW_SECRET_KEY must be set in production (the default is public)")
        return self

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
