"""SQLite writers take turns in a queue (claims.storage.db: a process's threads on a lock, the processes on a
lock file): every write gets its turn, a turn is given back however the write ends, and a reader never
waits for one."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from claims.storage.db import DatabaseBusy, in_write, in_write_transaction, make_engine, write_session


@pytest.fixture
def small(tmp_path: Path) -> Engine:
    """A database of one counter, with a write turn that is given up after 0.3 s."""
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}", busy_timeout_ms=300)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO counter VALUES (0)"))
    return engine


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT n FROM counter")).scalar_one())


def _bump(engine: Engine) -> None:
    with Session(engine) as s:
        in_write(s, lambda conn: conn.execute(text("UPDATE counter SET n = n + 1")))


def test_writers_of_many_threads_each_get_their_turn(small: Engine) -> None:
    failures: list[BaseException] = []

    def writer() -> None:
        try:
            for _ in range(40):
                _bump(small)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert _count(small) == 320


def test_a_write_that_fails_gives_its_turn_back(small: Engine) -> None:
    def broken(_conn: object) -> None:
        raise ValueError("kapot")

    with Session(small) as s, pytest.raises(ValueError):
        in_write(s, broken)
    with small.connect() as kept, pytest.raises(ValueError):
        in_write_transaction(kept, broken)
    with pytest.raises(ValueError), write_session(small) as s:
        s.connection().execute(text("UPDATE counter SET n = n + 1"))
        raise ValueError("kapot")
    started = time.monotonic()
    _bump(small)  # at once: no turn was left taken
    assert time.monotonic() - started < 0.25
    assert _count(small) == 1


def test_a_connection_handed_back_in_the_middle_of_a_write_gives_its_turn_back(small: Engine) -> None:
    conn = small.connect().execution_options(claimflow_write=True)
    conn.begin()
    conn.invalidate()  # the driver connection is dropped as broken, in the middle of its write
    conn.rollback()
    conn.close()
    _bump(small)
    abandoned = small.connect().execution_options(claimflow_write=True)
    abandoned.begin()
    abandoned.connection.dbapi_connection  # noqa: B018
    abandoned.close()  # handed back to the pool without a commit or a rollback of its own
    _bump(small)
    assert _count(small) == 2


@contextmanager
def _held_write(engine: Engine) -> Iterator[None]:
    """A write of one bump that holds its turn until the block ends, then commits."""
    held, done = threading.Event(), threading.Event()

    def long_write() -> None:
        with write_session(engine) as s:
            s.connection().execute(text("UPDATE counter SET n = n + 1"))
            held.set()
            done.wait(5)

    t = threading.Thread(target=long_write)
    t.start()
    assert held.wait(5)
    try:
        yield
    finally:
        done.set()
        t.join()


def test_a_writer_waits_for_its_turn_at_most_the_busy_timeout_and_reads_go_on(small: Engine) -> None:
    with _held_write(small):
        started = time.monotonic()
        with pytest.raises(DatabaseBusy):
            _bump(small)
        assert 0.25 < time.monotonic() - started < 2
        assert _count(small) == 0  # a reader does not wait for the writer (WAL)
    _bump(small)
    assert _count(small) == 2


def test_writers_of_other_processes_take_turns_on_the_lock_file_and_wait_at_most_the_busy_timeout(
    small: Engine, tmp_path: Path
) -> None:
    # A second engine on the same file stands for another process (app node, `claimflow scheduler`):
    # its own open lock file, so the flock excludes it as it excludes another process.
    other = make_engine(f"sqlite:///{tmp_path / 'w.db'}", busy_timeout_ms=300)
    with _held_write(small):
        with pytest.raises(DatabaseBusy, match="no write turn within"):  # the lock file's, not SQLite's
            _bump(other)
        assert (tmp_path / "w.db-writer.lock").exists()
    _bump(other)  # its turn comes once the first has committed
    assert _count(small) == 2
    other.dispose()
