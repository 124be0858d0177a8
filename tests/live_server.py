"""The real server for tests that go through the network: `claimflow init`, `seed` and `serve` as
`make run` does them, on a free loopback port, stopped with SIGTERM afterwards."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

CLAIMFLOW = Path(sys.executable).parent / "claimflow"
SECRET = "live-secret-" + "x" * 24


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def claimflow(env: Mapping[str, str], *args: str) -> str:
    """Run one CLI command to its end; its standard output."""
    done = subprocess.run([str(CLAIMFLOW), *args], env=dict(env), check=True, capture_output=True, text=True)
    return done.stdout


def seeded_env(database_url: str, **settings: str) -> dict[str, str]:
    """The environment of a server over a freshly initialised and seeded database."""
    env = {**os.environ, "CLAIMFLOW_DATABASE_URL": database_url, "CLAIMFLOW_SECRET_KEY": SECRET, **settings}
    if not database_url.startswith("sqlite"):
        from sqlalchemy import create_engine, text

        engine = create_engine(database_url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    claimflow(env, "init")
    claimflow(env, "seed")
    return env


@dataclass
class Server:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> float:
        """SIGTERM, then wait for the process to end; the seconds that took."""
        started = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return time.monotonic() - started


@contextmanager
def serving(env: Mapping[str, str], workdir: Path, *args: str) -> Iterator[Server]:
    """`claimflow serve` with `env` (and extra CLI arguments), answering before it is yielded."""
    port = free_port()
    log_path = workdir / f"server-{port}.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [str(CLAIMFLOW), "serve", "--host", "127.0.0.1", "--port", str(port), *args],
            env=dict(env),
            stdout=log,
            stderr=log,
        )
        server = Server(f"http://127.0.0.1:{port}", proc, log_path)
        try:
            _wait_until_answering(server)
            yield server
        finally:
            server.stop()


def _wait_until_answering(server: Server) -> None:
    for _ in range(200):
        try:
            urllib.request.urlopen(f"{server.url}/login", timeout=1)
            return
        except OSError:
            if server.proc.poll() is not None:
                raise RuntimeError(server.log.read_text()) from None
            time.sleep(0.05)
    raise RuntimeError("the server did not answer within 10 s")
