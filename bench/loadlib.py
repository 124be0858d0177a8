"""The parts of the load benchmark (bench/load.py) that the load test (tests/web/test_load.py) shares: a
fresh database, the real server in subprocesses, the concurrent API clients, their figures, and the
database check that proves no update was lost or doubled.

Terms: a *hot* claim is one that many clients act on at once through a transition that leaves it in its
state (a self-loop such as `request_information`), so the same claim can be advanced again and again and
every client competes for its version. An *ambiguous* answer is one that does not say whether a write
happened: no answer (timeout, connection error) or a 5xx; such a write may or may not be in the database.
"""

from __future__ import annotations

import asyncio
import math
import os
import random
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AsyncExitStack, ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, select
from sqlalchemy.engine import make_url

from claims.storage.db import make_engine
from claims.storage.tables import CLAIMS, EVENTS, USERS

ROOT = Path(__file__).resolve().parents[1]
CLAIMFLOW = Path(sys.executable).parent / "claimflow"
PG_CLUSTER = ROOT / "scripts" / "pg_test_cluster.sh"

MANAGERS = ("eva.manager@claimflow.test", "pieter.manager@claimflow.test")  # seeds/demo.yaml
HANDLERS = ("sanne.behandelaar@claimflow.test", "joris.behandelaar@claimflow.test")
EXPERT = "lars.expert@claimflow.test"
POLICIES = ("BAV-2021-0001", "BAV-2022-0003", "BAV-2020-0004", "BAV-2019-0005")

# Self-loops a handler and a manager may fire again and again on a claim in expertise, with their data
# and how often a client picks each. Expert costs fall outside the cover (7:959 BW) and 1.00 is far
# below any authority, so neither cover nor authority ever runs out however long the load lasts.
HOT_TRIGGERS: dict[str, tuple[float, Callable[[random.Random], dict[str, str]]]] = {
    # a self-loop within a handler's authority (a payment names its payee since version 3; a reserve on
    # a fresh claim stays far below the 50,000 a handler may set)
    "request_information": (
        0.7,
        lambda rng: {"questions": "Belastingtest: de stukken.", "answer_days": str(rng.randint(5, 20))},
    ),
    "adjust_reserve": (0.3, lambda rng: {"cost_type": "expert", "amount": f"{rng.randint(1000, 9000)}.00"}),
}
NOTE_PREFIX = "Belastingtest"  # every note a load client writes starts with this, then the run's id

KINDS = ("get", "transition", "note")
OUTCOMES = ("2xx", "409", "4xx", "5xx", "timeout", "connection")


# --- a fresh database ------------------------------------------------------------------------------


def _run_cli(args: Sequence[str], database_url: str) -> str:
    env = {**os.environ, "CLAIMFLOW_DATABASE_URL": database_url}
    done = subprocess.run([str(CLAIMFLOW), *args], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"claimflow {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def prepare_database(database_url: str) -> None:
    """`claimflow init` and `claimflow seed` into the database, as `make run` does."""
    _run_cli(["init"], database_url)
    _run_cli(["seed"], database_url)


@contextmanager
def postgres_database(server_url: str, name: str) -> Iterator[str]:
    """A new, empty database `name` on the PostgreSQL server of `server_url`, dropped afterwards.

    A database of its own rather than a reset schema: the suite's other PostgreSQL tests share the
    database of CLAIMFLOW_TEST_POSTGRES_URL for the whole session and must not lose their tables."""
    url = make_url(server_url)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@contextmanager
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server's URL: CLAIMFLOW_TEST_POSTGRES_URL when set, else a throwaway cluster
    (scripts/pg_test_cluster.sh) stopped and removed afterwards."""
    given = os.environ.get("CLAIMFLOW_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    # the directory itself, directly under /tmp (as scripts/run_tests.sh does): as root the cluster
    # runs as `postgres`, which cannot pass through a private directory above it
    cluster = Path(tempfile.mkdtemp(prefix="claimflow-load-pg."))
    started = subprocess.run(
        [str(PG_CLUSTER), "start", str(cluster)], capture_output=True, text=True, check=False
    )
    try:
        if started.returncode != 0:
            raise RuntimeError(f"could not start PostgreSQL: {started.stderr.strip()}")
        yield started.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run([str(PG_CLUSTER), "stop", str(cluster)], capture_output=True, check=False)
        shutil.rmtree(cluster, ignore_errors=True)


@contextmanager
def fresh_database(backend: str, workdir: Path) -> Iterator[str]:
    """The URL of a new database on `backend` ("sqlite" or "postgres"), migrated and seeded."""
    with ExitStack() as stack:
        if backend == "sqlite":
            url = f"sqlite:///{workdir / 'load.db'}"
        elif backend == "postgres":
            server = stack.enter_context(postgres_server())
            url = stack.enter_context(postgres_database(server, f"claimflow_load_{os.getpid()}"))
        else:
            raise ValueError(f"unknown backend {backend!r}")
        prepare_database(url)
        yield url


def issue_tokens(database_url: str, emails: Sequence[str]) -> dict[str, str]:
    """A new API token per user (`claimflow users token`; each replaces the user's earlier one)."""
    return {
        email: _run_cli(["users", "token", email], database_url).strip().splitlines()[-1] for email in emails
    }


# --- the real server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Servers:
    """`claimflow serve` processes on loopback; after the `serve` block, how each one stopped."""

    urls: list[str]
    logs: list[Path]
    processes: list[subprocess.Popen[bytes]] = field(repr=False)
    shutdown_seconds: list[float] = field(default_factory=list)
    exit_codes: list[int | None] = field(default_factory=list)  # None: still running, killed


def _wait_until_answering(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/login", timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers, if not with 200
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited ({proc.returncode}):\n{log.read_text()}") from None
            time.sleep(0.1)
    raise RuntimeError(f"the server at {url} did not answer within {timeout:.0f} s")


def _stop(servers: Servers, grace: float) -> None:
    """SIGTERM to every process at once; each one's time to exit (SIGKILL after `grace` seconds)."""
    started = time.monotonic()
    for proc in servers.processes:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in servers.processes:
        try:
            proc.wait(timeout=max(0.0, grace - (time.monotonic() - started)))
            servers.exit_codes.append(proc.returncode)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            servers.exit_codes.append(None)
        servers.shutdown_seconds.append(time.monotonic() - started)


@contextmanager
def serve(
    database_url: str,
    workdir: Path,
    processes: int = 1,
    *,
    env: Mapping[str, str] | None = None,
    serve_args: Sequence[str] = (),
    grace: float = 30.0,
) -> Iterator[Servers]:
    """`processes` x `claimflow serve` on free loopback ports over the database, answering when yielded;
    stopped with SIGTERM afterwards. More than one process runs with CLAIMFLOW_SCHEDULER=off, as the
    README says several web nodes must (the sweep then belongs to `claimflow scheduler`)."""
    full_env = {**os.environ, "CLAIMFLOW_DATABASE_URL": database_url, **(env or {})}
    if processes > 1:
        full_env["CLAIMFLOW_SCHEDULER"] = "off"
    servers = Servers(urls=[], logs=[], processes=[])
    handles = []
    try:
        for n in range(processes):
            port = free_port()
            log = workdir / f"server-{n + 1}.log"
            handle = log.open("wb")
            handles.append(handle)
            cmd = [str(CLAIMFLOW), "serve", "--host", "127.0.0.1", "--port", str(port), *serve_args]
            proc = subprocess.Popen(cmd, env=full_env, stdout=handle, stderr=subprocess.STDOUT)
            servers.processes.append(proc)
            servers.urls.append(f"http://127.0.0.1:{port}")
            servers.logs.append(log)
        for url, proc, log in zip(servers.urls, servers.processes, servers.logs, strict=True):
            _wait_until_answering(url, proc, log, timeout=60)
        yield servers
    finally:
        _stop(servers, grace)
        for handle in handles:
            handle.close()


_ACCESS_STATUS = re.compile(r'^INFO: .*" (\d{3})(?: |$)')
_VARYING = re.compile(r"CF-\d{4}-\d{6}|127\.0\.0\.1:\d+|\[\d+\]")


def server_log_findings(logs: Sequence[Path]) -> tuple[Counter[str], Counter[int]]:
    """What the servers' logs say: every line that is neither the access log, nor INFO, nor a traceback's
    frames (so errors, warnings, the exception a traceback ends with, the app's own messages), with how
    often it occurs (claim references and ports made alike); and the answers per status code logged."""
    messages: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    for log in logs:
        if not log.exists():
            continue
        for line in log.read_text(errors="replace").splitlines()[1:]:  # [0]: where it listens
            if (m := _ACCESS_STATUS.match(line)) is not None:
                statuses[int(m.group(1))] += 1
            elif line.strip() and not line.startswith(("INFO:", " ", "\t", "Traceback", "^")):
                messages[_VARYING.sub("…", line)[:240]] += 1
    return messages, statuses


# --- set-up over the API ---------------------------------------------------------------------------


@dataclass(frozen=True)
class HotClaim:
    reference: str
    handler: str  # e-mail: a handler client acts only on the claims assigned to it


def _offers_hot_trigger(claim: Mapping[str, Any]) -> bool:
    return any(a["trigger"] in HOT_TRIGGERS for a in claim.get("allowed_transitions", []))


def _checked(resp: httpx.Response, what: str) -> Any:
    if resp.status_code >= 300:
        raise RuntimeError(f"set-up: {what} answered {resp.status_code}: {resp.text[:500]}")
    return resp.json()


def _open_hot_claim(client: httpx.Client, n: int) -> str:
    """A new contract-breach claim brought to expertise (melding, cover check, cover confirmed)."""
    today = date.today()
    melding = {
        "kind": "contract_breach",
        "policy_number": POLICIES[n % len(POLICIES)],
        "claimant": f"Belastingklant {n} B.V.",
        "description": "Claim voor de belastingtest.",
        "date_error": (today - timedelta(days=20)).isoformat(),
        "date_known": (today - timedelta(days=10)).isoformat(),
        "amount_claimed": "20000",
        "handler": HANDLERS[n % len(HANDLERS)],
    }
    ref: str = _checked(client.post("/api/claims", json=melding), "POST /api/claims")["reference"]
    steps: list[tuple[str, dict[str, str]]] = [
        ("start_coverage_check", {}),
        ("confirm_cover", {"expert": EXPERT, "reserve_damages": "20000", "reserve_expert": "5000"}),
    ]
    for version, (trigger, data) in enumerate(steps, start=1):
        body = {"trigger": trigger, "version": version, "data": data}
        _checked(client.post(f"/api/claims/{ref}/transitions", json=body), f"{trigger} on {ref}")
    return ref


def choose_hot_claims(base_url: str, manager_token: str, count: int = 20) -> list[HotClaim]:
    """`count` claims a handler and a manager may advance by a self-loop: new claims brought to
    expertise through the API (a seeded claim's reserves may already be above a handler's authority,
    where a raised reserve waits for a manager instead of moving the claim on)."""
    headers = {"Authorization": f"Bearer {manager_token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        hot: list[HotClaim] = []
        for n in range(count):
            ref = _open_hot_claim(client, n)
            claim = _checked(client.get(f"/api/claims/{ref}"), f"GET {ref}")
            if not _offers_hot_trigger(claim):
                raise RuntimeError(f"set-up: {ref} offers none of {sorted(HOT_TRIGGERS)}")
            hot.append(HotClaim(ref, claim["handler"]))
    return hot


def claim_versions(database_url: str, references: Sequence[str]) -> dict[str, int]:
    """Each claim's version as the database holds it now."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(CLAIMS.c.reference, CLAIMS.c.version).where(CLAIMS.c.reference.in_(references))
            )
            return {r.reference: r.version for r in rows}
    finally:
        engine.dispose()


# --- the clients -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiUser:
    email: str
    token: str
    role: str  # "manager" acts on every claim, "handler" on the claims assigned to them


@dataclass(frozen=True)
class Sample:
    """One request: its kind (get, transition, note), how long it took, and how it ended."""

    kind: str
    seconds: float
    status: int | None  # None: no answer
    error: str | None  # "timeout" or "connection" when there was no answer


@dataclass(frozen=True)
class TransitionCall:
    reference: str
    trigger: str
    sent_version: int
    actor: str
    status: int | None
    answered_version: int | None  # the claim's version in a 200 answer


@dataclass(frozen=True)
class NoteCall:
    reference: str
    text: str
    actor: str
    status: int | None
    event_id: int | None  # from a 201 answer


@dataclass
class LoadRun:
    clients: int
    duration: float  # asked for
    elapsed: float = 0.0  # first request to the last client's end, in-flight requests included
    samples: list[Sample] = field(default_factory=list)
    transitions: list[TransitionCall] = field(default_factory=list)
    notes: list[NoteCall] = field(default_factory=list)
    probe_seconds: float | None = None  # one GET right after the load; None: it got no answer
    probe_status: int | None = None
    loop_lag: list[float] = field(default_factory=list)  # the clients' event loop, late by (seconds)


@dataclass(frozen=True)
class LoadConfig:
    clients: int = 200
    duration: float = 20.0
    think: float = 1.0  # seconds between a client's actions (0.5x to 1.5x, at random)
    timeout: float = 30.0  # per request
    seed: int = 13


def is_ambiguous(status: int | None) -> bool:
    """An answer that does not say whether the write happened."""
    return status is None or status >= 500


def outcome(sample: Sample) -> str:
    if sample.error is not None:
        return sample.error
    assert sample.status is not None
    if sample.status == 409:
        return "409"
    return f"{sample.status // 100}xx" if sample.status // 100 in (2, 4, 5) else "4xx"


def _pick_trigger(claim: Mapping[str, Any], rng: random.Random) -> str | None:
    offered = [a["trigger"] for a in claim.get("allowed_transitions", []) if a["trigger"] in HOT_TRIGGERS]
    if not offered:
        return None
    return str(rng.choices(offered, weights=[HOT_TRIGGERS[t][0] for t in offered])[0])


def _json(resp: httpx.Response) -> dict[str, Any]:
    """The answer's JSON object; empty when it is none (the checks then see the missing field)."""
    try:
        body = resp.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


class _Client:
    """One simulated user with its own keep-alive connection: read a claim, advance it with the version
    just read, add a note, with a think time between actions, until the deadline."""

    def __init__(
        self,
        n: int,
        user: ApiUser,
        url: str,
        claims: Sequence[str],
        cfg: LoadConfig,
        run: LoadRun,
        run_id: str,
    ) -> None:
        self.n, self.user, self.url, self.claims, self.cfg, self.run = n, user, url, claims, cfg, run
        self.run_id = run_id
        self.rng = random.Random(cfg.seed * 100_003 + n)
        self.notes_written = 0

    async def _request(
        self, client: httpx.AsyncClient, kind: str, method: str, path: str, body: Any = None
    ) -> httpx.Response | None:
        started = time.perf_counter()
        resp: httpx.Response | None = None
        error: str | None = None
        try:
            resp = await client.request(method, path, json=body)
        except httpx.TimeoutException:
            error = "timeout"
        except httpx.TransportError:
            error = "connection"
        status = resp.status_code if resp is not None else None
        self.run.samples.append(Sample(kind, time.perf_counter() - started, status, error))
        return resp

    async def _think(self, deadline: float) -> None:
        if self.cfg.think > 0:
            pause = self.cfg.think * self.rng.uniform(0.5, 1.5)
            await asyncio.sleep(max(0.0, min(pause, deadline - time.monotonic())))

    async def _iteration(self, client: httpx.AsyncClient, deadline: float) -> None:
        ref = self.rng.choice(self.claims)
        resp = await self._request(client, "get", "GET", f"/api/claims/{ref}")
        await self._think(deadline)
        claim = _json(resp) if resp is not None and resp.status_code == 200 else None
        if claim is None or time.monotonic() >= deadline:
            return
        trigger = _pick_trigger(claim, self.rng)
        if trigger is not None:
            version = int(claim["version"])
            body = {"trigger": trigger, "version": version, "data": HOT_TRIGGERS[trigger][1](self.rng)}
            resp = await self._request(client, "transition", "POST", f"/api/claims/{ref}/transitions", body)
            status = resp.status_code if resp is not None else None
            answered = _json(resp).get("version") if resp is not None and status == 200 else None
            self.run.transitions.append(
                TransitionCall(ref, trigger, version, self.user.email, status, answered)
            )
            await self._think(deadline)
            if time.monotonic() >= deadline:
                return
        self.notes_written += 1
        text = f"{NOTE_PREFIX} {self.run_id} c{self.n} #{self.notes_written}"
        resp = await self._request(client, "note", "POST", f"/api/claims/{ref}/notes", {"note": text})
        status = resp.status_code if resp is not None else None
        event_id = _json(resp).get("event_id") if resp is not None and status == 201 else None
        self.run.notes.append(NoteCall(ref, text, self.user.email, status, event_id))
        await self._think(deadline)

    def connect(self, tls: ssl.SSLContext) -> httpx.AsyncClient:
        """The user's own client, one keep-alive connection (opened at its first request)."""
        return httpx.AsyncClient(
            base_url=self.url,
            headers={"Authorization": f"Bearer {self.user.token}"},
            timeout=self.cfg.timeout,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            verify=tls,
        )

    async def run_until(self, client: httpx.AsyncClient, deadline: float) -> None:
        # arrivals spread over one think time, as users do; with --think 0 they all start at once
        await asyncio.sleep(self.rng.uniform(0, self.cfg.think))
        while time.monotonic() < deadline:
            await self._iteration(client, deadline)


async def _watch_loop_lag(lags: list[float], deadline: float, tick: float = 0.05) -> None:
    """How late the clients' own event loop wakes up: when it lags, the latencies measured include
    the load generator's wait for the CPU, not only the server's."""
    while time.monotonic() < deadline:
        before = time.monotonic()
        await asyncio.sleep(tick)
        lags.append(time.monotonic() - before - tick)


def _claims_of(user: ApiUser, hot: Sequence[HotClaim]) -> list[str]:
    return [c.reference for c in hot if user.role == "manager" or c.handler == user.email]


async def run_load(
    urls: Sequence[str], users: Sequence[ApiUser], hot: Sequence[HotClaim], cfg: LoadConfig
) -> LoadRun:
    """`cfg.clients` concurrent clients for `cfg.duration` seconds, spread over the servers `urls` and
    the `users` in turn; then one GET to see whether the server answers at once after the load."""
    run = LoadRun(clients=cfg.clients, duration=cfg.duration)
    run_id = secrets.token_hex(4)
    clients = []
    for n in range(cfg.clients):
        user = users[n % len(users)]
        clients.append(_Client(n, user, urls[n % len(urls)], _claims_of(user, hot), cfg, run, run_id))
    # one TLS context for all (the clients speak plain HTTP, but httpx builds a context for each
    # client otherwise: 50 ms apiece, 10 s for 200 clients), and every client made before the clock starts
    tls = ssl.create_default_context()
    async with AsyncExitStack() as stack:
        connections = [await stack.enter_async_context(c.connect(tls)) for c in clients]
        started = time.monotonic()
        deadline = started + cfg.duration
        lag = asyncio.create_task(_watch_loop_lag(run.loop_lag, deadline))
        await asyncio.gather(
            *(c.run_until(conn, deadline) for c, conn in zip(clients, connections, strict=True))
        )
        run.elapsed = time.monotonic() - started
        await lag
    manager = next(u for u in users if u.role == "manager")
    async with httpx.AsyncClient(
        base_url=urls[0], headers={"Authorization": f"Bearer {manager.token}"}, timeout=120, verify=tls
    ) as probe:
        t0 = time.perf_counter()
        try:
            resp = await probe.get(f"/api/claims/{hot[0].reference}")
            run.probe_seconds, run.probe_status = time.perf_counter() - t0, resp.status_code
        except httpx.TransportError:
            run.probe_seconds = None
    return run


# --- figures ---------------------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


@dataclass(frozen=True)
class Figures:
    """One kind of request (or all of them) over a run."""

    kind: str
    count: int
    per_second: float
    p50: float
    p95: float
    p99: float
    outcomes: Mapping[str, int]
    status_503: int  # of the 5xx: load shed on purpose (503 with Retry-After)


def figures(run: LoadRun, kind: str | None = None) -> Figures:
    """Latency percentiles (seconds, every request that ended, answered or not) and outcome counts."""
    samples = [s for s in run.samples if kind is None or s.kind == kind]
    seconds = [s.seconds for s in samples]
    counted = Counter(outcome(s) for s in samples)
    return Figures(
        kind=kind or "all",
        count=len(samples),
        per_second=len(samples) / run.elapsed if run.elapsed else 0.0,
        p50=percentile(seconds, 50),
        p95=percentile(seconds, 95),
        p99=percentile(seconds, 99),
        outcomes={o: counted.get(o, 0) for o in OUTCOMES},
        status_503=sum(1 for s in samples if s.status == 503),
    )


def good_per_second(run: LoadRun) -> float:
    """Throughput: answers that did what the API promises (2xx, or 409 for a stale version) per second."""
    good = sum(1 for s in run.samples if s.status is not None and (s.status < 300 or s.status == 409))
    return good / run.elapsed if run.elapsed else 0.0


# --- the database check ----------------------------------------------------------------------------


@dataclass
class DbCheck:
    """What the database holds against what the clients were told."""

    problems: list[str] = field(default_factory=list)
    claims: int = 0
    transition_events: int = 0  # made during the load
    answered_200: int = 0
    applied_without_answer: int = 0  # events of transitions whose answer was ambiguous
    note_events: int = 0  # made during the load
    answered_201: int = 0
    answers_showing_later_version: int = 0  # 200s re-read after another client's commit

    @property
    def ok(self) -> bool:
        return not self.problems


def _user_ids(conn: Any, emails: Sequence[str]) -> dict[int, str]:
    rows = conn.execute(select(USERS.c.id, USERS.c.email).where(USERS.c.email.in_(emails)))
    return {r.id: r.email for r in rows}


def _check_versions(check: DbCheck, ref: str, version: int, event_versions: list[int]) -> None:
    """A claim at version v has exactly one transition event for each of versions 2..v: none lost,
    none doubled (it starts at 1 and each transition adds one)."""
    if sorted(event_versions) == list(range(2, version + 1)):
        return
    doubled = sorted(v for v, n in Counter(event_versions).items() if n > 1)
    missing = sorted(set(range(2, version + 1)) - set(event_versions))
    check.problems.append(
        f"{ref}: version {version} but {len(event_versions)} transition events "
        f"(doubled versions {doubled}, missing {missing}); expected {version - 1}"
    )


def check_database(
    database_url: str,
    baseline: Mapping[str, int],
    runs: Sequence[LoadRun],
    run_notes_prefix: str = NOTE_PREFIX,
) -> DbCheck:
    """Prove no lost update and no duplicate on the claims in `baseline` (reference: version before the
    load): each version has exactly one transition event; each transition answered 200 has exactly the
    event it made (its claim, the version it produced, its trigger and actor), and every event made during
    the load belongs to a 200 answer or to an ambiguous one (5xx, timeout); each note answered 201 is on
    the timeline exactly once, and no other note of the load's is."""
    check = DbCheck()
    transitions = [t for r in runs for t in r.transitions]
    notes = [n for r in runs for n in r.notes]
    actors = sorted({t.actor for t in transitions} | {n.actor for n in notes})
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            by_user_id = _user_ids(conn, actors)
            claims = {
                r.id: (r.reference, r.version)
                for r in conn.execute(
                    select(CLAIMS.c.id, CLAIMS.c.reference, CLAIMS.c.version).where(
                        CLAIMS.c.reference.in_(list(baseline))
                    )
                )
            }
            events = conn.execute(
                select(
                    EVENTS.c.id,
                    EVENTS.c.claim_id,
                    EVENTS.c.claim_version,
                    EVENTS.c.kind,
                    EVENTS.c.trigger,
                    EVENTS.c.actor_id,
                    EVENTS.c.note,
                ).where(EVENTS.c.claim_id.in_(list(claims)), EVENTS.c.kind.in_(["transition", "note"]))
            ).all()
    finally:
        engine.dispose()
    check.claims = len(claims)

    # (reference, version made) -> (trigger, actor) of every transition event during the load
    made: dict[tuple[str, int], list[tuple[str, str | None]]] = defaultdict(list)
    versions: dict[str, list[int]] = defaultdict(list)
    note_events: dict[str, list[tuple[int, str]]] = defaultdict(list)  # text -> [(event id, reference)]
    for e in events:
        ref = claims[e.claim_id][0]
        if e.kind == "transition":
            versions[ref].append(e.claim_version)
            if e.claim_version > baseline[ref]:
                made[(ref, e.claim_version)].append((e.trigger, by_user_id.get(e.actor_id)))
        elif e.note.startswith(run_notes_prefix):
            note_events[e.note].append((e.id, ref))
    for ref, version in claims.values():
        _check_versions(check, ref, version, versions[ref])
    check.transition_events = sum(len(v) for v in made.values())
    _match_transitions(check, made, transitions)
    _match_notes(check, note_events, notes)
    return check


def _match_transitions(
    check: DbCheck,
    made: Mapping[tuple[str, int], list[tuple[str, str | None]]],
    calls: Sequence[TransitionCall],
) -> None:
    ok = [t for t in calls if t.status == 200]
    check.answered_200 = len(ok)
    told: Counter[tuple[str, int]] = Counter((t.reference, t.sent_version + 1) for t in ok)
    for key, n in told.items():
        if n > 1:
            check.problems.append(f"{key[0]}: {n} transitions answered 200 for version {key[1]}")
    for t in ok:
        key = (t.reference, t.sent_version + 1)
        if made.get(key) != [(t.trigger, t.actor)]:
            check.problems.append(
                f"{t.reference}: {t.trigger} by {t.actor} answered 200 for version {key[1]}, "
                f"the database holds {made.get(key, [])} there"
            )
        if t.answered_version is not None and t.answered_version < key[1]:
            check.problems.append(f"{t.reference}: 200 answer shows version {t.answered_version} < {key[1]}")
        elif t.answered_version is not None and t.answered_version > key[1]:
            check.answers_showing_later_version += 1
    maybe: Counter[tuple[str, int, str, str | None]] = Counter(
        (t.reference, t.sent_version + 1, t.trigger, t.actor) for t in calls if is_ambiguous(t.status)
    )
    for key, found in made.items():
        if key in told:
            continue
        for trigger, actor in found:
            if maybe[(*key, trigger, actor)] > 0:
                maybe[(*key, trigger, actor)] -= 1
                check.applied_without_answer += 1
            else:
                check.problems.append(
                    f"{key[0]}: {trigger} by {actor} made version {key[1]} but no client was answered 200 "
                    "for it, nor left without an answer"
                )


def _match_notes(
    check: DbCheck, stored: Mapping[str, list[tuple[int, str]]], calls: Sequence[NoteCall]
) -> None:
    check.note_events = sum(len(v) for v in stored.values())
    by_text = {n.text: n for n in calls}
    for n in calls:
        if n.status != 201:
            continue
        check.answered_201 += 1
        found = stored.get(n.text, [])
        if found != [(n.event_id, n.reference)]:
            check.problems.append(f"note {n.text!r} answered 201 (event {n.event_id}); stored as {found}")
    for text, found in stored.items():
        call = by_text.get(text)
        if call is None or (call.status != 201 and not (is_ambiguous(call.status) and len(found) == 1)):
            status = call.status if call else "never sent"
            check.problems.append(f"note {text!r} stored {len(found)}x, its answer was {status}")
