"""APScheduler (3.x) only ticks: it calls the deadline sweep on an interval. One per deployment, either
inside the web process (`make run`, one node) or as `claimflow scheduler` (several web workers, which
then run none). Two running by mistake still flag each deadline once (see claims.sweep)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import Engine

from claims.runtime import Runtime
from claims.sweep import sweep

log = logging.getLogger("claimflow.scheduler")


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


def make_scheduler(engine: Engine, rt: Runtime, interval_seconds: int, *, blocking: bool) -> BaseScheduler:
    """A scheduler with the sweep job: never two runs at once in this process, and after a pause
    (a suspended laptop, a busy database) one catch-up run instead of a burst."""
    scheduler: BaseScheduler = (
        BlockingScheduler(timezone="UTC") if blocking else BackgroundScheduler(timezone="UTC", daemon=True)
    )
    scheduler.add_job(
        _sweep_job,
        "interval",
        seconds=interval_seconds,
        args=(engine, rt),
        id="deadline-sweep",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=interval_seconds,
        next_run_time=datetime.now(UTC),  # a first sweep at start, not an interval later
    )
    return scheduler
