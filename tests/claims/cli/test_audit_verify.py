"""`claimflow audit verify` on a seeded database: every chain holds (exit 0); an event or a letter changed
behind the application's back is named by claim and event (exit CHAIN_BROKEN); the timeline PDF carries
the chain's head, which a copy can be checked against."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from claims.cli.errors import CHAIN_BROKEN
from tests.claims.cli.test_cli import Seeded, cli, ok, refused

REFERENCE = "CF-2025-000001"


@pytest.fixture(scope="module")
def seeded(seeded: Seeded, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This module's own copy of the CLI tests' seeded database (its tests edit it behind the back)."""
    path = tmp_path_factory.mktemp("cli-chain") / "cli.db"
    with sqlite3.connect(seeded.db) as source, sqlite3.connect(path) as target:
        source.backup(target)
    return path


def _copy(db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy.db"
    with sqlite3.connect(db) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    return copy


def _behind_the_back(db: Path, sql: str, *params: object) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TRIGGER timeline_events_no_update")
        conn.execute(sql, params)


def test_a_seeded_database_verifies(seeded: Path) -> None:
    out = ok(cli(seeded, "audit", "verify")).strip()
    assert out.startswith("keten klopt: 11 claims, ") and "gebeurtenissen" in out and "brieven" in out
    assert ok(cli(seeded, "audit", "verify", REFERENCE)).startswith("keten klopt: 1 claims, ")
    refused(cli(seeded, "audit", "verify", "CF-2099-000001"), 6)
    ok(cli(seeded, "audit", "--limit", "5"))  # the listing is still `audit` itself


def test_an_event_edited_behind_the_back_is_named(seeded: Path, tmp_path: Path) -> None:
    db = _copy(seeded, tmp_path)
    with sqlite3.connect(db) as conn:
        [(event_id,)] = conn.execute(
            "SELECT e.id FROM timeline_events e JOIN claims c ON c.id = e.claim_id "
            "WHERE c.reference = ? ORDER BY e.id LIMIT 1 OFFSET 2",
            (REFERENCE,),
        ).fetchall()
    _behind_the_back(db, "UPDATE timeline_events SET note = 'achteraf' WHERE id = ?", event_id)
    done = cli(db, "audit", "verify")
    assert done.returncode == CHAIN_BROKEN, done.stderr
    assert done.stdout.splitlines()[0].startswith(f"gebroken: {REFERENCE} gebeurtenis {event_id}: ")
    assert len(done.stdout.splitlines()) == 1  # that claim only, at its first broken link
    assert "gebroken bij 1 claim(s) (11 claims," in done.stderr


def test_a_letter_edited_behind_the_back_is_named(seeded: Path, tmp_path: Path) -> None:
    db = _copy(seeded, tmp_path)
    with sqlite3.connect(db) as conn:
        letter_id, event_id, reference = conn.execute(
            "SELECT l.id, l.event_id, c.reference FROM letters l JOIN claims c ON c.id = l.claim_id "
            "ORDER BY l.id DESC LIMIT 1"
        ).fetchone()
        conn.execute("UPDATE letters SET html = replace(html, '€', 'EUR') WHERE id = ?", (letter_id,))
    done = cli(db, "audit", "verify", reference)
    assert done.returncode == CHAIN_BROKEN, done.stderr
    assert f"gebroken: {reference} gebeurtenis {event_id}: brief {letter_id}" in done.stdout


def test_the_timeline_pdf_carries_the_chain_head(seeded: Path, tmp_path: Path) -> None:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not installed")
    pdf = tmp_path / "tijdlijn.pdf"
    ok(cli(seeded, "export", "timeline", REFERENCE, "-f", "pdf", "-o", str(pdf)))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    with sqlite3.connect(seeded) as conn:
        hashes = conn.execute(
            "SELECT e.sha256 FROM timeline_events e JOIN claims c ON c.id = e.claim_id WHERE c.reference = ? "
            "ORDER BY e.id",
            (REFERENCE,),
        ).fetchall()
    head, count = hashes[-1][0], len(hashes)
    assert f"Keten: {head} ({count} gebeurtenissen)" in text
