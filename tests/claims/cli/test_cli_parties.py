"""`claimflow claims parties | add-party | change-party` on the seeded demo database: the seeded
parties listed (all invented), a party added and changed, a bad field exiting 2 naming it with nothing
written, an expert refused."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.claims.cli.test_cli import CASES, Seeded, cli, db_dump, ok, refused

# `seeded` and `db` (a private copy of it): tests/claims/cli/conftest.py

HANDLER = "sanne.behandelaar@claimflow.test"
EXPERT = "lars.expert@claimflow.test"


def _case_1(seeded: Seeded) -> str:
    return seeded.by_claimant(CASES[0]["melding"]["claimant"]).reference


def test_the_seeded_parties_are_listed_and_all_invented(seeded: Seeded) -> None:
    ref = _case_1(seeded)
    found = json.loads(ok(seeded.run("claims", "parties", ref, "--json")))
    by_role = {p["role"]: p for p in found}
    assert set(by_role) == {"insured", "broker", "claimant", "counsel", "expert_firm"}
    assert all(p["invented"] for p in found)
    assert by_role["insured"]["reference"] == "ERP/2025/117"
    assert by_role["counsel"]["attention"] == "mr. A. de Boer" and by_role["counsel"]["reference"]
    assert by_role["broker"]["copy_insured"] is True
    text = ok(seeded.run("claims", "parties", ref))
    assert "Advocaat/gemachtigde benadeelde: Boer Advocaten / t.a.v. mr. A. de Boer" in text
    assert "verzonnen" in text and "IBAN NL" in text
    assert "IBAN" not in ok(seeded.run("claims", "parties", ref, "--as", EXPERT, "--json")).replace(
        '"iban": null', ""
    )


def test_a_party_is_added_and_changed(seeded: Seeded, db: Path) -> None:
    ref = _case_1(seeded)
    out = ok(
        cli(
            db,
            "claims",
            "add-party",
            ref,
            "--as",
            HANDLER,
            "role=other",
            "name=Rechtbank Amsterdam",
            "street=Parnassusweg 220",
            "postcode=1076 AV",
            "city=Amsterdam",
            "reference=C/13/7654",
        )
    )
    match = re.search(r"partij (\d+) toegevoegd", out)
    assert match, out
    party_id = match.group(1)
    out = ok(cli(db, "claims", "change-party", ref, party_id, "--as", HANDLER, "reference=C/13/7655"))
    assert "gewijzigd: reference" in out
    listed = json.loads(ok(cli(db, "claims", "parties", ref, "--json")))
    assert any(p["reference"] == "C/13/7655" and p["postcode"] == "1076 AV" for p in listed)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("postcode", "123 AB"),
        ("iban", "NL00INGB0006481227"),
        ("kvk", "12 34"),
        ("email", "a@b"),
        ("kleur", "x"),
    ],
)
def test_a_bad_field_exits_2_naming_it_and_writes_nothing(
    seeded: Seeded,
    db: Path,
    field: str,
    value: str,
) -> None:
    ref = _case_1(seeded)
    before = db_dump(db)
    extra = ["account_holder=X"] if field == "iban" else []
    err = refused(
        cli(
            db,
            "claims",
            "add-party",
            ref,
            "--as",
            HANDLER,
            "role=other",
            "name=X",
            f"{field}={value}",
            *extra,
        ),
        2,
    )
    assert f"fout: {field}:" in err
    listed = json.loads(ok(seeded.run("claims", "parties", ref, "--json")))
    claimant = str(next(p["id"] for p in listed if p["role"] == "claimant"))
    err = refused(
        cli(db, "claims", "change-party", ref, claimant, "--as", HANDLER, f"{field}={value}", *extra), 2
    )
    assert f"fout: {field}:" in err
    assert db_dump(db) == before


def test_an_expert_may_not_add_a_party(seeded: Seeded, db: Path) -> None:
    before = db_dump(db)
    refused(cli(db, "claims", "add-party", _case_1(seeded), "--as", EXPERT, "role=other", "name=X"), 3)
    assert db_dump(db) == before
