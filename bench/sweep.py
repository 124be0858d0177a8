"""Benchmark: one deadline sweep over 1,000,000 open claims with 3,000,000 deadlines, of which 50,000 are
due (overdue, not yet flagged). Prints the time and peak memory of the sweep, and beside it the floor
measured in the same run on the same database: marking the same due deadlines by id and inserting an
event, a notification and an outbox row for each, 500 a transaction, with bare Core executemany (no
picking, no hash chain, no rendering). Target: the sweep within 2x its floor. Asserts nothing.

Run: `make bench` (or `.venv/bin/python -m bench.sweep --claims 1000000 --due 50000 [--db FILE]`). The
database is built with bulk inserts (this measures the sweep, not the service); `--db` keeps it for a
second run, which first clears the sweep's own marks.
"""

from __future__ import annotations

import argparse
import random
import resource
import sqlite3
import tempfile
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, bindparam, delete, func, insert, select, update

from bench.bulk import claim_row, finish, policy_row, user_row
from claims.deadlines.sweep import sweep
from claims.notify.outbox import claim_link
from claims.runtime import build_runtime
from claims.storage.db import WRITE, make_engine
from claims.storage.schema import APPEND_ONLY_SQL, DROP_APPEND_ONLY_SQL, upgrade
from claims.storage.tables import CLAIMS, DEADLINES, EVENTS, NOTIFICATIONS, OUTBOX, POLICIES, USERS
from notifications.formatting import local_moment
from notifications.outbox import new_message

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
        conn.execute(delete(OUTBOX))
        conn.execute(delete(NOTIFICATIONS))
        for column in ("reminded_at", "flagged_at", "escalated_at"):
            conn.execute(update(DEADLINES).where(DEADLINES.c[column].is_not(None)).values({column: None}))


FLOOR_MARK = "floor-"  # the floor's events' prev_sha256: what the clean-up deletes them by


def due_rows(engine: Engine) -> list[Any]:
    """The deadlines this run's sweep flags, with what their event, notification and e-mail need."""
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(
                    DEADLINES.c.id,
                    DEADLINES.c.claim_id,
                    DEADLINES.c.name,
                    DEADLINES.c.label,
                    DEADLINES.c.due_at,
                    CLAIMS.c.reference,
                    CLAIMS.c.version,
                    CLAIMS.c.state,
                    CLAIMS.c.expert_id,
                )
                .join(CLAIMS, CLAIMS.c.id == DEADLINES.c.claim_id)
                .where(
                    DEADLINES.c.flagged_at.is_(None),
                    DEADLINES.c.met_at.is_(None),
                    DEADLINES.c.cancelled_at.is_(None),
                    DEADLINES.c.paused_at.is_(None),
                    DEADLINES.c.due_at <= NOW,
                )
                .order_by(DEADLINES.c.due_at)
            )
        )


_MARK = update(DEADLINES).where(DEADLINES.c.id == bindparam("deadline_id")).values(flagged_at=bindparam("at"))


def floor(engine: Engine, rows: list[Any], rt: Any, batch: int) -> float:
    """The bare work of the sweep for `rows`: mark each by id, insert its event, notification and
    e-mail (texts of the same width, built once), `batch` a transaction; its seconds. The ids of the
    new rows are assigned here (the floor asks nothing back of the database)."""
    tz = rt.tz
    expert: dict[str, Any] = {"id": 0, "name": "U41", "email": "u41@bench.nl"}
    sample = rows[0]
    due_at = local_moment(sample.due_at, tz)
    note = f"{sample.reference}: termijn '{sample.label}' is verlopen (uiterlijk {due_at})."
    mail = rt.messages.render(
        "termijn_verlopen",
        {
            "name": expert["name"],
            "reference": sample.reference,
            "message": note,
            "link": claim_link(rt.base_url, sample.reference),
        },
    )
    start = time.perf_counter()
    with engine.connect() as conn:
        conn.execution_options(**WRITE)
        ids = conn.execute(
            select(
                func.coalesce(func.max(EVENTS.c.id), 0),
                select(func.coalesce(func.max(NOTIFICATIONS.c.id), 0)).scalar_subquery(),
            )
        ).one()
        conn.commit()
        event_id, note_id = ids
        for first in range(0, len(rows), batch):
            chunk = rows[first : first + batch]
            events, notes, mails, marks = [], [], [], []
            for d in chunk:
                event_id += 1
                note_id += 1
                marks.append({"deadline_id": d.id, "at": NOW})
                events.append(
                    {
                        "id": event_id,
                        "claim_id": d.claim_id,
                        "claim_version": d.version,
                        "at": NOW,
                        "actor_id": None,
                        "kind": "deadline_overdue",
                        "trigger": None,
                        "from_state": d.state,
                        "to_state": d.state,
                        "data": {"deadline": d.name, "label": d.label, "due_at": d.due_at.isoformat()},
                        "note": note,
                        "prev_sha256": f"{FLOOR_MARK}{d.id}",
                        "sha256": "0" * 64,
                    }
                )
                notes.append(
                    {
                        "id": note_id,
                        "user_id": d.expert_id,
                        "claim_id": d.claim_id,
                        "event_id": event_id,
                        "kind": "deadline_overdue",
                        "message": note,
                        "created_at": NOW,
                        "read_at": None,
                    }
                )
                mails.append(
                    {
                        "claim_id": d.claim_id,
                        "user_id": d.expert_id,
                        "notification_id": note_id,
                        "letter_id": None,
                        "sent_at": None,
                        "incident_at": None,
                        **new_message(
                            to_address=expert["email"],
                            to_name=expert["name"],
                            subject=mail.subject,
                            body=mail.text,
                            body_html=mail.html,
                            now=NOW,
                        ),
                    }
                )
            with conn.begin():
                conn.execute(_MARK, marks)
                conn.execute(insert(EVENTS), events)
                conn.execute(insert(NOTIFICATIONS), notes)
                conn.execute(insert(OUTBOX), mails)
    return time.perf_counter() - start


def clear_floor(path: Path) -> None:
    """Take the floor's rows out again, leaving the sweep's: its events too (the append-only triggers
    lifted for that and put back), on a connection without foreign-key checks, which would scan the
    unindexed referring columns once per deleted row."""
    floor_notes = (
        "SELECT n.id FROM notifications n JOIN timeline_events e ON e.id = n.event_id "
        f"WHERE e.prev_sha256 LIKE '{FLOOR_MARK}%'"
    )
    with closing(sqlite3.connect(path)) as db, db:
        db.execute(f"DELETE FROM outbox WHERE notification_id IN ({floor_notes})")
        db.execute(f"DELETE FROM notifications WHERE id IN ({floor_notes})")
        for statement in DROP_APPEND_ONLY_SQL["sqlite"]:
            db.execute(statement)
        db.execute(f"DELETE FROM timeline_events WHERE prev_sha256 LIKE '{FLOOR_MARK}%'")
        for statement in APPEND_ONLY_SQL["sqlite"]:
            db.execute(statement)


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
        due = due_rows(engine)
        # the escalation grace (2 days) has not passed for any of them: this sweep reminds and flags
        # timed without tracemalloc (it doubles the run time); memory as the process's peak resident size
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t = time.perf_counter()
        report = sweep(engine, rt, NOW, batch=args.batch)
        elapsed = time.perf_counter() - t
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"sweep {elapsed:.2f} s; now the floor", flush=True)
        # after the sweep, not before: the sweep meets the colder cache; the floor marks the same rows again
        bare = floor(engine, due, rt, args.batch)
        clear_floor(path)
        print(
            f"sweep over {args.claims:,} claims / {args.claims * PER_CLAIM:,} deadlines, {args.due:,} due: "
            f"{elapsed:.1f} s ({report.flagged / elapsed:,.0f} flags/s); {report.reminded:,} reminded, "
            f"{report.flagged:,} flagged, {report.escalated:,} escalated, "
            f"{report.notifications:,} notifications, {report.batches} batches"
        )
        print(
            f"floor (same {len(due):,} deadlines marked by id, an event, a notification and an outbox row "
            f"each, {args.batch} a transaction, Core executemany): {bare:.2f} s; "
            f"sweep / floor = {elapsed / bare:.2f} (target <= 2)"
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
