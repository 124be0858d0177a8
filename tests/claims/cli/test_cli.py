"""The `claimflow` command end to end: the installed console script run as a subprocess on a SQLite file.

One database is migrated and seeded per module; tests that write get their own copy of it. Commands that
do not depend on each other run in parallel threads (each subprocess spends ~1.5 s importing).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from claims.kinds.intake import INTAKE_FIELDS

REPO = Path(__file__).resolve().parents[3]
CLAIMFLOW = Path(sys.executable).parent / "claimflow"
DEMO = yaml.safe_load((REPO / "seeds" / "demo.yaml").read_text(encoding="utf-8"))
CASES: list[dict[str, Any]] = DEMO["cases"]
USERS: list[dict[str, Any]] = DEMO["users"]
WORKFLOWS = REPO / "claims" / "kinds" / "workflows"

REFERENCE = re.compile(r"CF-\d{4}-\d{6}")
LIST_ROW = re.compile(r"^(CF-\d{4}-\d{6})\s+(\S+)\s+(\S+)\s+v(\d+)\s+(\S+)\s+(.+)$")
SEED_LINE = re.compile(
    r"^seed: (\d+) gebruikers, (\d+) polissen, (\d+) rentestanden, (\d+) claims \((\d+) transities\) "
    r"toegevoegd$"
)
GOOD_MELDING = [
    "kind=contract_breach",
    "policy_number=BAV-2022-0003",
    "claimant=X",
    "description=Y",
    "date_error=2026-10-01",
    "date_known=2026-10-02",
    "amount_claimed=1000",
]


# --- running the command -----------------------------------------------------------------------


def _env(db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAIMFLOW_")}
    env["CLAIMFLOW_DATABASE_URL"] = f"sqlite:///{db}"
    return env


def cli(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLAIMFLOW), *args],
        env=_env(db),
        cwd=db.parent,
        capture_output=True,
        text=True,
        timeout=180,
    )


def cli_all(db: Path, commands: Sequence[Sequence[str]]) -> list[subprocess.CompletedProcess[str]]:
    """Run independent commands in parallel; results in the order given."""
    workers = max(2, os.cpu_count() or 2)
    with ThreadPoolExecutor(max_workers=min(workers, len(commands))) as pool:
        return list(pool.map(lambda args: cli(db, *args), commands))


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"{result.args} exited {result.returncode}\n{result.stderr}"
    return result.stdout


def refused(result: subprocess.CompletedProcess[str], code: int) -> str:
    assert result.returncode == code, (
        f"{result.args} exited {result.returncode}, expected {code}\n{result.stdout}\n{result.stderr}"
    )
    lines = result.stderr.strip().splitlines()
    assert lines, "a refusal explains itself on stderr"
    assert all(line.startswith("fout: ") for line in lines), result.stderr
    return result.stderr


def show(db: Path, reference: str, *extra: str) -> dict[str, Any]:
    return json.loads(ok(cli(db, "claims", "show", reference, "--json", *extra)))


def table_count(db: Path, table: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


def db_dump(db: Path) -> list[str]:
    """Every row of every table, to prove that a refused command wrote nothing."""
    conn = sqlite3.connect(db)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


# --- one seeded database per module ------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    reference: str
    kind: str
    state: str
    version: int
    handler: str
    claimant: str


def parse_list(stdout: str) -> list[Row]:
    rows = []
    for line in stdout.strip().splitlines():
        m = LIST_ROW.match(line)
        assert m, f"unexpected `claims list` line: {line!r}"
        ref, kind, state, version, handler, claimant = m.groups()
        rows.append(Row(ref, kind, state, int(version), handler, claimant.strip()))
    return rows


@dataclass(frozen=True)
class Seeded:
    db: Path
    init: subprocess.CompletedProcess[str]
    first_seed: subprocess.CompletedProcess[str]
    second_seed: subprocess.CompletedProcess[str]
    listing: subprocess.CompletedProcess[str]
    _cache: dict[tuple[str, ...], subprocess.CompletedProcess[str]] = field(default_factory=dict)

    def run_all(self, commands: Sequence[Sequence[str]]) -> list[subprocess.CompletedProcess[str]]:
        """Read-only commands on the shared database, each run once per module (in parallel)."""
        keys = [tuple(c) for c in commands]
        todo = list(dict.fromkeys(k for k in keys if k not in self._cache))
        if todo:
            self._cache.update(zip(todo, cli_all(self.db, todo), strict=True))
        return [self._cache[k] for k in keys]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run_all([args])[0]

    @property
    def rows(self) -> list[Row]:
        return parse_list(ok(self.listing))

    def by_claimant(self, claimant: str) -> Row:
        matches = [r for r in self.rows if r.claimant == claimant]
        assert len(matches) == 1, f"{claimant!r} in `claims list`: {matches}"
        return matches[0]

    def case_in(self, state: str) -> tuple[dict[str, Any], Row]:
        case = next(c for c in CASES if c["expected_state"] == state)
        return case, self.by_claimant(case["melding"]["claimant"])


# --- init and seed -----------------------------------------------------------------------------


def test_init_then_seed_reports_what_it_added(seeded: Seeded) -> None:
    assert "database bijgewerkt" in ok(seeded.init)
    assert str(seeded.db) in seeded.init.stdout
    m = SEED_LINE.match(ok(seeded.first_seed).strip())
    assert m, seeded.first_seed.stdout
    users, policies, _rates, claims, transitions = map(int, m.groups())  # `init` may load the rates
    assert users == len(USERS) == 7
    assert policies == len(DEMO["policies"])
    assert claims == len(CASES) == 11
    assert transitions == sum(len(c.get("steps", [])) for c in CASES)


def test_second_seed_adds_nothing(seeded: Seeded) -> None:
    m = SEED_LINE.match(ok(seeded.second_seed).strip())
    assert m, seeded.second_seed.stdout
    assert tuple(map(int, m.groups())) == (0, 0, 0, 0, 0)


def test_claims_list_shows_the_eleven_seeded_claims(seeded: Seeded) -> None:
    rows = seeded.rows
    assert len(rows) == 11
    assert len({r.reference for r in rows}) == 11
    assert sorted(r.claimant for r in rows) == sorted(c["melding"]["claimant"] for c in CASES)
    for case in CASES:
        row = seeded.by_claimant(case["melding"]["claimant"])
        assert row.kind == case["melding"]["kind"], case["key"]
        assert row.handler == case["melding"]["handler"], case["key"]
        assert row.state == case["expected_state"], case["key"]


def test_each_seeded_claim_is_in_its_expected_state(seeded: Seeded) -> None:
    rows = [seeded.by_claimant(c["melding"]["claimant"]) for c in CASES]
    results = seeded.run_all([("claims", "show", r.reference, "--json") for r in rows])
    for case, row, result in zip(CASES, rows, results, strict=True):
        data = json.loads(ok(result))
        melding = case["melding"]
        assert data["reference"] == row.reference
        assert data["claimant"] == melding["claimant"], case["key"]
        assert data["kind"] == melding["kind"], case["key"]
        assert data["policy"] == melding["policy_number"], case["key"]
        assert data["handler"] == melding["handler"], case["key"]
        assert data["state"] == case["expected_state"], case["key"]
        # a step above its actor's authority waits as a proposal: the approval is the step that counts
        held = sum(1 for step in case.get("steps", []) if step.get("proposal"))
        assert data["version"] == 1 + len(case.get("steps", [])) - held, case["key"]


def test_overview_lists_every_claim(seeded: Seeded) -> None:
    out = ok(seeded.run("overview"))
    for row in seeded.rows:
        assert row.reference in out


# --- claims show --as: what a user may do ------------------------------------------------------


def test_show_as_lists_the_transitions_that_user_may_fire(seeded: Seeded) -> None:
    case, row = seeded.case_in("regeling")
    handler = case["melding"]["handler"]
    other_handler = next(u["email"] for u in USERS if u["role"] == "handler" and u["email"] != handler)
    anonymous = json.loads(ok(seeded.run("claims", "show", row.reference, "--json")))
    appointed = anonymous["expert"]
    assert appointed is not None
    other_expert = next(u["email"] for u in USERS if u["role"] == "expert" and u["email"] != appointed)

    as_handler, as_other_handler, as_other_expert = seeded.run_all(
        [
            ("claims", "show", row.reference, "--json", "--as", who)
            for who in (handler, other_handler, other_expert)
        ]
    )
    as_handler, as_other_handler = json.loads(ok(as_handler)), json.loads(ok(as_other_handler))
    assert as_handler["state"] == "regeling"
    triggers = {a["trigger"] for a in as_handler["allowed_transitions"]}
    assert "settle" in triggers
    settle = next(a for a in as_handler["allowed_transitions"] if a["trigger"] == "settle")
    assert settle["to"] == "gesloten"
    assert {f["name"] for f in settle["fields"] if f["required"]} == {"damages", "payee", "terms"}
    assert as_other_handler["allowed_transitions"] == []  # the same team: may read, not act
    # an expert not appointed on this claim may not even read it
    assert as_other_expert.returncode == 3
    assert "niet als expert op deze claim aangesteld" in as_other_expert.stderr
    assert anonymous["allowed_transitions"] == []


def test_show_and_timeline_of_unknown_reference_exit_6(seeded: Seeded) -> None:
    for result in seeded.run_all(
        [("claims", "show", "CF-2099-999999", "--json"), ("claims", "timeline", "CF-2099-999999")]
    ):
        assert "CF-2099-999999" in refused(result, 6)


# --- claims advance ----------------------------------------------------------------------------


def test_advance_prints_new_state_and_version(seeded: Seeded, db: Path) -> None:
    case, row = seeded.case_in("regeling")
    handler = case["melding"]["handler"]
    listed = json.loads(ok(cli(db, "claims", "parties", row.reference, "--json")))
    insured = next(p["id"] for p in listed if p["role"] == "insured" and p["iban"])
    result = cli(
        db,
        "claims",
        "advance",
        row.reference,
        "settle",
        "--as",
        handler,
        "--version",
        str(row.version),
        "damages=38500",
        f"payee={insured}",
        "terms=Vaststellingsovereenkomst, finale kwijting.",
    )
    assert ok(result).strip() == f"{row.reference}: regeling -> gesloten, versie {row.version + 1}"
    shown, events = cli_all(
        db, [("claims", "show", row.reference, "--json"), ("claims", "timeline", row.reference, "--json")]
    )
    data = json.loads(ok(shown))
    assert (data["state"], data["version"], data["outcome"]) == ("gesloten", row.version + 1, "settled")
    timeline = json.loads(ok(events))
    assert len(timeline) == row.version + 1
    assert (timeline[-1]["trigger"], timeline[-1]["actor"]) == ("settle", handler)


REFUSALS = {
    # name: (fields (None: a valid settlement), trigger, actor, version delta, exit code, texts on stderr)
    "stale-version": (None, "settle", "handler", -1, 4, ["versie", "gewijzigd door iemand anders"]),
    "version-ahead": (None, "settle", "handler", 3, 4, ["bestaat nog niet"]),
    "bad-field": (["damages=abc", "terms=x"], "settle", "handler", 0, 2, ["fout: damages:"]),
    "unknown-trigger": (
        ["damages=1"],
        "no_such_trigger",
        "handler",
        0,
        2,
        ["fout: trigger:", "no_such_trigger"],
    ),
    "trigger-not-now": (None, "start_coverage_check", "handler", 0, 5, ["start_coverage_check"]),
    "other-handler": (None, "settle", "other_handler", 0, 3, []),
    "unknown-reference": (None, "settle", "handler", 0, 6, ["CF-2099-999999"]),
    "unknown-actor": (None, "settle", "nobody@claimflow.test", 0, 2, ["--as", "nobody@claimflow.test"]),
    "no-equals-sign": (["foo"], "settle", "handler", 0, 2, ["'foo'"]),
}


@pytest.mark.parametrize("name", list(REFUSALS))
def test_advance_refusals_exit_with_their_code_and_change_nothing(
    seeded: Seeded, db: Path, name: str
) -> None:
    fields, trigger, who, delta, code, names = REFUSALS[name]
    case, row = seeded.case_in("regeling")
    actors = {
        "handler": case["melding"]["handler"],
        "other_handler": next(
            u["email"] for u in USERS if u["role"] == "handler" and u["email"] != case["melding"]["handler"]
        ),
    }
    reference = "CF-2099-999999" if name == "unknown-reference" else row.reference
    before = db_dump(db)
    result = cli(
        db,
        "claims",
        "advance",
        reference,
        trigger,
        "--as",
        actors.get(who, who),
        "--version",
        str(row.version + delta),
        *(fields or ["damages=38500", "terms=Regeling."]),
    )
    err = refused(result, code)
    for text in names:
        assert text in err
    if name == "version-ahead":
        assert f"versie {row.version + 3} bestaat nog niet; de claim is op versie {row.version}" in err
    if name in ("stale-version", "version-ahead"):
        assert f"versie {row.version}" in err  # says what the version is now
        after_show = show(db, row.reference)
        assert (after_show["state"], after_show["version"]) == ("regeling", row.version)
    assert db_dump(db) == before


# --- what the command is given ------------------------------------------------------------------


def test_claims_list_names_an_unknown_kind_state_or_handler(seeded: Seeded) -> None:
    case, row = seeded.case_in("regeling")
    handler = case["melding"]["handler"]
    kind, state, who, everything, good = seeded.run_all(
        [
            ("claims", "list", "--kind", "nonsense"),
            ("claims", "list", "--state", "nonsense"),
            ("claims", "list", "--handler", "nobody@claimflow.test"),
            ("claims", "list", "--kind", "x", "--state", "y", "--handler", "z@claimflow.test"),
            ("claims", "list", "--state", "regeling", "--handler", handler.upper()),
        ]
    )
    assert "fout: --kind: onbekende soort claim 'nonsense'" in refused(kind, 2)
    assert "fout: --state: onbekende fase 'nonsense'" in refused(state, 2)
    assert "fout: --handler: onbekende behandelaar 'nobody@claimflow.test'" in refused(who, 2)
    err = refused(everything, 2)
    assert all(f"fout: {option}:" in err for option in ("--kind", "--state", "--handler"))
    assert kind.stdout == state.stdout == who.stdout == everything.stdout == ""
    listed = parse_list(ok(good))
    assert row in listed
    assert listed == [r for r in seeded.rows if r.state == "regeling" and r.handler == handler]


def test_arguments_that_are_no_text_exit_2_naming_the_argument(seeded: Seeded, db: Path) -> None:
    undecodable = "\udcff\udcfe"  # what Python makes of the bytes ff fe in argv; passed on as those bytes
    case, row = seeded.case_in("regeling")
    handler = case["melding"]["handler"]
    before = db_dump(db)
    state, melding, email, field_value, reference = cli_all(
        db,
        [
            ("claims", "list", "--state", f"regeling{undecodable}"),
            (
                "claims",
                "open",
                "--as",
                handler,
                *GOOD_MELDING[:2],
                *GOOD_MELDING[3:],
                f"claimant=K {undecodable}",
            ),
            ("users", "token", f"{undecodable}@claimflow.test"),
            (
                "claims",
                "advance",
                row.reference,
                "settle",
                "--as",
                handler,
                "--version",
                str(row.version),
                "damages=38500",
                f"terms={undecodable}",
            ),
            ("claims", "show", f"{row.reference}{undecodable}"),
        ],
    )
    for result, name in [
        (state, "--state"),
        (melding, "claimant"),
        (email, "email"),
        (field_value, "terms"),
        (reference, "reference"),
    ]:
        assert f"fout: {name}: is geen geldige tekst" in refused(result, 2), name
    assert db_dump(db) == before
    # a file name may be any bytes: the export is written under it (and named as such on stdout)
    folder = db.parent / "uit"
    folder.mkdir()
    target = str(folder / f"{undecodable}.json")
    export = [str(CLAIMFLOW), "export", "timeline", row.reference, "--format", "json", "-o", target]
    result = subprocess.run(export, env=_env(db), cwd=db.parent, capture_output=True, timeout=180)
    assert result.returncode == 0, result.stderr
    assert [p.name for p in folder.iterdir()] == [f"{undecodable}.json"]


def test_a_blocked_user_may_not_act_at_the_command_line(seeded: Seeded, db: Path) -> None:
    case, row = seeded.case_in("regeling")
    handler = case["melding"]["handler"]
    conn = sqlite3.connect(db)
    conn.execute("UPDATE users SET active = 0 WHERE email = ?", (handler,))
    conn.commit()
    conn.close()
    before = db_dump(db)
    result = cli(
        db, "claims", "advance", row.reference, "settle", "--as", handler, "--version", str(row.version),
        "damages=38500", "terms=Regeling.",
    )  # fmt: skip
    assert f"fout: --as: {handler} is geblokkeerd" in refused(result, 3)
    assert db_dump(db) == before


# --- claims open -------------------------------------------------------------------------------


def handler_email() -> str:
    return next(u["email"] for u in USERS if u["role"] == "handler")


def test_open_names_every_missing_field(db: Path) -> None:
    before = db_dump(db)
    err = refused(cli(db, "claims", "open", "--as", handler_email(), "claimant=X"), 2)
    missing = [f.name for f in INTAKE_FIELDS if f.required and f.name != "claimant"]
    assert set(missing) == {
        "kind",
        "policy_number",
        "description",
        "date_error",
        "date_known",
        "amount_claimed",
    }
    for name in missing:
        assert f"fout: {name}:" in err
    assert "fout: claimant:" not in err
    assert db_dump(db) == before


def test_open_field_without_equals_sign_exits_2(db: Path) -> None:
    before = db_dump(db)
    err = refused(cli(db, "claims", "open", "--as", handler_email(), *GOOD_MELDING, "foo"), 2)
    assert "'foo'" in err
    assert db_dump(db) == before


def test_open_registers_a_melding(seeded: Seeded, db: Path) -> None:
    handler = handler_email()
    out = ok(cli(db, "claims", "open", "--as", handler, *GOOD_MELDING)).strip()
    m = re.fullmatch(r"(CF-\d{4}-\d{6}) geregistreerd: fase melding, versie 1", out)
    assert m, out
    reference = m.group(1)
    assert reference not in {r.reference for r in seeded.rows}
    shown, events = cli_all(
        db, [("claims", "show", reference, "--json"), ("claims", "timeline", reference, "--json")]
    )
    data = json.loads(ok(shown))
    assert (data["state"], data["version"], data["kind"]) == ("melding", 1, "contract_breach")
    assert (data["claimant"], data["policy"], data["handler"]) == ("X", "BAV-2022-0003", handler)
    assert data["amount_claimed"] == "1000.00"
    # known on 2 October and reported today: more than 30 days later, so flagged as late notice (7:941)
    assert [e["kind"] for e in json.loads(ok(events))] == ["opened", "late_notice"]
    assert table_count(db, "claims") == len(CASES) + 1


# --- claims timeline ---------------------------------------------------------------------------


def test_timeline_events_are_in_order_and_count_the_versions(seeded: Seeded) -> None:
    rows = [seeded.case_in("regeling")[1], max(seeded.rows, key=lambda r: r.version)]
    results = seeded.run_all([("claims", "timeline", r.reference, "--json") for r in rows])
    for row, result in zip(rows, results, strict=True):
        listed = json.loads(ok(result))
        # the claim's course: a proposal waiting for a manager is an event beside it
        events = [e for e in listed if e["kind"] in ("opened", "transition")]
        assert {e["kind"] for e in listed} <= {"opened", "transition", "proposal"}
        assert len(events) == row.version, row.reference
        assert [e["version"] for e in events] == list(range(1, row.version + 1))
        assert events[0]["kind"] == "opened"
        assert events[0]["to"] == "melding"
        assert [e["at"] for e in events] == sorted(e["at"] for e in events)
        assert events[-1]["to"] == row.state


# --- users -------------------------------------------------------------------------------------


def test_users_add_list_and_refusals(db: Path) -> None:
    added = cli(
        db,
        "users",
        "add",
        "nieuw@claimflow.test",
        "--name",
        "Nieuwe Behandelaar",
        "--role",
        "handler",
        "--password",
        "geheim-wachtwoord",
        "--limit",
        "1000",
    )
    assert ok(added).strip() == "toegevoegd: nieuw@claimflow.test (handler)"
    listing, duplicate, shouting, bad_role = cli_all(
        db,
        [
            ("users", "list"),
            (
                "users",
                "add",
                "nieuw@claimflow.test",
                "--name",
                "Dubbel",
                "--role",
                "handler",
                "--password",
                "geheim-wachtwoord",
            ),
            (
                "users",
                "add",
                "NIEUW@claimflow.test",
                "--name",
                "Dubbel",
                "--role",
                "handler",
                "--password",
                "geheim-wachtwoord",
            ),
            (
                "users",
                "add",
                "ander@claimflow.test",
                "--name",
                "Ander",
                "--role",
                "baas",
                "--password",
                "geheim-wachtwoord",
            ),
        ],
    )
    line = next(x for x in ok(listing).splitlines() if x.startswith("nieuw@claimflow.test"))
    assert "handler" in line
    assert "Nieuwe Behandelaar" in line
    assert "€ 1.000,00" in line
    assert "fout: email:" in refused(duplicate, 2)
    assert "fout: email:" in refused(shouting, 2)
    err = refused(bad_role, 2)
    assert "fout: role:" in err
    assert "baas" in err
    assert table_count(db, "users") == len(USERS) + 1


def test_users_token_is_long_and_new_each_time(db: Path) -> None:
    email = handler_email()
    first = ok(cli(db, "users", "token", email)).strip()
    second = ok(cli(db, "users", "token", email)).strip()
    for token in (first, second):
        assert len(token) >= 30
        assert re.fullmatch(r"[A-Za-z0-9_-]+", token)
    assert first != second


def test_users_token_for_unknown_user_is_refused(seeded: Seeded) -> None:
    err = refused(seeded.run("users", "token", "nobody@claimflow.test"), 2)
    assert "nobody@claimflow.test" in err


def test_users_token_for_unknown_user_names_the_email_argument(seeded: Seeded) -> None:
    err = refused(seeded.run("users", "token", "nobody@claimflow.test"), 2)
    assert "--as" not in err
    assert "email" in err.lower().split("nobody@")[0]


def test_users_add_negative_limit_names_the_limit_option(db: Path) -> None:
    err = refused(
        cli(
            db,
            "users",
            "add",
            "neg@claimflow.test",
            "--name",
            "Neg",
            "--role",
            "handler",
            "--password",
            "geheim-wachtwoord",
            "--limit=-5",
        ),
        2,
    )
    assert "fout: limit:" in err


def test_seeded_user_names_are_complete(seeded: Seeded) -> None:
    out = ok(seeded.run("users", "list"))
    for user in USERS:
        assert set(user) <= {"email", "name", "role", "authority_limit", "password"}, user
    assert "Noor Peters (IT-expert, extern)" in out


# --- workflows ---------------------------------------------------------------------------------


def test_workflows_list_show_and_check(seeded: Seeded) -> None:
    listing, shown, unknown, check = seeded.run_all(
        [
            ("workflows", "list"),
            ("workflows", "show", "unpaid_fee"),
            ("workflows", "show", "nope"),
            ("workflows", "check"),
        ]
    )
    kinds = [line.split()[0] for line in ok(listing).strip().splitlines()]
    assert sorted(kinds) == ["contract_breach", "data_loss", "late_delivery", "unpaid_fee"]
    assert "pay_advance" in ok(shown)
    assert "fout: kind:" in refused(unknown, 2)
    versions = len(list(WORKFLOWS.glob("[!_]*.yaml")))  # four kinds, each in every version it has
    assert versions >= 16 and ok(check).strip() == f"ok: {versions} workflows"


def test_workflows_check_names_file_and_unknown_guard(seeded: Seeded, tmp_path: Path) -> None:
    good_dir, bad_dir = tmp_path / "good", tmp_path / "bad"
    for d in (good_dir, bad_dir):
        d.mkdir()
        shutil.copy(WORKFLOWS / "_base.yaml", d / "_base.yaml")  # contract_breach `extends: _base`
    text = (WORKFLOWS / "contract_breach.yaml").read_text(encoding="utf-8")
    assert "guards: [small_claim]" in text
    (good_dir / "contract_breach.yaml").write_text(text, encoding="utf-8")
    bad = bad_dir / "contract_breach.yaml"
    bad.write_text(text.replace("guards: [small_claim]", "guards: [no_such_guard]"), encoding="utf-8")

    good_result, bad_result = seeded.run_all(
        [
            ("workflows", "check", str(good_dir / "contract_breach.yaml")),
            ("workflows", "check", str(bad)),
        ]
    )
    assert ok(good_result).startswith("ok: ")
    err = refused(bad_result, 7)
    assert str(bad) in err
    assert "no_such_guard" in err


def test_workflow_field_labels_are_complete(seeded: Seeded) -> None:
    unpaid, data_loss = seeded.run_all(
        [("workflows", "show", "unpaid_fee"), ("workflows", "show", "data_loss")]
    )
    assert "Maatregel (bijv. inzet team, voorschot)" in ok(unpaid)
    assert "Herstelmaatregel (team, omvang)" in ok(data_loss)


def test_workflows_diagram(seeded: Seeded) -> None:
    picture = seeded.db.parent / "unpaid_fee.png"
    mermaid, dot, png, nope, svg, png_file = seeded.run_all(
        [
            ("workflows", "diagram", "unpaid_fee"),
            ("workflows", "diagram", "unpaid_fee", "--format", "dot", "--current", "regeling"),
            ("workflows", "diagram", "unpaid_fee", "--format", "png"),
            ("workflows", "diagram", "unpaid_fee", "--current", "nope"),
            ("workflows", "diagram", "unpaid_fee", "--format", "svg", "--current", "regeling"),
            ("workflows", "diagram", "unpaid_fee", "--format", "png", "--output", str(picture)),
        ]
    )
    assert ok(mermaid).startswith("stateDiagram-v2")
    dot_text = ok(dot)
    assert dot_text.startswith("digraph")
    assert dot_text.rstrip().endswith("}")
    node = next(line for line in dot_text.splitlines() if line.strip().startswith('"regeling" ['))
    assert "filled" in node
    assert "fout: format:" in refused(png, 2)  # an image is not written to the terminal
    err = refused(nope, 2)
    assert "fout: current:" in err
    assert "nope" in err
    tree = ET.fromstring(ok(svg))
    (current,) = [g for g in tree.iter() if g.get("aria-current") == "step"]
    assert current.get("data-state") == "regeling"
    if shutil.which("dot"):  # scripts/ensure_test_tools.sh installs it
        assert tree.get("data-layout") == "graphviz"
        assert not svg.stderr
        ok(png_file)
        assert picture.read_bytes().startswith(b"\x89PNG")
    else:
        assert tree.get("data-layout") == "builtin"
        assert "Graphviz" in svg.stderr
        assert "graphviz" in refused(png_file, 1)


# --- help --------------------------------------------------------------------------------------


def test_help_for_the_command_and_each_group(seeded: Seeded) -> None:
    groups = {
        (): ["init", "seed", "overview", "users", "workflows", "claims"],
        ("users",): ["add", "list", "token"],
        ("workflows",): ["list", "show", "check", "diagram", "schema", "lock"],
        ("claims",): ["open", "list", "show", "advance", "timeline"],
    }
    results = seeded.run_all([(*group, "--help") for group in groups])
    for (group, commands), result in zip(groups.items(), results, strict=True):
        out = ok(result)
        assert "Usage" in out, group
        for command in commands:
            assert command in out, (group, command)


def test_a_command_without_an_initialised_database_says_so_in_one_line_and_creates_nothing(
    tmp_path: Path,
) -> None:
    """Run from another folder, with no database there: one line naming `claimflow init`, exit 2, and no
    empty claimflow.db left behind (only `init` and `seed` create the database)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAIMFLOW_")}
    done = subprocess.run(
        [str(CLAIMFLOW), "claims", "list"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "niet geïnitialiseerd" in lines[0] and "claimflow init" in lines[0]
    assert not (tmp_path / "claimflow.db").exists()
    # an empty file someone made is no database either
    (tmp_path / "claimflow.db").write_bytes(b"")
    again = subprocess.run(
        [str(CLAIMFLOW), "claims", "list"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert again.returncode == 2 and "claimflow init" in again.stderr
