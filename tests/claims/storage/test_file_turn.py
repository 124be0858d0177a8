"""Waiting for the writers' lock file with a timeout (claims.storage.file_turn): a helper thread waits in
the kernel and hands the lock over; a wait given up leaves no lock behind."""

from __future__ import annotations

import fcntl
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from claims.storage import file_turn
from claims.storage.file_turn import FileTurn


@pytest.fixture
def lock_file(tmp_path: Path) -> Iterator[tuple[int, int]]:
    """Two open files of one lock file: as two processes have them (flock is per open file)."""
    path = tmp_path / "db-writer.lock"
    mine = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    other = os.open(path, os.O_RDWR)
    yield mine, other
    os.close(mine)
    os.close(other)


def _free(fd: int) -> bool:
    """Whether `fd`'s open file can take the lock now (and give it back at once)."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    fcntl.flock(fd, fcntl.LOCK_UN)
    return True


def _give_back_after(fd: int, seconds: float) -> None:
    """The holder `fd` gives the lock back in `seconds`, from another thread."""
    threading.Timer(seconds, fcntl.flock, (fd, fcntl.LOCK_UN)).start()


def _helpers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "claimflow-write-turn"]


def test_the_lock_is_handed_over_when_the_holder_gives_it_back(lock_file: tuple[int, int]) -> None:
    mine, other = lock_file
    fcntl.flock(other, fcntl.LOCK_EX)
    turn = FileTurn(mine)
    _give_back_after(other, 0.2)
    started = time.monotonic()
    assert turn.take(time.monotonic() + 5)
    assert 0.15 < time.monotonic() - started < 2
    assert not _free(other)  # held by my open file, given back through my own descriptor
    fcntl.flock(mine, fcntl.LOCK_UN)
    assert _free(other)


def test_a_wait_given_up_at_the_deadline_leaves_no_lock_behind(lock_file: tuple[int, int]) -> None:
    mine, other = lock_file
    fcntl.flock(other, fcntl.LOCK_EX)
    turn = FileTurn(mine)
    started = time.monotonic()
    assert not turn.take(time.monotonic() + 0.2)
    assert 0.15 < time.monotonic() - started < 1
    fcntl.flock(other, fcntl.LOCK_UN)
    # the helper, still waiting, gets the lock and gives it back: no one asks for it any more
    assert _settled(turn, other)
    time.sleep(0.05)
    assert _free(other)

    # and the next wait is served
    fcntl.flock(other, fcntl.LOCK_EX)
    _give_back_after(other, 0.1)
    assert turn.take(time.monotonic() + 5)
    assert not _free(other)
    fcntl.flock(mine, fcntl.LOCK_UN)


def test_a_wait_given_up_while_the_helper_still_waits_lets_the_next_one_have_it(
    lock_file: tuple[int, int],
) -> None:
    mine, other = lock_file
    fcntl.flock(other, fcntl.LOCK_EX)
    turn = FileTurn(mine)
    assert not turn.take(time.monotonic() + 0.1)  # the helper is still in flock
    _give_back_after(other, 0.2)
    assert turn.take(time.monotonic() + 5)  # the same helper's wait is handed to this one
    assert not _free(other)
    fcntl.flock(mine, fcntl.LOCK_UN)
    assert _free(other)


def test_one_helper_serves_many_waits_and_ends_when_idle(
    lock_file: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(file_turn, "IDLE_SECONDS", 0.3)
    mine, other = lock_file
    before = len(_helpers())
    turn = FileTurn(mine)
    for _ in range(5):
        fcntl.flock(other, fcntl.LOCK_EX)
        _give_back_after(other, 0.05)
        assert turn.take(time.monotonic() + 5)
        fcntl.flock(mine, fcntl.LOCK_UN)
        assert len(_helpers()) == before + 1
    deadline = time.monotonic() + 3
    while len(_helpers()) > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(_helpers()) == before
    # a wait after the helper ended starts another
    fcntl.flock(other, fcntl.LOCK_EX)
    _give_back_after(other, 0.05)
    assert turn.take(time.monotonic() + 5)
    fcntl.flock(mine, fcntl.LOCK_UN)


def test_the_helper_keeps_its_own_descriptor(lock_file: tuple[int, int], tmp_path: Path) -> None:
    # the owner's descriptor closed (an engine dropped) while the helper waits: the helper's own copy of
    # the open file still takes and gives back the lock, and no other file's number is touched
    mine, other = lock_file
    copy = os.dup(mine)
    fcntl.flock(other, fcntl.LOCK_EX)
    turn = FileTurn(copy)
    assert not turn.take(time.monotonic() + 0.1)
    os.close(copy)
    fcntl.flock(other, fcntl.LOCK_UN)
    assert _settled(turn, other)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_helper_whose_flock_fails_is_replaced_by_the_next_wait(
    lock_file: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    mine, other = lock_file
    real = fcntl.flock
    failures = [OSError(5, "Input/output error")]

    def flaky(fd: int, op: int) -> None:
        if threading.current_thread().name == "claimflow-write-turn" and op == fcntl.LOCK_EX and failures:
            raise failures.pop()
        real(fd, op)

    monkeypatch.setattr(file_turn.fcntl, "flock", flaky)
    fcntl.flock(other, fcntl.LOCK_EX)
    turn = FileTurn(mine)
    assert not turn.take(time.monotonic() + 0.2)  # its helper died: the deadline, not a hang
    threading.Timer(0.1, real, (other, fcntl.LOCK_UN)).start()
    assert turn.take(time.monotonic() + 5)  # a new helper
    assert not _free(other)
    real(mine, fcntl.LOCK_UN)


def _settled(turn: FileTurn, other: int) -> bool:
    """Whether the helper has left its flock and the lock is free to another open file."""
    deadline = time.monotonic() + 2
    while (turn._busy or not _free(other)) and time.monotonic() < deadline:
        time.sleep(0.01)
    return not turn._busy and _free(other)


def test_a_lock_free_again_while_the_helper_still_waits_is_handed_over_not_taken_beside_it(
    lock_file: tuple[int, int],
) -> None:
    # the helper's flock and a LOCK_NB on the same open file cannot tell each other apart: had the
    # next writer taken the lock itself, the helper, finding no one waiting, would have given it back
    # in the middle of that writer's write
    mine, other = lock_file
    fcntl.flock(other, fcntl.LOCK_EX)
    turn = FileTurn(mine)
    assert not turn.take(time.monotonic() + 0.1)
    fcntl.flock(other, fcntl.LOCK_UN)
    assert turn.take(time.monotonic() + 5)
    time.sleep(0.2)
    assert not _free(other)  # still this writer's
    fcntl.flock(mine, fcntl.LOCK_UN)
    assert _settled(turn, other)


class _Interrupted(Exception):
    pass


def test_a_wait_interrupted_by_a_signal_leaves_no_lock_and_no_grant_behind(
    lock_file: tuple[int, int],
) -> None:
    mine, other = lock_file
    fcntl.flock(other, fcntl.LOCK_EX)
    turn = FileTurn(mine)

    def interrupt(_signum: int, _frame: object) -> None:
        raise _Interrupted

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.1)
        with pytest.raises(_Interrupted):
            turn.take(time.monotonic() + 5)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    fcntl.flock(other, fcntl.LOCK_UN)
    assert _settled(turn, other)  # the helper gave back what came after the wait was given up
    fcntl.flock(other, fcntl.LOCK_EX)
    started = time.monotonic()
    assert not turn.take(time.monotonic() + 0.2)  # no grant left over from the interrupted wait
    assert time.monotonic() - started > 0.15
    fcntl.flock(other, fcntl.LOCK_UN)


def test_a_helper_that_cannot_start_leaves_none_behind(
    lock_file: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    mine, other = lock_file
    real = threading.Thread

    class Refused(real):  # type: ignore[misc, valid-type]
        def start(self) -> None:
            raise RuntimeError("can't start new thread")

    fcntl.flock(other, fcntl.LOCK_EX)
    turn = FileTurn(mine)
    monkeypatch.setattr(file_turn.threading, "Thread", Refused)
    with pytest.raises(RuntimeError):
        turn.take(time.monotonic() + 1)
    monkeypatch.setattr(file_turn.threading, "Thread", real)
    _give_back_after(other, 0.1)
    started = time.monotonic()
    assert turn.take(time.monotonic() + 5)  # a helper now, not a wait for one that never ran
    assert time.monotonic() - started < 2
    fcntl.flock(mine, fcntl.LOCK_UN)


def test_the_writers_queue_keeps_the_lock_it_was_handed(tmp_path: Path) -> None:
    # through claims.storage.db's queue: a write turn after a wait given up is the helper's hand-over,
    # and the lock file stays taken for the whole turn
    from claims.storage.db import DatabaseBusy, _Writers

    path = tmp_path / "w.db-writer.lock"
    writers = _Writers(0.1, str(path))
    other = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        for _ in range(5):
            fcntl.flock(other, fcntl.LOCK_EX)
            with pytest.raises(DatabaseBusy):
                writers.acquire({})
            fcntl.flock(other, fcntl.LOCK_UN)
            writers._timeout = 5
            info: dict[str, float] = {}
            writers.acquire(info)
            time.sleep(0.1)
            assert not _free(other)  # not given back behind the writer's back
            writers.release(info)
            writers._timeout = 0.1
            assert writers._turn is not None and _settled(writers._turn, other)
    finally:
        os.close(other)
