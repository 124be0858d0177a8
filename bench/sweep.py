"""Benchmark: one deadline sweep over 1,000,000 open claims with 3,000,000 deadlines, of which 50,000 are
due (overdue, not yet flagged). Prints the time and peak memory of the sweep; asserts nothing.

Run: `make bench` (or `.venv/bin/python -m bench.sweep --claims 1000000 --due 50000 [--db FILE]`). The
database is built with bulk inserts (this measures the sweep, not the service); `--db` keeps it for a
second run, which first clears the sweep's own marks.
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, delete, insert, update

from bench.bulk import claim_row, finish, policy_row, user_row
from claims.deadlines.sweep import sweep
from claims.runtime import build_runtime
from claims.storage.db import make_engine
from claims.storage.schema import upgrade
from claims.storage.tables import CLAIMS, DEADLINES, NOTIFICATIONS, POLICIES, USERS

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
BATCH = 20_000
PER_CLAIM = 3


def build(path: Path, claims: int, due: int) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    rnd = random.Random(11)
    with engine.begin() as conn:
        roles = ["handler"] * 40 + ["expert"] * 10 + ["manager"] * 3
        conn.execute(
            insert(USERS), [user_row(f"u{i}@bench.nl", f"U{i}", r, "BAV", NOW) for i, r in enumerate(roles)]
        )
        conn.execute(insert(POLICIES), [policy_row("BAV-1", "ICT B.V.")])
    due_claims = set(rnd.sample(range(1, claims + 1), due))
    start = time.perf_counter()
    for first in range(1, claims + 1, BATCH):
        rows, deadlines = [], []
        for n in range(first, min(first + BATCH, claims + 1)):
            created = NOW - timedelta(days=rnd.randint(1, 300))
            rows.append(
                claim_row(
                    n,
                    created=created,
                    version=3,
                    handler_id=rnd.randint(1, 40),
                    expert_id=rnd.randint(41, 50),
                )
            )
            for k in range(PER_CLAIM):
                overdue = k == 0 and n in due_claims
                due_at = (
                    NOW - timedelta(hours=rnd.randint(1, 40))
                    if overdue
                    else NOW + timedelta(days=rnd.randint(3, 900))
                )
                deadlines.append(
                    {
                        "claim_id": n,
                        "name": f"d{k}",
                        "label": f"Termijn {k}",
                        "state": "expertise",
                        "scope": "state",
                        "responsible": "expert" if k == 0 else "handler",
                        "met_by": "x",
                        "restarted_by": "",
                        "started_at": created,
                        "due_at": due_at,
                        "remind_at": due_at - timedelta(days=2),
                    }
                )
        with engine.begin() as conn:
            conn.execute(insert(CLAIMS), rows)
            conn.execute(insert(DEADLINES), deadlines)
    finish(engine)
    print(
        f"built {claims:,} claims and {claims * PER_CLAIM:,} deadlines in {time.perf_counter() - start:.0f} s"
    )
    return engine


def reset(engine: Engine) -> None:
    """Undo a previous sweep on a kept database, so the run measures the same work. Its timeline events
    stay: the database refuses to delete events, and the next run appends after them."""
    with engine.begin() as conn:
        conn.execute(delete(NOTIFICATIONS))
        for column in ("reminded_at", "flagged_at", "escalated_at"):
            conn.execute(update(DEADLINES).where(DEADLINES.c[column].is_not(None)).values({column: None}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=50_000)
    parser.add_argument("--db", type=Path, help="reuse (or create) this database file")
    parser.add_argument("--batch", type=int, default=500, help="deadlines per transaction")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "sweep.db"
        if path.exists():
            engine = make_engine(f"sqlite:///{path}")
            reset(engine)
        else:
            engine = build(path, args.claims, args.due)
        rt = build_runtime()
        # the escalation grace (2 days) has not passed for any of them: this sweep reminds and flags
        # timed without tracemalloc (it doubles the run time); memory as the process's peak resident size
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t = time.perf_counter()
        report = sweep(engine, rt, NOW, batch=args.batch)
        elapsed = time.perf_counter() - t
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(
            f"sweep over {args.claims:,} claims / {args.claims * PER_CLAIM:,} deadlines, {args.due:,} due: "
            f"{elapsed:.1f} s ({report.flagged / elapsed:,.0f} flags/s); {report.reminded:,} reminded, "
            f"{report.flagged:,} flagged, {report.escalated:,} escalated, "
            f"{report.notifications:,} notifications, {report.batches} batches"
        )
        print(
            f"peak resident memory of the process: {rss_before / 1024:.0f} MiB before the sweep, "
            f"{rss_after / 1024:.0f} MiB after"
        )
        t = time.perf_counter()
        again = sweep(engine, rt, NOW)
        print(
            f"a second sweep right after: {time.perf_counter() - t:.3f} s, "
            f"{again.flagged} flagged (nothing left)"
        )
        engine.dispose()


if __name__ == "__main__":
    main()
