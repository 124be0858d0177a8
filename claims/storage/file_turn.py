"""Waiting for the lock file beside a SQLite database (claims.storage.db's queue of writer processes)
with a timeout.

A blocking flock cannot time out, and a thread blocked in one cannot be called back. So a helper thread
does the blocking wait and hands the lock to the writing thread, which waits on a plain lock with the
busy timeout. One helper per process and lock file, kept between waits: starting a thread for every
wait, as before, cost four writer processes about a seventh of their throughput on two cores (the thread's
start and its hand-over lay on the path of every contended write), measured with bench/transitions.py.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
import weakref

# A helper with nothing to wait for for this long ends; the next wait starts another.
IDLE_SECONDS = 30.0


class FileTurn:
    """Takes the exclusive flock on `fd` for the thread that asks, waiting at most until a deadline.
    The lock is the open file's, so the asker gives it back through `fd` as it would had it waited."""

    def __init__(self, fd: int) -> None:
        # its own descriptor of the same open file, closed only when no helper can still use it: the
        # owner's may be closed (and its number reused) while a helper is in the middle of a wait
        self._fd = os.dup(fd)
        weakref.finalize(self, os.close, self._fd)
        self._cond = threading.Condition(threading.Lock())
        self._wanted = False  # a thread is waiting for the lock: the helper takes it and hands it over
        self._helper = False  # a helper thread is running
        # the helper is in (or about to enter) its flock: the open file's lock is the helper's to hand
        # over or give back, so no one else may take it through this open file meanwhile (LOCK_NB)
        self._busy = False
        # released by the helper when it hands the lock over; acquired (with a timeout) by the asker
        self._granted = threading.Lock()
        self._granted.acquire()

    def take(self, deadline: float) -> bool:
        """Wait for the flock until `deadline` (time.monotonic()); whether it was taken. One thread
        asks at a time (the caller's own lock sees to it)."""
        with self._cond:
            if not self._busy:  # the helper has no flock of its own under way: try at once
                try:
                    fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return True
                except BlockingIOError:
                    pass
            if not self._helper:
                threading.Thread(target=self._help, name="claimflow-write-turn", daemon=True).start()
                self._helper = True  # only once it runs: a thread that could not start leaves none
            self._wanted = True
            self._cond.notify()
        try:
            if self._granted.acquire(timeout=max(0.0, deadline - time.monotonic())):
                return True
        except BaseException:  # interrupted (a signal handler raised): withdraw, or give back what came
            if not self._withdraw():
                self._granted.acquire()
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            raise
        if self._withdraw():  # not handed over: the helper gives it back when it comes
            return False
        # handed over between the timeout and the withdrawal: taken after all
        self._granted.acquire()
        return True

    def _withdraw(self) -> bool:
        with self._cond:
            if self._wanted:
                self._wanted = False
                return True
            return False

    def _help(self) -> None:
        cond = self._cond
        try:
            while True:
                with cond:
                    if not self._wanted:
                        cond.wait(IDLE_SECONDS)
                    if not self._wanted:
                        self._helper = False
                        return
                    self._busy = True
                fcntl.flock(self._fd, fcntl.LOCK_EX)
                with cond:
                    self._busy = False
                    if self._wanted:
                        self._wanted = False
                        self._granted.release()
                    else:  # the asker gave up meanwhile
                        fcntl.flock(self._fd, fcntl.LOCK_UN)
        except BaseException:
            # a failed flock: the asker meets its deadline, and the next wait starts a helper afresh
            with cond:
                self._helper = self._busy = False
            raise
