"""Settings from CLAIMFLOW_* environment variables, with safe defaults for a laptop."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Engine

from claims.documents.store import FileStore
from claims.notify.delivery import DeliveryPolicy
from claims.rules import DomainRules
from claims.storage.db import make_engine
from notifications.email import SmtpConfig

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
    # the dashboard's stored figures (claims.reads.dashboard_cache) are computed again this often by the
    # scheduler; a snapshot older than two intervals is not shown (the page computes them itself)
    dashboard_refresh_seconds: int = 300
    # the portfolio CSV's stored texts (claims.exports.row_texts) of claims changed since are rebuilt
    # this often by the scheduler; until then an export builds those claims' rows itself
    export_texts_refresh_seconds: int = 900
    reminder_lead_hours: int = 48  # warn the responsible person this long before a deadline
    escalation_grace_hours: int = 48  # escalate to the managers this long after it passed
    late_notice_days: int = 30  # 7:941 BW: flag a melding made later than this after the insured knew
    # the dashboard's large losses: damages reserved and paid on an open claim above this (euros)
    large_loss_threshold: Decimal = Decimal("100000.00")
    # e-mail: off without a URL (the messages wait in the outbox, shown in the app's outbox view)
    smtp_url: str = ""
    mail_from: str = "claimflow <schade@claimflow.test>"
    outbox_interval_seconds: int = 15
    outbox_max_attempts: int = 8
    outbox_backoff_seconds: float = 30.0
    outbox_backoff_max_seconds: float = 3600.0
    base_url: str = "http://127.0.0.1:8000"  # where links in e-mails point
    # serving (claims.web.capacity): per `claimflow serve` process
    workers: int = 1  # web processes; more than one needs CLAIMFLOW_SCHEDULER=off and `claimflow scheduler`
    # requests one process takes on at once (served or queued); the next gets 503 with Retry-After
    concurrency_limit: int = 256
    # database connections of one process, and as many threads serving requests; PostgreSQL's
    # max_connections must hold workers x (pool size + 4) for every node
    db_pool_size: int = 4
    db_pool_timeout_seconds: float = 10.0  # a request waits this long for a connection, then 503
    shutdown_timeout_seconds: int = 5  # on SIGTERM, requests in flight get this long to finish
    # documents (claims.documents): their content, by sha256. Default: 'documents' next to the SQLite
    # file (a temporary directory for an in-memory database); with PostgreSQL, 'documents' in the
    # directory the process starts in, and in production it must be set (several nodes need one
    # shared volume, never a directory each)
    document_dir: str = ""
    document_max_bytes: int = 25_000_000  # an upload above this is refused while it streams in

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.scheduler not in ("embedded", "off"):
            raise ValueError("CLAIMFLOW_SCHEDULER must be 'embedded' or 'off'")
        if self.sweep_interval_seconds < 1:
            raise ValueError("CLAIMFLOW_SWEEP_INTERVAL_SECONDS must be at least 1")
        if self.dashboard_refresh_seconds < 1:
            raise ValueError("CLAIMFLOW_DASHBOARD_REFRESH_SECONDS must be at least 1")
        if self.export_texts_refresh_seconds < 1:
            raise ValueError("CLAIMFLOW_EXPORT_TEXTS_REFRESH_SECONDS must be at least 1")
        if self.outbox_interval_seconds < 1:
            raise ValueError("CLAIMFLOW_OUTBOX_INTERVAL_SECONDS must be at least 1")
        if self.outbox_max_attempts < 1:
            raise ValueError("CLAIMFLOW_OUTBOX_MAX_ATTEMPTS must be at least 1")
        if not 0 < self.outbox_backoff_seconds <= self.outbox_backoff_max_seconds:
            raise ValueError(
                "CLAIMFLOW_OUTBOX_BACKOFF_SECONDS must be positive and at most "
                "CLAIMFLOW_OUTBOX_BACKOFF_MAX_SECONDS"
            )
        if not 1 <= self.workers <= 64:
            raise ValueError("CLAIMFLOW_WORKERS must be between 1 and 64")
        if self.concurrency_limit < 1:
            raise ValueError("CLAIMFLOW_CONCURRENCY_LIMIT must be at least 1")
        if not 1 <= self.db_pool_size <= 1000:
            raise ValueError("CLAIMFLOW_DB_POOL_SIZE must be between 1 and 1000")
        if self.db_pool_timeout_seconds <= 0:
            raise ValueError("CLAIMFLOW_DB_POOL_TIMEOUT_SECONDS must be positive")
        if self.shutdown_timeout_seconds < 0:
            raise ValueError("CLAIMFLOW_SHUTDOWN_TIMEOUT_SECONDS must not be negative")
        if not 1 <= self.document_max_bytes <= 2_000_000_000:
            raise ValueError("CLAIMFLOW_DOCUMENT_MAX_BYTES must be between 1 and 2000000000")
        if self.document_dir and Path(self.document_dir).exists() and not Path(self.document_dir).is_dir():
            raise ValueError(f"CLAIMFLOW_DOCUMENT_DIR is no directory: {self.document_dir}")
        if self.environment == "production" and not self.document_dir and not self.sqlite_file():
            raise ValueError(
                "CLAIMFLOW_DOCUMENT_DIR must be set in production with PostgreSQL "
                "(a directory every node shares, such as a shared volume)"
            )
        if self.large_loss_threshold <= 0 or self.large_loss_threshold != self.large_loss_threshold.quantize(
            Decimal("0.01")
        ):
            raise ValueError("CLAIMFLOW_LARGE_LOSS_THRESHOLD must be a positive amount in euros and cents")
        if self.smtp_url:
            self.smtp()  # a bad URL stops the start, not the first delivery
        return self

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEFAULT_SECRET:
            raise ValueError("CLAIMFLOW_SECRET_KEY must be set in production (the default is public)")
        return self

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def engine(self) -> Engine:
        """The database engine these settings describe, its pool sized for one serving process."""
        return make_engine(
            self.database_url,
            busy_timeout_ms=self.sqlite_busy_timeout_ms,
            pool_size=self.db_pool_size,
            pool_timeout=self.db_pool_timeout_seconds,
        )

    def sqlite_file(self) -> Path | None:
        prefix = "sqlite:///"
        if not self.database_url.startswith(prefix) or self.database_url in (prefix, prefix + ":memory:"):
            return None
        return Path(self.database_url.removeprefix(prefix).partition("?")[0])

    @cached_property
    def document_root(self) -> Path:
        """Where the document store keeps its files (see `document_dir`)."""
        if self.document_dir:
            return Path(self.document_dir).resolve()
        database = self.sqlite_file()
        if database is not None:
            return database.resolve().parent / "documents"
        if self.database_url.startswith("sqlite"):
            return Path(tempfile.mkdtemp(prefix="claimflow-documents-"))  # gone with the database, in spirit
        return Path("documents").resolve()

    def document_store(self) -> FileStore:
        return FileStore(self.document_root)

    def smtp(self) -> SmtpConfig | None:
        return SmtpConfig.from_url(self.smtp_url) if self.smtp_url else None

    def delivery_policy(self) -> DeliveryPolicy:
        return DeliveryPolicy(
            sender=self.mail_from,
            max_attempts=self.outbox_max_attempts,
            backoff_seconds=self.outbox_backoff_seconds,
            backoff_max_seconds=self.outbox_backoff_max_seconds,
        )

    def rules(self) -> DomainRules:
        return DomainRules(
            reminder_lead=timedelta(hours=self.reminder_lead_hours),
            escalation_grace=timedelta(hours=self.escalation_grace_hours),
            late_notice=timedelta(days=self.late_notice_days),
            large_loss_threshold=self.large_loss_threshold,
        )
