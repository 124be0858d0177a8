"""Database engine and transactions: SQLite (WAL, foreign keys, busy timeout, BEGIN IMMEDIATE for
writes) by default, PostgreSQL for several app nodes."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection
from sqlmodel import Session

from claims.storage import text_fold
from claims.storage.file_turn import FileTurn

WRITE = {"claimflow_write": True}


class DatabaseBusy(Exception):
    """SQLite's write lock could not be had within the busy timeout (another process held it):
    nothing was done; the caller may try again shortly."""


class _Writers:
    """The queue for SQLite's write lock, of this process's threads and of the other processes that
    write to the same file.

    SQLite lets one writer in at a time; the others poll in its busy handler, which sleeps 1, 2, 5,
    ... up to 100 ms between tries and serves no one in order: under load a write waited 100-200 ms
    behind writes of 1 ms, and four writer processes together committed fewer transitions than one.
    The threads of this process wait for a lock instead and are woken the moment the previous write
    has committed; the processes (app nodes on one file, `claimflow scheduler`) take an flock on a file
    beside the database in turn, woken by the kernel when it is given back, so a write waits about as
    long as the one before it takes. A writer that does not take it (the sqlite3 shell) still meets the
    busy timeout.
    """

    KEY = "claimflow_writer"  # in the pooled connection's info: it holds the lock

    def __init__(self, timeout_seconds: float, lock_path: str | None = None) -> None:
        self._lock = threading.Lock()
        self._timeout = timeout_seconds
        self._lock_path = lock_path
        self._fd: int | None = None
        self._turn: FileTurn | None = None
        self._pid = 0  # the process that opened _fd: a forked child opens its own (flock is per open file)

    def acquire(self, info: dict[Any, Any]) -> None:
        deadline = time.monotonic() + self._timeout
        if not self._lock.acquire(timeout=self._timeout):
            raise DatabaseBusy(f"no write turn within {self._timeout:g} s")
        try:
            if self._lock_path is not None:
                self._take_file(deadline)
        except BaseException:
            self._lock.release()
            raise
        info[self.KEY] = time.perf_counter()

    def _take_file(self, deadline: float) -> None:
        if self._fd is None or self._pid != os.getpid():
            try:
                self._fd = os.open(self._lock_path or "", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            except OSError:  # a directory it may not write in: SQLite's busy handler alone, as before
                self._lock_path, self._fd = None, None
                return
            self._pid = os.getpid()
            weakref.finalize(self, os.close, self._fd)
            self._turn = FileTurn(self._fd)  # with the open file: a forked child's own helper too
        # Wait in the kernel, which wakes the waiter the moment the lock is given back (polling left
        # the lock idle and took the CPU from its holder), through a helper thread, so that this one can
        # give up at the busy timeout. SQLite's own lock keeps writers apart: this is only their queue.
        assert self._turn is not None
        if not self._turn.take(deadline):
            raise DatabaseBusy(f"no write turn within {self._timeout:g} s")

    def release(self, info: dict[Any, Any]) -> None:
        taken = info.pop(self.KEY, None)
        if taken is not None:
            if self._fd is not None and self._lock_path is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            self._lock.release()
            if write_turn_observer is not None:
                write_turn_observer(time.perf_counter() - taken)


# Called with the seconds each write turn was held (this process's queue and SQLite's write lock, from
# taking the turn to the end of its commit); None, as it is but for a benchmark measuring it.
write_turn_observer: Callable[[float], None] | None = None


# The queue of each SQLite engine, found by in_write_transaction (which bypasses the events below).
_WRITERS: weakref.WeakKeyDictionary[Engine, _Writers] = weakref.WeakKeyDictionary()


def is_lock_timeout(error: BaseException) -> bool:
    """SQLite's "database is locked" or "busy": another writer kept the lock past the busy timeout."""
    return "locked" in str(error) or "busy" in str(error)


def _begin(driver: Any, write: bool) -> None:
    try:
        driver.execute("BEGIN IMMEDIATE" if write else "BEGIN")
    except sqlite3.OperationalError as exc:
        if is_lock_timeout(exc):
            raise DatabaseBusy(str(exc)) from exc
        raise


T = TypeVar("T")
Db = Session | Connection  # a request's Session, or a Connection a worker keeps for many transactions


# Connections a process keeps beyond its request threads' share, for its own background work (the
# embedded scheduler's sweep and delivery, an export being streamed).
BACKGROUND_CONNECTIONS = 4


def make_engine(
    url: str,
    *,
    busy_timeout_ms: int = 10_000,
    pool_size: int = 16,
    pool_timeout: float = 10.0,
    echo: bool = False,
) -> Engine:
    """An engine configured for this app's transactions on either database.

    `pool_size` is the number of threads that use it at once (claims.web.capacity gives a process as
    many request threads). SQLite connections are cheap and its writers queue on BEGIN IMMEDIATE, so
    its pool keeps that many and opens more when needed, never making anyone wait for one.
    A PostgreSQL server has a fixed number of connections for every node, so its pool is bounded:
    the request threads plus the background work; waiting longer than `pool_timeout` for one raises
    sqlalchemy.exc.TimeoutError (the web answers 503).
    """
    if url.startswith("sqlite"):
        # an in-memory database lives in one connection, which its own pool keeps
        memory = url in ("sqlite://", "sqlite:///:memory:")
        pooling = {} if memory else {"pool_size": pool_size, "max_overflow": -1}
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
            **pooling,
        )
        _configure_sqlite(engine, busy_timeout_ms, None if memory else engine.url.database)
        return engine
    return create_engine(
        url,
        echo=echo,
        pool_pre_ping=True,
        pool_size=pool_size,
        max_overflow=BACKGROUND_CONNECTIONS,
        pool_timeout=pool_timeout,
    )


def _configure_sqlite(engine: Engine, busy_timeout_ms: int, path: str | None) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when a transaction begins (see _on_begin).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        # Only takes effect when the file is created. Each commit writes its dirty pages to the WAL;
        # 2 KiB pages halve those bytes against the default 4 KiB (measured here: commit 217 -> 138 us)
        # while a claim row with its case data still fits in one page.
        cur.execute("PRAGMA page_size=2048")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        # WAL + NORMAL survives an application crash; only an OS crash may lose the last commits.
        cur.execute("PRAGMA synchronous=NORMAL")
        # Checkpoint less often: hot index pages are then written back once for many commits
        # (measured: 2,500 -> 3,700 raw transactions/s); the WAL grows to about 40 MB between them.
        cur.execute("PRAGMA wal_autocheckpoint=10000")
        cur.close()
        # the claims list's test of a claim for a term in too many texts to list (text_search.walked)
        dbapi_conn.create_function("claim_search_contains", 2, text_fold.contains, deterministic=True)

    lock_path = f"{path}-writer.lock" if path else None
    writers = _WRITERS[engine] = _Writers(busy_timeout_ms / 1000, lock_path)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A write transaction takes the write lock up front: a deferred one that upgrades later can
        # fail with SQLITE_BUSY at once instead of waiting for the busy timeout.
        # On the driver connection directly: this runs for every transaction.
        driver = conn.connection.driver_connection
        assert driver is not None
        if driver.in_transaction:
            # in_write_transaction began the write on the driver and holds the turn: a Core statement
            # inside it joins that transaction instead of beginning one
            return
        write = bool(conn.get_execution_options().get("claimflow_write"))
        if write:
            writers.acquire(conn.info)
        try:
            _begin(driver, write)
        except BaseException:
            if write:
                writers.release(conn.info)
            raise

    # SQLAlchemy announces a commit or rollback before it makes it: the write is ended here, on the
    # driver, so that the next writer's turn starts only when this one is durable (the driver's own
    # commit or rollback then finds no transaction and does nothing).
    @event.listens_for(engine, "commit")
    def _on_commit(conn: Connection) -> None:
        if not conn.invalidated and _Writers.KEY in conn.info:
            _end(conn, "COMMIT")  # if it fails, the turn stays taken until the rollback ends the write
            writers.release(conn.info)

    @event.listens_for(engine, "rollback")
    def _on_rollback(conn: Connection) -> None:
        # an invalidated connection gave its turn back when it was dropped (below)
        if not conn.invalidated and _Writers.KEY in conn.info:
            try:
                _end(conn, "ROLLBACK")
            finally:
                writers.release(conn.info)

    # a connection handed back, or dropped as broken, in the middle of a write
    @event.listens_for(engine, "reset")
    def _on_reset(_dbapi_conn: Any, record: Any, _state: Any) -> None:
        writers.release(record.info)

    @event.listens_for(engine, "invalidate")
    def _on_invalidate(_dbapi_conn: Any, record: Any, _exc: Any) -> None:
        writers.release(record.info)


def _end(conn: Connection, statement: str) -> None:
    driver = conn.connection.driver_connection
    assert driver is not None
    if driver.in_transaction:
        driver.execute(statement)


def in_write_transaction(conn: Connection, work: Callable[[Connection], T]) -> T:
    """Run `work(conn)` in one write transaction on a connection the caller keeps (a worker, a batch,
    the benchmark): committed when it returns, rolled back when it raises.

    It begins and commits on the driver connection (SQLAlchemy's own begin and commit cost more than
    the rest of a small transition); a Core statement inside joins the same transaction and is committed
    with it. If SQLAlchemy already has one open on `conn`, that one is used and committed. A plain call,
    not a context manager: this wraps every transition.
    """
    if conn.in_transaction():
        try:
            result = work(conn)
        except BaseException:
            conn.rollback()
            raise
        conn.commit()
        return result
    driver = conn.connection.driver_connection
    assert driver is not None
    sqlite = conn.dialect.name == "sqlite"
    writers = _WRITERS.get(conn.engine) if sqlite else None
    if writers is not None:
        writers.acquire(conn.info)
    try:
        if sqlite:
            _begin(driver, write=True)
    except BaseException:
        if writers is not None:
            writers.release(conn.info)
        raise
    try:
        result = work(conn)
    except BaseException:
        if conn.in_transaction():
            conn.rollback()
        if not sqlite:
            driver.rollback()  # psycopg opened the transaction with the first statement
        elif driver.in_transaction:
            driver.execute("ROLLBACK")
        raise
    else:
        try:
            if conn.in_transaction():
                conn.commit()  # a Core statement ran inside: SQLAlchemy ends it, on the driver too
            elif sqlite:
                driver.execute("COMMIT")
            else:
                driver.commit()
        except BaseException:
            # a commit that failed (a full disk) must not leave the kept connection in its write
            if not sqlite:
                driver.rollback()
            elif driver.in_transaction:
                driver.execute("ROLLBACK")
            raise
    finally:
        if writers is not None:
            writers.release(conn.info)
    return result


def in_read(db: Db, work: Callable[[Connection], T]) -> T:
    """`work` in one read transaction, ended when it returns: on SQLite a snapshot of the database (WAL)
    that takes no write lock and waits for no writer. A transaction the caller has open (a Session that
    read something first, or one already writing) is used as it is and left open."""
    if isinstance(db, Connection):
        if db.in_transaction():
            return work(db)
        try:
            return work(db)
        finally:
            if db.in_transaction():
                db.rollback()  # it wrote nothing: ending it is all
    if db.in_transaction():
        return work(db.connection())
    try:
        return work(db.connection())
    finally:
        # committed, not rolled back: nothing was written, and a rollback would expire the Session's
        # objects (the request's user) for no reason
        db.commit()


def in_write(db: Db, work: Callable[[Connection], T]) -> T:
    """`work` in one write transaction, committed at its end and rolled back on any error. A Session
    that has already read something carries on in that transaction, and it is committed just the same."""
    if isinstance(db, Connection):
        return in_write_transaction(db, work)
    if db.in_transaction() and not db.connection().get_execution_options().get("claimflow_write"):
        # A read transaction (the caller looked something up first) would have to upgrade to a write
        # lock later, which SQLite refuses outright when another writer got in between; end it.
        db.commit()
    conn = db.connection() if db.in_transaction() else begin_write(db)
    try:
        result = work(conn)
        db.commit()
    except BaseException:
        db.rollback()
        raise
    return result


def begin_write(session: Session) -> Connection:
    """Start the session's transaction as a write transaction; call before any statement."""
    return session.connection(execution_options=WRITE)


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """One write transaction: committed at the end, rolled back on any exception."""
    with Session(engine, expire_on_commit=False) as session:
        begin_write(session)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
