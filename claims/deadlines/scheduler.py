"""APScheduler (3.x) only ticks: it calls the deadline sweep and, when e-mail is configured, the outbox
delivery on an interval. One per deployment, either inside the web process (`make run`, one node) or as
`claimflow scheduler` (several web workers, which then run none). Two running by mistake still flag
each deadline once (claims.deadlines.sweep) and send each message once (claims.notify.delivery)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import Engine

from claims.config import Settings
from claims.deadlines.sweep import sweep
from claims.notify.delivery import DeliveryPolicy, deliver
from claims.runtime import Runtime
from claims.storage import text_counts
from notifications.email import SmtpConfig

log = logging.getLogger("claimflow.scheduler")

# (id, function, its arguments, interval in seconds): a job the caller adds from above this package
# (the dashboard's refresh lives in claims.reads, which the deadlines do not import)
Job = tuple[str, Callable[..., None], tuple[object, ...], int]


def _sweep_job(engine: Engine, rt: Runtime) -> None:
    report = sweep(engine, rt)
    if report.batches:
        log.info(
            "sweep: %d reminded, %d flagged, %d escalated, %d notifications",
            report.reminded,
            report.flagged,
            report.escalated,
            report.notifications,
        )


def _delivery_job(engine: Engine, rt: Runtime, smtp: SmtpConfig, policy: DeliveryPolicy) -> None:
    report = deliver(engine, rt, smtp, policy)
    if report.tried:
        log.info("outbox: %d sent, %d to retry, %d incidents", report.sent, report.retrying, report.incidents)


def make_scheduler(
    engine: Engine, rt: Runtime, settings: Settings, *, blocking: bool, also: Sequence[Job] = ()
) -> BaseScheduler:
    """A scheduler with the sweep job, with CLAIMFLOW_SMTP_URL set the delivery job, on SQLite the
    search's trigram counts, and the jobs in `also` (the dashboard's refresh): never two
    runs of a job at once in this process, and after a pause (a suspended laptop, a busy database) one
    catch-up run instead of a burst."""
    scheduler: BaseScheduler = (
        BlockingScheduler(timezone="UTC") if blocking else BackgroundScheduler(timezone="UTC", daemon=True)
    )
    jobs: list[Job] = [("deadline-sweep", _sweep_job, (engine, rt), settings.sweep_interval_seconds)]
    smtp = settings.smtp()
    if smtp is not None:
        jobs.append(
            (
                "outbox-delivery",
                _delivery_job,
                (engine, rt, smtp, settings.delivery_policy()),
                settings.outbox_interval_seconds,
            )
        )
    if engine.dialect.name == "sqlite":
        # the search's trigram counts (PostgreSQL's planner keeps its own statistics)
        jobs.append(("search-trigram-counts", text_counts.refresh, (engine,), text_counts.REFRESH_SECONDS))
    jobs.extend(also)
    for job_id, job, args, interval in jobs:
        scheduler.add_job(
            job,
            "interval",
            seconds=interval,
            args=args,
            id=job_id,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=interval,
            next_run_time=datetime.now(UTC),  # a first run at start, not an interval later
        )
    return scheduler
