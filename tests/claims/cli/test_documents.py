"""`claimflow claims attach` and `claimflow claims documents` end to end: a file added from the command
line, stored next to the database by default, listed with its sha256; a disguised or oversized file
refused with exit 2 naming what is wrong, nothing stored."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

from tests.claims.cli.test_cli import CLAIMFLOW, _env, ok, refused

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <</Type /Catalog>> endobj\n%%EOF\n"
HANDLER = "sanne.behandelaar@claimflow.test"


def run(database: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLAIMFLOW), *args],
        env={**_env(database), **env},
        cwd=database.parent,
        capture_output=True,
        text=True,
        timeout=180,
    )


def _reference(database: Path) -> str:
    # a claim Sanne handles in the demo data
    listing = ok(run(database, "claims", "list", "--handler", HANDLER))
    return listing.split()[0]


def test_a_file_attached_at_the_command_line_is_stored_by_sha256_and_listed(db: Path, tmp_path: Path) -> None:
    ref = _reference(db)
    report = tmp_path / "rapport.pdf"
    report.write_bytes(PDF)
    out = ok(
        run(
            db,
            "claims",
            "attach",
            ref,
            str(report),
            "--as",
            HANDLER,
            "--type",
            "expert_report",
            "--title",
            "Rapport expert",
            "--received",
            "2026-11-10",
            "--shared",
        )
    )
    sha = hashlib.sha256(PDF).hexdigest()
    assert sha in out and "application/pdf" in out
    assert (db.parent / "documents" / sha[:2] / sha[2:4] / sha).read_bytes() == PDF
    listed = ok(run(db, "claims", "documents", ref))
    assert sha in listed and "Rapport expert" in listed and "shared" in listed


def test_a_disguised_or_oversized_file_is_refused_naming_the_problem(db: Path, tmp_path: Path) -> None:
    ref = _reference(db)
    image = tmp_path / "contract.pdf"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    args = ("claims", "attach", ref, str(image), "--as", HANDLER, "--type", "contract", "--title", "Contract")
    assert "file: het bestand heet .pdf maar is een PNG" in refused(run(db, *args), 2)
    image.write_bytes(PDF + b"0" * 2000)
    assert "te groot" in refused(run(db, *args, CLAIMFLOW_DOCUMENT_MAX_BYTES="1000"), 2)
    bad_type = ("claims", "attach", ref, str(image), "--as", HANDLER, "--type", "brief", "--title", "X")
    assert "doc_type" in refused(run(db, *bad_type), 2)
    assert not (db.parent / "documents").exists() or not any(
        p.is_file() for p in (db.parent / "documents").rglob("*")
    )
    assert ok(run(db, "claims", "documents", ref)).strip() == ""
    assert os.path.exists(db)
