"""`claimflow export` and `claimflow audit` as the installed command, on a seeded SQLite file: files
written, options named in errors with the CLI's exit codes, nothing recorded for a refused export."""

from __future__ import annotations

import csv
import hashlib
import json
import sqlite3
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.claims.cli.test_cli import cli, ok


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli-export") / "cli.db"
    ok(cli(path, "init"))
    ok(cli(path, "seed"))
    return path


def _audit(db: Path) -> list[tuple[str, str, str, str, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT actor, channel, action, subject, format FROM audit_log ORDER BY id"
        ).fetchall()


def test_export_timeline_writes_each_format_and_records_it(db: Path, tmp_path: Path) -> None:
    before = len(_audit(db))
    out = tmp_path / "case1.csv"
    done = ok(cli(db, "export", "timeline", "CF-2025-000001", "--format", "csv", "-o", str(out)))
    assert f"geschreven naar {out}" in done
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0][:3] == ["Schadenummer", "Soort claim", "Tijdstip (Europe/Amsterdam)"]
    assert rows[1][:6] == [
        "CF-2025-000001",
        "Onbetaalde vordering",
        "2025-10-10T10:15:00+02:00",
        "Gebeurtenis",
        "Melding geregistreerd",
        "Melding geregistreerd",
    ]
    as_json = tmp_path / "case1.json"
    ok(cli(db, "export", "timeline", "CF-2025-000001", "-f", "json", "-o", str(as_json)))
    assert len(json.loads(as_json.read_text())["rows"]) == sum(1 for r in rows[1:] if r[3] != "Samenvatting")
    trail = _audit(db)[before:]
    assert [(a[1], a[2], a[3], a[4]) for a in trail] == [
        ("cli", "export_timeline", "CF-2025-000001", "csv"),
        ("cli", "export_timeline", "CF-2025-000001", "json"),
    ]
    assert all(a[0].startswith("cli:") for a in trail)
    assert not list(tmp_path.glob(".*.part"))


def test_export_portfolio_with_filters_and_a_manager_as_actor(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "p.xlsx"
    done = cli(
        db, "export", "portfolio", "-f", "xlsx", "--mode", "claims", "--kind", "contract_breach",
        "--as", "eva.manager@claimflow.test", "-o", str(out),
    )  # fmt: skip
    assert "soort=contract_breach" in ok(done) and "exporteren" in done.stderr
    sheet = load_workbook(out, read_only=True)["Claims"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Schadenummer" and len(rows) == 1 + 6  # the six contract-breach cases
    assert {r[1] for r in rows[1:]} == {"Contractbreuk"}
    events = tmp_path / "e.csv"
    said = ok(cli(db, "export", "portfolio", "--from", "2026-10-01", "--to", "2026-10-31", "-o", str(events)))
    lines = list(csv.reader(events.read_text(encoding="utf-8-sig").splitlines()))
    assert {r[0] for r in lines[1:]} == {"CF-2026-000003"}  # the one case reported in October 2026
    assert f"{len(lines) - 1} rijen uit 1 claims" in said
    assert _audit(db)[-2][:3] == ("eva.manager@claimflow.test", "cli", "export_portfolio")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["portfolio", "--from", "2026-13-01"], 2, "fout: --from: geen datum"),
        (["portfolio", "--kind", "nope", "--to", "x"], 2, "fout: --kind: onbekende soort claim"),
        (["portfolio", "-f", "pdf"], 2, "fout: --format: 'pdf' kan hier niet"),
        (["portfolio", "--mode", "rows"], 2, "fout: --mode: onbekende indeling"),
        (["timeline", "CF-2025-000001", "-f", "doc"], 2, "fout: --format: onbekend formaat 'doc'"),
        (["timeline", "CF-2025-999999"], 6, "fout: Claim CF-2025-999999 bestaat niet."),
        (
            ["timeline", "CF-2025-000001", "--as", "sanne.behandelaar@claimflow.test"],
            3,
            "Alleen voor managers",
        ),
        (["timeline", "CF-2025-000001", "-o", "/nonexistent/dir/x.pdf"], 2, "fout: --output:"),
        (["portfolio", "-o", "/nonexistent/dir/x.csv"], 2, "fout: --output:"),
        (["portfolio", "-o", "/dev/null"], 2, "fout: --output: /dev/null is geen gewoon bestand"),
        (["timeline", "CF-2025-000001", "-o", "/proc/x.pdf"], 2, "fout: --output: kan niet schrijven"),
        (["portfolio", "--handler", "nie@mand.nl", "--to", "9999-12-31"], 2, "fout: --handler: onbekende"),
        (["portfolio", "--mode", "zz", "--state", "zz", "--from", "x"], 2, "fout: --from: geen datum"),
    ],
)
def test_a_refused_export_names_the_option_and_records_nothing(
    db: Path, args: list[str], code: int, message: str
) -> None:
    before = _audit(db)
    done = cli(db, "export", *args)
    assert done.returncode == code, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert _audit(db) == before


def test_every_wrong_option_is_named_at_once(db: Path) -> None:
    done = cli(db, "export", "portfolio", "--mode", "zz", "--state", "zz", "--from", "x", "-f", "pdf")
    assert done.returncode == 2
    named = {line.split(":")[1].strip() for line in done.stderr.splitlines() if line.startswith("fout:")}
    assert named == {"--mode", "--state", "--from", "--format"}


def test_a_link_as_output_is_followed_to_its_file(db: Path, tmp_path: Path) -> None:
    real = tmp_path / "real.csv"
    real.write_text("oud")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    ok(cli(db, "export", "timeline", "CF-2025-000001", "-f", "csv", "-o", str(link)))
    assert link.is_symlink() and real.read_text(encoding="utf-8-sig").startswith("Schadenummer")


def test_audit_lists_the_exports_newest_first(db: Path, tmp_path: Path) -> None:
    ok(cli(db, "export", "timeline", "CF-2026-000006", "-f", "pdf", "-o", str(tmp_path / "x.pdf")))
    listing = ok(cli(db, "audit", "--limit", "1")).splitlines()
    assert len(listing) == 1
    assert "export_timeline" in listing[0] and "pdf" in listing[0] and "CF-2026-000006" in listing[0]


def test_export_dossier_writes_the_zip_of_a_seeded_case(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "dossier.zip"
    done = ok(cli(db, "export", "dossier", "CF-2025-000001", "-o", str(out)))
    assert "dossier geschreven naar" in done
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        manifest = json.loads(zf.read("manifest.json"))
        for f in manifest["files"]:
            assert hashlib.sha256(zf.read(f["pad"])).hexdigest() == f["sha256"]
    assert "tijdlijn.pdf" in names and any(n.startswith("brieven/") for n in names)
    assert manifest["claim"] == "CF-2025-000001" and len(manifest["chain_head"]) == 64
    assert "fout:" in cli(db, "export", "dossier", "CF-2099-999999").stderr


def test_export_texts_stores_each_claims_lines_and_then_only_what_changed(db: Path, tmp_path: Path) -> None:
    with sqlite3.connect(db) as conn:
        claims = conn.execute("SELECT count(*) FROM claims").fetchone()[0]
    built, stored = tmp_path / "built.csv", tmp_path / "stored.csv"
    ok(cli(db, "export", "portfolio", "--no-progress", "-o", str(built)))
    first = ok(cli(db, "export", "texts"))
    assert f"exportteksten: {claims} claims opnieuw opgeslagen" in first
    assert "exportteksten: 0 claims opnieuw opgeslagen" in ok(cli(db, "export", "texts"))
    assert f"0 claims opnieuw opgeslagen, {claims} gecontroleerd" in ok(
        cli(db, "export", "texts", "--check-all")
    )
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM export_texts").fetchone()[0] == claims
    # stored by one process, written by another: the digests agree and the file is the same
    ok(cli(db, "export", "portfolio", "--no-progress", "-o", str(stored)))
    assert stored.read_bytes() == built.read_bytes()
    assert built.read_text(encoding="utf-8-sig").startswith("Schadenummer,Soort claim,")
