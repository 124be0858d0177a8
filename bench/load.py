"""Load benchmark: N concurrent API clients against the real server on 20 hot claims, then a database
check that no update was lost or doubled.

Run: `make bench`, or `.venv/bin/python -m bench.load [--clients 200] [--duration 20] [--think 1.0]
[--backend sqlite|postgres|both] [--sweep]`. For each backend it makes a fresh database (`claimflow init`,
`claimflow seed`; SQLite in a temporary directory, PostgreSQL in a database of its own on
CLAIMFLOW_TEST_POSTGRES_URL or on a throwaway cluster from scripts/pg_test_cluster.sh), starts
`claimflow serve` on free loopback ports (one process on SQLite; two on PostgreSQL, the clients split
between them, with CLAIMFLOW_SCHEDULER=off), takes API tokens for two managers and two handlers, and picks
20 claims that offer a self-loop (`request_information`, `adjust_reserve`), opening and advancing new
ones through the API when the seed has too few. Every client is one simulated user with its own keep-alive
connection: GET a claim, POST a transition with the version just read, POST a note, again and again for
the duration, waiting 30 s at most for an answer. The server's own settings (CLAIMFLOW_CONCURRENCY_LIMIT,
CLAIMFLOW_DB_POOL_SIZE, ...) come from the environment; `--serve-arg` passes options to `claimflow serve`.

Think time: 1 s by default (each pause drawn between 0.5x and 1.5x). A person at a claims desk takes
several seconds between actions; an integration that reads a claim, decides and writes back spends its
own processing and network time, about a second a step. So 200 clients offer about 200 requests/s, many
times what a department of 200 people produces: a burst, not a denial-of-service test. `--think 0` makes
a closed loop with no pauses, which measures the ceiling (there latency is queueing by construction, and
the 20x target below cannot hold).

Prints requests/s, p50/p95/p99 latency (ms) per kind of request and overall, and the answers: 2xx, 409
(a stale version: expected, many clients race for the same version), other 4xx, 5xx (of which 503, load
shed on purpose), timeouts and connection errors; the time one GET took right after the load; how long
the servers took to stop on SIGTERM; what the servers' logs say went wrong. Then the issue's targets, each
PASS or FAIL (exit status 1 on any FAIL):
- 0 x 5xx and 0 timeouts at the client count asked for (200);
- the transitions' p95 at 200 clients within 20x their p95 with one client. The one client runs first,
  for 10 s, without think time: alone it competes with nobody, so pausing would not change what it
  measures, only leave too few transitions (about 7 in 20 s) for a p95;
- with --sweep (runs at 10, 50, 100 clients first, with the think time, on the same server): the
  throughput (answers 2xx or 409 per second) at 200 at least 80% of the best at any lower count;
- the database check: every version of a hot claim has exactly one transition event; every transition
  answered 200 is the event at the version it made (same trigger, same user), and every transition event
  of the load belongs to a 200 or to an answer that does not say (5xx, timeout); every note answered 201
  is on the timeline exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.loadlib import (
    HANDLERS,
    KINDS,
    MANAGERS,
    ApiUser,
    DbCheck,
    Figures,
    LoadConfig,
    LoadRun,
    Servers,
    check_database,
    choose_hot_claims,
    claim_versions,
    figures,
    fresh_database,
    good_per_second,
    issue_tokens,
    percentile,
    run_load,
    serve,
    server_log_findings,
)

SWEEP = (10, 50, 100)  # and the single client, which runs anyway
MAX_P95_RATIO = 20.0
MIN_THROUGHPUT_SHARE = 0.8
SERVER_PROCESSES = {"sqlite": 1, "postgres": 2}


@dataclass
class Target:
    name: str
    passed: bool | None  # None: not measured in this run
    detail: str

    def line(self) -> str:
        verdict = {True: "PASS", False: "FAIL", None: "n/a "}[self.passed]
        return f"  {verdict}  {self.name}: {self.detail}"


@dataclass
class BackendResult:
    backend: str
    runs: list[LoadRun] = field(default_factory=list)  # the sweep's, then the one asked for
    single: LoadRun | None = None  # one client without think time: the unloaded latency
    check: DbCheck | None = None
    targets: list[Target] = field(default_factory=list)


def _ms(seconds: float) -> str:
    return "-" if math.isnan(seconds) else f"{seconds * 1000:.0f}"


def print_figures(run: LoadRun) -> None:
    print(
        f"  {run.clients} clients, {run.elapsed:.1f} s (asked {run.duration:.0f} s, in-flight requests "
        f"finished), {good_per_second(run):.1f} answers 2xx/409 per second"
    )
    print(
        f"  {'kind':<11}{'count':>7}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}"
        f"{'2xx':>7}{'409':>6}{'4xx':>5}{'5xx':>6}{'(503)':>6}{'timeout':>8}{'conn':>6}"
    )
    rows: list[Figures] = [figures(run, k) for k in KINDS] + [figures(run)]
    for f in rows:
        o = f.outcomes
        print(
            f"  {f.kind:<11}{f.count:>7}{f.per_second:>8.1f}{_ms(f.p50):>8}{_ms(f.p95):>8}{_ms(f.p99):>8}"
            f"{o['2xx']:>7}{o['409']:>6}{o['4xx']:>5}{o['5xx']:>6}{f.status_503:>6}{o['timeout']:>8}"
            f"{o['connection']:>6}"
        )
    print(
        f"  the clients' event loop woke up late by {_ms(percentile(run.loop_lag, 50))} ms (p50), "
        f"{_ms(percentile(run.loop_lag, 95))} ms (p95): the load generator's share of the latencies"
    )
    if run.probe_seconds is None:
        print("  one GET right after the load: no answer within 120 s")
    else:
        print(f"  one GET right after the load: {run.probe_status} in {run.probe_seconds * 1000:.0f} ms")


def print_sweep(runs: Sequence[LoadRun]) -> None:
    print("  sweep:")
    print(f"  {'clients':>9}{'2xx/409/s':>11}{'req/s':>8}{'p95 transition ms':>19}{'5xx':>6}{'timeouts':>9}")
    for run in runs:
        t, a = figures(run, "transition"), figures(run)
        print(
            f"  {run.clients:>9}{good_per_second(run):>11.1f}{a.per_second:>8.1f}{_ms(t.p95):>19}"
            f"{a.outcomes['5xx']:>6}{a.outcomes['timeout']:>9}"
        )


def print_check(check: DbCheck) -> None:
    print(
        f"  database: {check.claims} hot claims; {check.transition_events} transition events made during "
        f"the load, {check.answered_200} answered 200, {check.applied_without_answer} applied with an "
        f"ambiguous answer; {check.note_events} note events, {check.answered_201} answered 201"
    )
    if check.answers_showing_later_version:
        print(
            f"  ({check.answers_showing_later_version} answers to a transition showed a later version than "
            "it made: the claim is read again after the commit, and another client's came in between)"
        )
    for problem in check.problems[:20]:
        print(f"    {problem}")
    if len(check.problems) > 20:
        print(f"    ... and {len(check.problems) - 20} more")


def print_servers(servers: Servers) -> None:
    for n, (seconds, code) in enumerate(zip(servers.shutdown_seconds, servers.exit_codes, strict=True), 1):
        how = f"exit status {code}" if code is not None else "did not stop, killed"
        print(f"  server {n}: stopped {seconds:.1f} s after SIGTERM ({how})")
    exceptions, statuses = server_log_findings(servers.logs)
    answers = ", ".join(f"{status}: {n}" for status, n in sorted(statuses.items()))
    print(f"  server logs: answers by status {answers or 'none logged'}")
    for line, n in exceptions.most_common(8):
        print(f"    {n:>6} x {line}")


def evaluate(main: LoadRun, lower: Sequence[LoadRun], single: LoadRun | None, check: DbCheck) -> list[Target]:
    """The issue's targets for one backend."""
    a = figures(main)
    bad = a.outcomes["5xx"] + a.outcomes["timeout"]
    targets = [
        Target(
            f"no 5xx and no timeouts at {main.clients} clients",
            bad == 0,
            f"{a.outcomes['5xx']} x 5xx, {a.outcomes['timeout']} timeouts",
        )
    ]
    p95 = figures(main, "transition").p95
    if single is None:
        targets.append(Target("transition p95 within 20x single-client", None, "no single-client run"))
    else:
        base = figures(single, "transition").p95
        ratio = p95 / base if base else math.inf
        targets.append(
            Target(
                f"transition p95 at {main.clients} clients within {MAX_P95_RATIO:.0f}x single-client",
                ratio <= MAX_P95_RATIO,
                f"{_ms(p95)} ms vs {_ms(base)} ms ({ratio:.1f}x)",
            )
        )
    if not lower:
        targets.append(Target("throughput at least 80% of the best lower count", None, "needs --sweep"))
    else:
        best = max(lower, key=good_per_second)
        share = good_per_second(main) / good_per_second(best) if good_per_second(best) else math.inf
        targets.append(
            Target(
                f"throughput at {main.clients} clients at least {MIN_THROUGHPUT_SHARE:.0%} of the best "
                "at a lower count",
                share >= MIN_THROUGHPUT_SHARE,
                f"{good_per_second(main):.1f}/s vs {good_per_second(best):.1f}/s at {best.clients} clients "
                f"({share:.0%})",
            )
        )
    targets.append(
        Target(
            "database: no lost update, no duplicate",
            check.ok,
            "all consistent" if check.ok else f"{len(check.problems)} problems",
        )
    )
    return targets


def bench_backend(
    backend: str, cfg: LoadConfig, sweep: bool, serve_args: Sequence[str], keep: Path | None
) -> BackendResult:
    """A fresh database and server for `backend`, the runs (the sweep's counts first), the checks."""
    result = BackendResult(backend)
    workdir = keep / backend if keep else Path(tempfile.mkdtemp(prefix=f"claimflow-load-{backend}."))
    workdir.mkdir(parents=True, exist_ok=True)
    processes = SERVER_PROCESSES[backend]
    print(f"\n{backend}: {processes} x claimflow serve, think {cfg.think} s, timeout {cfg.timeout:.0f} s")
    try:
        with fresh_database(backend, workdir) as url:
            tokens = issue_tokens(url, [*MANAGERS, *HANDLERS])
            users = [ApiUser(e, tokens[e], "manager" if e in MANAGERS else "handler") for e in tokens]
            with serve(url, workdir, processes, serve_args=serve_args) as servers:
                hot = choose_hot_claims(servers.urls[0], tokens[MANAGERS[0]])
                baseline = claim_versions(url, [c.reference for c in hot])
                if cfg.clients > 1:
                    single_cfg = LoadConfig(1, min(cfg.duration, 10.0), 0.0, cfg.timeout, cfg.seed)
                    print("  one client without think time (the unloaded latency):")
                    result.single = asyncio.run(run_load(servers.urls, users, hot, single_cfg))
                    print_figures(result.single)
                    time.sleep(1)
                counts = [c for c in SWEEP if c < cfg.clients] if sweep else []
                for clients in [*counts, cfg.clients]:
                    run_cfg = LoadConfig(clients, cfg.duration, cfg.think, cfg.timeout, cfg.seed)
                    run = asyncio.run(run_load(servers.urls, users, hot, run_cfg))
                    result.runs.append(run)
                    print_figures(run)
                    time.sleep(1)  # let the last answers' work settle before the next count starts
            print_servers(servers)
            if sweep:
                print_sweep(result.runs)
            all_runs = [*result.runs, *([result.single] if result.single else [])]
            result.check = check_database(url, baseline, all_runs)
            print_check(result.check)
    finally:
        if keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"  logs kept in {workdir}")
    result.targets = evaluate(result.runs[-1], result.runs[:-1], result.single, result.check)
    print(f"  targets ({backend}):")
    for target in result.targets:
        print(target.line())
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200, help="concurrent clients (default 200)")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of load per run (default 20)")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--sweep", action="store_true", help=f"first run at {SWEEP} clients too")
    parser.add_argument(
        "--think", type=float, default=1.0, help="seconds between a client's actions (default 1)"
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds a client waits for an answer")
    parser.add_argument("--seed", type=int, default=13, help="random seed of the clients' choices")
    parser.add_argument(
        "--serve-arg",
        action="append",
        default=[],
        help="an option for claimflow serve (repeat: --serve-arg=--workers --serve-arg=2)",
    )
    parser.add_argument("--keep", type=Path, help="keep the databases' directories and server logs here")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.duration <= 0 or args.think < 0 or args.timeout <= 0:
        parser.error("--clients, --duration and --timeout must be positive, --think not negative")
    cfg = LoadConfig(args.clients, args.duration, args.think, args.timeout, args.seed)
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    results = [bench_backend(b, cfg, args.sweep, args.serve_arg, args.keep) for b in backends]
    failed = [f"{r.backend}: {t.name}" for r in results for t in r.targets if t.passed is False]
    print("\nFAIL:\n  " + "\n  ".join(failed) if failed else "\nall measured targets PASS")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
