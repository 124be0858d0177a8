"""Benchmark: durable transitions per second on SQLite beside the floor of a minimal durable transition
in SQLAlchemy Core on the same settings, the write turn each transition holds, four writer processes on
one SQLite file against one, the engine's cost per transition and memory per claim.

Run: `make bench` (or `.venv/bin/python -m bench.transitions --claims 2000`). Prints figures with their
targets; asserts nothing.
"""

from __future__ import annotations

import argparse
import functools
import gc
import hashlib
import multiprocessing
import os
import resource
import statistics
import tempfile
import time
import tracemalloc
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection
from sqlmodel import Session, col

from bench.bulk import claim_row, policy_row, user_row
from claims.kinds.catalog import LETTER_DIR
from claims.money.rates import load_interest_rates
from claims.runtime import Runtime, build_runtime
from claims.service import advance, open_claim
from claims.service.parties import add_party
from claims.storage import db as dbmod
from claims.storage.db import in_write_transaction, make_engine
from claims.storage.models import Policy, User
from claims.storage.schema import upgrade
from claims.storage.tables import CLAIMS, EVENTS, USERS
from claims.storage.tables import POLICIES as POLICY_TABLE
from notifications.letters import Letter, LetterRenderer
from workflow.engine import available

PATH: list[tuple[str, dict[str, Any], str]] = [  # a full contract-breach life: every step its own commit
    ("start_coverage_check", {}, "handler"),
    ("confirm_cover", {"expert": "e@bench.nl", "reserve_damages": "20000"}, "handler"),
    ("submit_report", {"findings": "Oorzaak vastgesteld.", "assessed_damage": "18000"}, "expert"),
    ("to_settlement", {}, "handler"),
    ("settle", {"damages": "18000", "terms": "Finale kwijting.", "payee": None}, "handler"),
]


def _setup(db: Path) -> tuple[object, dict[str, User]]:
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as s:
        load_interest_rates(s)
        now = datetime.now(UTC)
        users = {
            "handler": User(
                email="h@bench.nl", name="H", role="handler", authority_limit=Decimal("50000"), created_at=now
            ),
            "expert": User(email="e@bench.nl", name="E", role="expert", created_at=now),
        }
        s.add_all(users.values())
        s.add_all(  # an insured firm has a few claims a year, not thousands: spread them
            Policy(
                number=f"BENCH-{n}",
                insured=f"Bench {n} B.V.",
                start_date=date(2020, 1, 1),
                retroactive_date=date(2015, 1, 1),
                cover_per_claim=Decimal("1000000"),
                cover_per_year=Decimal("2000000"),
                deductible=Decimal("1000"),
            )
            for n in range(POLICIES)
        )
        s.commit()
    return engine, users


POLICIES = 500
PAYEE = {
    "role": "claimant",
    "name": "Klant B.V.",
    "email": "schade@klant.example",
    "channel": "email",
    "iban": "NL91ABNA0417164300",
    "account_holder": "Klant B.V.",
}
DATA = {
    "kind": "contract_breach",
    "policy_number": "BENCH-0",
    "claimant": "Klant B.V.",
    "description": "Benchmark",
    "date_error": "2026-01-05",
    "date_known": "2026-01-06",
    "date_reported": "2026-01-07",
    "amount_claimed": "20000",
}


def _open(db: Any, rt: Runtime, users: dict[str, User], n_claims: int, first: int = 0) -> dict[str, int]:
    """`n_claims` new claims, each with a claimant to pay; {reference: payee party id}."""
    refs = [
        open_claim(db, rt, {**DATA, "policy_number": f"BENCH-{i % POLICIES}"}, users["handler"]).reference
        for i in range(first, first + n_claims)
    ]
    # the settlement pays a party of the claim: the claimant with an IBAN, registered before timing
    return {ref: add_party(db, rt, ref, PAYEE, users["handler"]) for ref in refs}


def _lives(db: Any, rt: Runtime, users: dict[str, User], payees: dict[str, int]) -> list[float]:
    """Each claim's whole life, every step committed on its own; the seconds each step took."""
    took = []
    for ref, payee in payees.items():
        version = 1
        for trigger, inputs, role in PATH:
            typed = {k: (payee if k == "payee" else v) for k, v in inputs.items()}
            t0 = time.perf_counter()
            version = advance(db, rt, ref, trigger, typed, users[role], version).version
            took.append(time.perf_counter() - t0)
    return took


class _TimedLetters(LetterRenderer):
    """The app's letter renderer, adding up the time its renders take (the templates alone, not the
    facts they are given)."""

    def __init__(self, rt: Runtime) -> None:
        super().__init__(LETTER_DIR, rt.tz)
        self.spent = 0.0

    def render(self, name: str, facts: Any) -> Letter:
        t0 = time.perf_counter()
        try:
            return super().render(name, facts)
        finally:
            self.spent += time.perf_counter() - t0


def _runtime() -> Runtime:
    start = datetime(2026, 1, 7, 9, tzinfo=UTC)
    ticks = iter(range(10**9))
    return replace(build_runtime(), clock=lambda: start + timedelta(seconds=next(ticks)))


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _full_round(rt: Runtime, letters: _TimedLetters, n_claims: int) -> tuple[list[float], list[float], float]:
    """One round on a fresh database: each transition's time, each write turn's, and the seconds its
    letters took to render (`letters` is `rt`'s renderer)."""
    with tempfile.TemporaryDirectory() as tmp:
        engine, users = _setup(Path(tmp) / "bench.db")
        turns: list[float] = []
        with engine.connect() as conn:  # type: ignore[attr-defined]
            payees = _open(conn, rt, users, n_claims)
            dbmod.write_turn_observer = turns.append
            letters.spent = 0.0
            try:
                took = _lives(conn, rt, users, payees)
            finally:
                dbmod.write_turn_observer = None
        return took, turns, letters.spent


def _core_floor(n_claims: int, steps: int) -> float:
    """Minimal durable transitions per second in SQLAlchemy Core on the same engine settings and schema:
    BEGIN IMMEDIATE, select the claim, compare-and-set its state and version, insert its event (with a
    sha256, as the timeline's events have), commit."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'floor.db'}")
        upgrade(engine)
        now = datetime(2026, 1, 7, 9, tzinfo=UTC)
        with engine.begin() as conn:
            conn.execute(insert(USERS), [user_row("h@bench.nl", "H", "handler", "BAV", now)])
            conn.execute(insert(POLICY_TABLE), [policy_row("BENCH-0", "Bench B.V.")])
            conn.execute(insert(CLAIMS), [claim_row(n, created=now) for n in range(1, n_claims + 1)])
        pick = select(CLAIMS.c.version, CLAIMS.c.state).where(CLAIMS.c.id == bindparam("id"))
        cas = (
            update(CLAIMS)
            .where(CLAIMS.c.id == bindparam("_id"), CLAIMS.c.version == bindparam("_version"))
            .values(version=bindparam("v"), state=bindparam("s"))
        )
        heads = dict.fromkeys(range(1, n_claims + 1), "0" * 64)

        def step(conn: Connection, claim_id: int, at: datetime) -> None:
            version, state = conn.execute(pick, {"id": claim_id}).one()
            if (
                conn.execute(
                    cas, {"_id": claim_id, "_version": version, "v": version + 1, "s": state}
                ).rowcount
                != 1
            ):
                raise RuntimeError("stale")
            sha = hashlib.sha256(f"{claim_id}:{version}:{heads[claim_id]}".encode()).hexdigest()
            row = {
                "claim_id": claim_id,
                "claim_version": version + 1,
                "at": at,
                "actor_id": 1,
                "kind": "transition",
                "trigger": "t",
                "from_state": state,
                "to_state": state,
                "data": {},
                "note": "",
                "prev_sha256": heads[claim_id],
                "sha256": sha,
            }
            conn.execute(insert(EVENTS), row)
            heads[claim_id] = sha

        with engine.connect() as conn:
            t0 = time.perf_counter()
            for i in range(steps):
                claim_id = i % n_claims + 1
                at = now + timedelta(seconds=i)
                in_write_transaction(conn, functools.partial(step, claim_id=claim_id, at=at))
            return steps / (time.perf_counter() - t0)


def bench_durable(rt: Runtime, n_claims: int, rounds: int) -> None:
    n = n_claims * len(PATH)
    print(f"SQLite, one process, every step its own committed transaction ({n_claims} claims, {n} steps):")
    # Several rounds, each on a fresh database (and the floor beside each): a shared 2-core VM varies by
    # 20% from run to run, so one number says little; the median and the range say what to expect.
    letters = _TimedLetters(rt)
    rt = replace(rt, letters=letters)
    rates, floors, ratios, holds, totals, shares = [], [], [], [], [], []
    for _ in range(rounds):
        took, turns, rendering = _full_round(rt, letters, n_claims)
        floor = _core_floor(n_claims, n)
        rate = n / sum(took)
        rates.append(rate)
        floors.append(floor)
        ratios.append(rate / floor)
        holds.append(statistics.median(turns))
        totals.append(statistics.median(took))
        shares.append(statistics.median(turns) / statistics.median(took))
        p95_hold, p95_total = _pct(turns, 0.95), _pct(took, 0.95)
    median = statistics.median(rates)
    print("  a worker keeping its connection (claims.service on a Connection):")
    print(
        f"    advance (full path):      {median:8.0f} committed transitions/s median "
        f"(range {min(rates):.0f}-{max(rates):.0f})"
    )
    print(
        f"    Core floor, same settings: {statistics.median(floors):7.0f} transitions/s median "
        "(BEGIN IMMEDIATE, select, compare-and-set, insert event, commit)"
    )
    print(
        f"    full path / floor:        {statistics.median(ratios):8.2f} median "
        f"(range {min(ratios):.2f}-{max(ratios):.2f}; target >= 0.5)"
    )
    print(
        f"    per transition:           {statistics.median(totals) * 1e6:8.0f} us p50, "
        f"{p95_total * 1e6:.0f} us p95 (last round)"
    )
    print(
        f"    write turn held:          {statistics.median(holds) * 1e6:8.0f} us p50, "
        f"{p95_hold * 1e6:.0f} us p95 (last round)"
    )
    print(f"    write turn / transition:  {statistics.median(shares):8.0%} at the p50 (target <= 30%)")
    # What 0.5 of the floor asks, beside two parts of a transition the issues before it require: the
    # write turn (the compare-and-set and the rows: event, letters, deadlines, money lines, notices,
    # outbox) and rendering its letters before the commit (a letter that cannot be written refuses it).
    total_mean, turn_mean, letters_mean = sum(took) / n * 1e6, sum(turns) / n * 1e6, rendering / n * 1e6
    rest = total_mean - turn_mean - letters_mean
    print(
        f"    where it goes (mean, last round): {total_mean:.0f} us a transition, of which the write turn "
        f"{turn_mean:.0f} us, rendering its letters {letters_mean:.0f} us, the rest (reads, guards, "
        f"effects, facts, notices, binding) {rest:.0f} us"
    )
    budget, required = 2e6 / floors[-1], turn_mean + letters_mean
    print(
        f"    0.5 of the floor allows {budget:.0f} us a transition (last round); the write turn and the "
        f"letters alone take {required:.0f} us ({required / budget:.0%} of it)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        engine, users = _setup(Path(tmp) / "bench.db")
        with Session(engine, expire_on_commit=False) as s:  # type: ignore[arg-type]
            payees = _open(s, rt, users, n_claims)
            took = _lives(s, rt, users, payees)
        print("  a Session per call, as a web request uses it (one round):")
        print(f"    advance (full path):      {n / sum(took):8.0f} committed transitions/s")


# Claims each writer process runs through their lives before the clock starts: a process compiles its
# letter templates and loads its holiday calendars once, on first use, and an app node has long done so;
# counted, the four processes paid that four times against the one process's once.
WARM_UP = 10


def _writer(path: str, payees: dict[str, int], warm: dict[str, int], start: Any, out: Any) -> None:
    """One writer process: its claims' lives on the shared file, each step timed, after a warm-up."""
    rt = _runtime()
    engine = make_engine(f"sqlite:///{path}")
    with Session(engine, expire_on_commit=False) as s:
        users = {
            "handler": s.scalars(select(User).where(col(User.email) == "h@bench.nl")).one(),
            "expert": s.scalars(select(User).where(col(User.email) == "e@bench.nl")).one(),
        }
    with engine.connect() as conn:
        _lives(conn, rt, users, warm)
        start.wait()
        t0, cpu0 = time.perf_counter(), time.process_time()
        took = _lives(conn, rt, users, payees)
        out.put((time.perf_counter() - t0, took, time.process_time() - cpu0))


def _cpu_ticks() -> tuple[int, int] | None:
    """The machine's CPU time so far in clock ticks, all of it and the idle part (Linux's /proc/stat);
    None where there is no /proc/stat."""
    try:
        with open("/proc/stat") as f:
            ticks = [int(t) for t in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return sum(ticks), ticks[3] + ticks[4]  # idle and waiting for I/O: no core working


def _processes(rt: Runtime, procs: int, per_process: int) -> tuple[float, list[float], float, float | None]:
    """`procs` processes writing their own claims' lives to one SQLite file at once: committed
    transitions per second over all of them, every step's latency, the CPU seconds (user and system)
    the processes spent per step, and the share of the machine's cores that sat idle meanwhile."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "shared.db"
        engine, users = _setup(path)
        with engine.connect() as conn:  # type: ignore[attr-defined]
            shares = [_open(conn, rt, users, per_process, first=i * per_process) for i in range(procs)]
            warm_first = procs * per_process
            warms = [_open(conn, rt, users, WARM_UP, first=warm_first + i * WARM_UP) for i in range(procs)]
        engine.dispose()  # type: ignore[attr-defined]
        spawn = multiprocessing.get_context("spawn")
        start, out = spawn.Barrier(procs + 1), spawn.Queue()
        workers = [
            spawn.Process(target=_writer, args=(str(path), share, warm, start, out))
            for share, warm in zip(shares, warms, strict=True)
        ]
        for w in workers:
            w.start()
        start.wait()
        t0, ticks0 = time.perf_counter(), _cpu_ticks()
        results = [out.get() for _ in workers]
        wall, ticks1 = time.perf_counter() - t0, _cpu_ticks()
        idle = None
        if ticks0 is not None and ticks1 is not None and ticks1[0] > ticks0[0]:
            idle = (ticks1[1] - ticks0[1]) / (ticks1[0] - ticks0[0])
        for w in workers:
            w.join()
        latencies = [x for _, took, _ in results for x in took]
        cpu = sum(spent for _, _, spent in results)
        return len(latencies) / wall, latencies, cpu / len(latencies), idle


def bench_writers(rt: Runtime, per_process: int, rounds: int) -> None:
    # one process and four in turn, `rounds` times: the machine's speed drifts from minute to minute,
    # and a ratio of two figures measured side by side says more than one of figures minutes apart
    ones, fours, ratios, ceilings, inflations = [], [], [], [], []
    idles: list[float] = []
    cores = len(os.sched_getaffinity(0))
    for _ in range(rounds):
        one, one_lat, one_cpu, _ = _processes(rt, 1, per_process * 4)
        four, four_lat, four_cpu, idle = _processes(rt, 4, per_process)
        if idle is not None:
            idles.append(idle)
        ones.append(one)
        fours.append(four)
        ratios.append(four / one)
        # the most four can commit is the cores over the CPU a step costs them; one process commits
        # one step per its wall time a step
        ceilings.append(cores / four_cpu / one)
        inflations.append(four_cpu / one_cpu)
    steps = per_process * 4 * len(PATH)
    print(
        f"SQLite, writer processes on one file (the same {steps} steps in all, {rounds} rounds of one "
        f"and four in turn, each process warmed up on {WARM_UP} other claims first):"
    )
    print(
        f"  1 process:   {statistics.median(ones):7.0f} committed transitions/s median "
        f"(range {min(ones):.0f}-{max(ones):.0f}), p95 latency {_pct(one_lat, 0.95) * 1e3:.1f} ms "
        "(last round)"
    )
    print(
        f"  4 processes: {statistics.median(fours):7.0f} committed transitions/s median "
        f"(range {min(fours):.0f}-{max(fours):.0f}), p95 latency {_pct(four_lat, 0.95) * 1e3:.1f} ms "
        "(last round)"
    )
    print(
        f"  4 / 1:       {statistics.median(ratios):7.2f} median "
        f"(range {min(ratios):.2f}-{max(ratios):.2f}; target >= 1.5)"
    )
    print(
        f"  CPU a step costs four processes against one: {statistics.median(inflations):.2f}x median "
        f"(range {min(inflations):.2f}-{max(inflations):.2f}); with {cores} cores four can commit at most "
        f"{statistics.median(ceilings):.2f}x what one does (median; range "
        f"{min(ceilings):.2f}-{max(ceilings):.2f})"
    )
    if idles:
        # the gap between the ceiling and what four commit: cores with nothing to run, while three
        # processes wait for the one write turn and its holder shares a core with the others
        print(
            f"  cores idle while four wrote: {statistics.median(idles):.0%} median "
            f"(range {min(idles):.0%}-{max(idles):.0%}; the machine's, from /proc/stat)"
        )


def bench_engine(rt: Runtime, fires: int) -> None:
    spec = rt.catalog.spec("contract_breach")
    engine = rt.catalog.engine
    builds = engine.builds
    t0 = time.perf_counter()
    for _ in range(fires):
        engine.fire(spec, "melding", "start_coverage_check", None)  # type: ignore[arg-type]
    per_fire = (time.perf_counter() - t0) / fires * 1e6
    t0 = time.perf_counter()
    for _ in range(fires):
        available(spec, "regeling", "handler")
    per_available = (time.perf_counter() - t0) / fires * 1e6
    print("Engine alone (transitions Machine cached per kind and version):")
    print(f"  fire():      {per_fire:6.1f} us per transition  (target < 50)")
    print(f"  available(): {per_available:6.1f} us per call")
    print(f"  machines built during {fires} fires: {engine.builds - builds}")


def bench_memory(rt: Runtime, claims: int) -> None:
    """Fire one transition for each of `claims` distinct claims: memory must not grow with them."""
    spec = rt.catalog.spec("contract_breach")
    engine = rt.catalog.engine
    gc.collect()
    tracemalloc.start()
    t0 = time.perf_counter()
    for _ in range(claims):
        engine.fire(spec, "melding", "start_coverage_check", None)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Memory over {claims} claims, one transition each:")
    print(
        f"  {elapsed:.2f} s, peak traced allocation {peak / 1024:.0f} KiB, process max RSS {rss_mb:.0f} MiB"
    )
    print(f"  machines in cache: {len(engine._machines)} (one per kind and version)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--claims", type=int, default=2000, help="claims for the durable benchmark")
    parser.add_argument("--fires", type=int, default=100_000, help="engine fires")
    parser.add_argument("--memory-claims", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the durable worker benchmark")
    parser.add_argument("--per-process", type=int, default=250, help="claims per writer process")
    parser.add_argument("--writer-rounds", type=int, default=3, help="rounds of one and four writers")
    args = parser.parse_args()
    rt = _runtime()
    bench_engine(rt, args.fires)
    bench_memory(rt, args.memory_claims)
    bench_durable(rt, args.claims, args.rounds)
    bench_writers(rt, args.per_process, args.writer_rounds)


if __name__ == "__main__":
    main()
