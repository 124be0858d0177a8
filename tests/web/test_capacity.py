"""What one serving process takes on, and how it answers beyond that (claims.web.capacity): a request
over the concurrency limit is refused at once with 503 and Retry-After; a database that cannot be had
in time is a 503 too, with nothing stored; HEAD answers like GET; the serve knobs are checked."""

from __future__ import annotations

import asyncio
import inspect
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from bench.loadlib import CLAIMFLOW, issue_tokens, prepare_database, serve
from claims.runtime import Runtime
from claims.storage.db import BACKGROUND_CONNECTIONS, make_engine
from claims.web.app import create_app
from claims.web.capacity import use_request_threads
from tests.conftest import PG_URL
from tests.factories import World
from tests.web.conftest import client_for, settings
from tests.web.test_api import bearer, open_via_api

MANAGER = "eva.manager@claimflow.test"
CLAIM = "CF-2026-000001"


@dataclass
class Seeded:
    """A freshly seeded SQLite database, the server settings to try on it, and a manager's token."""

    url: str
    path: Path
    workdir: Path
    knobs: dict[str, str]
    auth: dict[str, str]


def _seeded(tmp_path: Path, **knobs: str) -> Seeded:
    path = tmp_path / "claimflow.db"
    url = f"sqlite:///{path}"
    prepare_database(url)
    token = issue_tokens(url, [MANAGER])[MANAGER]
    settings = {"CLAIMFLOW_SCHEDULER": "off", **knobs}
    return Seeded(url, path, tmp_path, settings, {"Authorization": f"Bearer {token}"})


@contextmanager
def _write_lock_held(path: Path) -> Iterator[None]:
    """Another process's writer, as far as the server can tell: SQLite's write lock, held."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        conn.execute("ROLLBACK")
        conn.close()


def _notes(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM timeline_events WHERE kind = 'note'").fetchone()[0])


@pytest.mark.slow
def test_beyond_the_concurrency_limit_a_request_gets_503_with_retry_after_at_once(tmp_path: Path) -> None:
    db = _seeded(tmp_path, CLAIMFLOW_CONCURRENCY_LIMIT="1")
    auth, path = db.auth, db.path
    with serve(db.url, db.workdir, env=db.knobs) as servers, httpx.Client(base_url=servers.urls[0]) as http:
        assert http.get(f"/api/claims/{CLAIM}", headers=auth).status_code == 200
        held: list[httpx.Response] = []
        with _write_lock_held(path):
            # a note that waits for the write lock: the one request this process takes on
            writer = _note_in_flight(servers.urls[0], auth, held)
            started = time.monotonic()
            refused = http.get(f"/api/claims/{CLAIM}", headers=auth)
            assert time.monotonic() - started < 1.0
            assert refused.status_code == 503
            assert refused.headers["retry-after"].isdigit()
            assert refused.json()["detail"].startswith("De server is even te druk")
            started = time.monotonic()
            page = http.get("/login")
            assert time.monotonic() - started < 1.0
            assert page.status_code == 503
            assert page.headers["content-type"].startswith("text/html")
            assert "retry-after" in page.headers
            assert held == []  # still waiting: the refusals did not wait for it
        writer.join(timeout=30)
        assert [r.status_code for r in held] == [201]
        # the slot is free again once the note's request has ended (just after its answer left)
        assert _eventually_ok(http, f"/api/claims/{CLAIM}", auth)
    assert "over the concurrency limit (1)" in servers.logs[0].read_text()


def _eventually_ok(http: httpx.Client, url: str, auth: dict[str, str]) -> bool:
    for _ in range(100):
        if http.get(url, headers=auth).status_code == 200:
            return True
        time.sleep(0.01)
    return False


def _note_in_flight(url: str, auth: dict[str, str], answers: list[httpx.Response]) -> threading.Thread:
    """A note posted in the background that is still waiting (for the write lock) half a second on;
    posted again if it arrived while the one slot was taken by something else."""
    for _ in range(10):
        answers.clear()
        writer = threading.Thread(
            target=lambda: answers.append(
                httpx.post(
                    f"{url}/api/claims/{CLAIM}/notes", json={"note": "wacht"}, headers=auth, timeout=30
                )
            )
        )
        writer.start()
        writer.join(timeout=0.5)
        if writer.is_alive():
            return writer
    raise AssertionError("the note never got in")


@pytest.mark.slow
def test_a_sqlite_lock_held_beyond_the_busy_timeout_is_503_and_stores_nothing(tmp_path: Path) -> None:
    db = _seeded(tmp_path, CLAIMFLOW_SQLITE_BUSY_TIMEOUT_MS="300")
    auth, path = db.auth, db.path
    before = _notes(path)
    with serve(db.url, db.workdir, env=db.knobs) as servers, httpx.Client(base_url=servers.urls[0]) as http:
        with _write_lock_held(path):
            busy = http.post(f"/api/claims/{CLAIM}/notes", json={"note": "te laat"}, headers=auth)
        assert busy.status_code == 503, busy.text
        assert busy.headers["retry-after"].isdigit()
        assert _notes(path) == before
        assert (
            http.post(f"/api/claims/{CLAIM}/notes", json={"note": "nu wel"}, headers=auth).status_code == 201
        )
    assert _notes(path) == before + 1


@pytest.mark.postgres
def test_a_postgres_pool_that_stays_exhausted_is_503_not_a_hang(_pg_engine: Any, rt: Runtime) -> None:
    """Background work holding every connection (the embedded sweep, a streamed export) makes a
    request wait at most the pool timeout, then answers 503."""
    assert PG_URL
    small = make_engine(PG_URL, pool_size=1, pool_timeout=0.3)
    held = [small.connect() for _ in range(1 + BACKGROUND_CONNECTIONS)]
    try:
        with TestClient(create_app(settings(), small, rt)) as api:
            started = time.monotonic()
            answer = api.get("/api/claims", headers={"Authorization": "Bearer x"})
            assert time.monotonic() - started < 2
            assert answer.status_code == 503
            assert answer.headers["retry-after"].isdigit()
            for conn in held:
                conn.close()
            held = []
            assert api.get("/api/claims", headers={"Authorization": "Bearer x"}).status_code == 401
    finally:
        for conn in held:
            conn.close()
        small.dispose()


def test_head_answers_like_get_without_a_body(anon: TestClient, manager: TestClient) -> None:
    for client, path in (
        (anon, "/login"),
        (manager, "/claims"),
        (manager, "/api/claims"),
        (anon, "/static/style.css"),
    ):
        got = client.get(path)
        head = client.head(path)
        assert head.status_code == got.status_code == 200, path
        assert head.content == b""
        assert head.headers["content-type"] == got.headers["content-type"]
    assert anon.head("/no-such-page").status_code == 404
    # HEAD never changes anything: a write endpoint is not reached by it
    assert anon.head("/proposals/1/decide").status_code in (404, 405)


def test_serve_refuses_several_workers_with_the_embedded_scheduler(tmp_path: Path) -> None:
    env = {"CLAIMFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "CLAIMFLOW_SCHEDULER": "embedded"}
    done = subprocess.run(
        [str(CLAIMFLOW), "serve", "--workers", "2"],
        env={**_plain_env(), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "CLAIMFLOW_SCHEDULER=off" in done.stderr
    bad = subprocess.run(
        [str(CLAIMFLOW), "serve"],
        env={**_plain_env(), **env, "CLAIMFLOW_CONCURRENCY_LIMIT": "0"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2
    assert "CLAIMFLOW_CONCURRENCY_LIMIT" in bad.stderr


def _plain_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("CLAIMFLOW_")}


@pytest.mark.slow
def test_two_workers_serve_and_stop_on_sigterm_within_the_shutdown_timeout(tmp_path: Path) -> None:
    db = _seeded(tmp_path, CLAIMFLOW_WORKERS="2", CLAIMFLOW_SHUTDOWN_TIMEOUT_SECONDS="2")
    with serve(db.url, db.workdir, env=db.knobs) as servers:
        with httpx.Client(base_url=servers.urls[0], timeout=30) as http:
            answers = [http.get(f"/api/claims/{CLAIM}", headers=db.auth).status_code for _ in range(20)]
        assert answers == [200] * 20
    assert servers.shutdown_seconds[0] < 10
    assert servers.exit_codes[0] is not None
    assert servers.logs[0].read_text().count("Started server process") == 2


def test_no_endpoint_does_database_work_on_the_event_loop(app: Any) -> None:
    """An async endpoint runs on the event loop: one that took the request's session would block
    every request of the process while it waited for the database or a write turn."""
    offenders = []
    for route in app.routes:
        if not isinstance(route, APIRoute):
            continue
        original = inspect.unwrap(route.endpoint)
        takes_db = any(
            p.annotation in ("Db", "Session") or p.name == "db"
            for p in inspect.signature(original).parameters.values()
        )
        if takes_db and inspect.iscoroutinefunction(original):
            offenders.append(route.path)
    assert offenders == []


def test_a_request_never_holds_a_connection_while_it_waits_for_a_thread(
    engine: Engine, rt: Runtime, world: World
) -> None:
    """With two request threads, at most two connections are ever out of the pool, however many
    requests are in flight: none keeps one from its log-in check to its work, from its work to the
    validation of its answer, or into an error handler. (Holding one across those waits is how the
    pool deadlocked under load.)"""
    app = create_app(settings().model_copy(update={"db_pool_size": 2}), engine, rt)
    out = 0
    most = 0

    def checkout(*_args: Any) -> None:
        nonlocal out, most
        out += 1
        most = max(most, out)

    def checkin(*_args: Any) -> None:
        nonlocal out
        out -= 1

    auth = bearer(engine, world.handler)
    with TestClient(app) as api:
        ref = open_via_api(api, auth)
    event.listen(engine.pool, "checkout", checkout)
    event.listen(engine.pool, "checkin", checkin)
    page = client_for(app, world.handler.email)  # a page session too, through its cookie
    cookies = dict(page.cookies)

    async def load() -> list[int]:
        use_request_threads(2)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            calls = [
                http.get(f"/api/claims/{ref}", headers=auth),  # a response model validated after
                http.get("/api/claims", headers=auth),
                http.post(f"/api/claims/{ref}/notes", json={"note": "druk"}, headers=auth),
                http.post(  # stale: 409 from the error handler
                    f"/api/claims/{ref}/transitions",
                    json={"trigger": "start_coverage_check", "version": 99, "data": {}},
                    headers=auth,
                ),
                http.get("/api/claims/CF-1999-999999", headers=auth),  # 404 from a read
                http.get("/claims", cookies=cookies),
                http.get(f"/claims/{ref}", cookies=cookies),
            ]
            answers = await asyncio.gather(*(calls[i % len(calls)] for i in range(70)))
        return [a.status_code for a in answers]

    codes = asyncio.run(load())
    event.remove(engine.pool, "checkout", checkout)
    event.remove(engine.pool, "checkin", checkin)
    assert set(codes) <= {200, 201, 404, 409}, codes
    assert codes.count(201) == 10
    assert most <= 2, f"{most} connections out at once with 2 request threads"
