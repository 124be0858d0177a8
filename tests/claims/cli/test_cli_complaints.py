"""`claimflow complaints` on the seeded demo database: a complaint registered on a closed claim, listed,
acknowledged, extended once (a second time exits 5), answered; a bad field exits 2 naming its option,
an expert is refused (exit 3)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.claims.cli.test_cli import CASES, Seeded, cli, db_dump, ok, refused

# `seeded` and `db` (a private copy of it): tests/claims/cli/conftest.py

HANDLER = "sanne.behandelaar@claimflow.test"
MANAGER = "eva.manager@claimflow.test"
EXPERT = "lars.expert@claimflow.test"


def _closed_case(seeded: Seeded) -> tuple[str, int]:
    """Case 1 (closed) and its insured's party number."""
    assert CASES[0]["expected_state"] == "gesloten"
    ref = seeded.by_claimant(CASES[0]["melding"]["claimant"]).reference
    listed = json.loads(ok(seeded.run("claims", "parties", ref, "--json")))
    return ref, next(p["id"] for p in listed if p["role"] == "insured")


def test_a_complaint_on_a_closed_claim_runs_its_course(seeded: Seeded, db: Path) -> None:
    ref, insured = _closed_case(seeded)
    out = ok(
        cli(
            db, "complaints", "register", ref, "--as", MANAGER, "--complainant", str(insured),
            "--subject", "Niet teruggebeld", "--received", "2025-11-03",
        )
    )  # fmt: skip
    match = re.search(r"klacht (\d+) \(klacht 1 van .*\) geregistreerd", out)
    assert match, out
    number = match.group(1)
    listed = ok(cli(db, "complaints", "list"))
    assert f"{ref}" in listed and "klacht 1  ontvangen" in listed and "Niet teruggebeld" in listed
    assert "brief" in ok(cli(db, "complaints", "acknowledge", ref, number, "--as", MANAGER))
    reason = "Wij wachten op het dossier van de advocaat."
    assert "verlengd" in ok(cli(db, "complaints", "extend", ref, number, "--as", MANAGER, "--reason", reason))
    again = refused(cli(db, "complaints", "extend", ref, number, "--as", MANAGER, "--reason", reason), 5)
    assert "tweede verlenging" in again
    answer = ("--outcome", "ongegrond", "--answer", "Wij hebben binnen de termijnen gereageerd.")
    assert "beantwoord" in ok(cli(db, "complaints", "answer", ref, number, "--as", MANAGER, *answer))
    (shown,) = json.loads(ok(cli(db, "complaints", "list", "--status", "closed", "--json")))
    assert shown["outcome"] == "ongegrond" and shown["status"] == "answered"
    assert "geen open klachten" in ok(cli(db, "complaints", "list"))


def test_a_bad_field_names_its_option_and_an_expert_is_refused(seeded: Seeded, db: Path) -> None:
    ref, insured = _closed_case(seeded)
    before = db_dump(db)
    bad = refused(
        cli(
            db, "complaints", "register", ref, "--as", MANAGER, "--complainant", str(insured),
            "--subject", "x", "--received", "2099-01-01",
        ),
        2,
    )  # fmt: skip
    assert "fout: --subject: ten minste 3 tekens" in bad and "fout: --received:" in bad
    expert = cli(
        db, "complaints", "register", ref, "--as", EXPERT, "--complainant", str(insured),
        "--subject", "Trage behandeling", "--received", "2025-11-03",
    )  # fmt: skip
    assert "expert" in refused(expert, 3)
    assert db_dump(db) == before
