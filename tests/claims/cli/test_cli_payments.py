"""`claimflow proposals` and `claimflow payments` end to end on the seeded demo database: the open
settlement proposal approved by a manager (the claim closes) and refused to its proposer, a rejection
that needs its reason, a payment marked paid and one cancelled, the bank file (SEPA and CSV) of the
approved payments, a bad date named by its option; and `claims advance` above the actor's authority.

One database is migrated and seeded per module; a test that writes works on a copy of its files."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from claims.exports.sepa import CSV_HEADER
from notifications.formatting import euro
from tests.claims.cli.test_cli import CASES, Seeded, cli, cli_all, db_dump, ok, refused

MANAGER = "eva.manager@claimflow.test"
PROPOSER = "sanne.behandelaar@claimflow.test"
PAIN = "{urn:iso:std:iso:20022:tech:xsd:pain.001.001.03}"
# after every seeded payment was made (the last demo step is in November 2026), in the years we accept
PAID_ON = "2027-01-04"
EXECUTION = "2027-01-05"


@dataclass(frozen=True)
class Template:
    """The seeded database every test of the module starts from, never written by a test, and what the
    read-only commands said about it (run once, in parallel)."""

    db: Path
    bank_xml: Path
    said: dict[tuple[str, ...], subprocess.CompletedProcess[str]]

    def __getitem__(self, key: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
        return self.said[key]

    def json(self, *key: str) -> Any:
        return json.loads(ok(self.said[key]))

    @property
    def proposal(self) -> dict[str, Any]:
        (waiting,) = self.json(*OPEN)
        return dict(waiting)

    @property
    def approved(self) -> list[dict[str, Any]]:
        return list(self.json(*APPROVED))


OPEN = ("proposals", "list", "--json")
APPROVED = ("payments", "list", "--status", "approved", "--json")
CSV = ("payments", "export", "--format", "csv", "--date", EXECUTION)
SEPA = ("sepa",)  # the SEPA file, written to Template.bank_xml
BAD_DATE = ("payments", "export", "--format", "sepa", "--date", "2027-02-30")
BAD_STATUS = ("payments", "list", "--status", "onderweg")
# refused as it is read, before the database is opened
BAD_ON = ("payments", "paid", "1", "--as", MANAGER, "--on", "gisteren")
READS = [
    OPEN,
    ("proposals", "list"),
    APPROVED,
    CSV,
    BAD_DATE,
    BAD_STATUS,
    BAD_ON,
    ("proposals",),
    ("payments",),
]


@pytest.fixture(scope="module")
def template(seeded: Seeded, tmp_path_factory: pytest.TempPathFactory) -> Template:
    folder = tmp_path_factory.mktemp("cli-payments")
    db = folder / "cli.db"
    # a copy of the CLI tests' seeded database (tests/claims/cli/conftest.py): this module's reads
    with sqlite3.connect(seeded.db) as source, sqlite3.connect(db) as target:
        source.backup(target)
    bank_xml = folder / "bank.xml"
    sepa = ("payments", "export", "--format", "sepa", "--date", EXECUTION, "--output", str(bank_xml))
    said = dict(zip([*READS, SEPA], cli_all(db, [*READS, sepa]), strict=True))
    return Template(db, bank_xml, said)


@pytest.fixture
def db(template: Template, tmp_path: Path) -> Path:
    """A private copy of the seeded database, for a test that writes."""
    target = tmp_path / "cli.db"
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{template.db}{suffix}")
        if source.exists():
            shutil.copy(source, Path(f"{target}{suffix}"))
    return target


def _json(result: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(ok(result))


def query(db: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    """Rows straight from the file: what a command left behind, checked without another process."""
    conn = sqlite3.connect(db)
    try:
        return list(conn.execute(sql, params).fetchall())
    finally:
        conn.close()


def claim_state(db: Path, reference: str) -> tuple[str, int]:
    ((state, version),) = query(db, "SELECT state, version FROM claims WHERE reference = ?", reference)
    return str(state), int(version)


SEED_07 = next(c for c in CASES if c["key"] == "SEED-07")


# --- proposals ---------------------------------------------------------------------------------


def test_the_open_seeded_proposal_is_listed_with_amount_proposer_and_reasons(template: Template) -> None:
    waiting = template.proposal
    assert waiting["claimant"] == SEED_07["melding"]["claimant"]
    assert waiting["trigger"] == "settle"
    assert Decimal(waiting["amount"]) == Decimal("1790000")
    assert waiting["proposer_email"] == PROPOSER
    assert "boven uw bevoegdheid" in waiting["reasons"]
    text = ok(template["proposals", "list"])
    assert f"{waiting['id']:>5}  {waiting['claim_reference']}" in text
    assert f"{waiting['trigger_label']} (settle)" in text and waiting["trigger_label"] != "settle"
    assert "€ 1.790.000,00" in text and f"<{PROPOSER}>" in text


def test_a_manager_approves_the_open_proposal_and_the_claim_closes(template: Template, db: Path) -> None:
    waiting = template.proposal
    ref = waiting["claim_reference"]
    state, version = claim_state(db, ref)
    assert state == "regeling"
    out = ok(cli(db, "proposals", "approve", str(waiting["id"]), "--as", MANAGER, "--comment", "Akkoord."))
    assert out.strip() == (
        f"voorstel {waiting['id']} goedgekeurd: {ref}: regeling -> gesloten, versie {version + 1}"
    )
    listed, again = cli_all(db, [OPEN, ("proposals", "approve", str(waiting["id"]), "--as", MANAGER)])
    assert _json(listed) == []
    assert "al afgehandeld (goedgekeurd)" in refused(
        again, 5
    )  # decided: no longer allowed (TransitionNotAllowed)
    assert query(db, "SELECT state, version, outcome FROM claims WHERE reference = ?", ref) == [
        ("gesloten", version + 1, "settled")
    ]
    # the payment the proposal held is now to be paid, its interest worked out to the day of approval
    ((status, cents),) = query(db, "SELECT status, amount FROM payments WHERE proposal_id = ?", waiting["id"])
    assert status == "approved" and cents >= 179_000_000


def test_the_proposer_may_not_decide_their_own_proposal_but_may_withdraw_it(
    template: Template, db: Path
) -> None:
    waiting = template.proposal
    number = str(waiting["id"])
    approve, withdraw_other, unknown = cli_all(
        db,
        [
            ("proposals", "approve", number, "--as", PROPOSER),
            ("proposals", "withdraw", number, "--as", MANAGER),
            ("proposals", "approve", "9999", "--as", MANAGER),
        ],
    )
    assert "Alleen een manager beslist over een voorstel" in refused(approve, 3)
    assert "Alleen wie het voorstel deed" in refused(withdraw_other, 3)
    assert "Voorstel 9999 bestaat niet" in refused(unknown, 6)
    assert db_dump(db) == db_dump(template.db)
    out = ok(cli(db, "proposals", "withdraw", number, "--as", PROPOSER))
    ref = waiting["claim_reference"]
    assert out.strip() == f"voorstel {number} ingetrokken: {ref} blijft in fase 'regeling', versie " + str(
        claim_state(db, ref)[1]
    )
    assert claim_state(db, ref) == claim_state(template.db, ref)


def test_a_rejection_needs_its_reason(template: Template, db: Path) -> None:
    waiting = template.proposal
    number = str(waiting["id"])
    bare = cli(db, "proposals", "reject", number, "--as", MANAGER)
    assert refused(bare, 2).strip() == "fout: --comment: zeg waarom het voorstel wordt afgewezen"
    assert db_dump(db) == db_dump(template.db)
    out = ok(cli(db, "proposals", "reject", number, "--as", MANAGER, "--comment", "Eerst het rapport."))
    assert out.startswith(f"voorstel {number} afgewezen: {waiting['claim_reference']} blijft in fase")
    assert claim_state(db, waiting["claim_reference"])[0] == "regeling"
    held = query(db, "SELECT status, cancel_reason FROM payments WHERE proposal_id = ?", waiting["id"])
    assert held == [("cancelled", "afgewezen: Eerst het rapport.")]


# --- payments ----------------------------------------------------------------------------------


def test_a_payment_marked_paid_is_listed_as_paid(template: Template, db: Path) -> None:
    first = template.approved[0]
    number = str(first["id"])
    handler = cli(db, "payments", "paid", number, "--as", PROPOSER, "--on", PAID_ON)
    assert "Alleen een manager" in refused(handler, 3)
    assert db_dump(db) == db_dump(template.db)
    out = ok(cli(db, "payments", "paid", number, "--as", MANAGER, "--on", PAID_ON))
    assert out.strip().endswith(f"betaald op {PAID_ON}") and first["reference"] in out
    listed, again = cli_all(
        db,
        [
            ("payments", "list", "--status", "paid"),
            ("payments", "paid", number, "--as", MANAGER, "--on", PAID_ON),
        ],
    )
    (row, payee) = ok(listed).splitlines()
    assert row.split() == [
        number,
        first["reference"],
        "€",
        euro(first["amount"])[2:],
        "betaald",
        "op",
        PAID_ON,
    ]
    assert payee.strip().startswith(first["payee"])
    assert "is al betaald" in refused(again, 5)  # handled already: not allowed


def test_an_approved_payment_is_cancelled_with_its_reason(template: Template, db: Path) -> None:
    approved = template.approved
    target = approved[-1]
    number = str(target["id"])
    without, missing = cli_all(
        db,
        [
            ("payments", "cancel", number, "--as", MANAGER),
            ("payments", "cancel", "9999", "--as", MANAGER, "--reason", "Weg ermee"),
        ],
    )
    assert refused(without, 2).strip() == "fout: --reason: geef de reden van de annulering"
    assert "Betaling 9999 bestaat niet" in refused(missing, 6)
    assert db_dump(db) == db_dump(template.db)
    out = ok(cli(db, "payments", "cancel", number, "--as", MANAGER, "--reason", "Dubbel ingevoerd"))
    assert out.strip().endswith("geannuleerd") and target["reference"] in out
    cancelled = _json(cli(db, "payments", "list", "--status", "cancelled", "--json"))
    assert {p["id"]: p["cancel_reason"] for p in cancelled}[target["id"]] == "Dubbel ingevoerd"
    # booked back on the claim: the payment's amount as a negative payment line
    assert query(db, "SELECT sum(amount) FROM money_lines WHERE note = 'geannuleerd: Dubbel ingevoerd'") == [
        (-round(Decimal(target["amount"]) * 100),)
    ]


def test_the_sepa_file_counts_and_sums_the_approved_payments(template: Template) -> None:
    payments = template.approved
    assert payments and all(p["iban"] for p in payments)  # none left out in the demo
    total = sum((Decimal(p["amount"]) for p in payments), Decimal(0))
    document = ET.parse(template.bank_xml).getroot()
    header = document.find(f"{PAIN}CstmrCdtTrfInitn/{PAIN}GrpHdr")
    assert header is not None
    assert header.findtext(f"{PAIN}NbOfTxs") == str(len(payments))
    assert Decimal(header.findtext(f"{PAIN}CtrlSum") or "") == total
    assert [e.text for e in document.iter(f"{PAIN}EndToEndId")] == [p["reference"] for p in payments]
    assert {e.text for e in document.iter(f"{PAIN}ReqdExctnDt")} == {EXECUTION}
    assert ok(template[SEPA]).strip() == (
        f"bankbestand (sepa): {len(payments)} betalingen, {euro(total)}, uitvoerdatum {EXECUTION}, "
        f"geschreven naar {template.bank_xml}"
    )


def test_the_csv_bank_file_has_a_header_row_and_a_row_per_payment(template: Template) -> None:
    exported = template[CSV]
    lines = ok(exported).splitlines()
    assert lines[0] == ";".join(CSV_HEADER)
    assert [line.split(";")[0] for line in lines[1:]] == [p["reference"] for p in template.approved]
    # without --output the file is stdout alone; what was written is said on stderr
    assert exported.stderr.startswith(f"bankbestand (csv): {len(template.approved)} betalingen")


def test_a_bad_date_or_choice_names_its_option(template: Template) -> None:
    assert refused(template[BAD_DATE], 2).startswith("fout: --date: ongeldige datum '2027-02-30'")
    assert template[BAD_DATE].stdout == ""
    assert refused(template[BAD_ON], 2).startswith("fout: --on: ongeldige datum 'gisteren'")
    assert refused(template[BAD_STATUS], 2).startswith("fout: --status: onbekende status 'onderweg'")


# --- claims advance above the actor's authority --------------------------------------------------


def test_advance_above_the_actors_authority_is_held_as_a_proposal(template: Template, db: Path) -> None:
    case = next(c for c in CASES if c["key"] == "SEED-02")
    ((ref, claim_id),) = query(
        db, "SELECT reference, id FROM claims WHERE claimant = ?", case["melding"]["claimant"]
    )
    state, version = claim_state(db, ref)
    ((insured,),) = query(db, "SELECT id FROM parties WHERE claim_id = ? AND role = 'insured'", claim_id)
    handler = case["melding"]["handler"]
    settle = ["damages=60000", f"payee={insured}", "terms=Vaststellingsovereenkomst."]
    out = ok(cli(db, "claims", "advance", ref, "settle", "--as", handler, "--version", str(version), *settle))
    (proposal,) = [p for p in _json(cli(db, *OPEN)) if p["claim_reference"] == ref]
    assert out.strip() == (
        f"{ref}: boven uw bevoegdheid - voorgelegd aan een manager als voorstel {proposal['id']} "
        f"(fase blijft '{state}', versie {version})"
    )
    assert state == "regeling" and claim_state(db, ref) == (state, version)


def test_each_group_lists_its_commands(template: Template) -> None:
    # no_args_is_help: the group alone shows its help (and exits 2, as click does)
    for group, commands in (
        ("proposals", ("list", "approve", "reject", "withdraw")),
        ("payments", ("list", "paid", "cancel", "export")),
    ):
        shown = template[group,]
        assert "Usage" in shown.stdout, shown.stderr
        for command in commands:
            assert f" {command} " in shown.stdout, (group, command)
