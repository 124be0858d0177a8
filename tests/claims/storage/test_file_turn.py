"""Waiting for the writers' lock file with a timeout (claims.storage.file_turn): a helper thread waits in
the kernel and hands the lock over; a wait given up leaves no lock behind."""

from __future__ import annotations

import fcntl
import os
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


def _helpers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "claimflow-write-turn"]


def test_the_lock_is_handed_over_when_the_holder_gives_it_back(lock_file: tuple[int, int]) -> None:
    mine, other = lock_file
    fcntl.flock(other, fcntl.LOCK_EX)
    turn = FileTurn(mine)
    threading.Timer(0.2, fcntl.flock, (other, fcntl.LOCK_UN)).start()
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
    deadline = time.monotonic() + 2
    while not _free(other) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _free(other)
    time.sleep(0.05)
    assert _free(other)

    # and the next wait is served
    fcntl.flock(other, fcntl.LOCK_EX)
    threading.Timer(0.1, fcntl.flock, (other, fcntl.LOCK_UN)).start()
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
    threading.Timer(0.2, fcntl.flock, (other, fcntl.LOCK_UN)).start()
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
        threading.Timer(0.05, fcntl.flock, (other, fcntl.LOCK_UN)).start()
        assert turn.take(time.monotonic() + 5)
        fcntl.flock(mine, fcntl.LOCK_UN)
        assert len(_helpers()) == before + 1
    deadline = time.monotonic() + 3
    while len(_helpers()) > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(_helpers()) == before
    # a wait after the helper ended starts another
    fcntl.flock(other, fcntl.LOCK_EX)
    threading.Timer(0.05, fcntl.flock, (other, fcntl.LOCK_UN)).start()
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
    deadline = time.monotonic() + 2
    while not _free(other) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _free(other)


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
