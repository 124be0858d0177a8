"""Benchmark: the portfolio timeline export (a row per event, deadline step, letter and money line) of a
database whose claims hold 1,000,000 timeline events (about 100,000 claims of the four kinds, with their
deadlines, letters and money lines), as CSV and as XLSX. Prints rows, seconds, rows/s, file size and the
peak memory of each export next to its target, and how fast the plain csv module writes as many rows of
the same width on this machine; asserts nothing.

Run: `make bench` (or `.venv/bin/python -m bench.exports --events 1000000 [--db FILE] [--format both]`).
The database is built with bulk inserts (this measures the export, not the service); `--db` keeps it for
later runs, which then skip the build. Each export runs in a fresh child process, so its peak memory is
its own and not the build's.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from sqlalchemy import delete, func, insert, select, update

from bench.bulk import claim_row, finish, policy_row, user_row
from claims.exports.query import PortfolioFilter
from claims.exports.timelines import ExportFormat, PortfolioMode, export_portfolio
from claims.kinds.catalog import Catalog, load_catalog
from claims.runtime import build_runtime
from claims.storage import chain
from claims.storage.db import make_engine
from claims.storage.schema import upgrade
from claims.storage.tables import CLAIMS, DEADLINES, EVENTS, EXPORT_TEXTS, LETTERS, MONEY, POLICIES, USERS
from workflow.spec import DeadlineSpec

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
ROOT = Path(__file__).resolve().parent.parent
KINDS = ("contract_breach", "data_loss", "late_delivery", "unpaid_fee")
HANDLERS = range(1, 41)
EXPERTS = range(41, 51)
POLICY_COUNT = 500
BATCH_EVENTS = 50_000  # events per build transaction (with their claims' other rows)
COLUMNS = 16  # the export's row width, for the plain csv and openpyxl comparisons
XLSX_SAMPLE = 100_000

TARGET_CSV = 150_000  # rows/s
CHANGED_SHARE = 0.01  # of the claims changed after the refresh, for the export between two refreshes
CHANGED = " (bijgewerkt)"  # what change_some adds to a deadline's label
TARGET_CSV_RATIO = 0.6  # of the plain csv.writer on rows of the same width, in the same run
TARGET_FIRST_BYTE = 2.0  # seconds to the XLSX portfolio's first byte over HTTP
TARGET_XLSX = 12_000  # rows/s
TARGET_MEMORY = 200_000_000  # bytes of peak resident memory

# rough calendar lengths: the benchmark needs plausible due moments, not the working-day calendar
UNIT_DAYS = {"hours": 1 / 24, "days": 1.0, "working_days": 1.4, "weeks": 7.0, "months": 30.4, "years": 365.25}

NAMES = ("Jansen", "De Vries", "Bakker", "Visser", "Smit", "Meijer", "De Boer", "Mulder", "Bos", "Vos")
FIRMS = ("Logistiek", "Zorg", "Retail", "Bouw", "Finance", "Onderwijs", "Media", "Energie")
NOTES = (
    "Verzekerde gebeld, stukken volgen deze week.",
    "Advocaat benadeelde vraagt om uitstel; akkoord tot eind van de maand.",
    'Expert meldt: "logbestanden ontbreken", opnieuw opgevraagd.',
    "- telefonisch overleg met makelaar\n- afspraak: voorstel binnen 2 weken",
    "Benadeelde dreigt met procedure bij de rechtbank, dossier bijgewerkt.",
    "Polisvoorwaarden 2024 nagelezen, uitsluiting art. 4.2 is niet van toepassing.",
)
QUESTIONS = (
    "Kopie van de overeenkomst met de benadeelde en de algemene voorwaarden.",
    "Tijdlijn van de storing en de correspondentie met de opdrachtgever.",
    "Facturen van het project en het opleverrapport.",
)
FINDINGS = (
    "Oorzaak: een onjuist geconfigureerde back-up; omvang: herstel van drie dagen aan gegevens.",
    "De oplevering liep elf weken vertraging op door een fout in de planning van de verzekerde.",
    "Adviesfout bij de migratie; de schade bestaat uit extra licentiekosten en uren van derden.",
)
TERMS = (
    "Finale kwijting over en weer na betaling.",
    "Betaling binnen 14 dagen; partijen houden de regeling vertrouwelijk.",
)


def money_text(amount: Decimal) -> str:
    """An amount as the service keeps it in an event's inputs (claims.service.advance._jsonable)."""
    return str(amount)


def euros(rnd: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rnd.randint(low * 100, high * 100)).scaleb(-2)


def due_after(start: datetime, spec: DeadlineSpec) -> datetime:
    return start + timedelta(days=spec.amount * UNIT_DAYS.get(spec.unit, 1.0))


@dataclass
class Rows:
    """What one batch of the build inserts, table by table."""

    claims: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    deadlines: list[dict[str, Any]] = field(default_factory=list)
    letters: list[dict[str, Any]] = field(default_factory=list)
    money: list[dict[str, Any]] = field(default_factory=list)


class ClaimPlan:
    """One claim's life along the specs' main path (melding, dekkingsonderzoek, expertise, regeling,
    gesloten) with internal transitions, notes and the sweep's flags on the way; it stops early when the
    claim's time reaches NOW, when the path it was given ends, or when its share of the events is used."""

    def __init__(
        self, n: int, rnd: random.Random, catalog: Catalog, rows: Rows, next_event: int, cap: int
    ) -> None:
        self.n, self.rnd, self.rows, self.cap = n, rnd, rows, cap
        self.kind = rnd.choice(KINDS)
        self.spec = catalog.spec(self.kind, 1)
        self.reference = f"CF-2026-{n:07d}"
        self.next_event = next_event
        self.first_event = len(rows.events)
        self.t = NOW - timedelta(days=rnd.uniform(2, 720))
        self.created = self.t
        self.state = self.spec.initial
        self.entered = self.t
        self.version = 1
        self.handler = rnd.choice(HANDLERS)
        self.expert: int | None = None
        self.policy = rnd.randint(1, POLICY_COUNT)
        self.insured = insured_name(self.policy)
        self.open: dict[str, dict[str, Any]] = {}  # open deadlines by name
        self.outcome: str | None = None
        self.closed_at: datetime | None = None
        self.reserve: dict[str, Decimal] = {}
        self.claimed = Decimal(0)
        self.claimant = f"{rnd.choice(NAMES)} {rnd.choice(FIRMS)} B.V."
        self.stopped = False

    @property
    def events(self) -> int:
        return len(self.rows.events) - self.first_event

    def run(self) -> None:
        rnd = self.rnd
        # where this claim's story ends if time allows: most portfolios are largely closed files
        goal = rnd.choices(
            ("melding", "dekkingsonderzoek", "expertise", "regeling", "gesloten"), (3, 10, 17, 15, 55)
        )[0]
        claimed = euros(rnd, 2_000, 250_000)
        self.opened(claimed)
        if goal == "melding" or not self.step(1.5):
            return self.end()
        self.transition("start_coverage_check", "dekkingsonderzoek", {}, letter="ontvangstbevestiging")
        if rnd.random() < 0.7 and self.step(6):
            self.transition(
                "request_information",
                "dekkingsonderzoek",
                {"questions": rnd.choice(QUESTIONS), "answer_days": 10},
                letter="verzoek_om_informatie",
            )
            if rnd.random() < 0.35 and self.step(12):
                self.transition(
                    "send_reminder",
                    "dekkingsonderzoek",
                    {"reminder": "De gevraagde stukken hebben wij nog niet ontvangen.", "answer_days": 5},
                    letter="herinnering",
                )
        if goal == "dekkingsonderzoek" or not self.step(25):
            return self.end()
        self.expert = rnd.choice(EXPERTS)
        damages, expert_costs = (claimed * Decimal("0.6")).quantize(Decimal("0.01")), euros(rnd, 800, 6_000)
        inputs = {
            "expert": f"e{self.expert}@bench.nl",
            "reserve_damages": money_text(damages),
            "reserve_expert": money_text(expert_costs),
        }
        event = self.transition("confirm_cover", "expertise", inputs, letter="dekkingsbevestiging")
        self.pay(event, "reserve", "damages", damages, "Aanvangsreserve")
        self.pay(event, "reserve", "expert", expert_costs, "Aanvangsreserve")
        if rnd.random() < 0.4 and self.step(10):
            new = (damages * Decimal(rnd.choice(("0.8", "1.2", "1.5")))).quantize(Decimal("0.01"))
            event = self.transition(
                "adjust_reserve", "expertise", {"cost_type": "damages", "amount": money_text(new)}
            )
            self.pay(event, "reserve", "damages", new - self.reserve["damages"], "")
        if not self.step(18):
            return self.end()
        assessed = euros(rnd, 1_000, int(claimed))
        inputs = {
            "findings": rnd.choice(FINDINGS),
            "assessed_damage": money_text(assessed),
            "expert_costs": money_text(expert_costs),
        }
        self.transition("submit_report", "expertise", inputs, actor=self.expert)
        if rnd.random() < 0.6 and self.step(8):
            event = self.transition("pay_expert_costs", "expertise", {"amount": money_text(expert_costs)})
            self.pay(event, "payment", "expert", expert_costs, "Factuur expert")
            self.pay(event, "reserve", "expert", -self.reserve["expert"], "")
        if rnd.random() < 0.3 and self.step(6):
            asked = {"questions": "Onderbouwing van de gevorderde schadeposten.", "answer_days": 10}
            self.transition("request_information", "expertise", asked, letter="verzoek_om_informatie")
        if goal == "expertise" or not self.step(4):
            return self.end()
        self.transition("to_settlement", "regeling", {})
        if rnd.random() < 0.3 and self.step(7):
            new = (assessed * Decimal("1.05")).quantize(Decimal("0.01"))
            event = self.transition(
                "adjust_reserve", "regeling", {"cost_type": "damages", "amount": money_text(new)}
            )
            self.pay(event, "reserve", "damages", new - self.reserve["damages"], "Naar vastgestelde schade")
        if goal == "regeling" or not self.step(16):
            return self.end()
        inputs = {"damages": money_text(assessed), "interest": "", "defence": "", "terms": rnd.choice(TERMS)}
        event = self.transition("settle", "gesloten", inputs, letter="vaststellingsovereenkomst")
        self.pay(event, "payment", "damages", assessed, "")
        for cost_type, left in self.reserve.items():
            if left:
                self.pay(event, "reserve", cost_type, -left, "Reserve vrijgevallen bij sluiting")
        self.outcome, self.closed_at = "settled", self.t
        return self.end()

    def step(self, mean_days: float) -> bool:
        """Move the clock to the next action, with what happens meanwhile; False if it never comes."""
        if self.stopped:
            return False
        t = self.t + timedelta(days=self.rnd.expovariate(1 / mean_days), minutes=self.rnd.randint(5, 120))
        self.meanwhile(min(t, NOW))
        if t >= NOW or self.events >= self.cap:
            # whatever else the claim's story held never happens: later steps would go back in time
            self.stopped = True
            return False
        self.t = t
        return True

    def meanwhile(self, until: datetime) -> None:
        """Now and then a note, and the sweep's flag on each open deadline that fell due before `until`
        (it runs every 15 minutes), in time order so that event ids follow the clock."""
        pending: list[tuple[datetime, dict[str, Any] | None]] = []
        for open_deadline in self.open.values():
            flagged = open_deadline["due_at"] + timedelta(minutes=self.rnd.randint(1, 15))
            if open_deadline["flagged_at"] is None and flagged < until:
                pending.append((flagged, open_deadline))
        if self.rnd.random() < 0.3:
            pending.append((self.t + (until - self.t) * self.rnd.random(), None))
        for at, d in sorted(pending, key=lambda p: p[0]):
            if self.events >= self.cap:
                return
            if d is None:
                self.event(
                    "note", None, self.state, {}, actor=self.handler, from_state=self.state,
                    note=self.rnd.choice(NOTES), at=at,
                )  # fmt: skip
                continue
            d["flagged_at"] = at
            due = d["due_at"].astimezone(AMSTERDAM).strftime("%d-%m-%Y %H:%M")
            self.event(
                "deadline_overdue", None, self.state,
                {"deadline": d["name"], "label": d["label"], "due_at": d["due_at"].isoformat()},
                actor=None, from_state=self.state, at=at,
                note=f"{self.reference}: termijn '{d['label']}' is verlopen (uiterlijk {due}).",
            )  # fmt: skip

    def end(self) -> None:
        if self.outcome is None and not self.stopped:
            self.meanwhile(NOW)
        self.rows.claims.append(
            claim_row(
                self.n,
                created=self.created,
                kind=self.kind,
                state=self.state,
                version=self.version,
                outcome=self.outcome,
                policy_id=self.policy,
                handler_id=self.handler,
                expert_id=self.expert,
                claimant=self.claimant,
                description="Schade door een fout in de dienstverlening van de verzekerde.",
                date_error=(self.created - timedelta(days=40)).date(),
                date_known=(self.created - timedelta(days=10)).date(),
                date_reported=self.created.date(),
                amount_claimed=self.claimed,
                state_entered_at=self.entered,
                closed_at=self.closed_at,
            )
        )

    def opened(self, claimed: Decimal) -> None:
        self.claimed = claimed
        inputs = {
            "policy_number": f"BAV-{self.policy:06d}",
            "claimant": self.claimant,
            "date_error": (self.created - timedelta(days=40)).date().isoformat(),
            "date_reported": self.created.date().isoformat(),
            "amount_claimed": money_text(claimed),
            "description": "Schade door een fout in de dienstverlening van de verzekerde.",
        }
        self.event("opened", None, self.state, {"inputs": inputs}, actor=self.handler)
        self.enter(self.state)

    def transition(
        self, trigger: str, to: str, inputs: dict[str, Any], *, actor: int | None = None, letter: str = ""
    ) -> int:
        self.version += 1
        event = self.event(
            "transition", trigger, to, {"inputs": inputs}, actor=actor or self.handler, from_state=self.state
        )
        restarted = []
        for name, d in list(self.open.items()):
            if trigger in d["met_by"].split(","):
                d["met_at"], d["met_trigger"] = self.t, trigger
                del self.open[name]
            elif trigger in d["restarted_by"].split(","):
                d["cancelled_at"] = self.t
                del self.open[name]
                restarted.append(d["spec"])
        if to != self.state:
            # leaving a state ends its own deadlines unmet; the claim-wide ones run on until closed
            for name, d in list(self.open.items()):
                if d["scope"] == "state" or to == "gesloten":
                    d["cancelled_at"] = self.t
                    del self.open[name]
            self.state, self.entered = to, self.t
            self.enter(to)
        for spec in restarted:
            self.start(spec)
        if letter:
            self.letter(event, letter)
        return event

    def event(
        self,
        kind: str,
        trigger: str | None,
        to_state: str | None,
        data: dict[str, Any],
        *,
        actor: int | None,
        from_state: str | None = None,
        note: str = "",
        at: datetime | None = None,
    ) -> int:
        event_id = self.next_event
        self.next_event += 1
        self.rows.events.append(
            {
                "id": event_id,
                "claim_id": self.n,
                "claim_version": self.version,
                "at": at or self.t,
                "actor_id": actor,
                "kind": kind,
                "trigger": trigger,
                "from_state": from_state,
                "to_state": to_state,
                "data": data,
                "note": note,
            }
        )
        return event_id

    def enter(self, state: str) -> None:
        for spec in self.spec.states[state].deadlines:
            if spec.when is None:  # the AVG 72-hour term only for personal data, which none have here
                self.start(spec)

    def start(self, spec: DeadlineSpec) -> None:
        due = due_after(self.t, spec)
        remind = due - timedelta(days=spec.remind_before_days or 2)
        row = {
            "claim_id": self.n,
            "name": spec.name,
            "label": spec.label,
            "state": self.state,
            "scope": spec.scope,
            "responsible": spec.responsible,
            "met_by": ",".join(spec.met_by),
            "restarted_by": ",".join(spec.restarted_by),
            "started_at": self.t,
            "due_at": due,
            "met_at": None,
            "met_trigger": None,
            "cancelled_at": None,
            "remind_at": remind,
            "flagged_at": None,
            "spec": spec,  # dropped before the insert
        }
        self.rows.deadlines.append(row)
        self.open[spec.name] = row

    def letter(self, event: int, template: str) -> None:
        title = f"{template.replace('_', ' ').capitalize()} {self.reference}"
        html = f"<p>Geachte {self.insured},</p><p>{title}.</p><p>Met vriendelijke groet, Claims BAV</p>"
        self.rows.letters.append(
            {
                "claim_id": self.n,
                "event_id": event,
                "template": template,
                "template_version": 1,
                "title": title,
                "recipient": "insured",
                "recipient_name": self.insured,
                "sha256": hashlib.sha256(html.encode()).hexdigest(),
                "html": html,
                "created_at": self.t,
            }
        )

    def pay(self, event: int, kind: str, cost_type: str, amount: Decimal, note: str) -> None:
        if kind == "reserve":
            self.reserve[cost_type] = self.reserve.get(cost_type, Decimal(0)) + amount
        self.rows.money.append(
            {
                "claim_id": self.n,
                "event_id": event,
                "at": self.t,
                "kind": kind,
                "cost_type": cost_type,
                "amount": amount,
                "note": note,
            }
        )


def insured_name(policy: int) -> str:
    return f"{NAMES[policy % len(NAMES)]} {FIRMS[policy % len(FIRMS)]} ICT B.V. ({policy})"


def _link(rows: Rows) -> None:
    """Each event lists its letters and is linked into its claim's hash chain, as the writer does it
    (claims.storage.repositories.events); a batch holds its claims' whole timelines."""
    written: dict[int, list[tuple[str, str]]] = {}
    for letter in rows.letters:
        written.setdefault(letter["event_id"], []).append((letter["template"], letter["sha256"]))
    for event in rows.events:
        if event["id"] in written:
            event["data"] = {**event["data"], "letters": chain.letter_entries(written[event["id"]])}
    chain.link(rows.events, {})


def build(path: Path, events: int) -> None:
    """Build the database in a side file and move it into place once complete, so an interrupted build
    never leaves a half-filled database for the next run to reuse."""
    part = path.with_name(path.name + ".building")
    for leftover in (part, Path(f"{part}-wal"), Path(f"{part}-shm")):
        leftover.unlink(missing_ok=True)
    start = time.perf_counter()
    engine = make_engine(f"sqlite:///{part}")
    upgrade(engine)
    catalog = load_catalog()
    rnd = random.Random(17)
    with engine.begin() as conn:
        users = [user_row(f"h{i}@bench.nl", f"Behandelaar {i}", "handler", "BAV", NOW) for i in HANDLERS]
        users += [user_row(f"e{i}@bench.nl", f"Expert {i}", "expert", "BAV", NOW) for i in EXPERTS]
        users += [user_row(f"m{i}@bench.nl", f"Manager {i}", "manager", "BAV", NOW) for i in range(3)]
        conn.execute(insert(USERS), users)
        conn.execute(
            insert(POLICIES),
            [policy_row(f"BAV-{i:06d}", insured_name(i)) for i in range(1, POLICY_COUNT + 1)],
        )
    n, next_event, left = 0, 1, events
    while left > 0:
        rows = Rows()
        while left > 0 and len(rows.events) < BATCH_EVENTS:
            n += 1
            plan = ClaimPlan(n, rnd, catalog, rows, next_event, cap=left)
            plan.run()
            next_event, left = plan.next_event, left - plan.events
        for d in rows.deadlines:
            del d["spec"]
        _link(rows)
        with engine.begin() as conn:
            conn.execute(insert(CLAIMS), rows.claims)
            conn.execute(insert(EVENTS), rows.events)
            conn.execute(insert(DEADLINES), rows.deadlines)
            if rows.letters:
                conn.execute(insert(LETTERS), rows.letters)
            if rows.money:
                conn.execute(insert(MONEY), rows.money)
    finish(engine)
    engine.dispose()
    part.rename(path)
    print(f"built {n:,} claims holding {events:,} events in {time.perf_counter() - start:.0f} s: {path}")


def counts(path: Path) -> dict[str, int]:
    engine = make_engine(f"sqlite:///{path}")
    closed = DEADLINES.c.met_at.is_not(None) | DEADLINES.c.cancelled_at.is_not(None)
    queries = {
        "claims": select(func.count()).select_from(CLAIMS),
        "claims closed": select(func.count()).where(CLAIMS.c.closed_at.is_not(None)),
        "timeline_events": select(func.count()).select_from(EVENTS),
        "deadlines": select(func.count()).select_from(DEADLINES),
        "deadlines met or cancelled": select(func.count()).where(closed),
        "letters": select(func.count()).select_from(LETTERS),
        "money_lines": select(func.count()).select_from(MONEY),
        "users": select(func.count()).select_from(USERS),
        "policies": select(func.count()).select_from(POLICIES),
    }
    with engine.connect() as conn:
        out = {name: int(conn.execute(q).scalar_one()) for name, q in queries.items()}
    engine.dispose()
    return out


def expected_rows(c: dict[str, int]) -> int:
    """What the events mode writes: each event, each deadline set and each one met or ended, each letter
    and each money line."""
    return (
        c["timeline_events"]
        + c["deadlines"]
        + c["deadlines met or cancelled"]
        + c["letters"]
        + c["money_lines"]
    )


def memory() -> dict[str, int]:
    """Current and peak resident memory in bytes. On Linux from /proc: a child's ru_maxrss starts at its
    parent's peak (the kernel carries the pre-exec high-water mark over), which would hide the export's
    own figure behind the build's; VmHWM belongs to this process image alone."""
    try:
        with open("/proc/self/status") as status:
            fields = dict(line.split(":", 1) for line in status)
        return {"rss": int(fields["VmRSS"].split()[0]) * 1024, "peak": int(fields["VmHWM"].split()[0]) * 1024}
    except (OSError, KeyError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB elsewhere
        return {"rss": peak * scale, "peak": peak * scale}


def run_export(path: Path, fmt: ExportFormat, *, discard: bool = False) -> dict[str, Any]:
    """One timed export of the whole portfolio, in this (fresh) process; its figures as a dict.
    `discard`: the bytes go to /dev/null, which shows the export apart from this disk's write speed."""
    engine = make_engine(f"sqlite:///{path}")
    rt = replace(build_runtime(), clock=lambda: NOW)
    ready = memory()
    written = 0

    def progress(rows: int) -> None:
        nonlocal written
        written += rows

    with tempfile.TemporaryDirectory(prefix="bench-exports-") as tmp:
        out = Path(os.devnull) if discard else Path(tmp) / f"portfolio.{fmt.value}"
        first_bytes: float | None = None
        start = time.perf_counter()
        export = export_portfolio(
            engine, rt, PortfolioFilter(), PortfolioMode.events, fmt, None, "cli", progress=progress
        )
        size = 0
        with out.open("wb") as f:
            for chunk in export.chunks:
                if first_bytes is None:
                    first_bytes = time.perf_counter() - start
                f.write(chunk)
                size += len(chunk)
        seconds = time.perf_counter() - start
    engine.dispose()
    return {
        "format": fmt.value,
        "discard": discard,
        "rows": written,
        "seconds": seconds,
        "first_bytes": first_bytes or seconds,
        "bytes": size,
        "ready": ready,
        "end": memory(),
    }


def export_in_child(path: Path, fmt: ExportFormat, *, discard: bool = False) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.exports", "--only-export", fmt.value, "--db", str(path)]
        + (["--discard"] if discard else []),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def phases(path: Path) -> dict[str, float]:
    """Seconds the CSV portfolio spends in each of its three passes, measured chunk by chunk as the export
    runs them (rows are not kept): reading the sources, building the rows, writing them as CSV text; and
    the rows. What the gap to the plain writer is made of."""
    from claims.exports.files import csv_chunks
    from claims.exports.query import portfolio_criteria, source_chunks, user_names
    from claims.exports.rows import HistoryBuilder, Sources

    engine = make_engine(f"sqlite:///{path}")
    rt = replace(build_runtime(), clock=lambda: NOW)
    spent = {"read": 0.0, "build": 0.0, "write": 0.0, "rows": 0.0}
    with engine.connect() as conn, conn.begin():
        builder = HistoryBuilder(rt.catalog, user_names(conn), rt.tz, NOW, for_spreadsheet=True)
        chunks = source_chunks(conn, portfolio_criteria(None, PortfolioFilter(), NOW, rt.tz))
        while True:
            start = time.perf_counter()
            found = next(chunks, None)
            if found is None:
                break
            facts, sources = found
            read = time.perf_counter()
            built = [builder.history(c, sources.get(c.id) or Sources()).rows for c in facts]
            done = time.perf_counter()
            for _ in csv_chunks([], built, inert_already=True):
                pass
            spent["read"] += read - start
            spent["build"] += done - read
            spent["write"] += time.perf_counter() - done
            spent["rows"] += sum(map(len, built))
    engine.dispose()
    return spent


def forget_texts(path: Path) -> None:
    """Empty the stored texts, so the next export builds every row."""
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(delete(EXPORT_TEXTS))
    engine.dispose()


def refresh_texts(path: Path) -> dict[str, float]:
    """The scheduler's refresh of the stored texts over the whole database, timed."""
    from claims.exports import row_texts

    engine = make_engine(f"sqlite:///{path}")
    rt = replace(build_runtime(), clock=lambda: NOW)
    done = row_texts.refresh(engine, rt)
    with engine.connect() as conn:
        stored = conn.execute(select(func.sum(func.length(EXPORT_TEXTS.c.text)))).scalar_one()
    engine.dispose()
    return {"built": done.built, "seconds": done.took_seconds, "bytes": stored or 0}


def change_some(path: Path, share: float) -> int:
    """Rename the newest deadline of every claim whose id is divisible by 1/share, without an event (as
    a correction by hand would): those claims' stored texts no longer match and the export builds
    them. How many claims changed."""
    engine = make_engine(f"sqlite:///{path}")
    step = round(1 / share)
    newest = (
        select(func.max(DEADLINES.c.id))
        .where(DEADLINES.c.claim_id % step == 0)
        .group_by(DEADLINES.c.claim_id)
    )
    with engine.begin() as conn:
        changed = conn.execute(
            update(DEADLINES).where(DEADLINES.c.id.in_(newest)).values(label=DEADLINES.c.label + CHANGED)
        ).rowcount
    engine.dispose()
    return int(changed)


def change_back(path: Path) -> None:
    """Undo change_some, so that a database kept with --db reads the same in the next run."""
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(
            update(DEADLINES)
            .where(DEADLINES.c.label.endswith(CHANGED))
            .values(label=func.substr(DEADLINES.c.label, 1, func.length(DEADLINES.c.label) - len(CHANGED)))
        )
    engine.dispose()


def plain_rows() -> list[list[str]]:
    """A pool of export-like rows: 16 short texts, a reference, a moment, labels, an amount, an id."""
    rnd = random.Random(3)
    rows = []
    for i in range(1_000):
        moment = f"2026-0{1 + i % 9}-1{i % 10}T10:1{i % 10}:00+01:00"
        amount, spent = f"{rnd.randint(100, 99999)}.{rnd.randint(10, 99)}", f"{rnd.randint(0, 90)}.50"
        rows.append(
            [f"CF-2026-{i:07d}", "Contractbreuk", moment, "event", "transition",
             "Dekking bevestigen en expert aanstellen", f"h{i % 40}@bench.nl", "Expertise",
             "Dekkingsonderzoek", "Expertise", "", amount, "", spent,
             "Reserve schadevergoeding: 25000.00", str(i)]
        )  # fmt: skip
    return rows


def plain_csv(rows: int) -> float:
    """Seconds for csv.writer to write `rows` rows of COLUMNS short strings to a file."""
    pool = plain_rows()
    with (
        tempfile.TemporaryDirectory(prefix="bench-exports-") as tmp,
        (Path(tmp) / "plain.csv").open("w", encoding="utf-8", newline="") as f,
    ):
        writer = csv.writer(f)
        start = time.perf_counter()
        for i in range(rows):
            writer.writerow(pool[i % 1_000])
        f.flush()
        return time.perf_counter() - start


def plain_xlsx(rows: int) -> float:
    """Seconds for openpyxl's write-only mode to write `rows` such rows and save the workbook."""
    pool = plain_rows()
    with tempfile.TemporaryDirectory(prefix="bench-exports-") as tmp:
        start = time.perf_counter()
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("Tijdlijn")
        for i in range(rows):
            sheet.append(pool[i % 1_000])
        workbook.save(Path(tmp) / "plain.xlsx")
        return time.perf_counter() - start


def server_memory(pid: int) -> dict[str, int]:
    with open(f"/proc/{pid}/status") as status:
        fields = dict(line.split(":", 1) for line in status)
    return {"rss": int(fields["VmRSS"].split()[0]) * 1024, "peak": int(fields["VmHWM"].split()[0]) * 1024}


def http_xlsx(path: Path) -> dict[str, Any]:
    """The XLSX portfolio downloaded from `claimflow serve` on loopback (the API, a manager's token):
    seconds to the first byte and to the last, bytes, and the server process's memory."""
    import httpx

    from bench.loadlib import issue_tokens, serve

    url = f"sqlite:///{path}"
    token = issue_tokens(url, ["m0@bench.nl"])["m0@bench.nl"]
    with (
        tempfile.TemporaryDirectory(prefix="bench-exports-") as tmp,
        serve(url, Path(tmp), env={"CLAIMFLOW_SCHEDULER": "off"}) as servers,
    ):
        pid = servers.processes[0].pid
        ready = server_memory(pid)
        first: float | None = None
        size = 0
        start = time.perf_counter()
        with httpx.stream(
            "GET",
            f"{servers.urls[0]}/api/exports/timelines",
            params={"format": "xlsx", "mode": "events"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=1800,
        ) as resp:
            resp.raise_for_status()
            for chunk in resp.iter_raw():
                if first is None:
                    first = time.perf_counter() - start
                size += len(chunk)
        seconds = time.perf_counter() - start
        end = server_memory(pid)
    return {"first_byte": first or seconds, "seconds": seconds, "bytes": size, "ready": ready, "end": end}


def mib(n: int) -> str:
    return f"{n / 2**20:.0f} MiB"


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def report(result: dict[str, Any], expected: int) -> None:
    rows, seconds, fmt = result["rows"], result["seconds"], result["format"]
    rate = rows / seconds if seconds else 0.0
    target = TARGET_CSV if fmt == "csv" else TARGET_XLSX
    where = "to /dev/null" if result.get("discard") else "to a file"
    print(
        f"{fmt:>4} {where}: {rows:,} rows in {seconds:.1f} s = {rate:,.0f} rows/s "
        f"(target >= {target:,}: {verdict(rate >= target)}); file {result['bytes'] / 1e6:,.1f} MB; "
        f"first bytes after {result['first_bytes']:.2f} s"
    )
    if rows != expected:
        print(f"      note: {expected:,} rows were expected from the table counts")
    ready, end = result["ready"], result["end"]
    print(
        f"      peak resident memory {mib(end['peak'])} ({end['peak'] / 1e6:.0f} MB; "
        f"target < {TARGET_MEMORY / 1e6:.0f} MB: {verdict(end['peak'] < TARGET_MEMORY)}); "
        f"after imports {mib(ready['rss'])}, so +{mib(end['peak'] - ready['rss'])} for the export; "
        f"resident at the end {mib(end['rss'])}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000, help="timeline events in the database")
    parser.add_argument("--db", type=Path, help="reuse (or create) this database file")
    parser.add_argument("--format", choices=("csv", "xlsx", "both"), default="both")
    # what the parent runs in a fresh child per export, so the child's peak memory is the export's
    parser.add_argument("--only-export", choices=("csv", "xlsx"), help=argparse.SUPPRESS)
    parser.add_argument("--discard", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.only_export:
        if args.db is None or not args.db.exists():
            parser.error("--only-export needs an existing --db")
        print(json.dumps(run_export(args.db, ExportFormat(args.only_export), discard=args.discard)))
        return
    formats = [ExportFormat.csv, ExportFormat.xlsx] if args.format == "both" else [ExportFormat(args.format)]
    with tempfile.TemporaryDirectory(prefix="bench-exports-") as tmp:
        path = args.db or Path(tmp) / "exports.db"
        if path.exists():
            print(f"reusing {path} (built earlier; --events is not applied)")
            upgrade(make_engine(f"sqlite:///{path}"))
        else:
            build(path, args.events)
        forget_texts(path)  # the first exports build every row, as before any refresh
        c = counts(path)
        print("; ".join(f"{name} {value:,}" for name, value in c.items()))
        expected = expected_rows(c)
        print(
            f"portfolio export, events mode, all claims: {expected:,} rows expected; "
            f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
        )
        results = []
        for fmt in formats:
            for discard in (False, True) if fmt is ExportFormat.csv else (False,):
                result = export_in_child(path, fmt, discard=discard)
                report(result, expected)
                results.append(result)
        rows = results[0]["rows"] or expected
        seconds = plain_csv(rows)
        bare = rows / seconds
        print(
            f"plain csv.writer, {rows:,} rows of {COLUMNS} short strings to a file: {seconds:.1f} s = "
            f"{bare:,.0f} rows/s (the writer alone, on rows already built)"
        )
        split = phases(path)
        if split["rows"]:
            per_row = {k: split[k] / split["rows"] * 1e6 for k in ("read", "build", "write")}
            print(
                "csv passes when every row is built, per row: "
                + ", ".join(f"{k} {v:.2f} µs" for k, v in per_row.items())
                + f"; the plain writer {1e6 / bare:.2f} µs"
            )
        if ExportFormat.csv in formats:
            took = refresh_texts(path)
            print(
                f"the scheduler's refresh of the stored texts (claims.exports.row_texts), every claim: "
                f"{took['built']:,} claims in {took['seconds']:.1f} s; stored {took['bytes'] / 1e6:,.1f} MB"
            )
            for discard in (False, True):
                result = export_in_child(path, ExportFormat.csv, discard=discard)
                result["stored"] = True
                report(result, expected)
                results.append(result)
            changed = change_some(path, CHANGED_SHARE)
            result = export_in_child(path, ExportFormat.csv, discard=True)
            result["stored"] = True
            result["changed"] = changed
            change_back(path)
            report(result, expected)
            results.append(result)
        for r in results:
            if r["format"] == "csv":
                ratio = r["rows"] / r["seconds"] / bare
                where = "to /dev/null" if r["discard"] else "to a file"
                if not r.get("stored"):
                    how = "every row built (nothing stored)"
                elif r.get("changed"):
                    how = f"after the refresh, {r['changed']:,} claims changed since"
                else:
                    how = "after the refresh (stored texts)"
                print(
                    f" csv {where}, {how} / plain writer = {ratio:.2f} "
                    f"(target >= {TARGET_CSV_RATIO}: {verdict(ratio >= TARGET_CSV_RATIO)})"
                )
        if ExportFormat.xlsx in formats:
            got = http_xlsx(path)
            print(
                f"xlsx over HTTP (claimflow serve on loopback, GET /api/exports/timelines?format=xlsx): "
                f"first byte after {got['first_byte']:.2f} s (target <= {TARGET_FIRST_BYTE:g} s: "
                f"{verdict(got['first_byte'] <= TARGET_FIRST_BYTE)}), all {got['bytes'] / 1e6:,.1f} MB "
                f"after {got['seconds']:.1f} s; server resident {mib(got['ready']['rss'])} before, "
                f"peak {mib(got['end']['peak'])} (target < {TARGET_MEMORY / 1e6:.0f} MB: "
                f"{verdict(got['end']['peak'] < TARGET_MEMORY)})"
            )
            sample = min(rows, XLSX_SAMPLE)
            seconds = plain_xlsx(sample)
            print(
                f"plain openpyxl write-only, {sample:,} such rows (a sample) and save: {seconds:.1f} s = "
                f"{sample / seconds:,.0f} rows/s"
            )

        # memory is the one figure this benchmark holds the code to: unlike speed it does not drift with
        # the machine's load, and an export whose memory grows with its rows is a bug
        over = [r for r in results if r["end"]["peak"] >= TARGET_MEMORY]
        if over:
            raise SystemExit(f"peak memory over {TARGET_MEMORY / 1e6:.0f} MB: {[r['format'] for r in over]}")


if __name__ == "__main__":
    main()
