"""The CLI tests' demo database: migrated and seeded by the installed command once per test process
(seeding takes seconds), read by every module here; a test that writes gets a private copy (`db`)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.claims.cli.test_cli import Seeded, cli


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    db = tmp_path_factory.mktemp("cli-seeded") / "cli.db"
    init = cli(db, "init")
    first = cli(db, "seed")
    second = cli(db, "seed")
    listing = cli(db, "claims", "list")
    if db.exists():
        conn = sqlite3.connect(db)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
    return Seeded(db, init, first, second, listing)


@pytest.fixture
def db(seeded: Seeded, tmp_path: Path) -> Path:
    """A private copy of the seeded database, for a test that writes."""
    target = tmp_path / "cli.db"
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{seeded.db}{suffix}")
        if source.exists():
            shutil.copy(source, Path(f"{target}{suffix}"))
    return target
